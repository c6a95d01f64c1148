"""k selection (G-means / X-means) by per-code passes: the backend operations, and 'auto' on Dask
without gathering the rows to the client."""

from __future__ import annotations

import numpy as np
import pytest

from vqtoolkit import Codebook
from vqtoolkit.backends import InMemoryRows
from vqtoolkit.lloyd import lloyd
from vqtoolkit.selection._children import _principal_all, split_all

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")
import dask  # noqa: E402

from vqtoolkit.distributed import DaskRows  # noqa: E402


def _blobs(n=2400, d=3, k=6, seed=0, dtype=np.float64):
    rng = np.random.RandomState(seed)
    means = rng.uniform(-12, 12, size=(k, d))
    return (means[rng.randint(k, size=n)] + rng.normal(size=(n, d))).astype(dtype)


def _backends(X, client, chunks):
    dask_rows = DaskRows(da.from_array(X, chunks=(chunks, X.shape[1])), None, client=client)
    return InMemoryRows(X), dask_rows


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_group_operations_match_brute_force(client, dtype):
    X = _blobs(n=700, d=4, seed=1, dtype=dtype)
    k = 5
    rng = np.random.RandomState(2)
    codes = rng.randint(k, size=X.shape[0])
    codes[codes == 3] = 2  # code 3 has no rows
    C = rng.normal(size=(k, 4))
    V = rng.normal(size=(k, 4))
    select = np.array([True, False, True, True, True])
    Xf = X.astype(np.float64)
    members = {j: Xf[codes == j] for j in range(k)}
    for rows in _backends(X, client, 130):
        c = codes if isinstance(rows, InMemoryRows) else da.from_array(codes, chunks=130)
        S = rows.group_scatter(c, C, select)
        for i, j in enumerate(np.flatnonzero(select)):
            Z = members[j] - C[j]
            np.testing.assert_allclose(S[i], Z.T @ Z, rtol=1e-10, atol=1e-9)
        P = rows.group_power(c, C, V, select)
        for j in range(k):
            Z = members[j] - C[j]
            want = Z.T @ (Z @ V[j]) if select[j] else np.zeros(4)
            np.testing.assert_allclose(P[j], want, rtol=1e-10, atol=1e-9)
        sse = rows.group_sse(c, C, select)
        far = rows.group_farthest(c, C, select)
        for j in range(k):
            sq = ((Xf - C[j]) ** 2).sum(1)
            mine = np.flatnonzero(codes == j)
            np.testing.assert_allclose(sse[j], sq[mine].sum() if select[j] else 0.0, rtol=1e-12)
            assert far[j] == (mine[np.argmax(sq[mine])] if select[j] and mine.size else -1)
        proj = rows.group_projections(c, V, select)
        for values, j in zip(proj, np.flatnonzero(select)):
            np.testing.assert_allclose(values, members[j] @ V[j], rtol=1e-12, atol=1e-12)


def test_children_passes_match_lloyd_on_each_cluster(client):
    # the oracle: 2-means of each cluster's members alone (what G-means ran before)
    X = _blobs(n=1500, d=3, k=8, seed=4)
    res = lloyd(X, X[:3].copy(), rng=np.random.RandomState(0))
    C = res.centers.astype(np.float64)
    sizes = np.rint(res.counts).astype(np.int64)
    for rows in _backends(X, client, 200):
        codes = res.codes if isinstance(rows, InMemoryRows) else da.from_array(res.codes, chunks=200)
        got = split_all(rows, codes, C, sizes, [0, 1, 2], np.random.RandomState(0))
        for j in range(3):
            members = X[res.codes == j]
            Z = members - C[j]
            vals, vecs = np.linalg.eigh(Z.T @ Z / (len(Z) - 1))
            m = vecs[:, -1] * np.sqrt(2 * vals[-1] / np.pi)
            ref = lloyd(members, np.vstack([C[j] + m, C[j] - m]), max_iter=100, tol=1e-6,
                        rng=np.random.RandomState(0), n_threads=1)
            np.testing.assert_allclose(got[j].children, ref.centers, rtol=1e-10)
            np.testing.assert_array_equal(got[j].counts, ref.counts)
            np.testing.assert_allclose(got[j].sse, ref.sse, rtol=1e-9)


@pytest.mark.parametrize("selection", [
    "gmeans",  # split_test='ad+dip': splits, merge step (pair projections), re-split pass
    {"method": "xmeans", "k_range": (1, 300)},  # from one cluster: seeding needs no sample
])
def test_auto_on_dask_never_gathers_rows(client, monkeypatch, selection):
    X = _blobs(n=1200, k=5, seed=3)
    n = X.shape[0]
    a = Codebook("auto", selection=selection, random_state=0).fit(X)
    gathered, projected = [], []
    gather = DaskRows._gather_rows
    take = DaskRows.take
    project = DaskRows.group_projections

    def small_gathers_only(self, rows):
        gathered.append(len(rows))
        assert len(rows) <= 200, f"{len(rows)} rows gathered to the client"
        return gather(self, rows)

    def small_takes_only(self, rows):
        assert len(rows) <= 200, f"{len(rows)} rows taken to the client"
        return take(self, rows)

    def counted(self, codes, directions, select):
        out = project(self, codes, directions, select)
        projected.append(sum(v.size for v in out))
        return out

    monkeypatch.setattr(DaskRows, "_gather_rows", small_gathers_only)
    monkeypatch.setattr(DaskRows, "take", small_takes_only)
    monkeypatch.setattr(DaskRows, "group_projections", counted)
    with dask.config.set({"vqtoolkit.init-sample-size": 200}):
        b = Codebook("auto", selection=selection, random_state=0).fit(
            da.from_array(X, chunks=(300, 3)))
    assert gathered == [200]  # the k-means++ sample of the first fit, once
    assert b.selection_.k == a.selection_.k >= 5
    np.testing.assert_array_equal(b.labels_.compute(), a.labels_)
    scale = np.abs(a.codebook_).max()
    np.testing.assert_allclose(b.codebook_, a.codebook_, rtol=1e-5, atol=1e-5 * scale)
    np.testing.assert_allclose(b.selection_.scores, a.selection_.scores, rtol=1e-9)
    # the split tests read one float per row of the clusters tested, never n x d values
    assert all(m <= n for m in projected)
    if b.selection_.method == "gmeans":
        assert projected


def test_wide_rows_power_iteration_on_dask(client):
    # more than 256 features: the principal direction comes from a power iteration of passes,
    # started at the farthest member; it must be the top eigenvector, and Dask must equal memory
    X = _blobs(n=400, d=300, k=3, seed=5)
    X[:, :2] *= 3
    codes = np.zeros(X.shape[0], dtype=np.int64)
    C = X.mean(0, keepdims=True)
    sizes = np.array([X.shape[0]])
    Z = X - C
    vals, vecs = np.linalg.eigh(Z.T @ Z / (X.shape[0] - 1))
    got = []
    for rows in _backends(X, client, 100):
        c = codes if isinstance(rows, InMemoryRows) else da.from_array(codes, chunks=100)
        (s, lam), = _principal_all(rows, c, C, sizes, [0]).values()
        assert lam == pytest.approx(vals[-1], rel=1e-7)
        assert abs(s @ vecs[:, -1]) == pytest.approx(1.0, abs=1e-6)
        got.append(split_all(rows, c, C, sizes, [0], np.random.RandomState(0))[0])
    np.testing.assert_allclose(got[1].children, got[0].children, rtol=1e-9)
    np.testing.assert_array_equal(got[1].counts, got[0].counts)
