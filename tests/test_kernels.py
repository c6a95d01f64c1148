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
from vqtoolkit.kernels._sparse import _codeword_ranges, _sparse_codebook

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


@pytest.mark.parametrize("d", [5, 13, 21, 40])  # the unrolled search and the GEMM one
def test_equal_codewords_give_the_lowest_index_in_every_search(d):
    """Equal codewords tie exactly: the lowest index wins (plain pass, Hamerly, 1 and 2 threads).

    With float64 rows of d = 21 and 40 the GEMM had given some rows to the last
    of three equal codewords (its edge tile sums in another order).
    """
    for seed in range(12):
        rng = np.random.RandomState(seed)
        X = rng.normal(size=(274, d)) * 1e-6
        C = rng.normal(size=(13, d)) * 1e-6
        C[[5, 9, 12]] = X[0]  # three equal codewords, and rows equal to them
        X[[100, 273]] = X[0]
        for dtype in DTYPES:
            Xd, Cd = X.astype(dtype), C.astype(dtype)
            ref_codes, _, D = _brute(Xd, Cd)
            for n_threads in (1, 2):
                codes, dist = kernels.assign(Xd, Cd, n_threads=n_threads)
                assert not np.isin(codes, [9, 12]).any()
                np.testing.assert_array_equal(codes[[0, 100, 273]], 5)
                _check_codes(codes, dist, Xd, Cd, rtol=1e-4 if dtype == np.float32 else 1e-10)
                state = kernels.HamerlyState(Xd, n_threads=n_threads)
                for shift in (0.0, 1e-9):  # a fresh step, then a bounded one
                    h_codes, _, _ = state.step(Cd + dtype(shift))
                    np.testing.assert_array_equal(h_codes, kernels.assign(Xd, Cd + dtype(shift))[0])


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


