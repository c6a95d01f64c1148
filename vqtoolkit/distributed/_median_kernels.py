"""Numba loops of the distributed medians (:mod:`._medians`): one pass over a chunk each.

Every loop visits the rows in order, so each bin adds its weights in row order
(the same sums on every run, whatever worker runs the chunk). Values are read
as float64 with -0.0 counted as 0.0 (``x + 0.0``); keys are the order-preserving
uint64 keys of :func:`._medians.float_keys`. No fastmath: the bins must be a
monotone function of the value.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["ranges_loop", "histogram_loop", "finish_count", "finish_loop"]

_SIGN = np.uint64(1 << 63)


@numba.njit(nogil=True, cache=True, inline="always")
def _key(bits):
    if bits >> np.uint64(63):
        return ~bits
    return bits | _SIGN


@numba.njit(nogil=True, cache=True)
def ranges_loop(x, codes, w, unit, lo, hi, n, wk):  # IN x, codes, w; INOUT lo, hi, n, wk
    for i in range(x.shape[0]):
        j = codes[i]
        n[j] += 1
        wk[j] += 1.0 if unit else w[i]
        for c in range(x.shape[1]):
            v = np.float64(x[i, c]) + 0.0
            if v < lo[j, c]:
                lo[j, c] = v
            if v > hi[j, c]:
                hi[j, c] = v


@numba.njit(nogil=True, cache=True)
def histogram_loop(x, codes, w, unit, slot, klo, khi, lo, inv, shift, keyed, B,
                   hw, hn, kmin, kmax):  # IN ...; INOUT hw, hn, kmin, kmax of shape (n_pairs, B)
    d = x.shape[1]
    buf = np.empty(d, dtype=np.float64)
    bits = buf.view(np.uint64)
    for i in range(x.shape[0]):
        j = codes[i]
        for c in range(d):
            buf[c] = np.float64(x[i, c]) + 0.0
        for c in range(d):
            s = slot[j, c]
            if s < 0:
                continue
            K = _key(bits[c])
            if K < klo[s] or K > khi[s]:
                continue
            if keyed[s]:
                u = (K - klo[s]) >> shift[s]
                b = np.int64(B - 1) if u > np.uint64(B - 1) else np.int64(u)
            else:
                f = math.floor((buf[c] * 0.5 - lo[s] * 0.5) * inv[s])
                b = np.int64(0) if f < 0.0 else (np.int64(B - 1) if f > B - 1 else np.int64(f))
            hn[s, b] += 1
            hw[s, b] += 1.0 if unit else w[i]
            if K < kmin[s, b]:
                kmin[s, b] = K
            if K > kmax[s, b]:
                kmax[s, b] = K


@numba.njit(nogil=True, cache=True)
def finish_count(x, codes, slot, klo, khi, gather):
    """Values of the chunk that lie in a bracket to be gathered."""
    d = x.shape[1]
    buf = np.empty(d, dtype=np.float64)
    bits = buf.view(np.uint64)
    m = 0
    for i in range(x.shape[0]):
        j = codes[i]
        for c in range(d):
            s = slot[j, c]
            if s < 0 or not gather[s]:
                continue
            buf[c] = np.float64(x[i, c]) + 0.0
            K = _key(bits[c])
            if K >= klo[s] and K <= khi[s]:
                m += 1
    return m


@numba.njit(nogil=True, cache=True)
def finish_loop(x, codes, w, unit, slot, klo, khi, gather,
                out_slot, out_value, out_weight, above, last):  # INOUT the out_*, above, last
    d = x.shape[1]
    buf = np.empty(d, dtype=np.float64)
    bits = buf.view(np.uint64)
    m = 0
    for i in range(x.shape[0]):
        j = codes[i]
        wi = 1.0 if unit else w[i]
        for c in range(d):
            s = slot[j, c]
            if s < 0:
                continue
            buf[c] = np.float64(x[i, c]) + 0.0
            K = _key(bits[c])
            if K > khi[s]:
                if buf[c] < above[s]:
                    above[s] = buf[c]
            elif K >= klo[s]:
                if gather[s]:
                    out_slot[m] = s
                    out_value[m] = np.float64(x[i, c])  # the value itself (-0.0 stays -0.0)
                    out_weight[m] = wi
                    m += 1
                else:
                    last[s] = wi  # the last row of a one-value bracket wins
