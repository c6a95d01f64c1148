"""Exact weighted medians of every codeword's rows on a Dask cluster, without gathering the rows.

The k-medians update (``metric='cityblock'``) needs, for every codeword ``j``
and column ``c``, the weighted median of ``X[codes == j, c]`` with the tie
rule of :func:`vqtoolkit.backends.weighted_median`: sort the values (ties in
row order), take the first value whose cumulative weight reaches
``W / 2 - 1e-12 W``, and average it with the next value when that cumulative
weight equals ``W / 2`` (within ``1e-12 W``). Here the rows stay on the workers:

1. the assignment pass also returns, per (codeword, column), the smallest and
   largest value and, per codeword, the number of rows and their weight
   (:func:`code_ranges`): the first bracket;
2. each refinement pass counts rows, adds weights and keeps the smallest and
   largest value in ``B`` bins per (codeword, column) between the current
   bracket (:func:`histogram`, added over the chunks in chunk order); the
   bracket narrows to the values of the bin that holds the median, and the
   weight below the bracket is carried along;
3. when a bracket holds at most ``vqtoolkit.median-gather-rows`` rows (dask
   config, default 2048), its values and weights are gathered in row order and
   the median is finished exactly as in memory (:func:`finish`); a bracket that
   narrowed to one value with more rows than that needs only the weight of its
   last row and the next value above it.

Bins are linear in the value (``floor((v/2 - lo/2) * inv)``, monotone in
``v``). A bracket whose rows did not shrink fourfold switches to bins over the
order-preserving integer keys of float64, which cut ``log2(B)`` bits of the 64
every pass, so the number of passes is bounded whatever the distribution. A
task holds ``B`` bins (32 bytes each) for each open (codeword, column) pair:
``B`` is the largest power of two with at most ``vqtoolkit.median-cells``
(default 2**20) cells, between 16 and ``vqtoolkit.median-bins`` (default 256).

The weight sums are added in another order than the in-memory cumulative sum:
with unit or integer weights (every partial sum exact) the result is
bit-identical to the in-memory median; with other weights it may differ only
where a cumulative weight lies within rounding of the half-weight threshold.
"""

from __future__ import annotations

import numpy as np

from ..backends import midpoint
from ._median_kernels import finish_count, finish_loop, histogram_loop, ranges_loop

__all__ = ["MEDIAN_BINS", "MEDIAN_CELLS", "GATHER_ROWS", "Ranges", "code_ranges", "histogram",
           "finish", "float_keys", "key_values", "dask_medians"]

MEDIAN_BINS = 256
MEDIAN_CELLS = 1 << 20
GATHER_ROWS = 2048
MAX_PASSES = 200  # safety net: every pass shrinks a bracket, keyed passes by log2(B) of 64 bits
_SIGN = np.uint64(1 << 63)


class Ranges:
    """Per-chunk (then total) ranges of every codeword's rows: the first bracket of the medians.

    Attributes
    ----------
    lo, hi : ndarray of shape (n_codewords, n_features), float64
        Smallest / largest value (+inf / -inf for a codeword with no rows); -0.0 counts as 0.0.
    n : ndarray of shape (n_codewords,), int64
        Rows per codeword.
    w : ndarray of shape (n_codewords,), float64
        Weight per codeword.
    """

    __slots__ = ("lo", "hi", "n", "w")

    def __init__(self, lo, hi, n, w):
        self.lo, self.hi, self.n, self.w = lo, hi, n, w

    def __add__(self, other):
        return Ranges(np.minimum(self.lo, other.lo), np.maximum(self.hi, other.hi),
                      self.n + other.n, self.w + other.w)


def float_keys(v):
    """Order-preserving uint64 keys of float64 values (-0.0 keyed as 0.0)."""
    b = (np.asarray(v, dtype=np.float64) + 0.0).view(np.uint64)
    return np.where(b >> np.uint64(63), ~b, b | _SIGN)


def key_values(K):
    """The float64 values of keys from :func:`float_keys`."""
    K = np.asarray(K, dtype=np.uint64)
    return np.where(K >> np.uint64(63), K & ~_SIGN, ~K).view(np.float64)


# ------------------------------------------------------------------ chunk functions (workers)


def code_ranges(x, codes, w, k):
    """Per-codeword column minima / maxima, row counts and weights of one chunk (:class:`Ranges`)."""
    d = x.shape[1]
    lo = np.full((k, d), np.inf)
    hi = np.full((k, d), -np.inf)
    n = np.zeros(k, dtype=np.int64)
    wk = np.zeros(k)
    ranges_loop(_dense(x), np.asarray(codes), *_w(w), lo, hi, n, wk)
    return Ranges(lo, hi, n, wk)


