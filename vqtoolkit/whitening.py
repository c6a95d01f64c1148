"""Whitening: rescale features before clustering, and map codewords back exactly.

k-means measures squared Euclidean distance, so a feature with a large spread
dominates the clustering. Whitening removes that effect; because every method
here is an invertible affine map, codewords found in the whitened space are
mapped back to original units with :meth:`Whitener.inverse_transform`.

Methods (``Z`` is the whitened data, ``mu`` the mean, ``sigma`` the standard
deviation per feature, ``Sigma = V diag(lambda) V^T`` the covariance):

``'scale'``
    ``Z = X / sigma``. No centring. Identical to :func:`scipy.cluster.vq.whiten`
    (which, unlike this class, keeps no scale to undo it). Works on sparse CSR
    input without densifying.
``'standard'``
    ``Z = (X - mu) / sigma``. Same distances as ``'scale'``; centring keeps
    float32 arithmetic accurate for data far from the origin.
``'pca'``
    ``Z = (X - mu) V diag(lambda + eps)^-1/2``: decorrelated, unit variance,
    axes along the principal components.
``'zca'``
    ``Z = (X - mu) V diag(lambda + eps)^-1/2 V^T``: like ``'pca'`` but rotated
    back, so whitened features stay close to the original ones.

After ``'pca'`` or ``'zca'`` the covariance is the identity, so Euclidean
distance after whitening is Mahalanobis distance before.

Constant features: their standard deviation is zero; the scale is set to 1
(the feature is left as is, after centring) and a :class:`UserWarning` names
them. For ``'pca'``/``'zca'``, eigenvalues are regularised by
``eps * max(lambda)`` so a singular covariance never divides by zero.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin

from ._feature_names import check_input, record_feature_names
from ._validation import check_fitted, check_n_features, check_sample_weight, check_X
from .errors import ParameterError
from .moments import block_moments

__all__ = ["Whitener", "METHODS"]

METHODS = ("scale", "standard", "pca", "zca")


class Whitener(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Invertible whitening of feature matrices.

    Parameters
    ----------
    method : {'scale', 'standard', 'pca', 'zca'}, default='standard'
        See the module docstring for what each does.
    eps : float, default=1e-10
        Regularisation for ``'pca'``/``'zca'``, relative to the largest
        eigenvalue of the covariance.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,), float64
        Feature means (zeros for ``'scale'``).
    scale_ : ndarray of shape (n_features,), float64
        Standard deviations, with 1 for constant features.
    components_ : ndarray of shape (n_features, n_features), float64
        Whitening matrix ``W`` (``Z = (X - mean_) @ components_``); diagonal for
        ``'scale'`` and ``'standard'``.
    inverse_components_ : ndarray of shape (n_features, n_features), float64
        ``W^-1``, so ``X = Z @ inverse_components_ + mean_``.
    explained_variance_ : ndarray of shape (n_features,), float64
        Covariance eigenvalues (``'pca'``/``'zca'``) or variances.
    n_features_in_ : int
    feature_names_in_ : ndarray of str, only for DataFrame input
        The column names; :meth:`get_feature_names_out` returns them (whitening
        keeps one column per input feature), and :meth:`transform` refuses a
        DataFrame whose columns differ from them.
    """

    def __init__(self, method="standard", *, eps=1e-10):
        self.method = method
        self.eps = eps

    def fit(self, X, y=None, sample_weight=None):
        """Learn the mean, scale and (for ``'pca'``/``'zca'``) rotation.

        Parameters
        ----------
        X : array-like or CSR matrix of shape (n_samples, n_features)
        y : ignored
        sample_weight : array-like of shape (n_samples,), optional
            Weighted statistics; a weight of 2 equals a repeated row.

        Returns
        -------
        self : Whitener
        """
        self._check_params()
        checked = check_X(X, accept_sparse=True, what="Whitener.fit")
        X = checked.X
        if sp.issparse(X) and self.method != "scale":
            raise ParameterError(
                f"method={self.method!r} centres the data, which would densify the sparse "
                f"input of shape {X.shape}; use method='scale' for sparse input"
            )
        w = check_sample_weight(sample_weight, X.shape[0])
        mom = block_moments(X, w, order=self.moments_order, check_finite=False)  # check_X did
        second = mom.var if self.moments_order == "var" else mom.cov
        self._fit_moments(mom.mean, second, what=f"X (shape {X.shape})")
        record_feature_names(self, checked.feature_names)
        return self

    @property
    def moments_order(self):
        """The moments this method needs: ``'var'`` (variances) or ``'cov'`` (covariance)."""
        return "var" if self.method in ("scale", "standard") else "cov"

    def fit_moments(self, mean, covariance):
        """Fit from the data's weighted mean and covariance instead of the rows.

        A whitener depends on the data only through these moments, so this
        gives exactly what :meth:`fit` gives on data with these moments; the
        Dask engine fits whiteners this way from moments computed per chunk.

        Parameters
        ----------
        mean : array-like of shape (n_features,)
        covariance : array-like of shape (n_features, n_features) or (n_features,)
            The (population) covariance, or only the variances for ``'scale'``
            and ``'standard'``.

        Returns
        -------
        self : Whitener
        """
        self._check_params()
        mean = np.asarray(mean, dtype=np.float64)
        cov = np.asarray(covariance, dtype=np.float64)
        d = mean.shape[0] if mean.ndim == 1 else -1
        if mean.ndim != 1 or cov.shape not in ((d,), (d, d)) or not (
                np.isfinite(mean).all() and np.isfinite(cov).all()):
            raise ParameterError(
                f"fit_moments needs a finite mean of shape (n_features,) and a covariance of "
                f"shape (n_features, n_features) or variances (n_features,); got {mean.shape} "
                f"and {cov.shape}"
            )
        if cov.ndim == 1 and self.moments_order == "cov":
            raise ParameterError(f"method={self.method!r} needs the full covariance, not variances")
        if cov.ndim == 2 and self.moments_order == "var":
            cov = np.diag(cov)
        self._fit_moments(mean, cov, what="the moments")
        record_feature_names(self, None)
        return self

    def _check_params(self):
        if self.method not in METHODS:
            raise ParameterError(f"method={self.method!r} is not one of {METHODS}")
        if not (np.isscalar(self.eps) and self.eps >= 0):
            raise ParameterError(f"eps={self.eps!r} must be a non-negative number")

    def _fit_moments(self, mean, second, *, what):
        d = mean.shape[0]
        if self.method in ("scale", "standard"):
            var = np.maximum(second, 0.0)
            scale = np.sqrt(var)
            const = scale <= np.finfo(np.float64).eps * np.maximum(np.abs(mean), 1.0)
            if const.any():
                cols = np.flatnonzero(const)[:10].tolist()
                warnings.warn(
                    f"{int(const.sum())} constant feature(s) (columns {cols}) have zero "
                    "standard deviation; their scale is set to 1",
                    UserWarning,
                    stacklevel=3,
                )
                scale = np.where(const, 1.0, scale)
            self.mean_ = mean if self.method == "standard" else np.zeros(d)
            self.scale_ = scale
            self.explained_variance_ = var
            self.components_ = np.diag(1.0 / scale)
            self.inverse_components_ = np.diag(scale)
        else:
            cov = (second + second.T) / 2
            evals, evecs = np.linalg.eigh(cov)
            order = np.argsort(evals)[::-1]
            evals, evecs = np.maximum(evals[order], 0.0), evecs[:, order]
            # deterministic signs: largest-magnitude entry of each vector positive
            signs = np.sign(evecs[np.argmax(np.abs(evecs), axis=0), np.arange(d)])
            evecs = evecs * np.where(signs == 0, 1.0, signs)
            floor = self.eps * max(evals[0], np.finfo(np.float64).tiny)
            if floor > 0 and np.any(evals < floor):
                warnings.warn(
                    f"the covariance is singular or nearly so ({int((evals < floor).sum())} of "
                    f"{d} eigenvalues below eps * max = {floor:.3g}); they are regularised",
                    UserWarning,
                    stacklevel=3,
                )
            reg = evals + floor
            if np.any(reg <= 0):
                raise ParameterError(
                    f"the covariance of {what} is zero; {self.method!r} "
                    "whitening needs eps > 0 or non-constant data"
                )
            root = np.sqrt(reg)
            W = evecs / root
            Winv = (evecs * root).T
            if self.method == "zca":
                W = W @ evecs.T
                Winv = evecs @ Winv
            self.mean_ = mean
            self.scale_ = np.sqrt(np.maximum(np.diag(cov), 0.0))
            self.explained_variance_ = evals
            self.components_ = W
            self.inverse_components_ = Winv
        self.n_features_in_ = d
        return self

    def transform(self, X):
        """Whiten ``X``.

        Parameters
        ----------
        X : array-like or CSR matrix of shape (n_samples, n_features)

        Returns
        -------
        Z : ndarray or CSR matrix of shape (n_samples, n_features)
            Same dtype as ``X`` (float32 stays float32); CSR stays CSR for ``'scale'``.
        """
        check_fitted(self, "components_")
        X = check_input(self, X, "transform")
        if sp.issparse(X):
            if self.method != "scale":
                raise ParameterError(
                    f"method={self.method!r} cannot transform sparse input without densifying"
                )
            return (X @ sp.diags((1.0 / self.scale_).astype(X.dtype))).tocsr()
        return self._apply(X, self.mean_, self.components_, self.scale_, forward=True)

    def inverse_transform(self, Z):
        """Map whitened data (or codewords) back to original units.

        Parameters
        ----------
        Z : array-like or CSR matrix of shape (n_samples, n_features)

        Returns
        -------
        X : ndarray of shape (n_samples, n_features), dtype of ``Z``
        """
        check_fitted(self, "components_")
        Z = check_X(Z, accept_sparse=True, what="Whitener.inverse_transform").X
        check_n_features(self, Z)
        if sp.issparse(Z):
            if self.method != "scale":
                raise ParameterError(f"method={self.method!r} cannot invert sparse input")
            return (Z @ sp.diags(self.scale_.astype(Z.dtype))).tocsr()
        return self._apply(Z, self.mean_, self.inverse_components_, self.scale_, forward=False)

    def _apply(self, X, mean, M, scale, *, forward):
        dtype = X.dtype
        X64 = np.asarray(X, dtype=np.float64)
        if self.method in ("scale", "standard"):
            out = (X64 - mean) / scale if forward else X64 * scale + mean
        else:
            out = (X64 - mean) @ M if forward else X64 @ M + mean
        return out.astype(dtype, copy=False)

    # -- files ------------------------------------------------------------------

    def _to_state(self) -> tuple[dict, dict]:
        """``(meta, arrays)`` of the fitted whitener, as stored inside a codebook or matcher file."""
        check_fitted(self, "components_")
        meta = {"method": self.method, "eps": self.eps}
        arrays = {
            "mean_": self.mean_,
            "scale_": self.scale_,
            "components_": self.components_,
            "inverse_components_": self.inverse_components_,
            "explained_variance_": self.explained_variance_,
        }
        return meta, arrays

    @classmethod
    def _from_state(cls, meta: dict, arrays: dict, path) -> Whitener:
        """Rebuild a whitener from :meth:`_to_state` output; ``path`` names the file in errors."""
        from .errors import FileFormatError

        missing = sorted(set(_STATE_ARRAYS) - set(arrays))
        try:
            if missing:
                raise KeyError(f"no arrays {missing}")
            self = cls(meta["method"], eps=meta["eps"])
            for key in _STATE_ARRAYS:
                setattr(self, key, np.asarray(arrays[key], dtype=np.float64))
            self.n_features_in_ = self.mean_.shape[0]
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise FileFormatError(f"{path}: not a valid whitener ({exc})") from None
        return self


_STATE_ARRAYS = ("mean_", "scale_", "components_", "inverse_components_", "explained_variance_")


def resolve_whitener(whiten) -> Whitener | None:
    """Turn the ``whiten`` parameter of an estimator into an unfitted Whitener or None."""
    if whiten is None or whiten is False:
        return None
    if isinstance(whiten, Whitener):
        from sklearn.base import clone

        return clone(whiten)
    if isinstance(whiten, str):
        if whiten not in METHODS:
            raise ParameterError(
                f"whiten={whiten!r} is not one of None, {', '.join(map(repr, METHODS))} "
                "or a Whitener"
            )
        return Whitener(whiten)
    raise ParameterError(
        f"whiten={whiten!r} must be None, a method name {METHODS} or a Whitener"
    )
