"""Metric spaces: how a ``Codebook(metric=...)`` maps data into the space where Lloyd runs.

Each metric is reduced exactly to squared Euclidean distance in a transformed
space, so the shared kernels and the Lloyd loop serve every metric:

``'euclidean'``
    Objective: mean squared Euclidean distance. Update: the mean (exact).
    Dense float32 data far from the origin (squared mean above 100 times the
    total variance) is centred (a copy) for accurate arithmetic; the shift is
    added back to the codewords. Other data is used as is (no copy).
``'cosine'``
    Objective: mean of ``1 - cos(x, c)`` (= half the squared distance between
    unit vectors). Rows are scaled to unit length (CSR stays CSR); update: the
    normalised sum, the exact maximiser of total cosine similarity
    (spherical k-means, Dhillon & Modha 2001).

A space object has a small JSON ``state`` saved with the codebook.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from . import kernels
from .errors import ParameterError

__all__ = ["get_space", "register_space", "METRICS", "EuclideanSpace", "CosineSpace"]


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

    def __init__(self):
        self.state = {"metric": self.name}

    def to_training(self, X, *, whitener=None, fit=False, sample_weight=None):
        """Return ``(X in training space, shift)``; ``shift`` is None unless centred here.

        Parameters
        ----------
        X : ndarray or CSR matrix of shape (n_samples, n_features)
        whitener : Whitener or None
            The fitted whitener (centring is skipped if it already centres).
        fit : bool
            Centring happens only while fitting.
        """
        centred = whitener is not None and whitener.method != "scale"
        if not fit or sp.issparse(X) or centred or X.dtype != np.float32:
            return X, None
        mean, var = kernels.column_moments(X, sample_weight)
        if not far_from_origin(mean, var):
            return X, None  # near the origin: float32 GEMM distances are accurate, no copy
        return (X - mean.astype(X.dtype)), mean

    def project(self, C):
        """Map candidate codewords onto the admissible set (identity here)."""
        return C

    def from_training(self, C):
        """Codewords from the training space back to whitened units."""
        return C


class CosineSpace(EuclideanSpace):
    """Rows scaled to unit length; codewords normalised after each update."""

    name = "cosine"
    update = "spherical"

    def to_training(self, X, *, whitener=None, fit=False, sample_weight=None):
        if _unit_rows(X):  # TF-IDF rows already have unit length: no copy
            return X, None
        return normalize(X, norm="l2", copy=True), None

    def project(self, C):
        return normalize(np.asarray(C, dtype=np.float64), norm="l2")


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
    if hasattr(metric, "to_training") and hasattr(metric, "update"):  # a space object
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