def _dense(x):
    x = np.asarray(x)
    return x if x.dtype in (np.float32, np.float64) else x.astype(np.float64)


def _w(w):
    """``(weights, unit)`` for the loops (a dummy array for unit weights)."""
    return (np.ones(1), True) if w is None else (np.asarray(w, dtype=np.float64), False)


class _Plan:
    """The open (codeword, column) pairs of a pass and their brackets (one graph literal)."""

    def __init__(self, k, d, code, col, klo, khi, lo, inv, shift, keyed, bins, gather=None):
        self.slot = np.full((k, d), -1, dtype=np.int64)
        self.slot[code, col] = np.arange(code.size)
        self.klo, self.khi, self.lo, self.inv = klo, khi, lo, inv
        self.shift, self.keyed, self.bins, self.gather = shift, keyed, bins, gather


def histogram(x, w, step, plan):
    """Weights, row counts and smallest / largest keys in the bins of every open pair.

    Returns a :class:`_Hist` of arrays of shape (n_pairs, bins).
    """
    a, B = plan.klo.size, plan.bins
    hw = np.zeros((a, B))
    hn = np.zeros((a, B), dtype=np.int64)
    kmin = np.full((a, B), np.iinfo(np.uint64).max, dtype=np.uint64)
    kmax = np.zeros((a, B), dtype=np.uint64)
    histogram_loop(_dense(x), np.asarray(step.codes), *_w(w), plan.slot, plan.klo, plan.khi, plan.lo,
                   plan.inv, plan.shift, plan.keyed, B, hw, hn, kmin, kmax)
    return _Hist(hw, hn, kmin, kmax)


class _Hist:
    __slots__ = ("w", "n", "kmin", "kmax")

    def __init__(self, w, n, kmin, kmax):
        self.w, self.n, self.kmin, self.kmax = w, n, kmin, kmax

    def __add__(self, other):
        return _Hist(self.w + other.w, self.n + other.n, np.minimum(self.kmin, other.kmin),
                     np.maximum(self.kmax, other.kmax))


class _Tail:
    """What finishes the medians: bracket values in row order, next value above, last row's weight."""

    __slots__ = ("slot", "value", "weight", "above", "last")

    def __init__(self, slot, value, weight, above, last):
        self.slot, self.value, self.weight, self.above, self.last = slot, value, weight, above, last

    def __add__(self, other):
        # ``other`` is the later chunk: its values follow, its last row wins
        return _Tail(np.concatenate([self.slot, other.slot]), np.concatenate([self.value, other.value]),
                     np.concatenate([self.weight, other.weight]), np.minimum(self.above, other.above),
                     np.where(np.isnan(other.last), self.last, other.last))


def finish(x, w, step, plan):
    """One chunk's part of the last pass (:class:`_Tail`)."""
    x, codes = _dense(x), np.asarray(step.codes)
    a = plan.klo.size
    m = finish_count(x, codes, plan.slot, plan.klo, plan.khi, plan.gather)
    tail = _Tail(np.empty(m, dtype=np.int64), np.empty(m), np.empty(m), np.full(a, np.inf),
                 np.full(a, np.nan))
    finish_loop(x, codes, *_w(w), plan.slot, plan.klo, plan.khi, plan.gather, tail.slot, tail.value,
                tail.weight, tail.above, tail.last)
    return tail


# ------------------------------------------------------------------------------ client


def _bit_length(u):
    """An upper bound of the bit length of uint64 ``u`` (exact but for rounding up)."""
    e = np.frexp(u.astype(np.float64))[1]
    return np.where(u > 0, e, 0).astype(np.int64)


def _plan(k, d, code, col, klo, khi, keyed, B, gather=None):
    lo = key_values(klo)
    hi = key_values(khi)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        inv = B / (hi * 0.5 - lo * 0.5)
    keyed = keyed | ~np.isfinite(inv) | (inv <= 0)
    inv = np.where(keyed, 0.0, inv)
    shift = np.maximum(_bit_length(khi - klo) - int(np.log2(B)), 0).astype(np.uint64)
    return _Plan(k, d, code, col, klo, khi, lo, inv, shift, keyed, B, gather)


