"""CSR kernels: fused sparse-dense product and argmin per row, and per-codeword sums."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(nogil=True, cache=True)
def _sparse_chunk(indptr, indices, data, CT, c_sq, C, w, codes, dist, counts, sse, with_stats):
    n = indptr.shape[0] - 1
    k = CT.shape[1]
    g = np.empty(k, dtype=np.float64)
    for i in range(n):
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
def _sparse_sums(indptr, indices, data, codes, w, sums):
    n = indptr.shape[0] - 1
    for i in range(n):
        c = codes[i]
        wi = w[i] if w.shape[0] else 1.0
        for p in range(indptr[i], indptr[i + 1]):
            sums[c, indices[p]] += wi * data[p]


@numba.njit(nogil=True, cache=True)
def _sparse_accumulate(indptr, indices, data, codes, w, sums, counts):
    n = indptr.shape[0] - 1
    for i in range(n):
        c = codes[i]
        counts[c] += w[i]
        for p in range(indptr[i], indptr[i + 1]):
            sums[c, indices[p]] += w[i] * data[p]
