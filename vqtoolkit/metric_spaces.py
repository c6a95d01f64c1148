"""More metrics for ``Codebook(metric=...)``: correlation, Mahalanobis and city-block.

Like ``'euclidean'`` and ``'cosine'`` (:mod:`vqtoolkit.spaces`), each metric is
reduced to a space where the shared kernels and the Lloyd loop apply, and each
update rule is the *exact* minimiser of the metric's objective for fixed codes:

``'correlation'``
    Objective: mean of ``1 - r(x, c)`` with ``r`` the Pearson correlation
    between an observation and its codeword (both read as vectors of
    ``n_features`` values). Each row is centred (its own mean subtracted) and
    scaled to unit length; then ``1 - r = |x - c|^2 / 2`` and the problem is
    spherical k-means on those rows (``distortion_`` is the mean squared
    distance there, ``2 * mean(1 - r)``). Update: the normalised sum of the members
    (exact maximiser of the total correlation); codewords stay centred and
    unit-length. Constant rows have no correlation: they become the zero vector
    (distance 1 to every codeword). Dense input only.
``'mahalanobis'``
    Objective: mean squared Mahalanobis distance ``(x - c)^T S^-1 (x - c)``
    with ``S`` the (weighted) covariance of the training data, or the matrix
    given as ``MahalanobisSpace(cov=S)``. Exactly Euclidean k-means after ZCA
    whitening ``z = (x - mu) S^-1/2``; update: the mean (exact); codewords
    are mapped back to original units with ``S^1/2``. The whitening (mean,
    ``S^-1/2`` and ``S^1/2``) is saved with the codebook. Dense input only.
``'cityblock'``
    Objective: mean L1 (city-block) distance ``sum_t |x_t - c_t|``.
    Assignment by L1 distance (the kernels' ``'cityblock'`` pass); update: the
    coordinate-wise (weighted) median of the members, the exact minimiser of
    the total L1 distance for fixed codes (k-medians). ``distortion_`` is the
    mean L1 distance (not squared) and ``transform`` returns L1 distances.
    Seeding (k-means++) still uses squared Euclidean distances. Dense input only.

Importing this module registers the three names with
:func:`vqtoolkit.spaces.register_space`; :func:`vqtoolkit.spaces.get_space`
imports it automatically the first time an unknown metric name is asked for.
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp

from .errors import ParameterError
from .spaces import EuclideanSpace, register_space

__all__ = ["CorrelationSpace", "MahalanobisSpace", "CityblockSpace"]


def _dense(X, metric):
    if sp.issparse(X):
        raise ParameterError(
            f"metric={metric!r} needs dense input; got a sparse matrix of shape {X.shape}"
        )
    return X


class CorrelationSpace(EuclideanSpace):
    """Rows centred and scaled to unit length; spherical updates (Pearson correlation)."""

    name = "correlation"
    update = "spherical"
    accepts_sparse = False

    def moments_order(self, *, dtype, sparse, centred):
        return None

    def transform(self, X):
        """Row-centred unit rows; the dtype of ``X`` is kept."""
        return _centre_normalise(_dense(X, self.name))

    def project(self, C):
        """Centre and normalise candidate codewords (the admissible set)."""
        return _centre_normalise(np.asarray(C, dtype=np.float64))


class MahalanobisSpace(EuclideanSpace):
    """ZCA whitening with the data's covariance (or ``cov``); Euclidean k-means there.

    Parameters
    ----------
    cov : array-like of shape (n_features, n_features), optional
        A symmetric positive definite covariance to use instead of the
        covariance of the training data. Pass the space itself as the metric:
        ``Codebook(metric=MahalanobisSpace(cov=S))``.
    eps : float, default=1e-10
        Regularisation of the data covariance's eigenvalues, relative to the
        largest (as :class:`~vqtoolkit.Whitener`).

    Notes
    -----
    A saved codebook keeps the whitening it was trained with; reloaded, its
    ``metric`` parameter reads ``'mahalanobis'``, so refitting the reloaded
    estimator uses the new data's covariance.
    """

    name = "mahalanobis"
    update = "mean"
    accepts_sparse = False

    def __init__(self, cov=None, *, eps=1e-10):
        super().__init__()
        self.cov = cov
        self.eps = eps
        self._cache = None

    def moments_order(self, *, dtype, sparse, centred):
        return "cov" if self.cov is None else "mean"

    def fit(self, mean, second, *, dtype, sparse, centred):
        """Fit the whitening ``S^-1/2`` from the mean and covariance of the rows; no shift."""
        d = mean.shape[0]
        if self.cov is None:
            from .whitening import Whitener

            wh = Whitener("zca", eps=self.eps).fit_moments(mean, second)
            mean, W, Winv = wh.mean_, wh.components_, wh.inverse_components_
        else:
            W, Winv = _inverse_sqrt(self.cov, d)
        self.state = {"metric": self.name, "mean": mean.tolist(), "whiten": W.tolist(),
                      "unwhiten": Winv.tolist()}
        self._cache = None
        return None

    def transform(self, X):
        """``(X - mean) @ S^-1/2`` (dtype kept)."""
        X = _dense(X, self.name)
        mean, W, _ = self._matrices()
        if W.shape[0] != X.shape[1]:
            raise ParameterError(
                f"metric='mahalanobis': X has {X.shape[1]} features but the covariance is "
                f"{W.shape[0]} x {W.shape[0]}"
            )
        out = (np.asarray(X, dtype=np.float64) - mean) @ W
        return out.astype(X.dtype, copy=False)

    def from_training(self, C):
        """Codewords back to the units the space received: ``C @ S^1/2 + mean``."""
        mean, _, Winv = self._matrices()
        return np.asarray(C, dtype=np.float64) @ Winv + mean

    # -- internals ----------------------------------------------------------------

    def _matrices(self):
        if "whiten" not in self.state:
            raise ParameterError("metric='mahalanobis': the whitening has not been fitted")
        if self._cache is None or self._cache[0] is not self.state:
            self._cache = (self.state, np.asarray(self.state["mean"], dtype=np.float64),
                           np.asarray(self.state["whiten"], dtype=np.float64),
                           np.asarray(self.state["unwhiten"], dtype=np.float64))
        return self._cache[1:]

    def __deepcopy__(self, memo):
        new = type(self)(None if self.cov is None else np.array(self.cov, dtype=np.float64),
                         eps=self.eps)
        new.state = dict(self.state)
        return new

    def __getstate__(self):  # shipped to Dask workers: no cached matrices
        return {"cov": self.cov, "eps": self.eps, "state": self.state}

    def __setstate__(self, state):
        self.cov, self.eps, self.state = state["cov"], state["eps"], state["state"]
        self._cache = None

    def __repr__(self):
        return "MahalanobisSpace()" if self.cov is None else "MahalanobisSpace(cov=<given>)"


class CityblockSpace(EuclideanSpace):
    """L1 assignment and coordinate-wise median updates (k-medians)."""

    name = "cityblock"
    update = "median"
    assign_metric = "cityblock"
    accepts_sparse = False

    def moments_order(self, *, dtype, sparse, centred):
        return None  # the median is shift-equivariant: no centring needed

    def transform(self, X):
        return _dense(X, self.name)


def _centre_normalise(X):
    X64 = np.asarray(X, dtype=np.float64)
    Xc = X64 - X64.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(Xc, axis=1, keepdims=True)
    out = np.divide(Xc, norms, out=np.zeros_like(Xc), where=norms > 1e-12 * (1 + np.abs(X64).max(
        axis=1, keepdims=True)))
    return out.astype(X.dtype, copy=False)


def _inverse_sqrt(cov, d):
    S = np.asarray(cov, dtype=np.float64)
    if S.shape != (d, d):
        raise ParameterError(
            f"cov has shape {S.shape}; expected (n_features, n_features) = ({d}, {d})"
        )
    if not np.isfinite(S).all() or not np.allclose(S, S.T, rtol=1e-10, atol=1e-12 * np.abs(S).max()):
        raise ParameterError("cov must be a finite symmetric matrix")
    evals, evecs = np.linalg.eigh((S + S.T) / 2)
    if evals.min() <= 0 or (isinstance(evals.max(), numbers.Real) and evals.min() <= 1e-14 * evals.max()):
        raise ParameterError(
            f"cov must be positive definite; its smallest eigenvalue is {evals.min():.3g}"
        )
    root = np.sqrt(evals)
    return (evecs / root) @ evecs.T, (evecs * root) @ evecs.T


register_space("correlation", CorrelationSpace)
register_space("mahalanobis", MahalanobisSpace)
register_space("cityblock", CityblockSpace)
