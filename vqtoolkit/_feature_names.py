"""Feature names for scikit-learn's ``get_feature_names_out`` / ``set_output``, and checks of them.

Estimators whose ``transform`` gives one column per codeword (the distance to
it) name their output columns after the class, lower-cased, followed by the
codeword number: ``codebook0, codebook1, …`` for :class:`~vqtoolkit.Codebook`,
exactly as scikit-learn's ``KMeans`` gives ``kmeans0, kmeans1, …``.

An estimator fitted on a pandas DataFrame records its column names in
``feature_names_in_``; a later DataFrame with other names, or the same names in
another order, is refused with scikit-learn's message. A plain array is
accepted (the column position decides), as before.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassNamePrefixFeaturesOutMixin

from ._validation import check_n_features, check_X
from .errors import ParameterError

__all__ = ["CodewordFeaturesOutMixin", "check_feature_names", "check_input", "record_feature_names"]


class CodewordFeaturesOutMixin(ClassNamePrefixFeaturesOutMixin):
    """``get_feature_names_out`` for a ``transform`` with one column per codeword.

    The number of columns is the length of the fitted attribute named by
    ``_codeword_attribute``; before fitting, ``get_feature_names_out`` raises
    scikit-learn's ``NotFittedError``.
    """

    _codeword_attribute = "cluster_centers_"

    @property
    def _n_features_out(self):
        return len(getattr(self, self._codeword_attribute))  # AttributeError before fit


def record_feature_names(estimator, names) -> None:
    """Set ``feature_names_in_`` (DataFrame input) or remove a stale one (arrays)."""
    if names is not None:
        estimator.feature_names_in_ = np.asarray(names, dtype=object)
    elif hasattr(estimator, "feature_names_in_"):
        del estimator.feature_names_in_


def check_feature_names(estimator, X) -> None:
    """Refuse a DataFrame whose column names differ from those seen in ``fit``, as scikit-learn does.

    Only the names are looked at (before the values, as in scikit-learn); plain
    arrays, and estimators fitted on plain arrays, pass.

    Raises
    ------
    ParameterError
        Names unseen at fit time, names missing, or the same names in another order.
    """
    fitted = getattr(estimator, "feature_names_in_", None)
    if fitted is None or not (hasattr(X, "columns") and hasattr(X, "index") and hasattr(X, "to_numpy")):
        return
    names = np.asarray([str(c) for c in X.columns], dtype=object)  # as check_X names them
    if names.shape == fitted.shape and np.array_equal(names, fitted):
        return
    unseen = sorted(set(names) - set(fitted))
    missing = sorted(set(fitted) - set(names))
    message = "The feature names should match those that were passed during fit.\n"
    if unseen:
        message += "Feature names unseen at fit time:\n" + _bullets(unseen)
    if missing:
        message += "Feature names seen at fit time, yet now missing:\n" + _bullets(missing)
    if not unseen and not missing:
        message += "Feature names must be in the same order as they were in fit.\n"
    raise ParameterError(f"{message}({type(estimator).__name__} was fitted on {list(fitted)[:10]})")


def check_input(estimator, X, method, *, accept_sparse=True):
    """Validated rows of ``X`` for ``estimator.method``: column names, values, then feature count.

    Names come first, as in scikit-learn: a DataFrame built with other column
    names is refused for its names, not for the NaN its reindexing left.

    Returns
    -------
    ndarray or CSR matrix of shape (n_samples, n_features)
    """
    check_feature_names(estimator, X)
    X = check_X(X, accept_sparse=accept_sparse, what=f"{type(estimator).__name__}.{method}").X
    check_n_features(estimator, X)
    return X


def _bullets(names, limit=5):
    lines = [f"- {name}\n" for name in names[:limit]]
    return "".join(lines) + ("- ...\n" if len(names) > limit else "")
