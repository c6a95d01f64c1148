"""Hamerly's bounds for the dense squared Euclidean pass: :class:`HamerlyState` and its numba helpers."""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import scipy.sparse as sp

from ..errors import ParameterError
from ._dense import (
    _NO_NORMS,
    _NO_ROWS,
    _add_row,
    _dense_search,
    _first_equal,
    _gemm_operands,
    _index_dtype,
    _row_sq_dist,
)
from ._passes import AssignStats, _weights
from ._pool import BLOCK_ROWS, _check_threads, _map_ordered, _scratch, single_threaded_blas


class HamerlyState:
    """Bound bookkeeping of Hamerly's algorithm for one Lloyd run (dense, squared Euclidean).

    Hamerly (2010), "Making k-means even faster": every row keeps its code
    ``a_i`` and a lower bound ``l_i`` on its Euclidean distance to every other
    codeword; ``s_j`` is half the distance from codeword ``j`` to its nearest
    other codeword. Each :meth:`step` computes the exact distance ``u_i`` of
    every row to its current codeword (needed anyway for the distortion), lowers
    ``l_i`` by the largest shift of another codeword since the previous step,
    and keeps the code when ``u_i < max(l_i, s_{a_i})``. The remaining rows of
    each block are gathered and assigned by the same search as :func:`assign`,
    which also gives their new lower bound (the second smallest distance).

    The result is exactly what :func:`assign_accumulate` returns for the same
    codebook (codes, distances, and bit-identical sums when the codes agree),
    except on floating-point near-ties: bounds are kept conservative (the
    worst-case rounding error of the float32/float64 search and of the bound
    arithmetic is subtracted), so a kept code is always the strictly nearest
    codeword. Blocks of ``BLOCK_ROWS`` rows and block-order reductions make the
    result independent of the number of threads.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64, C-contiguous
    sample_weight : ndarray of shape (n_samples,), optional
    chunk_rows, n_threads
        See :func:`assign`.

    Attributes
    ----------
    codes : ndarray of shape (n_samples,), int64
        Codes of the last step.
    sq_distances : ndarray of shape (n_samples,), dtype of ``X``
        Exact squared distance of every row to its codeword after the last step.
    lower : ndarray of shape (n_samples,), dtype of ``X``
        Lower bounds (Euclidean, not squared) on the distance to any other codeword.
    n_changed : int
        Rows whose code changed in the last step (all rows after the first).
    n_recomputed : int
        Rows whose full row of distances was computed in the last step.

    Memory: ``codes``, ``sq_distances`` and ``lower`` (``n * (8 + 2 * itemsize)`` bytes).
    """

    def __init__(self, X, *, sample_weight=None, chunk_rows=None, n_threads=None):
        X = np.asarray(X)
        if sp.issparse(X) or X.ndim != 2 or X.dtype not in (np.float32, np.float64):
            raise ParameterError(
                f"HamerlyState needs a dense 2-D float32/float64 array; got {type(X).__name__} "
                f"with shape {getattr(X, 'shape', None)} and dtype {getattr(X, 'dtype', None)}"
            )
        if chunk_rows is not None and int(chunk_rows) < 1:
            raise ParameterError(f"chunk_rows={chunk_rows} must be a positive integer")
        self.X = np.ascontiguousarray(X)
        n = X.shape[0]
        self.w = _weights(sample_weight, n) if sample_weight is not None else np.ones(0)
        self.chunk_rows = chunk_rows
        self.n_threads = _check_threads(n_threads)
        self.codes = np.zeros(n, dtype=np.int64)
        self.sq_distances = np.empty(n, dtype=X.dtype)
        self.lower = np.empty(n, dtype=X.dtype)
        self.n_changed = n
        self.n_recomputed = n
        self._n_steps = 0
        self.reset()

    def reset(self):
        """Forget every lower bound: the next step recomputes every row not cleared by ``s``."""
        self.lower.fill(-np.inf)
        self._prev = None

    def step(self, codebook, bounds=None):
        """Assign every row to ``codebook`` and accumulate the per-codeword totals.

        Parameters
        ----------
        codebook : ndarray of shape (n_codewords, n_features)
            The number of codewords must not change between steps (call
            :meth:`reset` first otherwise).
        bounds : HamerlyBounds, optional
            Computed by the caller (:func:`hamerly_bounds`, once per pass for
            many chunks); None computes them from the previous step's codebook.

        Returns
        -------
        codes : ndarray of shape (n_samples,), int64
            This state's ``codes`` array (updated in place by the next step).
        sq_distances : ndarray of shape (n_samples,), dtype of ``X``
            This state's ``sq_distances`` array (updated in place by the next step).
        stats : AssignStats
        """
        with single_threaded_blas():
            return self._step(codebook, bounds)

    def _step(self, codebook, bounds=None):
        X = self.X
        n, d = X.shape
        C = np.ascontiguousarray(codebook, dtype=X.dtype)
        if C.ndim != 2 or C.shape[1] != d or C.shape[0] < 1:
            raise ParameterError(f"codebook has shape {C.shape}; expected (k, {d}) with k >= 1")
        k = C.shape[0]
        C64 = C.astype(np.float64)
        if bounds is None:
            if self._prev is not None and self._prev.shape != C64.shape:
                self.reset()
            bounds = hamerly_bounds(C64, self._prev, n_threads=self.n_threads)
            self._prev = C64
        fresh, s, sh1, sh2, jmax = bounds.fresh, bounds.s, bounds.sh1, bounds.sh2, bounds.jmax
        eps = float(np.finfo(X.dtype).eps)
        rel = 4.0 * eps
        cc = np.einsum("ij,ij->i", C64, C64)
        cmax2 = float(cc.max())
        # worst-case error of the search's value (a sum of d + 1 terms, GEMM or unrolled, in any
        # order): gemm_margin * (|x|^2 + 2 max|c|^2) on the squared distance
        gemm_margin = (d + 2) * eps
        negC, half_sq = _gemm_operands(C, cc)
        idx_dtype = _index_dtype(X.dtype)
        argmin, chunk_rows, work_size = _dense_search(k, d, X.dtype, self.chunk_rows)
        first = _first_equal(C, idx_dtype)  # equal codewords: the lowest index, whatever the search
        codes, lower, dist, w = self.codes, self.lower, self.sq_distances, self.w

        def block(start):
            stop = min(start + BLOCK_ROWS, n)
            m = stop - start
            Xb = X[start:stop]
            cb, lb, db = codes[start:stop], lower[start:stop], dist[start:stop]
            sums = np.zeros((k, d), dtype=np.float64)
            counts = np.zeros(k, dtype=np.float64)
            sse = np.zeros(k, dtype=np.float64)
            ws = w[start:stop] if w.shape[0] else w
            work = _scratch("work", (work_size,), X.dtype)
            best = _scratch("best", (m,), X.dtype)
            second = _scratch("second", (m,), X.dtype)
            idx = _scratch("idx", (m,), idx_dtype)
            if fresh:  # no valid bounds: every row, in order, no gather
                argmin(Xb, _NO_ROWS, False, negC, half_sq, chunk_rows, work, _NO_NORMS, best,
                       second, idx, True)
                if first is not None:
                    idx[:] = first[idx]
                changed = _hamerly_fresh_rows(Xb, C, idx, second, cb, lb, db, ws, sums, counts,
                                              sse, gemm_margin, cmax2, rel)
                return sums, counts, sse, changed, m
            fail = _scratch("fail", (m,), np.int64)
            fail_sq = _scratch("fail_sq", (m,), np.float64)
            nf = _hamerly_check(Xb, C, cb, lb, db, s, sh1, sh2, jmax, rel, fail, fail_sq, ws, sums,
                                counts, sse)
            rows, xx = fail[:nf], _scratch("xx", (nf,), np.float64)
            argmin(Xb, rows, True, negC, half_sq, chunk_rows, work, xx, best, second, idx, True)
            if first is not None:
                idx[:nf] = first[idx[:nf]]
            changed = _hamerly_rows(Xb, C, idx, second, rows, xx, fail_sq, cb, lb, ws, db, sums, counts,
                                    sse, gemm_margin, cmax2, rel)
            return sums, counts, sse, changed, nf

        sums = np.zeros((k, d), dtype=np.float64)
        counts = np.zeros(k, dtype=np.float64)
        sse = np.zeros(k, dtype=np.float64)
        n_changed = n_recomputed = 0
        for part in _map_ordered(block, list(range(0, n, BLOCK_ROWS)), self.n_threads):
            sums += part[0]  # in block order: the same sums whatever the number of threads
            counts += part[1]
            sse += part[2]
            n_changed += part[3]
            n_recomputed += part[4]
        self.n_changed = n if self._n_steps == 0 else n_changed
        self._n_steps += 1
        self.n_recomputed = n_recomputed
        return codes, dist, AssignStats(sums, counts, sse)


