"""The hot loops: assignment of observations to codewords and per-codeword accumulation.

Every algorithm in vqtoolkit (Lloyd, LBG, k-means++, mini-batch, spherical
k-means, G-means …) and the Dask engine compute distances here and nowhere
else.

How it works
------------
The rows of ``X`` are cut into *blocks* of ``BLOCK_ROWS`` rows. Blocks are
processed by a pool of Python threads, each running single-threaded BLAS and
numba functions that release the GIL. Dense squared Euclidean, per block:

1. the nearest codeword of every row, as the argmin over ``j`` of
   ``|c_j|^2 / 2 - x_i . c_j`` (half the squared distance minus
   ``|x_i|^2 / 2``; first index on ties), ``chunk_rows`` rows at a time, by
   one of two searches with the same results up to rounding:

   - few features (``d <= 16`` where numba compiles AVX-512 code, ``d <= 8``
     otherwise): a numba loop with the feature loop unrolled for this ``d``,
     two codewords per sweep over the (transposed) rows, vectorized over rows
     (:mod:`vqtoolkit._unrolled`; ``d = 13, k = 256``: 47 ns/row against 88);
   - otherwise one GEMM, ``(-C) @ X_chunk.T`` (``k x chunk``, in the dtype of
     ``X``; BLAS reads the rows transposed, no copy), then a numba column
     argmin that runs down the codewords and across the rows, so it
     vectorizes over rows (a per-row argmin over ``k`` values does not; at
     ``d = 13, k = 64`` NumPy's took 9 ms of a 16 ms pass, this 1 ms);

2. one numba pass per row: the exact squared distance to the chosen
   codeword (computed from the difference in float64, not from the expansion,
   so it never goes negative or loses digits), and the weighted per-codeword
   sums, counts and distortion.

CSR input uses a fused numba sparse-dense product + argmin per row; L1
(``metric='cityblock'``) a direct numba distance loop.

:class:`HamerlyState` runs the same dense pass with Hamerly's bounds (one
lower bound per row): rows whose bounds prove their code cannot change skip
the search; the others are gathered and go through the search above, which
also gives their second smallest value (the new lower bound).

Memory stays bounded by ``n_threads * chunk_rows * (k + d)`` plus a few
numbers per row of a block (never an ``n x k`` matrix). Partial sums are
float64 and are added block by block *in block order*, and a row's code never
depends on which chunk or thread it was in, so the result is bit-identical
whatever the number of threads.

Shapes: ``X`` is ``(n_samples, n_features)``, float32 or float64, dense
C-contiguous or ``scipy.sparse`` CSR; ``codebook`` is ``(n_codewords,
n_features)`` of the same dtype.
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import numba
import numpy as np
import scipy.linalg.cython_blas  # noqa: F401  the BLAS numba's np.dot calls: loaded before threadpoolctl looks
import scipy.sparse as sp
from threadpoolctl import ThreadpoolController

from . import _unrolled
from .errors import ParameterError

__all__ = [
    "AssignStats",
    "HamerlyState",
    "assign",
    "assign_accumulate",
    "accumulate",
    "pairwise_sq_distances",
    "min_sq_distances",
    "default_n_threads",
    "single_threaded_blas",
    "column_moments",
    "all_finite",
    "BLOCK_ROWS",
]

BLOCK_ROWS = 8192


@dataclass(frozen=True)
class AssignStats:
    """Per-codeword totals of one assignment pass.

    Attributes
    ----------
    sums : ndarray of shape (n_codewords, n_features), float64
        Weighted sum of the observations assigned to each codeword.
    counts : ndarray of shape (n_codewords,), float64
        Total weight assigned to each codeword.
    sse : ndarray of shape (n_codewords,), float64
        Weighted sum of squared distances of each codeword's observations.
    """

    sums: np.ndarray
    counts: np.ndarray
    sse: np.ndarray

    @property
    def total_sse(self) -> float:
        """Weighted sum of squared distances over all observations."""
        return float(self.sse.sum())

    def __add__(self, other: AssignStats) -> AssignStats:
        return AssignStats(self.sums + other.sums, self.counts + other.counts, self.sse + other.sse)


def default_n_threads() -> int:
    """Number of threads used when ``n_threads=None``: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def assign(X, codebook, *, metric="sqeuclidean", chunk_rows=None, n_threads=None):
    """Nearest codeword of every observation.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
    codebook : ndarray of shape (n_codewords, n_features)
    chunk_rows : int, optional
        Rows per search step (at most ``BLOCK_ROWS``); by default 512 (for
        GEMM fewer above ``n_codewords = 1024``; for the unrolled search 256
        with float64 data of 9-16 features, so the transposed chunk fits in
        L1), the fastest measured for both searches.
        Results do not depend on it except, for float32 data, on exact
        near-ties of the GEMM (a row's code comes from a different GEMM call).
    n_threads : int, optional
        Worker threads; ``None`` uses every available CPU. Results never
        depend on it (bit-identical).
    metric : {'sqeuclidean', 'cityblock'}
        ``'cityblock'`` (L1, dense input only) computes the distances directly
        instead of through a GEMM.

    Returns
    -------
    codes : ndarray of shape (n_samples,), int64
        Index of the nearest codeword (the lowest index on ties).
    distances : ndarray of shape (n_samples,), dtype of ``X``
        Squared Euclidean distance to that codeword (L1 distance for
        ``metric='cityblock'``).
    """
    codes, dist, _ = _run(X, codebook, None, False, chunk_rows, n_threads, metric)
    return codes, dist


