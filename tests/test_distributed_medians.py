"""k-medians on Dask: exact weighted medians by histogram passes, the rows never gathered."""

from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")
import dask  # noqa: E402

from vqtoolkit import Codebook  # noqa: E402
from vqtoolkit.backends import group_medians  # noqa: E402
from vqtoolkit.distributed import DaskRows, local_cluster  # noqa: E402
from vqtoolkit.distributed._backend import DaskPasses  # noqa: E402
from vqtoolkit.distributed._medians import float_keys, key_values  # noqa: E402

#: few bins and few gathered rows: every path of the refinement runs on small data
SMALL = {"vqtoolkit.median-bins": 16, "vqtoolkit.median-gather-rows": 24}


@pytest.fixture(scope="module", params=[1, 2], ids=["1worker", "2workers"])
def client(request):
    from distributed import Client

    cluster = local_cluster(n_workers=request.param, threads_per_worker=1, processes=False,
                            dashboard=False)
    c = Client(cluster, set_as_default=True)
    yield c
    c.close()
    cluster.close()


def _data(kind, n=2400, d=3, seed=0):
    rng = np.random.RandomState(seed)
    centres = rng.randint(-40, 40, size=(4, d))
    base = centres[rng.randint(4, size=n)]
    if kind == "integers":  # many ties
        return (base + rng.randint(-3, 4, size=(n, d))).astype(np.float32)
    if kind == "heavy":  # heavy tails: the linear bins do not cut, the key bins take over
        return base + rng.standard_cauchy(size=(n, d)) ** 3
    return (base + rng.normal(size=(n, d))).astype(np.float32)


def _weights(kind, n, seed=1):
    rng = np.random.RandomState(seed)
    return {"none": None, "integer": rng.randint(0, 4, size=n).astype(np.float64),
            "float": rng.uniform(0.1, 3, size=n)}[kind]


def _dask(X, w, chunks):
    Xd = da.from_array(X, chunks=(chunks, X.shape[1]))
    return Xd, None if w is None else da.from_array(w, chunks=chunks)


@pytest.mark.parametrize(("chunks", "config"), [(2400, {}), (333, SMALL), (128, {})],
                         ids=["one-chunk", "333-small-bins", "128"])
@pytest.mark.parametrize("weights", ["none", "integer", "float"])
@pytest.mark.parametrize("kind", ["integers", "normal"])
def test_cityblock_fit_equals_in_memory_exactly(client, kind, weights, chunks, config):
    X = _data(kind)
    w = _weights(weights, X.shape[0])
    a = Codebook(5, metric="cityblock", random_state=1).fit(X, sample_weight=w)
    Xd, wd = _dask(X, w, chunks)
    with dask.config.set(config):
        b = Codebook(5, metric="cityblock", random_state=1).fit(Xd, sample_weight=wd)
    np.testing.assert_array_equal(b.codebook_, a.codebook_)
    np.testing.assert_array_equal(b.labels_.compute(), a.labels_)
    assert b.n_iter_ == a.n_iter_
    np.testing.assert_allclose(b.distortion_, a.distortion_, rtol=1e-12)


@pytest.mark.parametrize("empty", ["split", "relocate"])
def test_empty_codewords_and_lbg_equal_in_memory(client, empty):
    X = _data("integers", seed=3)
    init = np.vstack([X[:3], np.full((2, 3), 1e4, dtype=np.float32)])  # two never win
    a = Codebook(5, metric="cityblock", init=init, empty=empty, random_state=0).fit(X)
    with dask.config.set(SMALL):
        b = Codebook(5, metric="cityblock", init=init, empty=empty, random_state=0).fit(
            da.from_array(X, chunks=(500, 3)))
    np.testing.assert_array_equal(b.codebook_, a.codebook_)
    np.testing.assert_array_equal(b.labels_.compute(), a.labels_)
    lbg = [Codebook(6, metric="cityblock", init="lbg", random_state=2) for _ in range(2)]
    np.testing.assert_array_equal(lbg[1].fit(da.from_array(X, chunks=(700, 3))).codebook_,
                                  lbg[0].fit(X).codebook_)


def _passes(X, w, C, chunks):
    Xd, wd = _dask(X, w, chunks)
    passes = DaskRows.from_input(Xd, wd).passes(metric="cityblock", update="median")
    passes.step(np.asarray(C, dtype=X.dtype))
    return passes, passes.codes_array().compute()


@pytest.mark.parametrize("config", [{}, SMALL, {**SMALL, "vqtoolkit.median-gather-rows": 2}],
                         ids=["default", "small-bins", "one-value-brackets"])
@pytest.mark.parametrize("kind", ["integers", "normal", "heavy"])
def test_medians_equal_numpy_median_of_the_repeated_rows(client, kind, config):
    # integer weights 1..4 = rows repeated: the weighted median is numpy's median of the repeats
    X = _data(kind, n=3000, seed=5)
    w = np.random.RandomState(6).randint(1, 5, size=X.shape[0]).astype(np.float64)
    C = np.vstack([X[:4], np.full((1, 3), 1e30)]).astype(np.float64)  # the last one has no rows
    passes, codes = _passes(X, w, C, 410)
    with dask.config.set(config):
        got = passes.medians(C)
    for j in range(C.shape[0]):
        members = codes == j
        expect = (np.median(np.repeat(X[members].astype(np.float64), w[members].astype(int), axis=0),
                            axis=0) if members.any() else C[j])
        np.testing.assert_array_equal(got[j], expect)
    assert not (codes == 4).any()
    log = passes.median_log[-1]
    if config:  # refinement passes ran before the last one, which gathered few values
        assert log["passes"] >= 3
        assert log["gathered"] < X.size / 4


