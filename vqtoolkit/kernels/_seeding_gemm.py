"""k-means++ seeding state on BLAS: each step's distances from one GEMM per block of rows.

Greedy k-means++ scores ``L`` candidate rows ``t`` per step by the lowering of
the potential ``sum_i w_i min(D(x_i), |x_i - t|^2)``. Here the ``L``
distances of a block of rows come from one GEMM, ``X_block @ T.T``, in the
dtype of ``X``, expanded as ``|x|^2 + |t|^2 - 2 x.t`` with the row norms
computed once (as scikit-learn does); a numba loop then adds up the gains.
Where the expansion loses its digits (a distance below ``_EXACT[dtype]``
times ``|x|^2 + |t|^2``: a row on or next to the candidate) the distance is
recomputed from the float64 difference, so a row equal to a center is at
distance 0 exactly and no distance is negative.

This reads ``X`` once per step whatever the dimension, where
:class:`~vqtoolkit.kernels.SeedingState` (triangle-inequality pruning,
distances row by row) skips most rows in few dimensions but few in many.

Blocks have a fixed size (``GEMM_BLOCK_ROWS``), each runs single-threaded
BLAS, and the partial gains and potentials are added in block order: the
result does not depend on the number of threads.
"""

from __future__ import annotations

import numba
import numpy as np

from ._dense import _row_sq_dist
from ._pool import _check_threads, _map_ordered, single_threaded_blas

__all__ = ["GemmSeedingState", "GEMM_BLOCK_ROWS"]

#: Rows per GEMM block (fixed: the partition, not the thread count, decides the sums' order).
GEMM_BLOCK_ROWS = 2048

#: Below this share of ``|x|^2 + |t|^2`` an expanded distance is recomputed exactly.
_EXACT = {np.dtype(np.float32): 1e-3, np.dtype(np.float64): 1e-9}


class GemmSeedingState:
    """Nearest-center squared distances of every row while centers are added one by one (GEMM).

    Same interface as :class:`~vqtoolkit.kernels.SeedingState`.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64, dense
    sample_weight : ndarray of shape (n_samples,), optional
    n_threads : int, optional

    Attributes
    ----------
    closest : ndarray of shape (n_samples,), float64
        Squared distance of every row to its nearest center so far (inf before the first).
    potential : float
        ``sum_i w_i closest_i``.
    """

    def __init__(self, X, sample_weight=None, *, n_centers=None, n_threads=None):
        self.X = np.ascontiguousarray(X)
        n = self.X.shape[0]
        self.w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        self.n_threads = _check_threads(n_threads)
        self.closest = np.full(n, np.inf)
        self.potential = np.inf
        self.xx = np.einsum("ij,ij->i", self.X, self.X, dtype=np.float64)
        self.exact = _EXACT[self.X.dtype]
        self._starts = list(range(0, n, GEMM_BLOCK_ROWS))

    def gains(self, candidates):
        """Weighted lowering of the potential each candidate would bring, shape (L,), float64."""
        T, tt = self._operands(candidates)
        X, w, closest, xx, exact = self.X, self.w, self.closest, self.xx, self.exact

        def block(start):
            stop = min(start + GEMM_BLOCK_ROWS, X.shape[0])
            G = X[start:stop] @ T.T
            out = np.zeros(T.shape[0])
            _gains_block(X, start, G, xx, T, tt, closest, w, exact, out)
            return out

        with single_threaded_blas():
            parts = list(_map_ordered(block, self._starts, self.n_threads))
        return np.sum(parts, axis=0) if len(parts) > 1 else parts[0]

    def add(self, center):
        """Add a center: rows it is nearer to move to it. Returns the new potential."""
        T, tt = self._operands(np.reshape(center, (1, -1)))
        X, w, closest, xx, exact = self.X, self.w, self.closest, self.xx, self.exact

        def block(start):
            stop = min(start + GEMM_BLOCK_ROWS, X.shape[0])
            G = X[start:stop] @ T.T
            return _add_block(X, start, G, xx, T, tt, closest, w, exact)

        with single_threaded_blas():
            parts = list(_map_ordered(block, self._starts, self.n_threads))
        self.potential = float(np.sum(parts))  # summed afresh, in block order
        return self.potential

    def _operands(self, T):
        T = np.ascontiguousarray(T, dtype=self.X.dtype)
        return T, np.einsum("ij,ij->i", T, T, dtype=np.float64)


@numba.njit(nogil=True, cache=True)
def _gains_block(X, start, G, xx, T, tt, closest, w, exact, out):  # out: INOUT
    L = G.shape[1]
    acc = np.zeros(L)
    for r in range(G.shape[0]):
        i = start + r
        cl, xi, wi = closest[i], xx[i], w[i]
        near = False
        for t in range(L):
            near |= xi + tt[t] - 2.0 * np.float64(G[r, t]) <= exact * (xi + tt[t])
        if not near:  # the common case, branch-free so that it vectorizes
            for t in range(L):
                acc[t] += wi * max(cl - (xi + tt[t] - 2.0 * np.float64(G[r, t])), 0.0)
        else:  # next to a candidate: digits lost in the expansion, recompute those
            for t in range(L):
                s = xi + tt[t] - 2.0 * np.float64(G[r, t])
                if s <= exact * (xi + tt[t]):
                    s = _row_sq_dist(X, i, T, t)
                acc[t] += wi * max(cl - s, 0.0)
    out += acc


@numba.njit(nogil=True, cache=True)
def _add_block(X, start, G, xx, T, tt, closest, w, exact):  # closest: INOUT
    pot = 0.0
    for r in range(G.shape[0]):
        i = start + r
        s = xx[i] + tt[0] - 2.0 * np.float64(G[r, 0])
        if s <= exact * (xx[i] + tt[0]):
            s = _row_sq_dist(X, i, T, 0)
        if s < closest[i]:
            closest[i] = s
        pot += w[i] * closest[i]
    return pot