def assign_accumulate(X, codebook, *, sample_weight=None, metric="sqeuclidean", chunk_rows=None,
                      n_threads=None):
    """Assign every observation and accumulate per-codeword sums in one pass.

    This is one Lloyd iteration minus the division; it is the function the
    local engine and the Dask engine map over chunks.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
    codebook : ndarray of shape (n_codewords, n_features)
    sample_weight : ndarray of shape (n_samples,), optional
        Non-negative weights; a weight of 2 counts like a repeated row.
    metric, chunk_rows, n_threads
        See :func:`assign`.

    Returns
    -------
    codes : ndarray of shape (n_samples,), int64
    sq_distances : ndarray of shape (n_samples,), dtype of ``X``
    stats : AssignStats
        Per-codeword weighted sums, counts and squared-distance totals (float64).
    """
    return _run(X, codebook, sample_weight, True, chunk_rows, n_threads, metric)


def accumulate(X, codes, n_codewords, *, sample_weight=None):
    """Per-codeword weighted sums and counts for given codes (no distances).

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
    codes : ndarray of shape (n_samples,), int
    n_codewords : int
    sample_weight : ndarray of shape (n_samples,), optional

    Returns
    -------
    sums : ndarray of shape (n_codewords, n_features), float64
    counts : ndarray of shape (n_codewords,), float64
    """
    n = X.shape[0]
    codes = np.ascontiguousarray(codes, dtype=np.int64)
    w = _weights(sample_weight, n)
    sums = np.zeros((n_codewords, X.shape[1]), dtype=np.float64)
    counts = np.zeros(n_codewords, dtype=np.float64)
    if sp.issparse(X):
        X = sp.csr_matrix(X)
        _sparse_accumulate(X.indptr, X.indices, X.data, codes, w, sums, counts)
    else:
        _dense_accumulate(np.ascontiguousarray(X), codes, w, sums, counts)
    return sums, counts


def pairwise_sq_distances(X, Y, *, n_threads=None):
    """Squared Euclidean distances between every row of ``X`` and every row of ``Y``.

    Computed block by block (single-threaded BLAS per thread), so the result is
    bit-identical whatever the number of threads.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
    Y : ndarray of shape (n_codewords, n_features)
    n_threads : int, optional

    Returns
    -------
    ndarray of shape (n_samples, n_codewords), dtype of ``X``, clipped at 0.
    """
    sparse = sp.issparse(X)
    X = sp.csr_matrix(X) if sparse else np.asarray(X)
    Y = np.ascontiguousarray(Y, dtype=X.dtype)
    yy = np.einsum("ij,ij->i", Y, Y)
    out = np.empty((X.shape[0], Y.shape[0]), dtype=X.dtype)

    def block(start):
        Xb = X[start : start + BLOCK_ROWS]
        if sparse:
            xx = np.asarray(Xb.multiply(Xb).sum(axis=1)).ravel()
            g = np.asarray(Xb @ Y.T)
        else:
            xx = np.einsum("ij,ij->i", Xb, Xb)
            g = Xb @ Y.T
        d = xx[:, None] - 2 * g + yy[None, :]
        np.maximum(d, 0, out=d)
        out[start : start + Xb.shape[0]] = d

    _map_blocks(block, X.shape[0], n_threads)
    return out


