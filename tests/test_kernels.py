"""Oracle tests for vqtoolkit.kernels: scipy.cluster.vq.vq, cdist, np.bincount and brute force."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.cluster.vq import vq
from scipy.spatial.distance import cdist

from vqtoolkit import kernels
from vqtoolkit.errors import ParameterError

DTYPES = [np.float32, np.float64]


def _data(n, d, k, dtype, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(k, d))
    X = (centers[rng.integers(k, size=n)] + rng.normal(size=(n, d))).astype(dtype)
    C = (centers + 0.3 * rng.normal(size=(k, d))).astype(dtype)
    return X, C


def _brute(X, C):
    """Exact float64 squared distances, codes (lowest index on ties) and the n x k matrix."""
    D = cdist(np.asarray(X, dtype=np.float64), np.asarray(C, dtype=np.float64), "sqeuclidean")
    return D.argmin(axis=1), D.min(axis=1), D


def _check_codes(codes, dist, X, C, rtol):
    """Codes must be optimal up to rounding; distances must be the exact ones to the chosen codeword."""
    ref_codes, ref_min, D = _brute(X, C)
    chosen = D[np.arange(len(codes)), codes]
    scale = 1.0 + ref_min + np.einsum("ij,ij->i", np.asarray(X, float), np.asarray(X, float))
    assert np.all(chosen - ref_min <= rtol * scale)  # never a worse codeword (beyond rounding)
    assert np.mean(codes == ref_codes) > 0.999
    np.testing.assert_allclose(dist, chosen, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sparse", [False, True])
def test_assign_matches_scipy_vq_and_brute_force(dtype, sparse):
    X, C = _data(3001, 7, 20, dtype)
    Xin = sp.csr_matrix(X) if sparse else X
    codes, dist = kernels.assign(Xin, C, chunk_rows=256)
    assert codes.dtype == np.int64 and dist.dtype == dtype and codes.shape == (3001,)
    rtol = 1e-4 if dtype == np.float32 else 1e-10
    _check_codes(codes, dist, X, C, rtol)
    vq_codes, vq_dist = vq(X.astype(np.float64), C.astype(np.float64))
    assert np.mean(codes == vq_codes) > 0.999
    atol = 1e-3 if dtype == np.float32 else 1e-8
    np.testing.assert_allclose(np.sqrt(dist), vq_dist, rtol=10 * rtol, atol=atol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sparse", [False, True])
def test_assign_accumulate_weighted_sums_counts_sse(dtype, sparse):
    X, C = _data(2500, 5, 9, dtype, seed=1)
    w = np.random.default_rng(2).uniform(0, 3, size=len(X))
    Xin = sp.csr_matrix(X) if sparse else X
    codes, dist, stats = kernels.assign_accumulate(Xin, C, sample_weight=w, chunk_rows=100)
    k, d = C.shape
    counts = np.bincount(codes, weights=w, minlength=k)
    sums = np.stack([np.bincount(codes, weights=w * X[:, t].astype(np.float64), minlength=k)
                     for t in range(d)], axis=1)
    sse = np.bincount(codes, weights=w * dist.astype(np.float64), minlength=k)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(stats.counts, counts, rtol=1e-12)
    np.testing.assert_allclose(stats.sums, sums, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(stats.sse, sse, rtol=rtol)
    assert stats.total_sse == pytest.approx(float(sse.sum()), rel=rtol)
    _check_codes(codes, dist, X, C, 1e-4 if dtype == np.float32 else 1e-10)


def test_weight_two_equals_repeated_row():
    X, C = _data(400, 3, 5, np.float64, seed=3)
    w = np.ones(len(X))
    w[::7] = 2.0
    _, _, a = kernels.assign_accumulate(X, C, sample_weight=w)
    Xr = np.concatenate([X, X[::7]])
    _, _, b = kernels.assign_accumulate(Xr, C)
    np.testing.assert_allclose(a.sums, b.sums, rtol=1e-12)
    np.testing.assert_allclose(a.counts, b.counts)
    np.testing.assert_allclose(a.sse, b.sse, rtol=1e-12)


@pytest.mark.parametrize("sparse", [False, True])
def test_accumulate_matches_bincount(sparse):
    X, C = _data(1000, 4, 6, np.float32, seed=4)
    codes = np.random.default_rng(5).integers(6, size=1000)
    w = np.random.default_rng(6).uniform(size=1000)
    sums, counts = kernels.accumulate(sp.csr_matrix(X) if sparse else X, codes, 6, sample_weight=w)
    np.testing.assert_allclose(counts, np.bincount(codes, weights=w, minlength=6), rtol=1e-12)
    ref = np.stack([np.bincount(codes, weights=w * X[:, t], minlength=6) for t in range(4)], axis=1)
    np.testing.assert_allclose(sums, ref, rtol=1e-6)


_SIZES = [1, 5, kernels.BLOCK_ROWS - 1, kernels.BLOCK_ROWS, kernels.BLOCK_ROWS + 1,
          2 * kernels.BLOCK_ROWS + 333]


# one-row chunks only up to one block: over many blocks they are slow and add nothing
@pytest.mark.parametrize(
    ("n", "chunk_rows"),
    [(n, c) for n in _SIZES for c in (None, 1, 7, 1000) if not (c == 1 and n > kernels.BLOCK_ROWS)],
)
def test_chunk_and_block_boundaries(n, chunk_rows):
    X, C = _data(n, 3, 4, np.float64, seed=n)
    codes, dist, stats = kernels.assign_accumulate(X, C, chunk_rows=chunk_rows, n_threads=2)
    ref_codes, ref_min, _ = _brute(X, C)
    np.testing.assert_array_equal(codes, ref_codes)
    np.testing.assert_allclose(dist, ref_min, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(stats.counts, np.bincount(ref_codes, minlength=4))


@pytest.mark.parametrize("sparse", [False, True])
def test_single_codeword(sparse):
    X, _ = _data(300, 4, 2, np.float32, seed=7)
    C = X[:1].copy()
    codes, dist, stats = kernels.assign_accumulate(sp.csr_matrix(X) if sparse else X, C)
    assert np.all(codes == 0)
    np.testing.assert_allclose(dist, ((X.astype(float) - C.astype(float)) ** 2).sum(1), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(stats.sums[0], X.astype(float).sum(0), rtol=1e-6)
    assert stats.counts[0] == 300


@pytest.mark.parametrize(("metric", "sparse"),
                         [("sqeuclidean", False), ("sqeuclidean", True), ("cityblock", False)])
def test_ties_go_to_the_lowest_index(metric, sparse):
    C = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 0.0]])
    X = np.array([[1.0, 0.0], [1.0, 1.0], [2.0, 0.0], [0.0, 1.0], [3.0, 1.0]])
    # hand-computed: equidistant rows pick the first codeword among the nearest
    expected = [0, 0, 1, 0, 1]
    for dtype in DTYPES:
        Xd = X.astype(dtype)
        codes, _ = kernels.assign(sp.csr_matrix(Xd) if sparse else Xd, C.astype(dtype), metric=metric)
        np.testing.assert_array_equal(codes, expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cityblock_matches_cdist(dtype):
    X, C = _data(700, 6, 11, dtype, seed=8)
    codes, dist, stats = kernels.assign_accumulate(X, C, metric="cityblock")
    D = cdist(X.astype(np.float64), C.astype(np.float64), "cityblock")
    np.testing.assert_array_equal(codes, D.argmin(1))
    np.testing.assert_allclose(dist, D.min(1), rtol=1e-6 if dtype == np.float32 else 1e-12)
    np.testing.assert_allclose(stats.sse, np.bincount(codes, weights=D.min(1), minlength=11), rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sparse", [False, True])
def test_pairwise_sq_distances_matches_cdist(dtype, sparse):
    X, C = _data(kernels.BLOCK_ROWS + 50, 5, 7, dtype, seed=9)
    D = kernels.pairwise_sq_distances(sp.csr_matrix(X) if sparse else X, C, n_threads=2)
    assert D.dtype == dtype and D.shape == (len(X), 7)
    ref = cdist(X.astype(np.float64), C.astype(np.float64), "sqeuclidean")
    np.testing.assert_allclose(D, ref, rtol=1e-4 if dtype == np.float32 else 1e-9, atol=1e-3)
    assert D.min() >= 0


def test_min_sq_distances_with_current():
    X, C = _data(500, 3, 4, np.float64, seed=10)
    current = np.random.default_rng(11).uniform(0, 5, size=500)
    got = kernels.min_sq_distances(X, C, current)
    np.testing.assert_allclose(got, np.minimum(_brute(X, C)[1], current), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["dense", "sparse", "cityblock"])
def test_bit_identical_across_threads_and_chunk_rows(dtype, kind):
    X, C = _data(3 * kernels.BLOCK_ROWS + 17, 6, 16, dtype, seed=12)
    w = np.random.default_rng(13).uniform(size=len(X))
    Xin = sp.csr_matrix(X) if kind == "sparse" else X
    metric = "cityblock" if kind == "cityblock" else "sqeuclidean"
    runs = [kernels.assign_accumulate(Xin, C, sample_weight=w, metric=metric, n_threads=t, chunk_rows=c)
            for t, c in [(1, None), (2, None), (2, 333), (1, 4096)]]
    for codes, dist, stats in runs[1:]:
        np.testing.assert_array_equal(codes, runs[0][0])
        assert dist.tobytes() == runs[0][1].tobytes()
        assert stats.sums.tobytes() == runs[0][2].sums.tobytes()
        assert stats.counts.tobytes() == runs[0][2].counts.tobytes()
        assert stats.sse.tobytes() == runs[0][2].sse.tobytes()


def test_no_n_by_k_allocation():
    n, d, k = 200_000, 4, 256
    X, C = _data(n, d, k, np.float32, seed=14)
    kernels.assign_accumulate(X[:20_000], C, n_threads=2)  # compiled, pool and scratch warm
    tracemalloc.start()
    try:
        kernels.assign_accumulate(X, C, n_threads=2)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    outputs = n * (8 + 4)  # codes int64 + distances float32
    assert peak - outputs < n * k * 4 / 20  # far below one n x k float32 matrix (205 MB)


def test_default_n_threads_positive():
    assert kernels.default_n_threads() >= 1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"metric": "cosine"}, r"metric='cosine' is not one of"),
        ({"chunk_rows": 0}, r"chunk_rows=0 must be a positive integer"),
        ({"n_threads": 0}, r"n_threads=0 must be a positive integer"),
        ({"sample_weight": np.ones(3)}, r"sample_weight has shape \(3,\); expected \(10,\)"),
    ],
)
def test_bad_parameters(kwargs, match):
    X = np.zeros((10, 2))
    with pytest.raises(ParameterError, match=match):
        kernels.assign_accumulate(X, np.zeros((2, 2)), **kwargs)


def test_bad_shapes_and_sparse_cityblock():
    with pytest.raises(ParameterError, match=r"codebook has shape \(2, 3\); expected \(k, 2\)"):
        kernels.assign(np.zeros((4, 2)), np.zeros((2, 3)))
    with pytest.raises(ParameterError, match=r"needs dense input"):
        kernels.assign(sp.csr_matrix(np.eye(3)), np.eye(3), metric="cityblock")
    with pytest.raises(ParameterError, match=r"X has shape \(4,\); expected"):
        kernels.assign(np.zeros(4), np.zeros((2, 4)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", [False, True])
def test_column_moments_match_numpy(dtype, weighted):
    rng = np.random.default_rng(21)
    # far from the origin: the shifted sums must keep the variance's digits
    X = (rng.normal(size=(5000, 7)) * 3.0 + 1e4).astype(dtype)
    w = rng.uniform(0.0, 2.0, size=len(X)) if weighted else None
    mean, var = kernels.column_moments(X, w)
    X64 = X.astype(np.float64)
    ref_mean = np.average(X64, axis=0, weights=w)
    ref_var = np.average((X64 - ref_mean) ** 2, axis=0, weights=w)
    np.testing.assert_allclose(mean, ref_mean, rtol=1e-12)
    np.testing.assert_allclose(var, ref_var, rtol=1e-9)


def test_all_finite():
    X = np.random.default_rng(22).normal(size=(300, 5)).astype(np.float32)
    assert kernels.all_finite(X) and kernels.all_finite(X.T)  # C and F order
    for bad in (np.nan, np.inf, -np.inf):
        Y = X.copy()
        Y[123, 4] = bad
        assert not kernels.all_finite(Y) and not kernels.all_finite(Y.T)
    assert kernels.all_finite(np.arange(6).reshape(2, 3))
