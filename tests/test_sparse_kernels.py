"""CSR kernels (vqtoolkit.kernels._sparse): the threaded codebook transpose and the pass on wide codebooks.

Oracles: the NumPy transpose, ``|c_j|^2`` added by hand tile by tile in feature
order, and brute-force distances from dense copies of the rows.
"""

import numpy as np
import pytest
import scipy.sparse as sp

from vqtoolkit import kernels
from vqtoolkit.kernels._sparse import _TILE, _sparse_codebook, _transpose_codebook

DTYPES = [np.float32, np.float64]


def _tile_order_sq_norms(CT):
    """``|c_j|^2`` as the kernel adds it: a float64 running sum per tile, the tiles added in order."""
    d, k = CT.shape
    out = np.zeros(k)
    for j in range(k):
        total = 0.0
        for t0 in range(0, d, _TILE):
            s = 0.0
            for v in CT[t0 : t0 + _TILE, j].astype(np.float64).tolist():
                s += v * v
            total += s
        out[j] = total
    return out


@pytest.mark.parametrize("dtype", DTYPES)
def test_threaded_transpose_is_the_rounded_transpose_with_tile_ordered_norms(dtype):
    # 7 x 10,001: above the size where the tiles go to the threads, a partial last tile
    C = np.random.default_rng(40).normal(size=(7, 10_001))
    ref_T = np.ascontiguousarray(C.astype(dtype).T)
    ref_sq = _tile_order_sq_norms(ref_T)
    results = []
    for n_threads in (1, 2, 3, 5):
        CT = np.full((C.shape[1], 7), np.nan, dtype=dtype)
        c_sq = np.full(7, np.nan)
        _transpose_codebook(C, CT, c_sq, n_threads)
        results.append((CT.tobytes(), c_sq.tobytes()))
        assert CT.tobytes() == ref_T.tobytes()
        assert c_sq.tobytes() == ref_sq.tobytes()  # same additions in the same order
    CT = np.empty_like(ref_T)
    c_sq = np.empty(7)
    _sparse_codebook(C, CT, c_sq)  # the single-threaded kernel: the same bits
    assert (CT.tobytes(), c_sq.tobytes()) == results[0]


def test_small_codebooks_are_transposed_in_place_of_the_caller():
    # below the threading threshold and with one tile: still exact
    C = np.arange(12.0).reshape(3, 4)
    CT = np.empty((4, 3), dtype=np.float32)
    c_sq = np.empty(3)
    _transpose_codebook(C, CT, c_sq, 4)
    np.testing.assert_array_equal(CT, C.T)
    np.testing.assert_array_equal(c_sq, [0 + 1 + 4 + 9, 16 + 25 + 36 + 49, 64 + 81 + 100 + 121])


def _wide_text(n, d, nnz_row, dtype, seed):
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, d + 1)
    rows = [np.unique(rng.choice(d, size=rng.integers(1, 2 * nnz_row), p=p / p.sum())) for _ in range(n)]
    indptr = np.concatenate([[0], np.cumsum([r.size for r in rows])])
    X = sp.csr_matrix((rng.uniform(0.5, 2.0, size=indptr[-1]), np.concatenate(rows), indptr), shape=(n, d))
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    return sp.csr_matrix(sp.diags(1.0 / norms) @ X, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_wide_codebook_pass_equals_brute_force_for_any_thread_count(dtype):
    # k x d = 16 x 6,000: the transpose runs on the threads
    X = _wide_text(1500, 6000, 40, dtype, seed=41)
    k = 16
    rng = np.random.default_rng(42)
    C = X[rng.choice(X.shape[0], k, replace=False)].toarray().astype(np.float64)
    C += 0.01 * rng.random(C.shape)  # dense codewords, as after an update
    runs = [kernels.assign_accumulate(X, C, n_threads=t) for t in (1, 2, 3)]
    codes, dist, stats = runs[0]
    Xd = X.toarray().astype(np.float64)
    Cr = C.astype(dtype).astype(np.float64)  # the codebook the search multiplies with
    D = (Xd**2).sum(1)[:, None] - 2 * Xd @ Cr.T + (Cr**2).sum(1)[None, :]
    ref_min = D.min(axis=1)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    chosen = D[np.arange(X.shape[0]), codes]
    assert np.all(chosen - ref_min <= 8 * rtol)
    assert np.mean(codes == D.argmin(axis=1)) > 0.99
    np.testing.assert_allclose(dist, np.maximum(chosen, 0), rtol=rtol, atol=8 * rtol)
    ref = np.zeros((k, X.shape[1]))
    np.add.at(ref, codes, Xd)
    np.testing.assert_allclose(stats.sums, ref, rtol=1e-12, atol=1e-12)
    for other in runs[1:]:
        assert other[0].tobytes() == codes.tobytes() and other[1].tobytes() == dist.tobytes()
        assert other[2].sums.tobytes() == stats.sums.tobytes()
        assert other[2].sse.tobytes() == stats.sse.tobytes()