def _text(n, d, nnz_row, dtype, seed):
    """Unit-length sparse rows over a wide vocabulary, Zipf-like term frequencies (TF-IDF-like)."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, d + 1)
    rows = [np.unique(rng.choice(d, size=rng.integers(1, 2 * nnz_row), p=p / p.sum())) for _ in range(n)]
    indptr = np.concatenate([[0], np.cumsum([r.size for r in rows])])
    X = sp.csr_matrix((rng.uniform(0.5, 2.0, size=indptr[-1]), np.concatenate(rows), indptr),
                      shape=(n, d))
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    X = sp.csr_matrix(sp.diags(1.0 / norms) @ X, dtype=dtype)
    X.sort_indices()
    return X


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cdtype", DTYPES)
def test_sparse_codebook_is_the_rounded_transpose_and_its_squared_norms(dtype, cdtype):
    C = np.random.default_rng(30).normal(size=(7, 1000)).astype(cdtype)  # several transpose tiles
    CT = np.empty((1000, 7), dtype=dtype)
    c_sq = np.empty(7)
    _sparse_codebook(C, CT, c_sq)
    Cr = C.astype(dtype)  # what the search multiplies with: C in X's dtype
    assert CT.tobytes() == np.ascontiguousarray(Cr.T).tobytes()
    np.testing.assert_allclose(c_sq, (Cr.astype(np.float64) ** 2).sum(1), rtol=1e-13)


def test_codeword_ranges_cover_every_codeword_and_balance_the_non_zeros():
    X = _text(3000, 500, 30, np.float32, seed=31)
    rng = np.random.default_rng(32)
    for k, parts in [(1, 4), (5, 1), (20, 2), (20, 3), (3, 8)]:
        codes = rng.integers(k, size=X.shape[0])
        ranges = _codeword_ranges(X.indptr, codes, k, parts)
        assert ranges[0][0] == 0 and ranges[-1][1] == k and len(ranges) <= parts
        assert all(lo < hi for lo, hi in ranges) and all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
        load = np.bincount(codes, weights=np.diff(X.indptr), minlength=k)
        # each range holds at most its share plus one codeword's load
        assert max(load[lo:hi].sum() for lo, hi in ranges) <= X.nnz / parts + load.max()


@pytest.mark.parametrize("dtype", DTYPES)
def test_sparse_pass_equals_brute_force_and_is_thread_independent(dtype):
    X = _text(kernels.BLOCK_ROWS + 700, 3000, 40, dtype, seed=33)
    k = 13
    rng = np.random.default_rng(34)
    C = X[rng.choice(X.shape[0], k, replace=False)].toarray().astype(np.float64)  # float64 codebook
    w = rng.uniform(0.0, 3.0, size=X.shape[0])
    runs = [kernels.assign_accumulate(X, C, sample_weight=w, n_threads=t) for t in (1, 2, 3, 5)]
    codes, dist, stats = runs[0]
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    _, ref_min, D = _brute(X.toarray(), C.astype(dtype))
    chosen = D[np.arange(X.shape[0]), codes]
    # never a worse codeword beyond rounding (unit rows: distances at most 4); exact distances
    assert np.all(chosen - ref_min <= 4 * rtol)
    np.testing.assert_allclose(dist, chosen, rtol=rtol, atol=4 * rtol)
    # rows orthogonal to every codeword tie up to the rounding of |c|^2: the lowest index wins there
    assert np.mean(D[np.arange(X.shape[0]), codes] == ref_min) > 0.99
    ref = np.zeros((k, X.shape[1]))
    np.add.at(ref, codes, X.toarray().astype(np.float64) * w[:, None])
    np.testing.assert_allclose(stats.sums, ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(stats.counts, np.bincount(codes, weights=w, minlength=k), rtol=1e-12)
    for other in runs[1:]:
        assert other[0].tobytes() == codes.tobytes() and other[1].tobytes() == dist.tobytes()
        assert other[2].sums.tobytes() == stats.sums.tobytes()
        assert other[2].sse.tobytes() == stats.sse.tobytes()


def test_sparse_pass_takes_csc_csr_array_and_unsorted_input():
    X = _text(500, 400, 20, np.float32, seed=35)
    C = X[:6].toarray()
    codes, dist, stats = kernels.assign_accumulate(X, C)
    shuffled = X.copy()
    for i in range(X.shape[0]):  # reverse every row's indices: same matrix, unsorted
        a, b = shuffled.indptr[i], shuffled.indptr[i + 1]
        shuffled.indices[a:b] = shuffled.indices[a:b][::-1].copy()
        shuffled.data[a:b] = shuffled.data[a:b][::-1].copy()
    shuffled.has_sorted_indices = False
    for Y in (X.tocsc(), sp.csr_array(X)):
        c2, d2, s2 = kernels.assign_accumulate(Y, C)
        assert c2.tobytes() == codes.tobytes() and d2.tobytes() == dist.tobytes()
        assert s2.sums.tobytes() == stats.sums.tobytes()
    # unsorted rows are used as they are (no sorted copy per pass): the order of a row's
    # non-zeros only changes the rounding of its dot products
    c2, d2, s2 = kernels.assign_accumulate(shuffled, C)
    assert not shuffled.has_sorted_indices
    np.testing.assert_array_equal(c2, codes)
    np.testing.assert_allclose(d2, dist, rtol=1e-5, atol=1e-6)
    assert s2.sums.tobytes() == stats.sums.tobytes()  # each sum still adds its rows in row order


def test_sparse_repeated_entries_count_as_their_sum():
    # row 0 stores column 1 twice (0.5 + 1.5 = 2); hand-computed distances to (0, 2) and (1, 0)
    X = sp.csr_matrix((np.array([0.5, 1.5, 3.0]), np.array([1, 1, 0]), np.array([0, 2, 3])), shape=(2, 2))
    assert not X.has_canonical_format
    C = np.array([[0.0, 2.0], [1.0, 0.0]])
    codes, dist, stats = kernels.assign_accumulate(X, C)
    np.testing.assert_array_equal(codes, [0, 1])
    np.testing.assert_allclose(dist, [0.0, 4.0], atol=1e-15)
    np.testing.assert_allclose(stats.sums, [[0.0, 2.0], [3.0, 0.0]])
    assert X.data.tolist() == [0.5, 1.5, 3.0]  # the caller's matrix is left as it was


def test_sparse_pass_neither_copies_nor_converts_the_rows():
    X = _text(20_000, 5000, 60, np.float32, seed=36)
    C = X[:8].toarray()
    kernels.assign_accumulate(X, C, n_threads=2)  # compiled, pool and scratch warm
    tracemalloc.start()
    try:
        codes, dist, stats = kernels.assign_accumulate(X, C, n_threads=2)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    csr_bytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    outputs = codes.nbytes + dist.nbytes + stats.sums.nbytes
    assert peak - outputs < 0.1 * csr_bytes  # far below a copy of the data (or its float64 form)


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
