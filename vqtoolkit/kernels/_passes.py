"""The passes over the rows: the public entry points and the dispatch of a pass to the kernels.

:func:`_run` checks the arguments of an assignment pass, cuts the rows into
blocks for the worker pool (:mod:`._pool`) and sends each block to the dense
(:mod:`._dense`), CSR (:mod:`._sparse`) or L1 (:mod:`._l1`) kernels, adding
the per-codeword totals in block order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import scipy.sparse as sp

from ..errors import ParameterError
from ._dense import (
    _NO_NORMS,
    _NO_ROWS,
    _default_chunk_rows,
    _dense_accumulate,
    _dense_finish,
    _dense_search,
    _first_equal,
    _gemm_operands,
    _index_dtype,
)
from ._l1 import _l1_chunk
from ._pool import BLOCK_ROWS, _check_threads, _map_blocks, _map_ordered, _scratch, single_threaded_blas
from ._sparse import (
    _codeword_ranges,
    _has_duplicates,
    _sparse_accumulate,
    _sparse_search,
    _sparse_sums_range,
    _transpose_codebook,
)


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


def finite_peak(X) -> tuple[bool, float]:
    """``(all entries finite, largest absolute value)`` of a dense array, in one pass, no temporary.

    The peak is 0.0 when an entry is not finite. float32 / float64 entries are
    read as unsigned integers: without the sign bit, their order is the order
    of the absolute values and every value at or above the bits of ``inf`` is
    inf or NaN, so the pass is an integer max that vectorizes (200,000 x 13
    float32: 3 ms -> 0.3 ms, one thread).
    """
    X = np.asarray(X)
    if X.dtype.kind != "f":
        X = X.astype(np.float64)
    if X.size == 0:
        return True, 0.0
    flat = X.ravel(order="K")
    if flat.dtype in (np.float32, np.float64):
        uint = np.uint32 if flat.dtype == np.float32 else np.uint64
        inf_bits = np.array(np.inf, dtype=flat.dtype).view(uint)[()]
        top = _abs_bits_max(flat.view(uint), uint(inf_bits - 1) | inf_bits)  # mask: all but the sign
        if top >= inf_bits:
            return False, 0.0
        return True, float(np.array(top, dtype=uint).view(flat.dtype)[()])
    ok, peak = _finite_peak(flat)
    return bool(ok), float(peak)


def _weights(sample_weight, n):
    if sample_weight is None:
        return np.ones(n, dtype=np.float64)
    w = np.ascontiguousarray(sample_weight, dtype=np.float64)
    if w.shape != (n,):
        raise ParameterError(f"sample_weight has shape {w.shape}; expected ({n},)")
    return w


def _run(X, codebook, sample_weight, with_stats, chunk_rows, n_threads, metric="sqeuclidean"):
    if metric not in ("sqeuclidean", "cityblock"):
        raise ParameterError(f"metric={metric!r} is not one of ('sqeuclidean', 'cityblock')")
    sparse = sp.issparse(X)
    if sparse and metric == "cityblock":
        raise ParameterError("metric='cityblock' needs dense input; got a sparse matrix")
    if sparse:
        X = _csr(X)
    else:
        X = np.asarray(X)
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        if not X.flags.c_contiguous:
            X = np.ascontiguousarray(X)
    if X.ndim != 2:
        raise ParameterError(f"X has shape {X.shape}; expected (n_samples, n_features)")
    n, d = X.shape
    C = np.asarray(codebook)
    # CSR: cast to X's dtype while transposing (_sparse_codebook), not in a copy of C
    C = np.ascontiguousarray(C, dtype=None if sparse and C.dtype in (np.float32, np.float64) else X.dtype)
    if C.ndim != 2 or C.shape[1] != d or C.shape[0] < 1:
        raise ParameterError(f"codebook has shape {C.shape}; expected (k, {d}) with k >= 1")
    k = C.shape[0]
    if chunk_rows is not None and int(chunk_rows) < 1:
        raise ParameterError(f"chunk_rows={chunk_rows} must be a positive integer")
    n_threads = _check_threads(n_threads)
    # unit weights are an empty array (no O(n) allocation)
    w = _weights(sample_weight, n) if with_stats and sample_weight is not None else np.ones(0)
    if sparse:  # C^T and |c|^2 in one pass over the codebook (no float64 copy)
        CT = _scratch("sparse_ct", (d, k), X.dtype)
        c_sq = np.empty(k, dtype=np.float64)
        _transpose_codebook(C, CT, c_sq, n_threads)
        return _run_sparse(X, CT, c_sq, w, with_stats, n_threads)
    C64 = C.astype(np.float64, copy=False)
    c_sq = np.einsum("ij,ij->i", C64, C64)
    del C64
    dense_l2 = not sparse and metric == "sqeuclidean"
    if dense_l2:
        # (-C) @ X.T + |c|^2 / 2 = |c|^2/2 - x.c : its column argmin is the nearest codeword
        negC, half_sq = _gemm_operands(C, c_sq)
        idx_dtype = _index_dtype(X.dtype)
        argmin, chunk_rows, work_size = _dense_search(k, d, X.dtype, chunk_rows)
        first = _first_equal(C, idx_dtype)  # equal codewords: the lowest index, whatever the search
    else:
        chunk_rows = min(int(chunk_rows or _default_chunk_rows(k, d)), BLOCK_ROWS)
    codes = np.empty(n, dtype=np.int64)
    dist = np.empty(n, dtype=X.dtype)

    block_sums = with_stats

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
            if first is not None:
                idx[:] = first[idx]
            _dense_finish(X[start:stop], C, idx, codes[start:stop],
                          w[start:stop] if w.shape[0] else w, dist[start:stop], sums, counts, sse,
                          with_stats)
            return sums, counts, sse
        for s in range(start, stop, chunk_rows):
            e = min(s + chunk_rows, stop)
            ws = w[s:e] if w.shape[0] else w
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
    return codes, dist, (AssignStats(sums, counts, sse) if with_stats else None)


def _csr(X):
    """CSR rows with float data and no repeated column in a row, without a copy when they already are.

    Unsorted column indices are used as they are: the order of a row's
    non-zeros only changes the rounding of its dot products, and sorting would
    copy the matrix on every pass. Repeated entries (which scipy adds up) are
    summed in a copy: a row's norm needs them added. scipy remembers the
    canonical-format flag on the matrix, so a fit passing the same matrix on
    every pass checks it once.
    """
    if X.format != "csr":
        X = X.tocsr()
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if not X.has_canonical_format and _has_duplicates(X.indptr, X.indices, X.shape[1]):
        X = X.copy()
        X.sum_duplicates()
    return X


# rows per block of a CSR search: fixed (the per-block totals are added in block order), and small
# enough that the blocks of a pass share out evenly over the threads (a call costs ~10 us)
SPARSE_BLOCK_ROWS = 1024


def _run_sparse(X, CT, c_sq, w, with_stats, n_threads):
    """One CSR pass (:mod:`._sparse`): search per block, then the sums per codeword range."""
    n, d = X.shape
    k = c_sq.shape[0]
    indptr, indices, data = X.indptr, X.indices, X.data
    codes = np.empty(n, dtype=np.int64)
    dist = np.empty(n, dtype=X.dtype)

    def block(start):
        counts = np.zeros(k if with_stats else 0, dtype=np.float64)
        sse = np.zeros(k if with_stats else 0, dtype=np.float64)
        _sparse_search(indptr, indices, data, start, min(start + SPARSE_BLOCK_ROWS, n), CT, c_sq, w,
                       codes, dist, counts, sse, with_stats)
        return counts, sse

    counts = np.zeros(k, dtype=np.float64)
    sse = np.zeros(k, dtype=np.float64)
    with single_threaded_blas():
        for part in _map_ordered(block, list(range(0, n, SPARSE_BLOCK_ROWS)), n_threads):
            if with_stats:  # in block order: the same totals whatever the number of threads
                counts += part[0]
                sse += part[1]
        if not with_stats:
            return codes, dist, None
        sums = np.zeros((k, d), dtype=np.float64)

        def add(bounds):  # every range adds its rows in row order: thread-independent sums
            _sparse_sums_range(indptr, indices, data, codes, w, sums, bounds[0], bounds[1])

        # a few ranges per thread: a thread the OS pauses holds up less of the pass
        ranges = _codeword_ranges(indptr, codes, k, 1 if n_threads == 1 else 4 * n_threads)
        list(_map_ordered(add, ranges, n_threads))
    return codes, dist, AssignStats(sums, counts, sse)


# --------------------------------------------------------------------------- numba


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
def _abs_bits_max(bits, mask):
    """The largest ``bits[i] & mask`` (unsigned integers)."""
    top = bits[0] & mask
    for i in range(1, bits.shape[0]):
        v = bits[i] & mask
        if v > top:
            top = v
    return top


@numba.njit(nogil=True, cache=True)
def _finite_peak(a):
    peak = 0.0
    for i in range(a.shape[0]):
        v = abs(np.float64(a[i]))
        if not v < np.inf:  # inf or NaN
            return False, 0.0
        if v > peak:
            peak = v
    return True, peak


@numba.njit(nogil=True, cache=True)
def _all_finite(a):
    for i in range(a.shape[0]):
        if not np.isfinite(a[i]):
            return False
    return True