@pytest.mark.parametrize("config", [{}, SMALL])
def test_medians_tie_rule_with_zero_weights_is_the_in_memory_one(client, config):
    # exact half-weight ties, zero-weight rows between the two middle values, all-zero groups
    rng = np.random.RandomState(7)
    X = rng.randint(0, 6, size=(4000, 2)).astype(np.float64)
    w = rng.randint(0, 3, size=X.shape[0]).astype(np.float64)
    C = np.array([[0.0, 0.0], [5.0, 5.0], [2.5, 2.5]])
    w[(X == 0).all(axis=1)] = 0.0  # codeword 0's nearest rows include an all-zero-weight block
    passes, codes = _passes(X, w, C, 333)
    with dask.config.set(config):
        got = passes.medians(C)
    np.testing.assert_array_equal(got, group_medians(X, w, codes, C))


def test_rows_are_never_gathered(client, monkeypatch):
    X = _data("normal", n=6000, seed=8)
    sizes, logs = [], []
    gather = DaskRows._gather_rows

    def small_gathers_only(self, rows):
        sizes.append(len(rows))
        assert len(rows) <= 200, f"{len(rows)} rows gathered to the client"
        return gather(self, rows)

    medians = DaskPasses.medians

    def logged(self, C):
        out = medians(self, C)
        logs.append(self.median_log[-1])
        return out

    monkeypatch.setattr(DaskRows, "_gather_rows", small_gathers_only)
    monkeypatch.setattr(DaskPasses, "medians", logged)
    with dask.config.set({"vqtoolkit.init-sample-size": 200, "vqtoolkit.median-gather-rows": 64}):
        cb = Codebook(4, metric="cityblock", random_state=0, n_init=1).fit(
            da.from_array(X, chunks=(1000, 3)))
    assert sizes == [200]  # the k-means++ sample, once
    assert logs and cb.n_iter_ >= 2
    k, d = cb.codebook_.shape
    # per median update: at most 64 values per (codeword, column) reach the client, not 6000 x 3
    assert all(log["gathered"] <= 64 * k * d for log in logs)


def test_float_keys_order_like_the_values():
    v = np.array([-np.inf, -1e308, -1.5, -5e-324, -0.0, 0.0, 5e-324, 1.0, 2.0, 1e308, np.inf])
    K = float_keys(v)
    assert (np.diff(K.astype(object)) >= 0).all()
    assert K[4] == K[5]  # -0.0 and 0.0 are one value
    np.testing.assert_array_equal(key_values(K), v + 0.0)


def test_median_update_with_euclidean_assignment_equals_in_memory(client):
    # the update rule, not the metric, asks for the medians: lloyd(update='median') on Dask rows
    from vqtoolkit.lloyd import lloyd

    X = _data("integers", seed=9)
    C = X[:4].copy()
    a = lloyd(X, C, update="median", max_iter=20)
    b = lloyd(DaskRows.from_input(da.from_array(X, chunks=(600, 3))), C, update="median", max_iter=20)
    np.testing.assert_array_equal(b.centers, a.centers)
    np.testing.assert_array_equal(b.codes.compute(), a.codes)


def test_midpoint_is_the_mean_without_overflow():
    from vqtoolkit.backends import midpoint, weighted_median

    a, b = np.random.RandomState(10).normal(scale=1e3, size=(2, 1000))
    np.testing.assert_array_equal(midpoint(a, b), (a + b) / 2.0)  # the same bits where finite
    assert midpoint(1e308, 1.6e308) == 1.3e308
    # two middle values of 1e308: their mean, not the infinity of (a + b) / 2
    assert weighted_median(np.array([[1e308], [1e308]]), np.ones(2))[0] == 1e308


def test_medians_of_extreme_values_equal_in_memory(client):
    # the largest and subnormal float64 values, signed zeros: bins over the float64 bits
    rng = np.random.RandomState(11)
    X = rng.choice([1e308, -1e308, 1e-310, -1e-310, 0.0, -0.0, 5e-324], size=(3000, 2))
    w = rng.randint(0, 3, size=X.shape[0]).astype(np.float64)
    C = X[:3].copy()
    passes, codes = _passes(X, w, C, 700)
    with dask.config.set(SMALL):
        got = passes.medians(C)
    expect = group_medians(X, w, codes, C)
    assert np.isfinite(got).all()
    np.testing.assert_array_equal(got, expect)


def test_fit_streamed_from_a_file_equals_in_memory(client, tmp_path, monkeypatch):
    # not persisted: every pass (assignment, bins, last) reads the .npy file again, chunk by chunk
    from vqtoolkit.distributed import _backend, read_rows

    monkeypatch.setattr(_backend.DaskRows, "_fits_in_memory", lambda self: False)
    X = _data("integers", seed=12)
    np.save(tmp_path / "rows.npy", X)
    Xd = read_rows(tmp_path / "rows.npy", chunk_rows=500)
    a = Codebook(4, metric="cityblock", random_state=0).fit(X)
    with dask.config.set(SMALL):
        b = Codebook(4, metric="cityblock", random_state=0).fit(Xd)
    np.testing.assert_array_equal(b.codebook_, a.codebook_)
    np.testing.assert_array_equal(b.labels_.compute(), a.labels_)
