"""The hot loops: assignment of observations to codewords and per-codeword accumulation.

Every algorithm in vqtoolkit (Lloyd, LBG, k-means++, mini-batch, spherical
k-means, G-means …) and the Dask engine compute distances here and nowhere
else.

How it works
------------
The rows of ``X`` are cut into *blocks* of ``BLOCK_ROWS`` rows. Blocks are
processed by a pool of Python threads, each running single-threaded BLAS and
numba functions that release the GIL. Inside a block, ``chunk_rows`` rows at a
time:

1. ``G = X_chunk @ C.T`` (one GEMM; for CSR input a numba sparse-dense product),
2. one fused numba pass per row: ``argmin_j (|c_j|^2 - 2 G_ij)``, the exact
   squared distance to the chosen codeword (computed from the difference, not
   from the expansion, so it never goes negative or loses digits), and the
   weighted per-codeword sums, counts and distortion.

Memory stays bounded by ``n_threads * chunk_rows * k`` (never an ``n x k``
matrix). Partial sums are float64 and are added block by block *in block
order*, so the result is bit-identical whatever the number of threads.

Shapes: ``X`` is ``(n_samples, n_features)``, float32 or float64, dense
C-contiguous or ``scipy.sparse`` CSR; ``codebook`` is ``(n_codewords,
n_features)`` of the same dtype.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np
import scipy.sparse as sp
from threadpoolctl import ThreadpoolController

__all__ = [
    "AssignStats",
    "assign",
    "assign_accumulate",
    "accumulate",
    "pairwise_sq_distances",
    "min_sq_distances",
    "default_n_threads",
    "BLOCK_ROWS",
]

BLOCK_ROWS = 16384
_CONTROLLER = None


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
        Rows per GEMM; by default chosen from ``n_codewords`` so that one
        ``chunk_rows x n_codewords`` block fits in cache.
    n_threads : int, optional
        Worker threads; ``None`` uses every available CPU.
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
    n_threads = int(n_threads or default_n_threads())
    with _blas_single_thread():
        if n_threads == 1 or len(starts) <= 1:
            return [fn(s) for s in starts]
        with ThreadPoolExecutor(min(n_threads, len(starts))) as pool:
            return list(pool.map(fn, starts))


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


# --------------------------------------------------------------------------- engine


def _default_chunk_rows(n_codewords: int, n_features: int) -> int:
    # keep the chunk_rows x k block of G around 256 KiB, X chunk small too
    rows = (1 << 16) // max(n_codewords, 1)
    rows = min(rows, (1 << 16) // max(n_features, 1))
    return int(min(max(rows, 64), 4096))


def _weights(sample_weight, n):
    if sample_weight is None:
        return np.ones(n, dtype=np.float64)
    return np.ascontiguousarray(sample_weight, dtype=np.float64)


def _blas_single_thread():
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")


def _run(X, codebook, sample_weight, with_stats, chunk_rows, n_threads, metric="sqeuclidean"):
    if metric not in ("sqeuclidean", "cityblock"):
        raise ValueError(f"metric={metric!r} is not one of ('sqeuclidean', 'cityblock')")
    sparse = sp.issparse(X)
    if sparse and metric == "cityblock":
        raise ValueError("metric='cityblock' needs dense input")
    if sparse:
        X = sp.csr_matrix(X)
        if not X.has_sorted_indices:
            X = X.sorted_indices()
    else:
        X = np.asarray(X)
        if not X.flags.c_contiguous:
            X = np.ascontiguousarray(X)
    n, d = X.shape
    C = np.ascontiguousarray(codebook, dtype=X.dtype)
    k = C.shape[0]
    if C.ndim != 2 or C.shape[1] != d:
        raise ValueError(f"codebook has shape {C.shape}; expected (k, {d})")
    chunk_rows = int(chunk_rows or _default_chunk_rows(k, d))
    n_threads = int(n_threads or default_n_threads())
    w = _weights(sample_weight, n) if with_stats else np.ones(0)
    c_sq = np.einsum("ij,ij->i", C, C)
    CT = np.ascontiguousarray(C.T) if sparse else None
    codes = np.empty(n, dtype=np.int64)
    dist = np.empty(n, dtype=X.dtype)

    starts = list(range(0, n, BLOCK_ROWS))

    def block(start):
        stop = min(start + BLOCK_ROWS, n)
        sums = np.zeros((k, d) if with_stats else (0, d), dtype=np.float64)
        counts = np.zeros(k if with_stats else 0, dtype=np.float64)
        sse = np.zeros(k if with_stats else 0, dtype=np.float64)
        for s in range(start, stop, chunk_rows):
            e = min(s + chunk_rows, stop)
            ws = w[s:e] if with_stats else w
            if sparse:
                a, b = X.indptr[s], X.indptr[e]
                _sparse_chunk(
                    X.indptr[s : e + 1] - a, X.indices[a:b], X.data[a:b], CT, c_sq, C,
                    ws, codes[s:e], dist[s:e], sums, counts, sse, with_stats,
                )
            elif metric == "cityblock":
                _l1_chunk(X[s:e], C, ws, codes[s:e], dist[s:e], sums, counts, sse, with_stats)
            else:
                G = X[s:e] @ C.T
                _dense_chunk(
                    X[s:e], G, c_sq, C, ws, codes[s:e], dist[s:e], sums, counts, sse, with_stats
                )
        return AssignStats(sums, counts, sse)

    total = None
    if n_threads == 1 or len(starts) == 1:
        with _blas_single_thread():
            for start in starts:
                part = block(start)
                total = part if total is None else total + part
    else:
        with _blas_single_thread(), ThreadPoolExecutor(n_threads) as pool:
            for part in pool.map(block, starts):  # ordered: deterministic sum
                total = part if total is None else total + part
    if total is None:
        total = AssignStats(np.zeros((k, d)), np.zeros(k), np.zeros(k))
    return codes, dist, (total if with_stats else None)


# --------------------------------------------------------------------------- numba


@numba.njit(nogil=True, cache=True)
def _dense_chunk(X, G, c_sq, C, w, codes, dist, sums, counts, sse, with_stats):
    n, k = G.shape
    d = X.shape[1]
    for i in range(n):
        bj = 0
        best = c_sq[0] - 2 * G[i, 0]
        for j in range(1, k):
            v = c_sq[j] - 2 * G[i, j]
            if v < best:
                best = v
                bj = j
        s = 0.0
        for t in range(d):
            diff = np.float64(X[i, t]) - np.float64(C[bj, t])
            s += diff * diff
        codes[i] = bj
        dist[i] = s
        if with_stats:
            wi = w[i]
            counts[bj] += wi
            sse[bj] += wi * s
            for t in range(d):
                sums[bj, t] += wi * X[i, t]


@numba.njit(nogil=True, cache=True)
def _sparse_chunk(indptr, indices, data, CT, c_sq, C, w, codes, dist, sums, counts, sse,
                  with_stats):
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
            wi = w[i]
            counts[bj] += wi
            sse[bj] += wi * s
            for p in range(indptr[i], indptr[i + 1]):
                sums[bj, indices[p]] += wi * data[p]


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
            wi = w[i]
            counts[bj] += wi
            sse[bj] += wi * best
            for t in range(d):
                sums[bj, t] += wi * X[i, t]


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
