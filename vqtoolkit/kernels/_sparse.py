"""CSR kernels: the transposed codebook, the fused sparse-dense product and argmin per row, per-codeword sums.

One assignment pass over CSR rows (:func:`._passes._run`):

1. :func:`_transpose_codebook` writes ``C^T`` (``n_features x k``, the dtype of
   ``X``) and ``|c_j|^2`` (float64, of the rounded codewords) in one pass over
   ``C``, tiles of features shared out over the worker threads
   (:func:`_sparse_codebook_tiles`; the squares are added tile by tile in
   feature order, so ``|c_j|^2`` has the same bits for any number of threads):
   no float64 copy of ``C`` and no strided NumPy transpose per pass;
2. :func:`_sparse_search`, per block of rows on the worker threads: for every
   non-zero ``x_it``, ``k`` multiply-adds (float64) against the contiguous row
   ``t`` of ``C^T``, then the argmin of ``|c_j|^2 - 2 x_i . c_j`` (lowest
   index on ties); nothing of ``X`` is copied or converted;
3. :func:`_sparse_sums_range`, one call per contiguous range of codewords
   (:func:`_codeword_ranges`, balanced by non-zeros), on the worker threads:
   every range reads all rows but adds only those of its codewords, in row
   order, so every sum gets its terms in the same order whatever the number
   of threads (bit-identical), and no thread needs its own ``k x n_features``
   buffer (text codebooks are wide).
"""

from __future__ import annotations

import numba
import numpy as np

from ._pool import _map_ordered

_TILE = 256  # features per tile of the transpose: C's rows and CT's tile both stay in L1/L2


@numba.njit(nogil=True, cache=True)
def _sparse_codebook(C, CT, c_sq):
    """``CT[t, j] = C[j, t]`` (cast to ``CT``'s dtype) and ``c_sq[j] = sum_t CT[t, j]^2`` in float64.

    ``C`` is ``(k, d)`` of any float dtype, ``CT`` ``(d, k)``, ``c_sq`` ``(k,)``
    float64; ``c_sq`` adds the squares in feature order (one partial sum per
    tile of ``_TILE`` features, the partials added tile by tile).
    """
    k, d = C.shape
    n_tiles = (d + _TILE - 1) // _TILE
    partial = np.empty((n_tiles, k), dtype=np.float64)
    _sparse_codebook_tiles(C, CT, partial, 0, n_tiles)
    _add_tiles(partial, c_sq)


@numba.njit(nogil=True, cache=True)
def _sparse_codebook_tiles(C, CT, partial, tile_lo, tile_hi):
    """Tiles ``tile_lo:tile_hi`` of the transpose; ``partial[tile, j]`` = the tile's sum of squares."""
    k, d = C.shape
    for tile in range(tile_lo, tile_hi):
        t0 = tile * _TILE
        t1 = min(t0 + _TILE, d)
        for j in range(k):
            s = 0.0
            for t in range(t0, t1):
                CT[t, j] = C[j, t]
                v = np.float64(CT[t, j])
                s += v * v
            partial[tile, j] = s


@numba.njit(nogil=True, cache=True)
def _add_tiles(partial, c_sq):
    """``c_sq[j]`` = the tile sums of codeword ``j`` added in tile (feature) order."""
    c_sq[:] = 0.0
    for tile in range(partial.shape[0]):
        for j in range(partial.shape[1]):
            c_sq[j] += partial[tile, j]


