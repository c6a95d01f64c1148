"""Training spaces: how rows enter the space where Lloyd runs, and how codewords come back.

A fit sees its rows through one :class:`TrainingSpace`: the whitening (a
:class:`~vqtoolkit.Whitener`, optional), then the *metric space* (one object per
metric), then a centring shift. Each metric is reduced exactly to squared
Euclidean distance (or, for ``'cityblock'``, L1) in its space, so the shared
kernels and the one fit driver serve every metric. A metric space says

- how rows enter its space (:meth:`transform`, chunk by chunk, dtype kept);
- the update rule (``update``: ``'mean'``, ``'spherical'`` or ``'median'``) and
  the assignment distance (``assign_metric``), which also defines the distortion;
- which column moments of the data it needs to be fitted (``moments_order``) and
  how it is fitted from them (:meth:`fit`), so the in-memory and the Dask
  backends fit it identically from moments;
- how codewords are mapped back (:meth:`project`, :meth:`from_training`).

``'euclidean'``
    Objective: mean squared Euclidean distance. Update: the mean (exact).
    Dense float32 data far from the origin (squared mean above 100 times the
    total variance) is centred for accurate arithmetic; the shift is added
    back to the codewords. Other data is used as is (no copy).
``'cosine'``
    Objective: mean of ``1 - cos(x, c)`` (= half the squared distance between
    unit vectors). Rows are scaled to unit length (CSR stays CSR); update: the
    normalised sum, the exact maximiser of total cosine similarity
    (spherical k-means, Dhillon & Modha 2001).

``'correlation'``, ``'mahalanobis'`` and ``'cityblock'`` live in
:mod:`vqtoolkit.metric_spaces`. A space object has a small JSON ``state``
saved with the codebook.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from .errors import ParameterError
from .moments import ORDERS
from .whitening import resolve_whitener

__all__ = ["get_space", "register_space", "METRICS", "EuclideanSpace", "CosineSpace",
           "TrainingSpace", "far_from_origin"]


#: float32 data whose squared mean exceeds this many times its total variance is centred
#: (a copy) before clustering: far from the origin, ``|c|^2/2 - x.c`` loses the digits that
#: tell neighbouring codewords apart. Nearer data (and float64 data) is used as is.
_FAR = 100.0


def far_from_origin(mean, var) -> bool:
    """True when float32 data with these column moments must be centred (see ``_FAR``)."""
    return bool(mean @ mean > _FAR * var.sum())


class EuclideanSpace:
    """Identity mapping; float32 data far from the origin is centred for accuracy."""

    name = "euclidean"
    update = "mean"
    assign_metric = "sqeuclidean"
    accepts_sparse = True

    def __init__(self):
        self.state = {"metric": self.name}

    def moments_order(self, *, dtype, sparse, centred):
        """Moments :meth:`fit` needs (None, ``'var'`` or ``'cov'``) of the rows it receives."""
        if sparse or centred or dtype != np.float32:
            return None
        return "var"

    def fit(self, mean, second, *, dtype, sparse, centred):
        """Fit from the column moments of the rows it receives; returns the centring shift or None.

        Parameters
        ----------
        mean : ndarray of shape (n_features,)
        second : ndarray of shape (n_features,) or (n_features, n_features), or None
            Variances or covariance, as asked for by :meth:`moments_order`.
        """
        if self.moments_order(dtype=dtype, sparse=sparse, centred=centred) is None:
            return None
        var = second if second.ndim == 1 else np.diag(second)
        return mean if far_from_origin(mean, var) else None

    def transform(self, X):
        """Rows into this space (dtype kept); dense or CSR as accepted."""
        return X

    def project(self, C):
        """Map candidate codewords onto the admissible set (identity here)."""
        return C

    def from_training(self, C):
        """Codewords from this space back to the units it received."""
        return C


class CosineSpace(EuclideanSpace):
    """Rows scaled to unit length; codewords normalised after each update."""

    name = "cosine"
    update = "spherical"

    def moments_order(self, *, dtype, sparse, centred):
        return None

    def transform(self, X):
        if _unit_rows(X):  # TF-IDF rows already have unit length: no copy
            return X
        return normalize(X, norm="l2", copy=True)

    def project(self, C):
        return normalize(np.asarray(C, dtype=np.float64), norm="l2")


class TrainingSpace:
    """Whitening, metric space and centring shift of one fit, fitted from column moments.

    Parameters
    ----------
    whitener : Whitener or None
        Unfitted (fitted by :meth:`fit`) or already fitted (with ``fitted=True``).
    metric : metric space object (see :func:`get_space`)
    shift : ndarray of shape (n_features,), optional
        Centring of the training space (set by :meth:`fit`).

    Notes
    -----
    Three spaces are involved: *original* units; *whitened* units (after the
    whitener and the metric's mapping; ``whitened_codebook_`` lives here); and
    the *training* space, the whitened space minus ``shift``, where Lloyd runs.
    """

    def __init__(self, whitener, metric, shift=None):
        self.whitener = whitener
        self.metric = metric
        self.shift = shift

    @classmethod
    def resolve(cls, whiten, metric):
        """An unfitted space for the ``whiten`` and ``metric`` parameters of an estimator."""
        return cls(resolve_whitener(whiten), get_space(metric))

    @property
    def update(self):
        return self.metric.update

    @property
    def assign_metric(self):
        return self.metric.assign_metric

    def check_input(self, *, sparse, shape):
        """Raise when this metric cannot take sparse input."""
        if sparse and not self.metric.accepts_sparse:
            raise ParameterError(
                f"metric={self.metric.name!r} needs dense input; got a sparse matrix of shape {shape}"
            )
        if sparse and self.whitener is not None and self.whitener.method != "scale":
            raise ParameterError(
                f"whiten={self.whitener.method!r} centres the data, which would densify the "
                f"sparse input of shape {shape}; use whiten='scale' for sparse input"
            )

    def moments_order(self, *, dtype, sparse):
        """Column moments of the raw rows that :meth:`fit` needs: None, ``'var'`` or ``'cov'``."""
        wo = None if self.whitener is None else self.whitener.moments_order
        mo = self.metric.moments_order(dtype=dtype, sparse=sparse, centred=self._centred())
        orders = [o for o in (wo, mo) if o is not None]
        return max(orders, key=ORDERS.index) if orders else None

    def fit(self, moments, *, dtype, sparse):
        """Fit the whitener, then the metric space, from the moments of the raw rows.

        Parameters
        ----------
        moments : Moments or None
            Of the order :meth:`moments_order` asked for (None if it asked for none).
        """
        mean = second = None
        if moments is not None:
            mean = moments.mean
            if moments.m2 is not None:
                second = moments.var if moments.m2.ndim == 1 else moments.cov
        if self.whitener is not None:
            wsecond = second if self.whitener.moments_order == "cov" or second.ndim == 1 \
                else np.diag(second)
            self.whitener.fit_moments(mean, wsecond)
            W = self.whitener.components_
            mean = (mean - self.whitener.mean_) @ W
            second = W.T @ second @ W if second.ndim == 2 else second * np.diag(W) ** 2
        self.shift = self.metric.fit(mean, second, dtype=dtype, sparse=sparse,
                                     centred=self._centred())
        return self

    def transform(self, X):
        """Raw rows into whitened units (no shift); dense or CSR, dtype kept."""
        if self.whitener is not None:
            X = self.whitener.transform(X)
        return self.metric.transform(X)

    def to_training(self, X):
        """Raw rows into the training space (whitened units minus ``shift``)."""
        X = self.transform(X)
        if self.shift is not None:
            X = X - self.shift.astype(X.dtype)
        return X

    def codewords_in(self, C):
        """Codewords in original units -> training space (float64)."""
        C = np.asarray(C, dtype=np.float64)
        if self.whitener is not None:
            C = self.whitener.transform(C)
        C = self.metric.project(np.asarray(self.metric.transform(C), dtype=np.float64))
        return C if self.shift is None else C - self.shift

    def codewords_out(self, C):
        """Training-space codewords -> ``(whitened units, original units)``, float64."""
        trained = np.asarray(C, dtype=np.float64) + (0 if self.shift is None else self.shift)
        original = self.metric.from_training(trained)
        if self.whitener is not None:
            original = self.whitener.inverse_transform(original)
        return trained, np.asarray(original, dtype=np.float64)

    def _centred(self):
        return self.whitener is not None and self.whitener.method != "scale"


def _unit_rows(X, rtol=1e-6):
    """True when every row has L2 norm 1 (or 0); reads ``X`` in blocks, never copies it whole."""
    step = 65536
    if sp.issparse(X):
        X = sp.csr_matrix(X)
        for start in range(0, X.shape[0], step):
            lo, hi = X.indptr[start], X.indptr[min(start + step, X.shape[0])]
            starts = X.indptr[start : start + step + 1]
            filled = np.diff(starts) > 0
            if not filled.any():
                continue
            sq = np.add.reduceat(np.square(X.data[lo:hi], dtype=np.float64),
                                 starts[:-1][filled] - lo)
            if not np.all(np.abs(sq - 1.0) <= 2 * rtol):
                return False
        return True
    for start in range(0, X.shape[0], step):
        sq = np.einsum("ij,ij->i", X[start : start + step], X[start : start + step],
                       dtype=np.float64)
        if not np.all((np.abs(sq - 1.0) <= 2 * rtol) | (sq == 0.0)):
            return False
    return True


_SPACES = {"euclidean": EuclideanSpace, "sqeuclidean": EuclideanSpace, "cosine": CosineSpace}
METRICS = tuple(_SPACES)


def register_space(name: str, cls) -> None:
    """Register a metric space class under ``name`` (used by metric extensions)."""
    _SPACES[name] = cls
    global METRICS
    METRICS = tuple(_SPACES)


def get_space(metric):
    """A new space object for ``metric``.

    Raises
    ------
    ParameterError
        When the metric is unknown; the message lists the known ones.
    """
    if hasattr(metric, "transform") and hasattr(metric, "update"):  # a space object
        import copy

        return copy.deepcopy(metric)
    if not isinstance(metric, str) or metric not in _SPACES:
        _load_extensions()
    if not isinstance(metric, str) or metric not in _SPACES:
        raise ParameterError(f"metric={metric!r} is not one of {tuple(_SPACES)}")
    return _SPACES[metric]()


def _load_extensions():
    # metrics contributed by other modules register themselves on import
    import importlib

    for mod in ("vqtoolkit.metric_spaces",):
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name != mod:
                raise
