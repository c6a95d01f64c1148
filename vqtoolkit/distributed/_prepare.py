"""Checks and one-pass statistics of Dask arrays (moments for whitening and centring)."""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from ..whitening import Whitener
from ._engine import tree_reduce

__all__ = ["check_dask_X", "check_dask_weight", "weighted_moments", "whitener_from_moments"]


def check_dask_X(X, *, what):
    """A 2-D float Dask array with known row chunks and every feature in one chunk."""
    import dask.array as da

    if not isinstance(X, da.Array):
        raise ParameterError(f"{what}: expected a dask.array.Array, got {type(X).__name__}")
    if X.ndim != 2:
        raise ParameterError(
            f"{what}: expected a 2-D array (n_samples, n_features), got shape {X.shape}"
        )
    if X.dtype.kind in "biu" or (X.dtype.kind == "f" and X.dtype not in (np.float32, np.float64)):
        X = X.astype(np.float64)
    elif X.dtype.kind != "f":
        raise ParameterError(
            f"{what}: dtype {X.dtype} is not numeric; expected float32, float64 or integers"
        )
    if any(np.isnan(c) for c in X.chunks[0]):
        X = X.compute_chunk_sizes()
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ParameterError(f"{what}: got an empty array of shape {X.shape}")
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    return X


def check_dask_weight(sample_weight, X):
    """``None`` or a 1-D float64 Dask array chunked like the rows of ``X`` (checked lazily)."""
    import dask.array as da

    if sample_weight is None:
        return None
    if not isinstance(sample_weight, da.Array):
        w = np.asarray(sample_weight, dtype=np.float64)
        if w.ndim == 0:
            w = np.full(X.shape[0], float(w))
        if w.shape != (X.shape[0],):
            raise ParameterError(f"sample_weight has shape {w.shape}; expected ({X.shape[0]},) to match X")
        sample_weight = da.from_array(w, chunks=(X.chunks[0],))
    if sample_weight.shape != (X.shape[0],):
        raise ParameterError(
            f"sample_weight has shape {sample_weight.shape}; expected ({X.shape[0]},) to match X"
        )
    return sample_weight.astype(np.float64).rechunk((X.chunks[0],))


def _chunk_moments(x, w, mean, order):
    x64 = np.asarray(x, dtype=np.float64)
    n = x64.shape[0]
    w = np.ones(n) if w is None else np.asarray(w, dtype=np.float64)
    bad = int(n * x64.shape[1] - np.count_nonzero(np.isfinite(x64)))
    wbad = int(np.count_nonzero(~np.isfinite(w) | (w < 0)))
    if order == 1:
        return (bad, wbad, float(w.sum()), w @ x64)
    xc = x64 - mean
    if order == 2:
        return (bad, wbad, float(w.sum()), w @ xc ** 2)
    return (bad, wbad, float(w.sum()), (xc * w[:, None]).T @ xc)


def _add(*parts):
    out = list(parts[0])
    for p in parts[1:]:
        out = [a + b for a, b in zip(out, p)]
    return tuple(out)


def weighted_moments(X, w, *, mean=None, order=1, what="X"):
    """Weighted sums over a Dask array, added in chunk order.

    Parameters
    ----------
    X : dask.array.Array of shape (n_samples, n_features)
    w : dask.array.Array of shape (n_samples,) or None
    mean : ndarray of shape (n_features,), optional
        Centre for ``order`` 2 and 3.
    order : {1, 2, 3}
        1: ``sum w x``; 2: ``sum w (x - mean)**2``; 3: ``sum w (x - mean)(x - mean)^T``.

    Returns
    -------
    wsum : float
    moment : ndarray
        Divided by ``wsum``.

    Raises
    ------
    ParameterError
        NaN or infinite values in ``X``; negative, NaN or all-zero weights.
    """
    import dask

    xs = X.to_delayed().ravel()
    ws = [None] * len(xs) if w is None else list(w.to_delayed().ravel())
    parts = [dask.delayed(_chunk_moments, pure=True)(x, wi, mean, order) for x, wi in zip(xs, ws)]
    root = tree_reduce(parts, _add, lambda f, *a: dask.delayed(f, pure=True)(*a))
    bad, wbad, wsum, moment = dask.compute(root)[0]
    if bad:
        raise ParameterError(f"{what}: X of shape {X.shape} contains {bad} NaN or infinite value(s)")
    if wbad:
        raise ParameterError("sample_weight must be finite and non-negative")
    if wsum <= 0:
        raise ParameterError("sample_weight sums to zero; at least one weight must be positive")
    return wsum, moment / wsum


def whitener_from_moments(whitener, mean, second, dtype):
    """Fit ``whitener`` so that it equals ``whitener.fit(X)`` for data with these moments.

    A Whitener depends on the data only through the weighted mean and the
    variances (``'scale'``, ``'standard'``) or the covariance (``'pca'``,
    ``'zca'``). It is fitted on ``2 d`` sigma points ``mean ± sqrt(d) a_j``
    whose mean and covariance are exactly those moments (``a_j`` the columns
    of a square root of the covariance), so its own fitting code runs
    unchanged.

    Parameters
    ----------
    whitener : Whitener, unfitted
    mean : ndarray of shape (n_features,)
    second : ndarray of shape (n_features,) or (n_features, n_features)
        Variances or covariance.
    dtype : numpy dtype
        Only for the dtype the fitted whitener expects.

    Returns
    -------
    Whitener
    """
    d = mean.shape[0]
    if second.ndim == 1:
        A = np.diag(np.sqrt(np.maximum(second, 0.0)))
    else:
        evals, evecs = np.linalg.eigh((second + second.T) / 2)
        A = evecs * np.sqrt(np.maximum(evals, 0.0))
    step = np.sqrt(d) * A.T
    points = np.vstack([mean + step, mean - step])
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        whitener.fit(points)
    for w in caught:  # re-issue (constant features, singular covariance) for the caller
        warnings.warn(str(w.message), w.category, stacklevel=4)
    if not isinstance(whitener, Whitener):  # pragma: no cover - resolve_whitener guarantees it
        raise ParameterError(f"whiten={whitener!r} is not a Whitener")
    return whitener
