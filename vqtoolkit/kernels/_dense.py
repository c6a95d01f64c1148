"""Dense squared Euclidean search and the exact distances and totals of the chosen codewords.

The nearest codeword of every row comes from one GEMM, ``(-C) @ X_chunk.T``,
and a column argmin (:func:`_gemm_argmin`), or for few features from the
unrolled loop of :mod:`vqtoolkit._unrolled` (which calls :func:`_min_step` and
:func:`_min2_step` from here); :func:`_dense_search` picks one and its chunk
size. :func:`_dense_finish` then computes the exact float64 distance to the
chosen codeword and the weighted per-codeword totals.
"""

from __future__ import annotations

import numba
import numpy as np

from .. import _unrolled
from ._pool import BLOCK_ROWS


def _default_chunk_rows(n_codewords: int, n_features: int, dtype=np.float32, unrolled=False) -> int:
    """Rows per search step: 512 for GEMM, fewer above ``k = 1024`` (``2**19 / k``, at least 128);
    for the unrolled search at most 512 and a transposed chunk of at most 32 KiB.

    Measured on 2 Zen 5 cores, one thread, ``(-C) @ X_chunk.T``: with
    OpenBLAS's AVX-512 (``SkylakeX``) kernel, chunks of 1024 rows and more
    take 1.3-2.8x longer per row than 512 (d = 13, k = 64: 17 ns/row at 512,
    36 at 2048); with the AVX2 (``Haswell``) kernel 512 is within 5 % of the
    best. The ``k x 512`` block (128 KiB-2 MiB) stays near L2 for the argmin.
    The unrolled search reads its ``d x rows`` copy once per codeword pair, so
    it must stay in L1: float32, d = 13, k = 256, 62 / 54 / 52 / 87 ns/row at
    128 / 256 / 512 / 1024 rows; float64, d = 16, k = 64, 145 ns/row at 512
    rows (64 KiB) against 50 at 256.
    """
    if unrolled:
        rows = 32768 // (n_features * np.dtype(dtype).itemsize)
        return int(min(512, 1 << (rows.bit_length() - 1)))
    if n_codewords <= 1024:
        return 512
    return int(max((1 << 19) // n_codewords, 128))


def _gemm_operands(C, c_sq):
    """``-C`` and ``|c|^2 / 2`` in the dtype of ``C``: ``(-C) @ x + |c|^2/2`` ranks codewords for ``x``."""
    return np.ascontiguousarray(-C), (0.5 * c_sq).astype(C.dtype)


def _dense_search(n_codewords, n_features, dtype, chunk_rows=None):
    """The nearest-codeword search for this shape and how to run it.

    Returns ``(argmin, chunk_rows, work_size)``: the unrolled loop for few
    features, else GEMM + column argmin (both with the signature of
    :func:`_gemm_argmin`); rows per step (``chunk_rows``, or the default for
    that search), at most ``BLOCK_ROWS``; and the length of the work buffer
    it needs (the unrolled loop only its transposed ``d x chunk`` copy).
    """
    unrolled = _unrolled.argmin_function(n_features)
    rows = chunk_rows or _default_chunk_rows(n_codewords, n_features, dtype, unrolled is not None)
    rows = min(int(rows), BLOCK_ROWS)
    if unrolled is not None:
        return unrolled, rows, n_features * rows
    return _gemm_argmin, rows, (n_codewords + n_features) * rows


def _first_equal(C, idx_dtype):
    """``None`` when the rows of ``C`` differ, else ``first[j]``: the lowest index of a row equal to ``C[j]``.

    The search's ties go to the lowest index only when equal codewords get
    equal values; BLAS does not promise that (an edge tile of the GEMM sums in
    another order: float64, d = 21, the last of three equal codewords won
    rows). Mapping the search's winner through ``first`` restores the rule
    for equal codewords, whatever the search (the exact distances are equal).
    Rows are sorted on their first column only, so distinct codebooks cost one
    ``argsort`` of ``k`` values.
    """
    k = C.shape[0]
    if k < 2:
        return None
    order = np.argsort(C[:, 0], kind="stable")
    col = C[order, 0]
    if not np.any(col[1:] == col[:-1]):
        return None
    first = np.arange(k, dtype=idx_dtype)
    found = False
    start = 0
    for stop in range(1, k + 1):  # runs of equal first column, each in ascending index (stable sort)
        if stop < k and col[stop] == col[start]:
            continue
        run = order[start:stop]
        for a in range(1, len(run)):
            for b in range(a):
                if np.array_equal(C[run[a]], C[run[b]]):
                    first[run[a]] = first[run[b]]
                    found = True
                    break
        start = stop
    return first if found else None


_NO_ROWS = np.zeros(0, dtype=np.int64)
_NO_NORMS = np.zeros(0, dtype=np.float64)


def _index_dtype(dtype):
    """Codes of the searches' argmin: the width of the data, so the loops vectorize evenly."""
    return np.int32 if np.dtype(dtype).itemsize == 4 else np.int64


# --------------------------------------------------------------------------- numba


@numba.njit(nogil=True, cache=True, fastmath={"reassoc"})
def _row_sq_dist(X, i, C, j):
    """Exact squared distance of row ``i`` of X to codeword ``j``, in float64 from the difference."""
    acc = 0.0
    for t in range(X.shape[1]):
        diff = np.float64(X[i, t]) - np.float64(C[j, t])
        acc += diff * diff
    return acc


@numba.njit(nogil=True, cache=True, inline="always")
def _add_row(X, i, j, w, sq, sums, counts, sse):
    """Add row ``i`` (weight ``w[i]``, or 1 for unit weights) to codeword ``j``'s totals."""
    wi = w[i] if w.shape[0] else 1.0
    counts[j] += wi
    sse[j] += wi * sq
    for t in range(X.shape[1]):
        sums[j, t] += wi * X[i, t]


@numba.njit(nogil=True, cache=True, inline="always")
def _min_step(v, j, b, x):
    """One codeword of a running argmin: ``(b, x)`` becomes ``(v, j)`` when ``v < b``."""
    lt = v < b
    return (v if lt else b), (j if lt else x)


@numba.njit(nogil=True, cache=True, inline="always")
def _min2_step(v, j, b, s, x):
    """:func:`_min_step` that also keeps the second smallest value ``s``."""
    s = min(s, max(b, v))
    lt = v < b
    return (v if lt else b), s, (j if lt else x)


@numba.njit(nogil=True, cache=True)
def _col_argmin(GT, h, best, idx):
    """``idx[i] = argmin_j GT[j, i] + h[j]`` (the lowest ``j`` on ties), ``best[i]`` its value.

    The loop runs down the codewords and across the rows, so the compiler
    vectorizes it over rows (the per-row ``argmin`` of a ``rows x k`` matrix
    cannot be: ``k`` is short and its reduction is serial). Four codewords per
    sweep keep the running minimum in registers (k = 1024: 75 -> 56 ns/row).
    """
    k, m = GT.shape
    h0 = h[0]
    for i in range(m):
        best[i] = GT[0, i] + h0
        idx[i] = 0
    j = 1
    while j + 4 <= k:
        h1, h2, h3, h4 = h[j], h[j + 1], h[j + 2], h[j + 3]
        for i in range(m):
            b, x = _min_step(GT[j, i] + h1, j, best[i], idx[i])
            b, x = _min_step(GT[j + 1, i] + h2, j + 1, b, x)
            b, x = _min_step(GT[j + 2, i] + h3, j + 2, b, x)
            b, x = _min_step(GT[j + 3, i] + h4, j + 3, b, x)
            best[i] = b
            idx[i] = x
        j += 4
    while j < k:
        hj = h[j]
        for i in range(m):
            best[i], idx[i] = _min_step(GT[j, i] + hj, j, best[i], idx[i])
        j += 1


@numba.njit(nogil=True, cache=True)
def _col_argmin2(GT, h, best, second, idx):
    """:func:`_col_argmin` that also keeps the second smallest value, ``second[i]``."""
    k, m = GT.shape
    h0 = h[0]
    for i in range(m):
        best[i] = GT[0, i] + h0
        second[i] = np.inf
        idx[i] = 0
    j = 1
    while j + 4 <= k:
        h1, h2, h3, h4 = h[j], h[j + 1], h[j + 2], h[j + 3]
        for i in range(m):
            b, s, x = _min2_step(GT[j, i] + h1, j, best[i], second[i], idx[i])
            b, s, x = _min2_step(GT[j + 1, i] + h2, j + 1, b, s, x)
            b, s, x = _min2_step(GT[j + 2, i] + h3, j + 2, b, s, x)
            b, s, x = _min2_step(GT[j + 3, i] + h4, j + 3, b, s, x)
            best[i] = b
            second[i] = s
            idx[i] = x
        j += 4
    while j < k:
        hj = h[j]
        for i in range(m):
            best[i], second[i], idx[i] = _min2_step(GT[j, i] + hj, j, best[i], second[i], idx[i])
        j += 1


@numba.njit(nogil=True, cache=True)
def _gemm_argmin(X, rows, gather, negC, h, chunk_rows, work, xx, best, second, idx, with_second):
    """Nearest codeword of every row by GEMM + column argmin, ``chunk_rows`` rows per GEMM.

    The rows are ``X`` in order, or ``X[rows]`` when ``gather`` (their squared
    norms then go to ``xx``). Writes ``idx[i]``, the argmin over ``j`` of
    ``h[j] + negC[j] . x_i`` (lowest ``j`` on ties), ``best[i]`` its value and,
    ``with_second``, the second smallest value ``second[i]``. ``work`` holds
    ``(k + d) * chunk_rows`` values.
    """
    n = rows.shape[0] if gather else X.shape[0]
    k, d = negC.shape
    for s in range(0, n, chunk_rows):
        e = min(s + chunk_rows, n)
        m = e - s
        if gather:
            Xg = work[k * chunk_rows : k * chunk_rows + m * d].reshape((m, d))
            _gather(X, rows[s:e], Xg, xx[s:e])
        else:
            Xg = X[s:e]
        GT = work[: k * m].reshape((k, m))
        np.dot(negC, Xg.T, GT)  # BLAS reads the rows transposed: no copy
        if with_second:
            _col_argmin2(GT, h, best[s:e], second[s:e], idx[s:e])
        else:
            _col_argmin(GT, h, best[s:e], idx[s:e])


@numba.njit(nogil=True, cache=True)
def _gather(X, idx, Xg, xx):
    """Rows ``idx`` of X into ``Xg``, and their squared norms (float64) into ``xx``."""
    d = X.shape[1]
    for r in range(idx.shape[0]):
        i = idx[r]
        acc = 0.0
        for t in range(d):
            v = X[i, t]
            Xg[r, t] = v
            acc += np.float64(v) * np.float64(v)
        xx[r] = acc


@numba.njit(nogil=True, cache=True)
def _dense_finish(X, C, idx, codes, w, dist, sums, counts, sse, with_stats):
    for i in range(X.shape[0]):
        bj = idx[i]
        codes[i] = bj
        s = _row_sq_dist(X, i, C, bj)
        dist[i] = s
        if with_stats:
            _add_row(X, i, bj, w, s, sums, counts, sse)


@numba.njit(nogil=True, cache=True)
def _dense_accumulate(X, codes, w, sums, counts):
    n, d = X.shape
    for i in range(n):
        c = codes[i]
        counts[c] += w[i]
        for t in range(d):
            sums[c, t] += w[i] * X[i, t]
