"""Initial codebooks: k-means++ (k-means|| or greedy), random rows, and LBG splitting.

``init='k-means++'`` runs :func:`kmeans_plusplus`: k-means|| (a few passes
draw candidates, greedy k-means++ picks among them, weighted) on many dense
rows, greedy k-means++ on all rows otherwise; ``init='greedy-k-means++'``
always runs the greedy one (docs/seeding.md compares them).

All distances come from :mod:`vqtoolkit.kernels`; every function takes a
``numpy.random.RandomState`` made by ``check_random_state``, and gives the
same codewords whatever the number of threads.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from . import kernels
from .errors import ParameterError, overflow_error

__all__ = ["kmeans_plusplus", "greedy_kmeans_plusplus", "kmeans_parallel", "random_rows",
           "random_row_numbers", "split_codewords", "INIT_METHODS", "SEEDING_METHODS"]

INIT_METHODS = ("k-means++", "greedy-k-means++", "random", "lbg")
SEEDING_METHODS = ("auto", "greedy", "k-means||")

#: Dense data with more rows than this seed with k-means|| under ``method='auto'``.
PARALLEL_MIN_ROWS = 10_000


def kmeans_plusplus(X, n_codewords, rng, *, sample_weight=None, n_local_trials=None,
                    n_threads=None, method="auto"):
    """k-means++ seeding, the default of ``init='k-means++'``.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
    n_codewords : int
    rng : numpy.random.RandomState
    sample_weight : ndarray of shape (n_samples,), optional
    n_local_trials : int, optional
        Candidates per codeword of the greedy step; ``2 + int(log(n_codewords))`` by default.
    n_threads : int, optional
        Results do not depend on it.
    method : {'auto', 'greedy', 'k-means||'}
        ``'greedy'``: :func:`greedy_kmeans_plusplus` on all rows (what
        ``init='greedy-k-means++'`` runs). ``'k-means||'``:
        :func:`kmeans_parallel` (a few passes over the rows draw candidates,
        then greedy k-means++ on the candidates weighted by the rows nearest
        to them). ``'auto'``: k-means|| for dense data of more than
        ``PARALLEL_MIN_ROWS`` (10,000) rows, greedy otherwise (small data,
        where it costs little, and sparse data).

    Returns
    -------
    centers : ndarray of shape (n_codewords, n_features), dtype of ``X``
    """
    if method not in SEEDING_METHODS:
        raise ParameterError(f"method={method!r} is not one of {SEEDING_METHODS}")
    if method == "auto":
        big = not sp.issparse(X) and X.shape[0] > PARALLEL_MIN_ROWS
        method = "k-means||" if big else "greedy"
    seed = kmeans_parallel if method == "k-means||" else greedy_kmeans_plusplus
    return seed(X, n_codewords, rng, sample_weight=sample_weight, n_local_trials=n_local_trials,
                n_threads=n_threads)


def kmeans_parallel(X, n_codewords, rng, *, sample_weight=None, rounds=5, oversampling=None,
                    n_local_trials=None, n_threads=None):
    """k-means|| (Bahmani et al. 2012), then greedy k-means++ on the weighted candidates.

    One row drawn by weight starts the candidate set; each of ``rounds``
    rounds keeps every row independently with probability
    ``min(1, oversampling w_i D(x_i)^2 / sum_j w_j D(x_j)^2)`` and updates
    ``D`` (and the nearest candidate of every row) with one pass. Each
    candidate then weighs the weight of the rows nearest to it, and
    :func:`greedy_kmeans_plusplus` picks ``n_codewords`` of them.

    Costs ``rounds`` assignment passes against about ``oversampling``
    candidates each (a Lloyd pass each with the defaults) plus greedy
    k-means++ on about ``rounds * oversampling`` weighted candidates. The
    defaults (5 rounds of ``n_codewords``; Bahmani et al. use 5 of
    ``2 n_codewords``) matched or beat greedy k-means++ on all rows in
    ``benchmarks/bench_seeding.py`` at half the paper's cost; 3 rounds did
    not on Birch2 (docs/seeding.md).

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
        The candidates of a round are made dense for their pass.
    n_codewords : int
    rng : numpy.random.RandomState
    sample_weight : ndarray of shape (n_samples,), optional
    rounds : int
    oversampling : float, optional
        Expected rows kept per round; ``n_codewords`` by default.
    n_local_trials : int, optional
        Of the greedy step on the candidates.
    n_threads : int, optional
        Results do not depend on it.

    Returns
    -------
    centers : ndarray of shape (n_codewords, n_features), dtype of ``X``
    """
    n = X.shape[0]
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    ell = float(n_codewords) if oversampling is None else float(oversampling)
    first = _weighted_choice(rng, w, 1)
    chosen = [first]
    owner, closest = kernels.assign(X, _rows(X, first), n_threads=n_threads)
    closest = closest.astype(np.float64)
    n_chosen = 1
    for _ in range(rounds):
        pot = float(w @ closest)
        if pot <= 0:
            break
        keep = np.flatnonzero(rng.uniform(size=n) < ell * w * closest / pot)
        if keep.size == 0:
            continue
        codes, dist = kernels.assign(X, _rows(X, keep), n_threads=n_threads)
        nearer = dist < closest
        closest[nearer] = dist[nearer]
        owner[nearer] = codes[nearer] + n_chosen
        chosen.append(keep)
        n_chosen += keep.size
    rows = np.concatenate(chosen)
    if rows.size <= n_codewords:  # too few candidates: k-means++ on all rows instead
        return greedy_kmeans_plusplus(X, n_codewords, rng, sample_weight=sample_weight,
                                      n_local_trials=n_local_trials, n_threads=n_threads)
    weight = np.bincount(owner, weights=w, minlength=rows.size)
    return greedy_kmeans_plusplus(X[rows], n_codewords, rng, sample_weight=weight,
                                  n_local_trials=n_local_trials, n_threads=n_threads)


def greedy_kmeans_plusplus(X, n_codewords, rng, *, sample_weight=None, n_local_trials=None,
                           n_threads=None):
    """Exact greedy k-means++ seeding on all rows (Arthur & Vassilvitskii 2007, as in scikit-learn).

    Each new codeword is the best of ``n_local_trials`` candidates drawn with
    probability proportional to ``weight * D(x)^2`` (the one that lowers the
    potential ``sum weight * D(x)^2`` most). Dense input keeps, for every row,
    its nearest codeword so far and skips the rows that the triangle
    inequality proves a candidate cannot bring closer
    (:class:`vqtoolkit.kernels.SeedingState`): the same choices, most rows
    untouched once a few codewords exist. ``init='greedy-k-means++'`` seeds
    with this on all rows.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
    n_codewords : int
    rng : numpy.random.RandomState
    sample_weight : ndarray of shape (n_samples,), optional
    n_local_trials : int, optional
        Defaults to ``2 + int(log(n_codewords))``.
    n_threads : int, optional
        Results do not depend on it.

    Returns
    -------
    centers : ndarray of shape (n_codewords, n_features), dtype of ``X``
    """
    n = X.shape[0]
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_codewords))
    if sp.issparse(X):
        return _kmeans_plusplus_sparse(X, n_codewords, rng, w, n_local_trials, n_threads)
    with kernels.single_threaded_blas():
        state = kernels.SeedingState(X, sample_weight, n_centers=n_codewords, n_threads=n_threads)
        return _greedy_dense(X, n_codewords, rng, w, n_local_trials, state)


def _greedy_dense(X, n_codewords, rng, w, n_local_trials, state):
    n, d = X.shape
    centers = np.empty((n_codewords, d), dtype=X.dtype)
    first = _weighted_choice(rng, w, 1)[0]
    centers[0] = X[int(first)]
    with np.errstate(over="ignore", invalid="ignore"):
        pot = state.add(centers[0])
    if not np.isfinite(pot):
        raise overflow_error(X.shape)
    for c in range(1, n_codewords):
        if pot <= 0:  # fewer distinct points than codewords: duplicate an existing row
            centers[c] = _row(X, _weighted_choice(rng, w, 1)[0])
            continue
        rand = rng.uniform(size=n_local_trials) * pot
        cum = np.cumsum(w * state.closest)
        cand = np.searchsorted(cum, rand)
        np.clip(cand, None, n - 1, out=cand)
        cand_rows = X[cand]
        best = int(np.argmax(state.gains(cand_rows)))
        centers[c] = cand_rows[best]
        pot = state.add(cand_rows[best])
    return centers


def _kmeans_plusplus_sparse(X, n_codewords, rng, w, n_local_trials, n_threads):
    """Greedy k-means++ for CSR rows: every candidate's distances through the kernels."""
    n, d = X.shape
    centers = np.empty((n_codewords, d), dtype=X.dtype)
    first = _weighted_choice(rng, w, 1)[0]
    centers[0] = _row(X, first)
    closest = kernels.min_sq_distances(X, centers[:1], n_threads=n_threads)
    pot = float(w @ closest)
    for c in range(1, n_codewords):
        if pot <= 0:  # fewer distinct points than codewords: duplicate an existing row
            centers[c] = _row(X, _weighted_choice(rng, w, 1)[0])
            continue
        rand = rng.uniform(size=n_local_trials) * pot
        cum = np.cumsum(w * closest)
        cand = np.searchsorted(cum, rand)
        np.clip(cand, None, n - 1, out=cand)
        cand_rows = np.vstack([_row(X, i) for i in cand])
        dist = kernels.pairwise_sq_distances(X, cand_rows, n_threads=n_threads).astype(np.float64)
        np.minimum(dist, closest[:, None], out=dist)
        pots = w @ dist
        best = int(np.argmin(pots))
        pot = float(pots[best])
        closest = dist[:, best].copy()
        centers[c] = cand_rows[best]
    return centers


