"""k-means++ seeding state: nearest-center distances kept per row, updated with the triangle inequality.

Greedy k-means++ adds one center at a time; each step scores ``L`` candidate
rows by how much they would lower the potential ``sum_i w_i D(x_i)^2`` and keeps
the best. Computed plainly, every candidate costs a pass over all of ``X``
(``n d`` reads): at 100,000 x 128 and ``k = 1024`` that is 8 passes per center,
memory-bound. Here each row also remembers *which* center is nearest
(``owner``). With ``D_t = |t - c_owner(x)|^2`` known for every candidate ``t``
and center (an ``L x m`` table), the triangle inequality gives
``|x - t| >= sqrt(D_t) - sqrt(D(x))``, so ``t`` cannot bring ``x`` closer when
``D_t >= 4 D(x)``: such rows are skipped without reading them. Once a few
centers exist, almost every row is skipped for almost every candidate.

The scores and the updates are exact (squared distances from the float64
difference, as in the passes); the skip test has a relative margin, so
rounding can only make it compute a row it could have skipped. Blocks of
``BLOCK_ROWS`` rows run on the thread pool and their partial scores are added
in block order: results do not depend on the number of threads.
"""

from __future__ import annotations

import numba
import numpy as np

from ._dense import _row_sq_dist
from ._pool import BLOCK_ROWS, _check_threads, _map_ordered

__all__ = ["SeedingState"]

_MARGIN = 1.0 + 1e-6  # relative slack of the skip test (rounding of D_t and D(x))


class SeedingState:
    """Nearest-center squared distances of every row while centers are added one by one.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64, dense
    sample_weight : ndarray of shape (n_samples,), optional
    n_centers : int
        How many centers will be added at most.
    n_threads : int, optional

    Attributes
    ----------
    closest : ndarray of shape (n_samples,), float64
        Squared distance of every row to its nearest center so far (inf before the first).
    potential : float
        ``sum_i w_i closest_i``.
    """

    def __init__(self, X, sample_weight=None, *, n_centers, n_threads=None):
        self.X = np.ascontiguousarray(X)
        n, d = self.X.shape
        self.w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        self.n_threads = _check_threads(n_threads)
        self.closest = np.full(n, np.inf)
        self.owner = np.zeros(n, dtype=np.int32)
        self.centers = np.empty((n_centers, d))
        self.sq_norms = np.empty(n_centers)
        self.m = 0
        self.potential = np.inf
        self._starts = list(range(0, n, BLOCK_ROWS))

    def gains(self, candidates):
        """Weighted lowering of the potential each candidate would bring, shape (L,), float64."""
        T = np.ascontiguousarray(candidates, dtype=np.float64)
        Dt = self._table(T)
        X, w, closest, owner = self.X, self.w, self.closest, self.owner

        def block(start):
            out = np.zeros(T.shape[0])
            _gains_block(X, start, min(start + BLOCK_ROWS, X.shape[0]), T, Dt, owner, closest,
                         w, out)
            return out

        parts = list(_map_ordered(block, self._starts, self.n_threads))
        return np.sum(parts, axis=0) if len(parts) > 1 else parts[0]

    def add(self, center):
        """Add a center: rows it is nearer to move to it. Returns the new potential."""
        t = np.ascontiguousarray(center, dtype=np.float64).reshape(1, -1)
        Dt = self._table(t)[0]
        X, w, closest, owner, m = self.X, self.w, self.closest, self.owner, self.m

        def block(start):
            return _add_block(X, start, min(start + BLOCK_ROWS, X.shape[0]), t, Dt, owner,
                              closest, w, m)

        parts = list(_map_ordered(block, self._starts, self.n_threads))
        self.centers[m] = t[0]
        self.sq_norms[m] = t[0] @ t[0]
        self.m += 1
        self.potential = float(np.sum(parts))  # exact: summed afresh, in block order
        return self.potential

    def _table(self, T):
        """``|t - c_j|^2`` for every candidate and center so far, shape (L, m + 1) (last column unused)."""
        m = self.m
        out = np.empty((T.shape[0], m + 1))
        if m:
            C = self.centers[:m]
            tt = np.einsum("ij,ij->i", T, T)
            out[:, :m] = np.maximum(tt[:, None] + self.sq_norms[None, :m] - 2.0 * (T @ C.T), 0.0)
        out[:, m] = 0.0
        return out


@numba.njit(nogil=True, cache=True)
def _gains_block(X, start, stop, T, Dt, owner, closest, w, out):  # out: INOUT
    L = T.shape[0]
    for i in range(start, stop):
        cl = closest[i]
        o = owner[i]
        bound = 4.0 * cl * _MARGIN
        for t in range(L):
            if Dt[t, o] >= bound:
                continue  # |x - t| >= |x - c_o|: no gain
            s = _row_sq_dist(X, i, T, t)
            if s < cl:
                out[t] += w[i] * (cl - s)


@numba.njit(nogil=True, cache=True)
def _add_block(X, start, stop, T, Dt, owner, closest, w, m):  # owner, closest: INOUT
    pot = 0.0
    for i in range(start, stop):
        cl = closest[i]
        if Dt[owner[i]] < 4.0 * cl * _MARGIN:
            s = _row_sq_dist(X, i, T, 0)
            if s < cl:
                closest[i] = s
                owner[i] = m
                cl = s
        pot += w[i] * cl
    return pot