def _map_blocks(fn, n, n_threads):
    """Call ``fn(start)`` for every block start, in parallel, single-threaded BLAS; ordered results."""
    starts = list(range(0, n, BLOCK_ROWS))
    with single_threaded_blas():
        return list(_map_ordered(fn, starts, _check_threads(n_threads)))


def min_sq_distances(X, centers, current=None, *, n_threads=None):
    """Squared distance from every row to its nearest center, optionally min-ed with ``current``.

    Used by k-means++ seeding: adding one center only needs the distances to
    that center.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
    centers : ndarray of shape (n_centers, n_features)
    current : ndarray of shape (n_samples,), optional

    Returns
    -------
    ndarray of shape (n_samples,), float64
    """
    _, dist = assign(X, centers, n_threads=n_threads)
    dist = dist.astype(np.float64)
    if current is not None:
        np.minimum(dist, current, out=dist)
    return dist


def column_moments(X, sample_weight=None):
    """Weighted mean and (population) variance of every column, in float64, in one pass.

    The sums are taken about the first row (shifted data), so the variance of
    data far from the origin keeps its digits.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), dense
    sample_weight : ndarray of shape (n_samples,), optional

    Returns
    -------
    mean, var : ndarray of shape (n_features,), float64
    """
    X = np.asarray(X)
    if not X.flags.c_contiguous:
        X = np.ascontiguousarray(X)
    w = np.ones(0) if sample_weight is None else _weights(sample_weight, X.shape[0])
    s1 = np.zeros(X.shape[1])
    s2 = np.zeros(X.shape[1])
    total = _shifted_sums(X, w, s1, s2)
    shift = X[0].astype(np.float64)
    m1 = s1 / total
    return shift + m1, np.maximum(s2 / total - m1 * m1, 0.0)


def all_finite(X) -> bool:
    """True when no entry of the dense array ``X`` is NaN or infinite (no temporary array)."""
    X = np.asarray(X)
    if X.dtype.kind != "f":
        return bool(np.isfinite(X).all())
    return bool(_all_finite(X.ravel(order="K")))  # a view for C- and F-ordered arrays


# --------------------------------------------------------------------------- Hamerly


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

    def step(self, codebook):
        """Assign every row to ``codebook`` and accumulate the per-codeword totals.

        Parameters
        ----------
        codebook : ndarray of shape (n_codewords, n_features)
            The number of codewords must not change between steps (call
            :meth:`reset` first otherwise).

        Returns
        -------
        codes : ndarray of shape (n_samples,), int64
            This state's ``codes`` array (updated in place by the next step).
        sq_distances : ndarray of shape (n_samples,), dtype of ``X``
            This state's ``sq_distances`` array (updated in place by the next step).
        stats : AssignStats
        """
        with single_threaded_blas():
            return self._step(codebook)

    def _step(self, codebook):
        X = self.X
        n, d = X.shape
        C = np.ascontiguousarray(codebook, dtype=X.dtype)
        if C.ndim != 2 or C.shape[1] != d or C.shape[0] < 1:
            raise ParameterError(f"codebook has shape {C.shape}; expected (k, {d}) with k >= 1")
        k = C.shape[0]
        C64 = C.astype(np.float64)
        if self._prev is not None and self._prev.shape != C64.shape:
            self.reset()
        eps = float(np.finfo(X.dtype).eps)
        rel = 4.0 * eps
        # after a reset every row is recomputed: no bound, and old codes may not exist any more
        fresh = self._prev is None
        # largest and second largest shift (another codeword's largest shift, per row)
        if fresh:
            sh1 = sh2 = 0.0
            jmax = -1
        else:
            diff = C64 - self._prev
            shift = np.sqrt(np.einsum("ij,ij->i", diff, diff)) * (1.0 + 1e-12)
            jmax = int(np.argmax(shift))
            sh1 = float(shift[jmax])
            shift[jmax] = 0.0
            sh2 = float(shift.max())
        self._prev = C64
        cc = np.einsum("ij,ij->i", C64, C64)
        s = _half_min_separation(C64, cc, self.n_threads)
        cmax2 = float(cc.max())
        # worst-case error of the search's value (a sum of d + 1 terms, GEMM or unrolled, in any
        # order): gemm_margin * (|x|^2 + 2 max|c|^2) on the squared distance
        gemm_margin = (d + 2) * eps
        negC, half_sq = _gemm_operands(C, cc)
        idx_dtype = _index_dtype(X.dtype)
        argmin, chunk_rows, work_size = _dense_search(k, d, X.dtype, self.chunk_rows)
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
                changed = _hamerly_fresh_rows(Xb, C, idx, second, cb, lb, db, ws, sums, counts,
                                              sse, gemm_margin, cmax2, rel)
                return sums, counts, sse, changed, m
            fail = _scratch("fail", (m,), np.int64)
            nf = _hamerly_check(Xb, C, cb, lb, db, s, sh1, sh2, jmax, rel, fail, ws, sums, counts,
                                sse)
            rows, xx = fail[:nf], _scratch("xx", (nf,), np.float64)
            argmin(Xb, rows, True, negC, half_sq, chunk_rows, work, xx, best, second, idx, True)
            changed = _hamerly_rows(idx, second, rows, xx, cb, lb, gemm_margin, cmax2, rel)
            _hamerly_finish(Xb, C, cb, rows, ws, db, sums, counts, sse)
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