@dataclass(frozen=True)
class HamerlyBounds:
    """What a Hamerly step needs to know of the codebook move (the same for every row).

    Attributes
    ----------
    fresh : bool
        No previous codebook (first step, or after a reset): every row is searched.
    s : ndarray of shape (n_codewords,), float64
        Half the distance from each codeword to its nearest other one (a safe lower bound).
    sh1, sh2 : float
        Largest and second largest codeword shift since the previous step (0 when fresh).
    jmax : int
        The codeword that moved most (-1 when fresh).
    """

    fresh: bool
    s: np.ndarray
    sh1: float
    sh2: float
    jmax: int


def hamerly_bounds(codebook, previous=None, *, n_threads=1) -> HamerlyBounds:
    """The bounds of one step from ``codebook`` and the previous step's codebook.

    Parameters
    ----------
    codebook : ndarray of shape (n_codewords, n_features)
        In the rows' dtype (its float64 copy is what the step uses).
    previous : ndarray of shape (n_codewords, n_features) or None
        The codebook of the previous step (same shape), or None for a fresh step.
    n_threads : int

    Returns
    -------
    HamerlyBounds
    """
    C64 = np.ascontiguousarray(codebook, dtype=np.float64)
    fresh = previous is None or np.shape(previous) != C64.shape
    # largest and second largest shift (another codeword's largest shift, per row)
    if fresh:
        sh1 = sh2 = 0.0
        jmax = -1
    else:
        diff = C64 - np.asarray(previous, dtype=np.float64)
        shift = np.sqrt(np.einsum("ij,ij->i", diff, diff)) * (1.0 + 1e-12)
        jmax = int(np.argmax(shift))
        sh1 = float(shift[jmax])
        shift[jmax] = 0.0
        sh2 = float(shift.max())
    cc = np.einsum("ij,ij->i", C64, C64)
    s = _half_min_separation(C64, cc, _check_threads(n_threads))
    return HamerlyBounds(bool(fresh), s, sh1, sh2, jmax)