def dask_medians(run, C, ranges, *, bins=None, cells=None, gather_rows=None, log=None):
    """Weighted median of every codeword's rows, per column; ``C[j]`` where codeword ``j`` has no rows.

    Parameters
    ----------
    run : callable
        ``run(fn, plan)`` runs ``fn(x, w, step, plan)`` on every chunk and returns the
        partial results added in chunk order (see :meth:`DaskPasses.medians`).
    C : ndarray of shape (n_codewords, n_features)
    ranges : Ranges
        Totals of :func:`code_ranges` for the codes of the last pass.
    bins, cells, gather_rows : int, optional
        Bins per pair, histogram cells per task, rows per bracket gathered (dask config by default).
    log : dict, optional
        Filled with ``passes`` (refinement passes, the last one included) and ``gathered`` (values
        brought to the client).

    Returns
    -------
    ndarray of shape (n_codewords, n_features), float64
    """
    import dask

    bins = int(bins or dask.config.get("vqtoolkit.median-bins", MEDIAN_BINS))
    cells = int(cells or dask.config.get("vqtoolkit.median-cells", MEDIAN_CELLS))
    cap = int(gather_rows or dask.config.get("vqtoolkit.median-gather-rows", GATHER_ROWS))
    k, d = C.shape
    out = np.array(C, dtype=np.float64, copy=True)
    code, col = np.nonzero(np.broadcast_to((ranges.n > 0)[:, None], (k, d)))
    P = code.size
    if P == 0:
        return out
    klo = float_keys(ranges.lo[code, col])
    khi = float_keys(ranges.hi[code, col])
    cnt = ranges.n[code].copy()
    W = ranges.w[code]
    half = W / 2.0
    tol = 1e-12 * W
    t = half - tol
    below = np.zeros(P)
    inside = W.copy()  # weight in the bracket
    keyed = np.zeros(P, dtype=bool)
    n_passes = 0
    for _ in range(MAX_PASSES):
        act = np.flatnonzero((cnt > cap) & (klo < khi))
        if act.size == 0:
            break
        B = int(2 ** np.floor(np.log2(max(cells // act.size, 1))))
        B = min(max(B, 16), bins)
        plan = _plan(k, d, code[act], col[act], klo[act], khi[act], keyed[act], B)
        h = run(histogram, plan)
        n_passes += 1
        cum = np.cumsum(np.concatenate([below[act, None], h.w], axis=1), axis=1)
        ok = (cum[:, 1:] >= t[act, None]) & (h.n > 0)
        nonempty_last = B - 1 - np.argmax((h.n > 0)[:, ::-1], axis=1)
        b = np.where(ok.any(axis=1), np.argmax(ok, axis=1), nonempty_last)
        r = np.arange(act.size)
        below[act] = cum[r, b]
        inside[act] = h.w[r, b]
        new_cnt = h.n[r, b]
        # the new bracket: from the smallest to the largest value in bin b
        klo[act] = h.kmin[r, b]
        khi[act] = h.kmax[r, b]
        ky = plan.keyed
        keyed[act] = ky | (new_cnt * 4 > cnt[act])
        cnt[act] = new_cnt
    gather = (cnt <= cap) | (klo < khi)  # (open brackets after MAX_PASSES: gathered whole)
    plan = _plan(k, d, code, col, klo, khi, keyed, 16, gather=gather)
    tail = run(finish, plan)
    n_passes += 1
    if log is not None:
        log.update(passes=n_passes, gathered=int(tail.value.size))
    res = np.empty(P)
    # brackets of one value and many rows: the value, or its mean with the next on an exact tie
    v = key_values(klo)
    cw_last = below + inside
    last = np.where(np.isnan(tail.last), 0.0, tail.last)
    lo_is_last = (cnt == 1) | (cw_last - last < t)
    nxt = np.where(np.isfinite(tail.above), tail.above, v)
    exact = np.abs(cw_last - half) <= tol
    res[~gather] = np.where(lo_is_last & exact, midpoint(v, nxt), v)[~gather]
    # gathered brackets: the in-memory rule on the values in row order
    order = np.lexsort((tail.value, tail.slot))
    slots, vals, ws = tail.slot[order], tail.value[order], tail.weight[order]
    bounds = np.searchsorted(slots, np.arange(P + 1))
    for p in np.flatnonzero(gather):
        vp = vals[bounds[p]: bounds[p + 1]]
        cw = np.cumsum(np.concatenate([[below[p]], ws[bounds[p]: bounds[p + 1]]]))[1:]
        reach = cw >= t[p]
        lo = int(np.argmax(reach)) if reach.any() else vp.size - 1
        hi = vp[lo + 1] if lo + 1 < vp.size else (tail.above[p] if np.isfinite(tail.above[p]) else vp[lo])
        res[p] = midpoint(vp[lo], hi) if abs(cw[lo] - half[p]) <= tol[p] else vp[lo]
    out[code, col] = res
    return out
