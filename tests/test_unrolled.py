"""The unrolled nearest-codeword search (vqtoolkit._unrolled) against the GEMM path and brute force."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from test_kernels import _data  # the same Gaussian blobs

from vqtoolkit import _unrolled, kernels

DTYPES = [np.float32, np.float64]


def _search(fn, X, C, rows=None, chunk_rows=100):
    """Run one search function (``kernels._gemm_argmin`` signature) over X or X[rows]."""
    c_sq = np.einsum("ij,ij->i", C.astype(np.float64), C.astype(np.float64))
    negC, h = kernels._gemm_operands(C, c_sq)
    n = len(rows) if rows is not None else len(X)
    k, d = C.shape
    best = np.empty(n, X.dtype)
    second = np.empty(n, X.dtype)
    idx = np.empty(n, kernels._index_dtype(X.dtype))
    xx = np.full(n if rows is not None else 0, np.nan)
    fn(X, rows if rows is not None else kernels._NO_ROWS, rows is not None, negC, h, chunk_rows,
       np.empty((k + d) * chunk_rows, X.dtype), xx, best, second, idx, True)
    return idx, best, second, xx


def _check_against_brute_force(X, C, idx, best, second):
    """idx is the nearest codeword up to rounding; best/second are half squared distances minus |x|^2/2."""
    X64, C64 = X.astype(np.float64), C.astype(np.float64)
    D = cdist(X64, C64, "sqeuclidean")
    xx = np.einsum("ij,ij->i", X64, X64)
    eps = np.finfo(X.dtype).eps
    scale = (xx + np.einsum("ij,ij->i", C64, C64).max()) * 50 * eps + 1e-300
    Ds = np.sort(D, axis=1)
    assert np.all(D[np.arange(len(X)), idx] - Ds[:, 0] <= scale)  # never a worse codeword
    assert np.mean(idx == D.argmin(axis=1)) > 0.999
    np.testing.assert_allclose(2.0 * best + xx, Ds[:, 0], atol=scale.max())
    if C.shape[0] > 1:
        np.testing.assert_allclose(2.0 * second + xx, Ds[:, 1], atol=scale.max())
    else:
        assert np.all(np.isinf(second))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("d", "k"), [(1, 1), (1, 2), (2, 3), (5, 64), (8, 7)])
def test_unrolled_search_matches_brute_force_and_gemm(d, k, dtype):
    X, C = _data(1003, d, k, dtype, seed=d * 100 + k)
    fn = _unrolled.argmin_function(d)
    assert fn is not None  # d <= 8 is unrolled on every target
    idx, best, second, _ = _search(fn, X, C)
    _check_against_brute_force(X, C, idx, best, second)
    g_idx, g_best, g_second, _ = _search(kernels._gemm_argmin, X, C)
    assert np.mean(idx == g_idx) > 0.999
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(best, g_best, rtol=tol, atol=tol * np.abs(g_best).max())


@pytest.mark.parametrize("search", ["unrolled", "gemm"])
def test_gathered_rows_and_their_norms(search):
    X, C = _data(2000, 6, 33, np.float32, seed=5)
    rows = np.random.default_rng(6).choice(len(X), size=777, replace=False).astype(np.int64)
    fn = _unrolled.argmin_function(6) if search == "unrolled" else kernels._gemm_argmin
    idx, best, second, xx = _search(fn, X, C, rows=rows, chunk_rows=64)
    _check_against_brute_force(X[rows], C, idx, best, second)
    np.testing.assert_allclose(xx, np.einsum("ij,ij->i", X[rows].astype(float), X[rows].astype(float)),
                               rtol=1e-12)


def test_ties_and_odd_codeword_counts_take_the_lowest_index():
    rng = np.random.default_rng(2)
    base = rng.normal(size=(5, 3))
    # every codeword twice, and an odd count: the last one is searched on its own
    C = np.vstack([base, base, base[:1]])
    X = np.vstack([base + 0.01 * rng.normal(size=(5, 3)) for _ in range(40)])
    for dtype in DTYPES:
        idx, *_ = _search(_unrolled.argmin_function(3), X.astype(dtype), C.astype(dtype))
        np.testing.assert_array_equal(idx, np.tile(np.arange(5), 40))


def test_above_the_limit_the_gemm_path_is_used_and_exact():
    d = _unrolled.max_features() + 1
    assert _unrolled.argmin_function(d) is None
    assert kernels._dense_search(40, d, np.float64)[0] is kernels._gemm_argmin
    X, C = _data(3000, d, 40, np.float64, seed=9)
    codes, dist = kernels.assign(X, C)
    D = cdist(X, C, "sqeuclidean")
    np.testing.assert_array_equal(codes, D.argmin(axis=1))
    np.testing.assert_allclose(dist, D.min(axis=1), rtol=1e-12)


@pytest.mark.parametrize(("features", "expected"),
                         [("+avx,+avx2,+fma,-avx512f", 8), ("+avx2,+avx512f,+fma", 16), ("", 8)])
def test_max_features_follows_numba_target(monkeypatch, features, expected):
    import numba

    monkeypatch.setattr(numba.config, "CPU_FEATURES", features)
    _unrolled.max_features.cache_clear()
    try:
        assert _unrolled.max_features() == expected
    finally:
        monkeypatch.undo()
        _unrolled.max_features.cache_clear()


def test_generated_module_written_to_the_cache_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("VQTOOLKIT_KERNEL_CACHE", str(tmp_path))
    fn = _unrolled._load(2)
    files = list(tmp_path.glob("vqtoolkit_unrolled_d2_*.py"))
    assert len(files) == 1 and files[0].read_text() == _unrolled._source(2)
    X, C = _data(300, 2, 9, np.float64, seed=1)
    idx, best, second, _ = _search(fn, X, C)
    _check_against_brute_force(X, C, idx, best, second)
    # a damaged file is rewritten, not imported
    files[0].write_text("garbage")
    assert _unrolled._write(files[0].stem, _unrolled._source(2)) == files[0]
    assert files[0].read_text() == _unrolled._source(2)


def test_unwritable_cache_folder_falls_back_to_a_private_one(monkeypatch, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("VQTOOLKIT_KERNEL_CACHE", str(blocker / "kernels"))
    path = _unrolled._write("vqtoolkit_unrolled_test", "x = 1\n")
    assert path.read_text() == "x = 1\n" and blocker not in path.parents


def test_default_chunk_keeps_the_transposed_copy_in_l1():
    for dtype in DTYPES:
        itemsize = np.dtype(dtype).itemsize
        for d in range(1, _unrolled.max_features() + 1):
            rows = kernels._default_chunk_rows(256, d, dtype, unrolled=True)
            assert 64 <= rows <= 512 and rows * d * itemsize <= 32768
            assert 2 * rows > 512 or 2 * rows * d * itemsize > 32768  # the largest that fits
    assert kernels._dense_search(256, 13, np.float32)[1] == 512
    assert kernels._dense_search(256, 13, np.float64)[1] == 256