def hamerly_chunk_step(X, codebook, bounds, *, codes=None, lower=None, sample_weight=None,
                       chunk_rows=None, n_threads=1) -> HamerlyState:
    """One Hamerly step over rows whose bounds are kept by the caller (a chunk on a Dask worker).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
    codebook : ndarray of shape (n_codewords, n_features)
    bounds : HamerlyBounds
        From :func:`hamerly_bounds` (the previous codebook is the one ``lower`` was kept for).
    codes : ndarray of shape (n_samples,), int, optional
        Codes of the previous step (None on the first step: every code counts as changed).
    lower : ndarray of shape (n_samples,), optional
        Lower bounds of the previous step; needed unless ``bounds.fresh``.
    sample_weight, chunk_rows, n_threads
        See :class:`HamerlyState`.

    Returns
    -------
    HamerlyState
        After the step: ``codes``, ``sq_distances``, ``lower``, ``n_changed``,
        ``n_recomputed``, and ``stats`` (:class:`AssignStats`). The inputs are
        not modified.
    """
    state = HamerlyState(X, sample_weight=sample_weight, chunk_rows=chunk_rows, n_threads=n_threads)
    if codes is not None:
        state.codes[:] = codes
        state._n_steps = 1  # changes are counted against ``codes``
    if not bounds.fresh:
        if lower is None or codes is None:
            raise ParameterError("a bounded Hamerly step needs the previous codes and lower bounds")
        state.lower[:] = lower
    state.stats = state.step(codebook, bounds)[2]
    return state


def _half_min_separation(C64, cc, n_threads=1):
    """``s_j``: a lower bound on half the distance from codeword ``j`` to its nearest other one.

    Row blocks of the ``k x k`` distance matrix go to the worker threads (call
    it with single-threaded BLAS).
    """
    k, d = C64.shape
    s = np.full(k, np.inf)
    if k == 1:
        return s
    margin = 4.0 * (d + 4) * float(np.finfo(np.float64).eps)

    def rows(a):
        b = min(a + 256, k)
        D = cc[a:b, None] + cc[None, :] - 2.0 * (C64[a:b] @ C64.T)
        D -= margin * (cc[a:b, None] + cc[None, :])
        D[np.arange(b - a), np.arange(a, b)] = np.inf
        s[a:b] = 0.5 * np.sqrt(np.maximum(D.min(axis=1), 0.0)) * (1.0 - 1e-12)

    for _ in _map_ordered(rows, list(range(0, k, 256)), n_threads):
        pass
    return s