# --------------------------------------------------------------------------- engine


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


_NO_ROWS = np.zeros(0, dtype=np.int64)
_NO_NORMS = np.zeros(0, dtype=np.float64)


def _index_dtype(dtype):
    """Codes of the searches' argmin: the width of the data, so the loops vectorize evenly."""
    return np.int32 if np.dtype(dtype).itemsize == 4 else np.int64


def _weights(sample_weight, n):
    if sample_weight is None:
        return np.ones(n, dtype=np.float64)
    w = np.ascontiguousarray(sample_weight, dtype=np.float64)
    if w.shape != (n,):
        raise ParameterError(f"sample_weight has shape {w.shape}; expected ({n},)")
    return w


_LOCK = threading.Lock()
_CONTROLLER = None
_BLAS_DEPTH = 0
_BLAS_LIMITER = None
_POOL = None
_POOL_SIZE = 0
_SCRATCH = threading.local()
_SCRATCH_MAX_BYTES = 64 << 20


@contextmanager
def single_threaded_blas():
    """Single-threaded BLAS while at least one kernel call is running (re-entrant, thread-safe).

    The kernels parallelise over row blocks with their own threads, each
    calling single-threaded BLAS. The limit is process-wide in OpenBLAS, so
    concurrent callers share one limiter: the first one in sets it, the last
    one out restores it. Hold it around a whole loop of kernel calls (as
    :func:`vqtoolkit.lloyd.lloyd` does): restoring the limit between passes
    wakes BLAS's own threads, which then spin and take the cores from the
    kernel threads (measured: the next pass took twice its CPU time).
    """
    global _CONTROLLER, _BLAS_DEPTH, _BLAS_LIMITER
    with _LOCK:
        if _BLAS_DEPTH == 0:
            if _CONTROLLER is None:
                _CONTROLLER = ThreadpoolController()
            _BLAS_LIMITER = _CONTROLLER.limit(limits=1, user_api="blas")
        _BLAS_DEPTH += 1
    try:
        yield
    finally:
        with _LOCK:
            _BLAS_DEPTH -= 1
            if _BLAS_DEPTH == 0 and _BLAS_LIMITER is not None:
                _BLAS_LIMITER.restore_original_limits()
                _BLAS_LIMITER = None


def _pool(n_threads):
    """A persistent worker pool (creating threads on every call costs ~0.1 ms)."""
    global _POOL, _POOL_SIZE
    with _LOCK:
        if _POOL is None or _POOL_SIZE != n_threads:
            old = _POOL
            _POOL = ThreadPoolExecutor(n_threads, thread_name_prefix="vqtoolkit-kernels")
            _POOL_SIZE = n_threads
            if old is not None:
                old.shutdown(wait=False)
        return _POOL


def _reset_after_fork():  # pragma: no cover - runs in forked children
    global _LOCK, _POOL, _POOL_SIZE, _BLAS_DEPTH, _BLAS_LIMITER, _SCRATCH
    _LOCK = threading.Lock()
    _POOL, _POOL_SIZE = None, 0
    _BLAS_DEPTH, _BLAS_LIMITER = 0, None
    _SCRATCH = threading.local()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def _scratch(name, shape, dtype):
    """A per-thread work buffer, reused across chunks and calls (kept when small)."""
    size = math.prod(shape)
    buf = getattr(_SCRATCH, name, None)
    if buf is None or buf.dtype != dtype or buf.size < size:
        buf = np.empty(size, dtype=dtype)
        if buf.nbytes <= _SCRATCH_MAX_BYTES:
            setattr(_SCRATCH, name, buf)
    return buf[:size].reshape(shape)


