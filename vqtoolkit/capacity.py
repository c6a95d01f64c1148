"""Codebooks whose clusters have a capacity: every observation has a demand, no cluster overflows.

Problem. Observations ``x_i`` with demands ``q_i > 0`` (default 1) are split
among ``k`` codewords ``c_j`` with capacities ``Q_j`` (and optional minimum
loads ``L_j``), minimising the (weighted) squared Euclidean distortion::

    minimise   sum_ij  w_i |x_i - c_j|^2 z_ij
    subject to sum_j z_ij = 1               (every observation in one cluster;
                                             demands are never split)
               L_j <= sum_i q_i z_ij <= Q_j  (no cluster over its capacity)
               z_ij in {0, 1}

Algorithm: alternate (1) the assignment step for fixed codewords, solved as
an optimisation problem with HiGHS (:func:`capacitated_assignment`), and
(2) the update step, the weighted mean of each cluster (exact for fixed
codes). Neither step increases the distortion, because the previous
assignment stays feasible and is kept when the solver returns nothing better.

The assignment step:

* **Equal demands** (size limits, ``demand=1``): a transportation problem
  whose constraint matrix is totally unimodular, so the LP (dual simplex,
  a vertex solution) is integral: the step is solved *exactly*
  (``optimality_gap_ == 0``).
* **Unequal demands**: a generalized assignment problem (NP-hard). The LP
  relaxation gives a lower bound and a vertex where at most about ``k``
  observations are split; those (and, if needed, the observations closest to
  a second cluster) are re-solved as a small mixed-integer program. If that
  solution is within ``mip_gap`` of the LP bound it is taken (proved
  near-optimal); otherwise the full MILP runs (``scipy.optimize.milp``, HiGHS
  branch and cut) with ``time_limit``. ``optimality_gap_`` reports the
  certified relative gap of the final assignment step.

Infeasible problems (total demand above total capacity, a demand above every
capacity, minimum loads above the total demand) raise
:class:`~vqtoolkit.InfeasibleError` before any work.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin

from . import kernels
from ._feature_names import CodewordFeaturesOutMixin, check_input, record_feature_names
from ._progress import show_progress
from ._validation import (
    check_fitted,
    check_positive_int,
    check_random_state,
    check_sample_weight,
    check_X,
)
from .errors import InfeasibleError, ParameterError
from .seeding import kmeans_plusplus

__all__ = ["CapacitatedCodebook", "CapacitatedAssignment", "capacitated_assignment"]


@dataclass(frozen=True)
class CapacitatedAssignment:
    """Result of :func:`capacitated_assignment`.

    Attributes
    ----------
    labels : ndarray of shape (n_samples,), int64
    cost : float
        ``sum_i cost[i, labels[i]]``.
    lower_bound : float
        A proven lower bound on the optimal cost (LP relaxation or MILP bound).
    gap : float
        ``(cost - lower_bound) / cost`` (0 when solved exactly).
    method : str
        ``'transportation'`` (exact LP), ``'lp+repair'`` or ``'milp'``.
    """

    labels: np.ndarray
    cost: float
    lower_bound: float
    gap: float
    method: str


def capacitated_assignment(cost, demand, capacity, *, min_load=None, mip_gap=1e-3,
                           time_limit=None, start=None):
    """Assign observations to clusters at minimum total cost under capacity limits.

    Parameters
    ----------
    cost : ndarray of shape (n_samples, n_clusters)
        Cost of putting observation ``i`` in cluster ``j``.
    demand : ndarray of shape (n_samples,)
        Positive demands (never split).
    capacity : ndarray of shape (n_clusters,)
        Maximum total demand per cluster.
    min_load : ndarray of shape (n_clusters,), optional
        Minimum total demand per cluster.
    mip_gap : float, default=1e-3
        Relative gap to the LP bound below which a repaired LP solution is
        accepted; also the MILP's stopping gap. Ignored for equal demands
        (always exact).
    time_limit : float, optional
        Seconds for the full MILP when it is needed.
    start : ndarray of shape (n_samples,), optional
        A feasible assignment; returned if nothing better is found.

    Returns
    -------
    CapacitatedAssignment

    Raises
    ------
    InfeasibleError
        When no assignment satisfies the limits.
    """
    cost = np.asarray(cost, dtype=np.float64)
    q = np.asarray(demand, dtype=np.float64)
    Q = np.asarray(capacity, dtype=np.float64)
    n, k = cost.shape
    L = np.zeros(k) if min_load is None else np.asarray(min_load, dtype=np.float64)
    _check_feasible(q, Q, L)
    unit = np.all(q == q[0])
    if unit:  # transportation problem on counts: integral right-hand sides -> integral vertex
        q, Q, L = _scaled(q, Q, L)
    x, lp_cost = _lp(cost, q, Q, L)
    labels = np.argmax(x, axis=1).astype(np.int64)
    frac = np.flatnonzero(x.max(axis=1) < 1 - 1e-6)
    if unit and frac.size == 0:
        total = float(cost[np.arange(n), labels].sum())
        return CapacitatedAssignment(labels, total, min(lp_cost, total), 0.0, "transportation")
    best = _repair(cost, q, Q, L, x, frac, time_limit)
    method = "lp+repair"
    bound = lp_cost
    candidates = [best] if best is not None else []
    if start is not None and _feasible(start, q, Q, L, k):
        candidates.append(np.asarray(start, dtype=np.int64))
    best = min(candidates, key=lambda lab: cost[np.arange(n), lab].sum()) if candidates else None
    best_cost = np.inf if best is None else float(cost[np.arange(n), best].sum())
    if best is None or (best_cost - bound) > mip_gap * abs(best_cost):
        full = _milp(cost, q, Q, L, mip_gap, time_limit)
        if full is not None:
            lab, bnd = full
            bound = max(bound, bnd)
            c = float(cost[np.arange(n), lab].sum())
            if c < best_cost:
                best, best_cost, method = lab, c, "milp"
        if best is None:
            raise InfeasibleError(
                "no assignment satisfies the capacities (the solver found none within the time "
                "limit; the demands may not pack into the clusters)"
            )
    gap = max(0.0, (best_cost - bound) / best_cost) if best_cost > 0 else 0.0
    return CapacitatedAssignment(best, best_cost, float(bound), float(gap), method)


class CapacitatedCodebook(CodewordFeaturesOutMixin, ClusterMixin, TransformerMixin, BaseEstimator):
    """k-means codebook where no cluster's total demand exceeds its capacity.

    Parameters
    ----------
    n_codewords : int
    capacity : float or array-like of shape (n_codewords,)
        Maximum total demand of each cluster (one value for all, or one per
        cluster). With ``demand=None`` it is the maximum number of observations.
    demand : array-like of shape (n_samples,), optional
        Demand of each training observation (default 1); ``fit(X, demand=...)``
        overrides it.
    min_load : float or array-like of shape (n_codewords,), optional
        Minimum total demand of each cluster (minimum size for unit demands).
    init : {'k-means++'} or ndarray of shape (n_codewords, n_features), default='k-means++'
    n_init : int, default=1
        Independent runs; the lowest distortion wins.
    max_iter : int, default=100
        Maximum alternations of assignment and update.
    tol : float, default=1e-4
        Stop when the relative decrease of distortion is at most ``tol``.
    mip_gap : float, default=1e-3
        Accepted relative gap of each assignment step (unequal demands only).
    time_limit : float, optional
        Seconds allowed to each full MILP (unequal demands, rarely needed).
    random_state : None, int or RandomState
    verbose : bool or None, default=False
        Print the distortion of every alternation to stderr (``None``: only if stderr is a
        terminal).

    Attributes
    ----------
    codebook_ : ndarray of shape (n_codewords, n_features)
    labels_ : ndarray of shape (n_samples,), int64
    distortion_ : float
        Weighted mean squared distance to the assigned codeword.
    loads_ : ndarray of shape (n_codewords,)
        Total demand of each cluster (never above ``capacity_``).
    counts_ : ndarray of shape (n_codewords,)
        Number of observations in each cluster.
    capacity_ : ndarray of shape (n_codewords,)
    optimality_gap_ : float
        Certified relative gap of the last assignment step (0 = exact).
    n_iter_ : int
    distortion_history_ : ndarray of shape (``n_iter_``,)
    n_features_in_ : int
    feature_names_in_ : ndarray of str, only for DataFrame input
    """

    def __init__(self, n_codewords, capacity, *, demand=None, min_load=None, init="k-means++",
                 n_init=1, max_iter=100, tol=1e-4, mip_gap=1e-3, time_limit=10.0,
                 random_state=None, verbose=False):
        self.n_codewords = n_codewords
        self.capacity = capacity
        self.demand = demand
        self.min_load = min_load
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.mip_gap = mip_gap
        self.time_limit = time_limit
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y=None, demand=None, sample_weight=None):
        """Train the codebook under the capacity limits.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored
        demand : array-like of shape (n_samples,), optional
            Overrides the ``demand`` parameter.
        sample_weight : array-like of shape (n_samples,), optional
            Weights of the distortion (not the demand).

        Returns
        -------
        self : CapacitatedCodebook

        Raises
        ------
        InfeasibleError
            Total demand above total capacity, a demand above every capacity,
            or minimum loads that cannot be met.
        """
        checked = check_X(X, what="CapacitatedCodebook.fit")
        X = checked.X
        n, d = X.shape
        k = check_positive_int(self.n_codewords, "n_codewords")
        if k > n:
            raise ParameterError(f"n_codewords={k} is larger than n_samples={n}")
        n_runs = check_positive_int(self.n_init, "n_init")
        check_positive_int(self.max_iter, "max_iter")
        q = self._demand(demand, n)
        Q = _per_cluster(self.capacity, k, "capacity")
        L = None if self.min_load is None else _per_cluster(self.min_load, k, "min_load", zero=True)
        if L is not None and (L > Q).any():
            j = int(np.argmax(L > Q))
            raise InfeasibleError(f"min_load {L[j]:g} of cluster {j} is above its capacity {Q[j]:g}")
        _check_feasible(q, Q, np.zeros(k) if L is None else L)
        w = check_sample_weight(sample_weight, n)
        rng = check_random_state(self.random_state)
        X64 = np.asarray(X, dtype=np.float64)
        shift = w @ X64 / w.sum()
        Xc = np.ascontiguousarray(X64 - shift)
        best = None
        for _ in range(n_runs):
            run = self._one_run(Xc, k, q, Q, L, w, rng, shift)
            if best is None or run[1] < best[1]:
                best = run
        C, J, labels, history, gap = best
        self.codebook_ = (C + shift).astype(X.dtype)
        self.labels_ = labels
        self.distortion_ = float(J)
        self.loads_ = np.bincount(labels, weights=q, minlength=k)
        self.counts_ = np.bincount(labels, minlength=k)
        self.capacity_ = Q
        self.optimality_gap_ = float(gap)
        self.distortion_history_ = np.asarray(history)
        self.n_iter_ = len(history)
        self.n_features_in_ = d
        record_feature_names(self, checked.feature_names)
        return self

    def predict(self, X):
        """Nearest codeword of each observation, *without* capacity limits.

        Returns
        -------
        ndarray of shape (n_samples,), int64
        """
        check_fitted(self, "codebook_")
        X = check_input(self, X, "predict", accept_sparse=False)
        return kernels.assign(np.ascontiguousarray(X), self.codebook_.astype(X.dtype))[0]

    def transform(self, X):
        """Euclidean distance of every observation to every codeword.

        Returns
        -------
        ndarray of shape (n_samples, n_codewords)
            Columns ``capacitatedcodebook0``… (:meth:`get_feature_names_out`).
        """
        check_fitted(self, "codebook_")
        X = check_input(self, X, "transform", accept_sparse=False)
        return np.sqrt(kernels.pairwise_sq_distances(X, self.codebook_.astype(X.dtype)))

    def _say(self, it, J, method, gap):
        if show_progress(self.verbose):
            print(f"iteration {it}: distortion {J:.6g} ({method}, gap {gap:.2g})", file=sys.stderr)

    @property
    def cluster_centers_(self):
        """Alias of ``codebook_``."""
        return self.codebook_

    # ----------------------------------------------------------------- internals

    def _demand(self, demand, n):
        q = demand if demand is not None else self.demand
        if q is None:
            return np.ones(n)
        q = np.asarray(q, dtype=np.float64)
        if q.shape != (n,):
            raise ParameterError(f"demand has shape {q.shape}; expected ({n},) to match X")
        if not np.isfinite(q).all() or (q <= 0).any():
            raise ParameterError("demand must be finite and positive for every observation")
        return q

    def _one_run(self, Xc, k, q, Q, L, w, rng, shift):
        if isinstance(self.init, str):
            if self.init != "k-means++":
                raise ParameterError(f"init={self.init!r} is not 'k-means++' or an array of codewords")
            C = np.asarray(kmeans_plusplus(Xc, k, rng, sample_weight=w), dtype=np.float64)
        else:
            C = np.asarray(self.init, dtype=np.float64) - shift
            if C.shape != (k, Xc.shape[1]):
                raise ParameterError(
                    f"init array has shape {C.shape}; expected ({k}, {Xc.shape[1]})"
                )
        wsum = w.sum()
        history = []
        # phase 1: alternate the LP relaxation (demands may be split; integral for equal demands)
        # with weighted means: cheap, and it lands next to the integral solution
        qq, QQ, LL = _scaled(q, Q, np.zeros(k) if L is None else L)
        for _ in range(self.max_iter):
            cost = kernels.pairwise_sq_distances(Xc, C) * w[:, None]
            x, lp_cost = _lp(cost, qq, QQ, LL)
            history.append(lp_cost / wsum)
            self._say(len(history), history[-1], "lp relaxation", 0.0)
            mass = x * w[:, None]
            counts = mass.sum(axis=0)
            hit = counts > 0
            newC = C.copy()
            newC[hit] = (mass.T @ Xc)[hit] / counts[hit, None]
            moved = np.abs(newC - C).max()
            C = newC
            if moved == 0 or (len(history) > 1 and history[-2] - history[-1] <= self.tol * history[-1]):
                break
        # phase 2: exact (or certified) integral assignment steps, alternating with means
        labels, gap = None, 0.0
        for _ in range(self.max_iter):
            cost = kernels.pairwise_sq_distances(Xc, C) * w[:, None]
            res = capacitated_assignment(cost, q, Q, min_load=L, mip_gap=self.mip_gap,
                                         time_limit=self.time_limit, start=labels)
            history.append(res.cost / wsum)
            gap = res.gap
            self._say(len(history), history[-1], res.method, res.gap)
            same = labels is not None and np.array_equal(res.labels, labels)
            labels = res.labels
            if same:
                break
            sums, counts = kernels.accumulate(Xc, labels, k, sample_weight=w)
            hit = counts > 0
            C = C.copy()
            C[hit] = sums[hit] / counts[hit, None]
        final = kernels.pairwise_sq_distances(Xc, C)[np.arange(Xc.shape[0]), labels]
        return C, float(w @ final / wsum), labels, history, gap


def _scaled(q, Q, L):
    """Equal demands become counts (integral right-hand sides); others pass through."""
    if np.all(q == q[0]):
        return np.ones(q.size), np.floor(Q / q[0] + 1e-9), np.ceil(L / q[0] - 1e-9)
    return q, Q, L


def _per_cluster(value, k, name, zero=False):
    v = np.asarray(value, dtype=np.float64)
    if v.ndim == 0:
        v = np.full(k, float(v))
    if v.shape != (k,):
        raise ParameterError(f"{name} has shape {v.shape}; expected a number or ({k},) values")
    if not np.isfinite(v).all() or (v < 0).any() or (not zero and (v <= 0).any()):
        raise ParameterError(f"{name}={value!r} must be finite and {'>= 0' if zero else 'positive'}")
    return v


def _check_feasible(q, Q, L):
    total, cap = q.sum(), Q.sum()
    if total > cap * (1 + 1e-12):
        raise InfeasibleError(
            f"total demand {total:g} is above the total capacity {cap:g} of the {Q.size} clusters"
        )
    if q.max() > Q.max() * (1 + 1e-12):
        i = int(np.argmax(q))
        raise InfeasibleError(
            f"observation {i} has demand {q[i]:g}, above every cluster's capacity (largest {Q.max():g})"
        )
    seats = np.floor(Q / q[0] + 1e-9).sum()
    if np.all(q == q[0]) and seats < q.size:
        raise InfeasibleError(
            f"{q.size} observations of demand {q[0]:g} do not fit: the capacities hold at most "
            f"{int(seats)} of them"
        )
    if L.sum() > total * (1 + 1e-12):
        raise InfeasibleError(f"the minimum loads add up to {L.sum():g}, above the total demand {total:g}")


def _matrices(n, k, q):
    cols = np.arange(n * k)
    rows = np.repeat(np.arange(n), k)
    one = sp.csr_matrix((np.ones(n * k), (rows, cols)), shape=(n, n * k))
    load = sp.csr_matrix((np.repeat(q, k), (np.tile(np.arange(k), n), cols)), shape=(k, n * k))
    return one, load


def _lp(cost, q, Q, L):
    n, k = cost.shape
    one, load = _matrices(n, k, q)
    A_ub = sp.vstack([load, -load]).tocsr() if L.any() else load
    b_ub = np.concatenate([Q, -L]) if L.any() else Q
    res = linprog(cost.ravel(), A_ub=A_ub, b_ub=b_ub, A_eq=one, b_eq=np.ones(n), bounds=(0, 1),
                  method="highs-ds")
    if res.status == 2:
        raise InfeasibleError("no assignment satisfies the capacity limits (even with split demands)")
    if res.status != 0:  # pragma: no cover - numerical trouble
        raise InfeasibleError(f"the assignment LP failed: {res.message}")
    return res.x.reshape(n, k), float(res.fun)


def _milp(cost, q, Q, L, mip_gap, time_limit):
    n, k = cost.shape
    one, load = _matrices(n, k, q)
    options = {"mip_rel_gap": mip_gap}
    if time_limit is not None:
        options["time_limit"] = float(time_limit)
    res = milp(cost.ravel(), integrality=np.ones(n * k), bounds=Bounds(0, 1),
               constraints=[LinearConstraint(one, 1, 1), LinearConstraint(load, L, Q)],
               options=options)
    if res.x is None:
        return None
    labels = np.argmax(res.x.reshape(n, k), axis=1).astype(np.int64)
    bound = getattr(res, "mip_dual_bound", None)
    return labels, float(bound) if bound is not None and np.isfinite(bound) else -np.inf


def _repair(cost, q, Q, L, x, frac, time_limit):
    """Fix the integral part of the LP solution; re-solve the split observations (and neighbours)."""
    n, k = cost.shape
    labels = np.argmax(x, axis=1).astype(np.int64)
    if frac.size == 0:
        return labels
    srt = np.sort(cost, axis=1)
    regret = srt[:, 1] - cost[np.arange(n), labels]  # how cheaply an observation could move
    order = np.argsort(regret, kind="stable")
    free = np.zeros(n, dtype=bool)
    free[frac] = True
    size = max(4 * frac.size, 2 * k)
    t0 = time.perf_counter()
    while True:
        fixed = ~free
        loads = np.bincount(labels[fixed], weights=q[fixed], minlength=k)
        idx = np.flatnonzero(free)
        limit = None if time_limit is None else max(0.1, time_limit - (time.perf_counter() - t0))
        sub = _milp(cost[idx], q[idx], Q - loads, np.maximum(L - loads, 0), 1e-9,
                    limit if idx.size < n else time_limit)
        if sub is not None:
            out = labels.copy()
            out[idx] = sub[0]
            return out
        if idx.size == n:
            return None
        more = order[~free[order]][:size]
        free[more] = True
        size *= 2


def _feasible(labels, q, Q, L, k):
    loads = np.bincount(np.asarray(labels), weights=q, minlength=k)
    return bool((loads <= Q + 1e-9).all() and (loads >= L - 1e-9).all())