def _transpose_codebook(C, CT, c_sq, n_threads):
    """:func:`_sparse_codebook` with the tiles shared out over ``n_threads`` threads (same bits)."""
    k, d = C.shape
    n_tiles = (d + _TILE - 1) // _TILE
    parts = min(n_threads, n_tiles)
    if parts <= 1 or k * d < 1 << 16:  # small codebooks: a thread hand-off costs more than the copy
        _sparse_codebook(C, CT, c_sq)
        return
    partial = np.empty((n_tiles, k), dtype=np.float64)
    cuts = [n_tiles * q // parts for q in range(parts + 1)]
    list(_map_ordered(lambda q: _sparse_codebook_tiles(C, CT, partial, cuts[q], cuts[q + 1]),
                      list(range(parts)), n_threads))
    _add_tiles(partial, c_sq)


# fused multiply-adds (contract only: no reordering, so the same bits on every thread); measured on
# the 20,000 x 50,000 TF-IDF benchmark (k = 20, 60 alternating single-threaded runs on a loaded
# machine): 8 % less CPU time (median), 14 % (lower decile)
@numba.njit(nogil=True, cache=True, fastmath={"contract"})
def _sparse_search(indptr, indices, data, lo, hi, CT, c_sq, w, codes, dist, counts, sse, with_stats):
    """Rows ``lo:hi`` of a CSR matrix: nearest codeword, squared distance, per-codeword count and sse.

    ``codes`` and ``dist`` are indexed by row number (whole-matrix arrays);
    ``w`` is empty for unit weights; ``counts`` and ``sse`` (float64, ``k``)
    receive this block's totals.
    """
    k = CT.shape[1]
    g = np.empty(k, dtype=np.float64)
    for i in range(lo, hi):
        g[:] = 0.0
        xx = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            v = np.float64(data[p])
            xx += v * v
            row = CT[indices[p]]
            for j in range(k):
                g[j] += v * row[j]
        bj = 0
        best = c_sq[0] - 2 * g[0]
        for j in range(1, k):
            val = c_sq[j] - 2 * g[j]
            if val < best:
                best = val
                bj = j
        s = xx + best
        if s < 0.0:
            s = 0.0
        codes[i] = bj
        dist[i] = s
        if with_stats:
            wi = w[i] if w.shape[0] else 1.0
            counts[bj] += wi
            sse[bj] += wi * s


@numba.njit(nogil=True, cache=True)
def _sparse_sums_range(indptr, indices, data, codes, w, sums, j_lo, j_hi):
    """``sums[c] += w_i x_i`` for the rows whose code ``c`` is in ``j_lo:j_hi``, in row order."""
    n = indptr.shape[0] - 1
    for i in range(n):
        c = codes[i]
        if c < j_lo or c >= j_hi:
            continue
        wi = w[i] if w.shape[0] else 1.0
        out = sums[c]
        for p in range(indptr[i], indptr[i + 1]):
            out[indices[p]] += wi * data[p]


@numba.njit(nogil=True, cache=True)
def _has_duplicates(indptr, indices, n_features):
    """True when some row stores a column twice (sorted or not): one marker per column."""
    seen = np.full(n_features, -1, dtype=np.int64)
    for i in range(indptr.shape[0] - 1):
        for p in range(indptr[i], indptr[i + 1]):
            t = indices[p]
            if seen[t] == i:
                return True
            seen[t] = i
    return False


@numba.njit(nogil=True, cache=True)
def _nnz_per_codeword(indptr, codes, k):
    out = np.zeros(k, dtype=np.int64)
    for i in range(indptr.shape[0] - 1):
        out[codes[i]] += indptr[i + 1] - indptr[i]
    return out


def _codeword_ranges(indptr, codes, k, parts):
    """At most ``parts`` contiguous codeword ranges ``(lo, hi)`` with about equal non-zeros each."""
    if k == 1:
        return [(0, k)]
    # computed for one part too, so a single-threaded warm-up compiles it
    load = np.cumsum(_nnz_per_codeword(indptr, codes, k))
    total = int(load[-1])
    cuts = [0]
    for q in range(1, parts):
        j = int(np.searchsorted(load, total * q / parts, side="left")) + 1
        if cuts[-1] < j < k:
            cuts.append(j)
    cuts.append(k)
    return list(zip(cuts[:-1], cuts[1:]))


@numba.njit(nogil=True, cache=True)
def _sparse_accumulate(indptr, indices, data, codes, w, sums, counts):
    n = indptr.shape[0] - 1
    for i in range(n):
        c = codes[i]
        counts[c] += w[i]
        for p in range(indptr[i], indptr[i + 1]):
            sums[c, indices[p]] += w[i] * data[p]