# --------------------------------------------------------------------------- numba


@numba.njit(nogil=True, cache=True)
def _hamerly_check(X, C, codes, lower, dist, s, sh1, sh2, jmax, rel, fail, fail_sq, w, sums, counts,
                   sse):
    """Exact distance to the current codeword, bound update and test.

    Rows that keep their code are accumulated here; the failing rows are
    written to ``fail`` and their float64 squared distance to their current
    codeword to ``fail_sq`` (their number is returned).
    """
    n = X.shape[0]
    nf = 0
    # the test sqrt(acc) * (1 + rel) < bound, squared: no square root per row (16 -> 14 ns/row at
    # d = 13). 1 + 3 rel > (1 + rel)^2 leaves rel - rel^2 >= 3 float64 eps for the three roundings
    keep = 1.0 + 3.0 * rel
    for i in range(n):
        a = codes[i]
        acc = _row_sq_dist(X, i, C, a)
        dist[i] = acc
        old = np.float64(lower[i])
        sh = sh2 if a == jmax else sh1
        lo = old - sh
        lo -= rel * (abs(old) + sh)  # never above the true bound after rounding to the dtype
        lower[i] = lo
        bound = lo if lo > s[a] else s[a]
        if not (bound > 0.0 and acc * keep < bound * bound):
            fail[nf] = i
            fail_sq[nf] = acc
            nf += 1
        else:
            _add_row(X, i, a, w, acc, sums, counts, sse)
    return nf


@numba.njit(nogil=True, cache=True, inline="always")
def _lower_bound(xx, b2, gemm_margin, cmax2, rel):
    """A safe lower bound on the distance to the second nearest codeword, from its search value ``b2``.

    ``b2`` approximates ``|c|^2/2 - x.c``; the worst-case rounding error
    (``gemm_margin * (|x|^2 + 2 max|c|^2)`` on the squared distance) is taken off.
    """
    if b2 == np.inf:  # a single codeword
        return np.inf
    d2 = xx + 2.0 * b2 - gemm_margin * (xx + 2.0 * cmax2)
    lo = np.sqrt(d2) if d2 > 0.0 else 0.0
    return lo * (1.0 - rel)


@numba.njit(nogil=True, cache=True)
def _hamerly_fresh_rows(X, C, idx, second, codes, lower, dist, w, sums, counts, sse, gemm_margin,
                        cmax2, rel):
    """Rows of a fully recomputed chunk, in row order: code, lower bound, exact distance, totals."""
    changed = 0
    for i in range(X.shape[0]):
        a = idx[i]
        if codes[i] != a:
            changed += 1
            codes[i] = a
        xx = 0.0
        for t in range(X.shape[1]):
            v = np.float64(X[i, t])
            xx += v * v
        lower[i] = _lower_bound(xx, np.float64(second[i]), gemm_margin, cmax2, rel)
        acc = _row_sq_dist(X, i, C, a)
        dist[i] = acc
        _add_row(X, i, a, w, acc, sums, counts, sse)
    return changed


@numba.njit(nogil=True, cache=True)
def _hamerly_rows(X, C, j1, second, rows, xx, fail_sq, codes, lower, w, dist, sums, counts, sse,
                  gemm_margin, cmax2, rel):
    """The recomputed rows (in row order): new code, safe lower bound, exact distance and totals.

    A row whose code did not change keeps the squared distance the check
    computed (``fail_sq``, the same float64 value): most recomputed rows keep
    their code, and this skips their second distance computation.
    """
    changed = 0
    for r in range(rows.shape[0]):
        i = rows[r]
        a = j1[r]
        if codes[i] != a:
            changed += 1
            codes[i] = a
            acc = _row_sq_dist(X, i, C, a)
            dist[i] = acc
        else:
            acc = fail_sq[r]  # dist[i] already holds it (written by the check)
        lower[i] = _lower_bound(xx[r], np.float64(second[r]), gemm_margin, cmax2, rel)
        _add_row(X, i, a, w, acc, sums, counts, sse)
    return changed