def _map_ordered(fn, starts, n_threads):
    """``fn(start)`` for every start, on the pool, results in order of ``starts``."""
    if n_threads == 1 or len(starts) <= 1:
        return map(fn, starts)
    return _pool(n_threads).map(fn, starts)


def _run(X, codebook, sample_weight, with_stats, chunk_rows, n_threads, metric="sqeuclidean"):
    if metric not in ("sqeuclidean", "cityblock"):
        raise ParameterError(f"metric={metric!r} is not one of ('sqeuclidean', 'cityblock')")
    sparse = sp.issparse(X)
    if sparse and metric == "cityblock":
        raise ParameterError("metric='cityblock' needs dense input; got a sparse matrix")
    if sparse:
        X = sp.csr_matrix(X)
        if not X.has_sorted_indices:
            X = X.sorted_indices()
    else:
        X = np.asarray(X)
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        if not X.flags.c_contiguous:
            X = np.ascontiguousarray(X)
    if X.ndim != 2:
        raise ParameterError(f"X has shape {X.shape}; expected (n_samples, n_features)")
    n, d = X.shape
    C = np.ascontiguousarray(codebook, dtype=X.dtype)
    if C.ndim != 2 or C.shape[1] != d or C.shape[0] < 1:
        raise ParameterError(f"codebook has shape {C.shape}; expected (k, {d}) with k >= 1")
    k = C.shape[0]
    if chunk_rows is not None and int(chunk_rows) < 1:
        raise ParameterError(f"chunk_rows={chunk_rows} must be a positive integer")
    n_threads = _check_threads(n_threads)
    # unit weights are an empty array (no O(n) allocation)
    w = _weights(sample_weight, n) if with_stats and sample_weight is not None else np.ones(0)
    C64 = C.astype(np.float64, copy=False)
    c_sq = np.einsum("ij,ij->i", C64, C64)
    del C64
    dense_l2 = not sparse and metric == "sqeuclidean"
    if dense_l2:
        # (-C) @ X.T + |c|^2 / 2 = |c|^2/2 - x.c : its column argmin is the nearest codeword
        negC, half_sq = _gemm_operands(C, c_sq)
        idx_dtype = _index_dtype(X.dtype)
        argmin, chunk_rows, work_size = _dense_search(k, d, X.dtype, chunk_rows)
    else:
        chunk_rows = min(int(chunk_rows or _default_chunk_rows(k, d)), BLOCK_ROWS)
    CT = np.ascontiguousarray(C.T) if sparse else None
    codes = np.empty(n, dtype=np.int64)
    dist = np.empty(n, dtype=X.dtype)

    # CSR rows can be very wide (a vocabulary): their per-codeword sums are added in one
    # sequential pass after the assignment instead of one k x d buffer per block
    block_sums = with_stats and not sparse

    def block(start):
        stop = min(start + BLOCK_ROWS, n)
        sums = np.zeros((k, d) if block_sums else (0, d), dtype=np.float64)
        counts = np.zeros(k if with_stats else 0, dtype=np.float64)
        sse = np.zeros(k if with_stats else 0, dtype=np.float64)
        if dense_l2:  # codes of the whole block (one numba call), then distances and totals
            m = stop - start
            idx = _scratch("idx", (m,), idx_dtype)
            best = _scratch("best", (m,), X.dtype)
            argmin(X[start:stop], _NO_ROWS, False, negC, half_sq, chunk_rows,
                   _scratch("work", (work_size,), X.dtype), _NO_NORMS, best, best, idx, False)
            _dense_finish(X[start:stop], C, idx, codes[start:stop],
                          w[start:stop] if w.shape[0] else w, dist[start:stop], sums, counts, sse,
                          with_stats)
            return sums, counts, sse
        for s in range(start, stop, chunk_rows):
            e = min(s + chunk_rows, stop)
            ws = w[s:e] if w.shape[0] else w
            if sparse:
                a, b = X.indptr[s], X.indptr[e]
                _sparse_chunk(
                    X.indptr[s : e + 1] - a, X.indices[a:b], X.data[a:b], CT, c_sq, C,
                    ws, codes[s:e], dist[s:e], counts, sse, with_stats,
                )
            else:
                _l1_chunk(X[s:e], C, ws, codes[s:e], dist[s:e], sums, counts, sse, with_stats)
        return sums, counts, sse

    sums = np.zeros((k, d), dtype=np.float64)
    counts = np.zeros(k, dtype=np.float64)
    sse = np.zeros(k, dtype=np.float64)
    with single_threaded_blas():
        for part in _map_ordered(block, list(range(0, n, BLOCK_ROWS)), n_threads):
            if with_stats:  # in block order: the same sums whatever the number of threads
                if block_sums:
                    sums += part[0]
                counts += part[1]
                sse += part[2]
    if with_stats and sparse:
        _sparse_sums(X.indptr, X.indices, X.data, codes, w, sums)
    return codes, dist, (AssignStats(sums, counts, sse) if with_stats else None)


