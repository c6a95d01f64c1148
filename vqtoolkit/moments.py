"""Weighted column moments of a block of rows, and how two blocks' moments add up.

Whitening and the metric spaces depend on the data only through its weighted
mean and its variances or covariance. Both fit backends compute those here:
the in-memory one over the whole matrix, the Dask one per chunk, added in
chunk order with :meth:`Moments.__add__` (the pairwise update of Chan, Golub
& LeVeque 1983, exact in exact arithmetic and stable in floating point).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from . import kernels

__all__ = ["Moments", "block_moments", "ORDERS"]

#: ``'mean'``: weight and mean; ``'var'``: and the variances; ``'cov'``: and the covariance.
ORDERS = ("mean", "var", "cov")
_RANK = {name: i for i, name in enumerate(ORDERS)}


@dataclass(frozen=True)
class Moments:
    """Weighted moments of some rows.

    Attributes
    ----------
    weight : float
        Total sample weight.
    mean : ndarray of shape (n_features,), float64
    m2 : ndarray of shape (n_features,) or (n_features, n_features), float64, or None
        ``sum_i w_i (x_i - mean)**2`` per column (order ``'var'``) or the
        weighted scatter matrix (order ``'cov'``); None for ``'mean'``.
    n_bad : int
        NaN or infinite entries seen.
    n_bad_weights : int
        Negative, NaN or infinite weights seen.
    """

    weight: float
    mean: np.ndarray
    m2: np.ndarray | None
    n_bad: int = 0
    n_bad_weights: int = 0

    @property
    def var(self):
        """Weighted (population) variance of every column, shape (n_features,)."""
        m2 = self.m2 if self.m2.ndim == 1 else np.diag(self.m2)
        return np.maximum(m2 / self.weight, 0.0)

    @property
    def cov(self):
        """Weighted (population) covariance, shape (n_features, n_features)."""
        return self.m2 / self.weight

    def __add__(self, other: Moments) -> Moments:
        wa, wb = self.weight, other.weight
        w = wa + wb
        bad = (self.n_bad + other.n_bad, self.n_bad_weights + other.n_bad_weights)
        if wb == 0:
            return Moments(w, self.mean, self.m2, *bad)
        if wa == 0:
            return Moments(w, other.mean, other.m2, *bad)
        delta = other.mean - self.mean
        mean = self.mean + delta * (wb / w)
        m2 = None
        if self.m2 is not None:
            f = wa * wb / w
            extra = f * delta * delta if self.m2.ndim == 1 else f * np.outer(delta, delta)
            m2 = self.m2 + other.m2 + extra
        return Moments(w, mean, m2, *bad)


def block_moments(X, sample_weight=None, order="var", *, check_finite=True) -> Moments:
    """Moments of one block of rows (dense or CSR), in float64.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
    sample_weight : ndarray of shape (n_samples,), optional
    order : {'mean', 'var', 'cov'}
    check_finite : bool, default=True
        Count NaN and infinite entries (one more pass over ``X``); False for
        rows already validated (``check_X`` made the same pass).

    Returns
    -------
    Moments
        Non-finite values and weights are counted, not raised: the caller
        names the input in its error.
    """
    n, d = X.shape
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    n_bad_w = 0 if w is None else int(np.count_nonzero(~np.isfinite(w) | (w < 0)))
    if n_bad_w:
        w = np.where(np.isfinite(w) & (w >= 0), w, 0.0)
    weight = float(n if w is None else w.sum())
    data = X.data if sp.issparse(X) else X
    n_bad = 0 if not check_finite or kernels.all_finite(data) else \
        int(data.size - np.count_nonzero(np.isfinite(data)))
    if n == 0 or weight == 0 or n_bad:
        m2 = None if order == "mean" else np.zeros((d, d) if order == "cov" else d)
        return Moments(weight, np.zeros(d), m2, n_bad, n_bad_w)
    ww = np.ones(n) if w is None else w
    if sp.issparse(X):
        mean = np.asarray(X.T @ ww).ravel() / weight
        if order == "mean":
            return Moments(weight, mean, None, 0, n_bad_w)
        if order == "cov":
            scatter = np.asarray((X.T @ X.multiply(ww[:, None]).tocsr()).todense(), dtype=np.float64)
            return Moments(weight, mean, scatter - weight * np.outer(mean, mean), 0, n_bad_w)
        sq = np.asarray(X.multiply(X).T @ ww).ravel()
        return Moments(weight, mean, np.maximum(sq - weight * mean * mean, 0.0), 0, n_bad_w)
    if _RANK[order] <= _RANK["var"]:
        mean, var = kernels.column_moments(X, w)  # one pass, no copy of X
        return Moments(weight, mean, None if order == "mean" else var * weight, 0, n_bad_w)
    mean = ww @ np.asarray(X, dtype=np.float64) / weight if n <= 65536 else \
        kernels.column_moments(X, w)[0]
    scatter = np.zeros((d, d))
    for start in range(0, n, 65536):  # blocks: no float64 copy of the whole matrix
        Xc = np.asarray(X[start:start + 65536], dtype=np.float64) - mean
        scatter += (Xc * ww[start:start + 65536, None]).T @ Xc
    return Moments(weight, mean, scatter, 0, n_bad_w)
