"""Hamerly's bounds on Dask: the same fit as in memory, most rows skipped, lost state rebuilt."""

from __future__ import annotations

import time

import numpy as np
import pytest
from scipy.spatial.distance import cdist

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

from vqtoolkit import Codebook  # noqa: E402
from vqtoolkit.distributed import local_cluster  # noqa: E402
from vqtoolkit.distributed._backend import DaskRows  # noqa: E402
from vqtoolkit.lloyd import lloyd  # noqa: E402


def _cluster(n_workers):
    from distributed import Client

    cluster = local_cluster(n_workers=n_workers, threads_per_worker=1, processes=False,
                            dashboard=False)
    return cluster, Client(cluster, set_as_default=True)


@pytest.fixture(scope="module", params=[1, 2], ids=["1worker", "2workers"])
def client(request):
    cluster, c = _cluster(request.param)
    yield c
    c.close()
    cluster.close()


def _mixture(n=6000, d=5, k=8, dtype=np.float32, seed=0):
    rng = np.random.RandomState(seed)
    means = rng.uniform(-10, 10, size=(k, d))
    X = means[rng.randint(k, size=n)] + rng.normal(size=(n, d)) * rng.uniform(1, 3, size=d)
    return X.astype(dtype)


def _traced(rows):
    """``rows`` whose pass runners are kept in the returned list (to read their Hamerly log)."""
    runners = []
    make = rows.passes

    def passes(**kwargs):
        runners.append(make(**kwargs))
        return runners[-1]

    rows.passes = passes
    return runners


@pytest.mark.parametrize("chunks", [1000, 1700], ids=["chunks1000", "chunks1700"])
@pytest.mark.parametrize("dtype,weighted", [(np.float32, False), (np.float32, True), (np.float64, True)],
                         ids=["float32", "float32-weighted", "float64-weighted"])
def test_fit_equals_in_memory(client, chunks, dtype, weighted):
    X = _mixture(dtype=dtype)
    w = np.random.RandomState(1).uniform(0.2, 3.0, size=X.shape[0]) if weighted else None
    a = Codebook(8, random_state=3, tol=0).fit(X, sample_weight=w)
    wd = None if w is None else da.from_array(w, chunks=chunks)
    b = Codebook(8, random_state=3, tol=0).fit(da.from_array(X, chunks=(chunks, 5)), sample_weight=wd)
    assert b.codebook_.dtype == a.codebook_.dtype == dtype
    np.testing.assert_array_equal(b.labels_.compute(), a.labels_)
    assert b.n_iter_ == a.n_iter_ > 5
    scale = np.abs(a.codebook_).max()
    np.testing.assert_allclose(b.codebook_, a.codebook_, rtol=1e-5, atol=1e-5 * scale)
    np.testing.assert_allclose(b.distortion_history_, a.distortion_history_, rtol=1e-5)


def test_dask_lloyd_uses_bounds_and_equals_plain_passes(client):
    """The driver's loop on Dask rows: Hamerly ('auto') and plain passes give the same iterates."""
    X = _mixture()
    C0 = X[:8].copy()
    rows = DaskRows.from_input(da.from_array(X, chunks=(1000, 5)), client=client)
    runners = _traced(rows)
    h = lloyd(rows, C0, tol=0)
    p = lloyd(rows, C0, tol=0, algorithm="lloyd")
    assert runners[0].hamerly is not None and runners[1].hamerly is None
    np.testing.assert_array_equal(h.codes.compute(), p.codes.compute())
    assert h.n_iter == p.n_iter
    np.testing.assert_allclose(h.centers, p.centers, rtol=1e-6)
    # the in-memory run of the same loop
    m = lloyd(X, C0, tol=0)
    np.testing.assert_array_equal(h.codes.compute(), m.codes)
    assert h.n_iter == m.n_iter
    log = runners[0].hamerly.log
    assert len(log) == h.n_iter + (h.n_iter == 300)
    assert log[0] == {"fresh": True, "rebuilt": 0, "recomputed": X.shape[0]}


def _oracle_hamerly(X, codebooks):
    """Rows a textbook Hamerly (float64, no rounding margins) recomputes at each step after the first."""
    X = X.astype(np.float64)
    D = cdist(X, codebooks[0])
    order = np.argsort(D, axis=1)
    codes = order[:, 0]
    lower = D[np.arange(len(X)), order[:, 1]]
    out = []
    for prev, C in zip(codebooks[:-1], codebooks[1:]):
        shift = np.linalg.norm(C - prev, axis=1)
        CC = cdist(C, C)
        np.fill_diagonal(CC, np.inf)
        s = CC.min(axis=1) / 2
        j = np.argmax(shift)
        other = np.where(codes == j, np.sort(shift)[-2], shift[j])
        lower = lower - other
        u = np.linalg.norm(X - C[codes], axis=1)
        fail = u >= np.maximum(lower, s[codes])
        D = cdist(X[fail], C)
        o = np.argsort(D, axis=1)
        codes[fail] = o[:, 0]
        lower[fail] = D[np.arange(fail.sum()), o[:, 1]]
        out.append(int(fail.sum()))
    return out


