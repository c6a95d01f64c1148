"""City-block (L1) kernel: a direct distance loop with early exit, for ``metric='cityblock'``."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(nogil=True, cache=True)
def _l1_chunk(X, C, w, codes, dist, sums, counts, sse, with_stats):
    n, d = X.shape
    k = C.shape[0]
    for i in range(n):
        bj = 0
        best = np.inf
        for j in range(k):
            s = 0.0
            for t in range(d):
                s += abs(np.float64(X[i, t]) - np.float64(C[j, t]))
                if s >= best:
                    break
            if s < best:
                best = s
                bj = j
        codes[i] = bj
        dist[i] = best
        if with_stats:
            wi = w[i] if w.shape[0] else 1.0
            counts[bj] += wi
            sse[bj] += wi * best
            for t in range(d):
                sums[bj, t] += wi * X[i, t]