def random_rows(X, n_codewords, rng, *, sample_weight=None):
    """``n_codewords`` distinct rows drawn at random (with probability ∝ weight).

    Returns
    -------
    centers : ndarray of shape (n_codewords, n_features), dtype of ``X``
    """
    w = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
    idx = random_row_numbers(w, n_codewords, rng)
    return np.vstack([_row(X, i) for i in idx]).astype(X.dtype, copy=False)


def random_row_numbers(w, n_codewords, rng):
    """``n_codewords`` distinct row numbers drawn with probability ``w / w.sum()``.

    Parameters
    ----------
    w : ndarray of shape (n_samples,)
        Non-negative weights (ones for unweighted rows).

    Returns
    -------
    ndarray of shape (n_codewords,), int
    """
    positive = int((w > 0).sum())
    if positive < n_codewords:
        raise ParameterError(
            f"init='random' needs {n_codewords} rows with positive weight; X has {positive}"
        )
    return _weighted_choice(rng, w, n_codewords, replace=False)


def split_codewords(centers, spread, which, rng, *, epsilon=1e-3):
    """LBG split: replace each codeword in ``which`` by two, at ``c ± epsilon * spread * u``.

    Parameters
    ----------
    centers : ndarray of shape (k, n_features)
    spread : ndarray of shape (k,)
        Root-mean-square distance of each codeword's members (sets the step).
    which : ndarray of int
        Indices of the codewords to split.
    rng : numpy.random.RandomState
        Draws the random unit directions ``u``.
    epsilon : float
        Relative size of the perturbation.

    Returns
    -------
    ndarray of shape (k + len(which), n_features)
        The perturbed codewords ``c + δ`` in place, the new ones ``c - δ`` appended.
    """
    centers = np.array(centers, dtype=np.float64, copy=True)
    d = centers.shape[1]
    new = []
    for j in which:
        u = rng.normal(size=d)
        u /= np.linalg.norm(u) or 1.0
        step = epsilon * max(float(spread[j]), 1e-12) * u
        new.append(centers[j] - step)
        centers[j] = centers[j] + step
    return np.vstack([centers, *new]) if new else centers


def _weighted_choice(rng, w, size, replace=True):
    total = w.sum()
    return rng.choice(w.shape[0], size=size, replace=replace, p=w / total)


def _rows(X, rows):
    """Rows by number as a dense C-contiguous array in the dtype of ``X``."""
    if sp.issparse(X):
        return X[rows].toarray()
    return np.ascontiguousarray(X[rows])


def _row(X, i):
    if sp.issparse(X):
        return X[int(i)].toarray().ravel()
    return X[int(i)]
