"""Initial codebooks: k-means++, random rows, and LBG splitting.

All distances come from :mod:`vqtoolkit.kernels`; every function takes a
``numpy.random.RandomState`` made by ``check_random_state``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from . import kernels
from .errors import ParameterError, overflow_error

__all__ = ["kmeans_plusplus", "random_rows", "random_row_numbers", "split_codewords", "INIT_METHODS"]

INIT_METHODS = ("k-means++", "random", "lbg")


def kmeans_plusplus(X, n_codewords, rng, *, sample_weight=None, n_local_trials=None,
                    n_threads=None):
    """Greedy k-means++ seeding (Arthur & Vassilvitskii 2007, as in scikit-learn).

    Each new codeword is the best of ``n_local_trials`` candidates drawn with
    probability proportional to ``weight * D(x)^2`` (the one that lowers the
    potential ``sum weight * D(x)^2`` most). Dense input keeps, for every row,
    its nearest codeword so far and skips the rows that the triangle
    inequality proves a candidate cannot bring closer
    (:class:`vqtoolkit.kernels.SeedingState`): the same choices, most rows
    untouched once a few codewords exist.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
    n_codewords : int
    rng : numpy.random.RandomState
    sample_weight : ndarray of shape (n_samples,), optional
    n_local_trials : int, optional
        Defaults to ``2 + int(log(n_codewords))``.

    Returns
    -------
    centers : ndarray of shape (n_codewords, n_features), dtype of ``X``
    """
    n, d = X.shape
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_codewords))
    if sp.issparse(X):
        return _kmeans_plusplus_sparse(X, n_codewords, rng, w, n_local_trials, n_threads)
    centers = np.empty((n_codewords, d), dtype=X.dtype)
    state = kernels.SeedingState(X, sample_weight, n_centers=n_codewords, n_threads=n_threads)
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


def _row(X, i):
    if sp.issparse(X):
        return X[int(i)].toarray().ravel()
    return X[int(i)]