def _check_threads(n_threads):
    if n_threads is None:
        return default_n_threads()
    if int(n_threads) < 1:
        raise ParameterError(f"n_threads={n_threads} must be a positive integer or None")
    return int(n_threads)


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
def _dense_finish(X, C, idx, codes, w, dist, sums, counts, sse, with_stats):
    for i in range(X.shape[0]):
        bj = idx[i]
        codes[i] = bj
        s = _row_sq_dist(X, i, C, bj)
        dist[i] = s
        if with_stats:
            _add_row(X, i, bj, w, s, sums, counts, sse)


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


@numba.njit(nogil=True, cache=True)
def _hamerly_check(X, C, codes, lower, dist, s, sh1, sh2, jmax, rel, fail, w, sums, counts, sse):
    """Exact distance to the current codeword, bound update and test.

    Rows that keep their code are accumulated here; the failing rows are
    written to ``fail`` (their number is returned).
    """
    n = X.shape[0]
    nf = 0
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
        if np.sqrt(acc) * (1.0 + rel) >= bound:
            fail[nf] = i
            nf += 1
        else:
            _add_row(X, i, a, w, acc, sums, counts, sse)
    return nf


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
def _hamerly_rows(j1, second, idx, xx, codes, lower, gemm_margin, cmax2, rel):
    """New codes of the recomputed rows and a safe lower bound from the second smallest search value."""
    changed = 0
    for r in range(idx.shape[0]):
        i = idx[r]
        if codes[i] != j1[r]:
            changed += 1
            codes[i] = j1[r]
        lower[i] = _lower_bound(xx[r], np.float64(second[r]), gemm_margin, cmax2, rel)
    return changed


@numba.njit(nogil=True, cache=True)
def _hamerly_finish(X, C, codes, recomputed, w, dist, sums, counts, sse):
    """Exact distances and per-codeword totals of the recomputed rows (in row order)."""
    for r in range(recomputed.shape[0]):
        i = recomputed[r]
        bj = codes[i]
        acc = _row_sq_dist(X, i, C, bj)
        dist[i] = acc
        _add_row(X, i, bj, w, acc, sums, counts, sse)


@numba.njit(nogil=True, cache=True)
def _shifted_sums(X, w, s1, s2):
    """Weighted sums of ``x - x_0`` and its square per column; returns the total weight."""
    n, d = X.shape
    total = 0.0
    for i in range(n):
        wi = w[i] if w.shape[0] else 1.0
        total += wi
        for t in range(d):
            v = np.float64(X[i, t]) - np.float64(X[0, t])
            s1[t] += wi * v
            s2[t] += wi * v * v
    return total


@numba.njit(nogil=True, cache=True)
def _all_finite(a):
    for i in range(a.shape[0]):
        if not np.isfinite(a[i]):
            return False
    return True


@numba.njit(nogil=True, cache=True)
def _dense_accumulate(X, codes, w, sums, counts):
    n, d = X.shape
    for i in range(n):
        c = codes[i]
        counts[c] += w[i]
        for t in range(d):
            sums[c, t] += w[i] * X[i, t]


@numba.njit(nogil=True, cache=True)
def _sparse_accumulate(indptr, indices, data, codes, w, sums, counts):
    n = indptr.shape[0] - 1
    for i in range(n):
        c = codes[i]
        counts[c] += w[i]
        for p in range(indptr[i], indptr[i + 1]):
            sums[c, indices[p]] += w[i] * data[p]