def test_later_passes_skip_most_rows(client):
    """Recomputed rows reported by the chunks: at least the rows whose code changes (brute force),
    about what a textbook Hamerly recomputes, and a small share of the rows after a few passes."""
    X = _mixture(n=12000)
    n = X.shape[0]
    rows = DaskRows.from_input(da.from_array(X, chunks=(1500, 5)), client=client)
    C = np.ascontiguousarray(X[:8])
    codebooks, recomputed, changed, true_changed = [], [], [], []
    prev_codes = None
    with rows.passes(metric="sqeuclidean", update="mean", algorithm="hamerly") as passes:
        for _ in range(12):
            stats, n_changed = passes.step(C)
            codes = np.argmin(cdist(X.astype(np.float64), C.astype(np.float64)), axis=1)
            np.testing.assert_array_equal(passes.codes_array().compute(), codes)
            codebooks.append(C.astype(np.float64))
            recomputed.append(passes.hamerly.log[-1]["recomputed"])
            changed.append(n_changed)
            true_changed.append(n if prev_codes is None else int(np.count_nonzero(codes != prev_codes)))
            prev_codes = codes
            C = np.ascontiguousarray(stats.sums / stats.counts[:, None], dtype=X.dtype)
    assert changed == true_changed
    assert recomputed[0] == n
    assert all(r >= c for r, c in zip(recomputed, true_changed))
    oracle = _oracle_hamerly(X, codebooks)
    for got, want in zip(recomputed[1:], oracle):
        assert abs(got - want) <= 0.02 * n
    assert max(recomputed[6:]) < 0.25 * n  # later passes skip most rows
    assert true_changed[-1] < 0.02 * n


def test_lost_state_is_rebuilt():
    """A worker leaves between passes, later states are dropped: the fit is unchanged.

    Dask recomputes the leaving worker's states from their lineage when it can
    (the pass then finds them in memory); a state that is not in memory when
    the next pass starts (here: cancelled) is rebuilt by its chunk's task.
    """
    cluster, c = _cluster(2)
    try:
        X = _mixture(n=12000)
        C0 = X[:8].copy()
        want = lloyd(X, C0, tol=0)
        rows = DaskRows.from_input(da.from_array(X, chunks=(1500, 5)), client=c).map(lambda x: x)
        runners = _traced(rows)

        def trouble(it, J):
            if it == 3:
                worker = list(cluster.workers.values())[1]
                cluster.sync(worker.close)
                deadline = time.monotonic() + 30
                while len(c.scheduler_info()["workers"]) > 1 and time.monotonic() < deadline:
                    time.sleep(0.01)
            if it == 5:
                c.cancel(runners[0]._steps[2:5])

        got = lloyd(rows, C0, tol=0, progress=trouble)
        assert len(c.scheduler_info()["workers"]) == 1
        np.testing.assert_array_equal(got.codes.compute(), want.codes)
        assert got.n_iter == want.n_iter > 8
        np.testing.assert_allclose(got.centers, want.centers, rtol=1e-6)
        rebuilt = [e["rebuilt"] for e in runners[0].hamerly.log]
        assert rebuilt[:3] == [0, 0, 0] and rebuilt[5] == 3 and rebuilt[6:] == [0] * len(rebuilt[6:])
    finally:
        c.close()
        cluster.close()


@pytest.mark.parametrize("source", ["npy", "zarr"])
def test_streamed_rows_keep_only_the_state_on_the_workers(tmp_path, monkeypatch, source):
    """Rows that do not fit are read again every pass; codes and bounds (5 bytes a row) stay."""
    from dask.sizeof import sizeof

    from vqtoolkit.distributed import _backend, read_rows

    monkeypatch.setattr(_backend.DaskRows, "_fits_in_memory", lambda self: False)
    X = _mixture(n=20000, d=12)
    if source == "npy":
        np.save(tmp_path / "rows.npy", X)
        Xd = read_rows(tmp_path / "rows.npy", chunk_rows=2500)
    else:
        zarr = pytest.importorskip("zarr")
        z = zarr.create_array(tmp_path / "rows.zarr", shape=X.shape, chunks=(2500, 12), dtype="float32")
        z[:] = X
        Xd = read_rows(tmp_path / "rows.zarr")
    cluster, client = _cluster(2)
    held = []

    def on_workers(it, J):
        per_worker = client.run(lambda dask_worker: sum(sizeof(v) for v in dask_worker.data.values()))
        held.append(sum(per_worker.values()))

    # the driver's loop, looking at the workers' memory after every pass
    C0 = X[:8].copy()
    want = lloyd(X, C0, tol=0)
    try:
        got = lloyd(DaskRows.from_input(Xd, client=client).map(lambda x: x), C0, tol=0,
                    progress=on_workers)
        codes = got.codes.compute()
        # the result keeps the codes (1 byte a row), not the bounds: wait for the releases
        n_held = len(held)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            on_workers(0, 0)
            kept = held.pop()
            if kept < 2 * X.shape[0]:
                break
            time.sleep(0.2)
        assert len(held) == n_held
    finally:
        client.close()
        cluster.close()
    np.testing.assert_array_equal(codes, want.codes)
    np.testing.assert_allclose(got.centers, want.centers, rtol=1e-5)
    assert got.n_iter == want.n_iter == len(held)
    # after a pass the workers hold the state (1-byte codes + float32 bound a row), small totals
    # and, until their release reaches the workers, the previous pass's states: never the rows
    state = X.shape[0] * (1 + 4)
    assert all(state <= h < X.nbytes // 2 for h in held), (held, state, X.nbytes)
    assert X.shape[0] <= kept < 2 * X.shape[0]
