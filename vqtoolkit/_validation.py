"""Input checks shared by every estimator: messages name the value, the shape and what is allowed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state as _sk_check_random_state

from . import kernels
from .errors import NotFittedError, ParameterError

__all__ = [
    "CheckedX",
    "check_X",
    "check_sample_weight",
    "check_fitted",
    "check_n_features",
    "check_random_state",
    "check_positive_int",
    "check_image",
]


@dataclass(frozen=True)
class CheckedX:
    """A validated feature matrix with what the caller's container knew about its rows and columns."""

    X: object  # ndarray or CSR matrix
    ids: object | None  # pandas Index (or None for plain arrays)
    feature_names: np.ndarray | None


def check_X(X, *, accept_sparse=False, what="input", allow_memmap=True) -> CheckedX:
    """Validate a feature matrix.

    Floats keep their dtype (float32 stays float32); integers and booleans
    become float64. A pandas DataFrame gives its index and column names.

    Raises
    ------
    ParameterError
        For 1-D or >2-D input, zero rows or columns, NaN or infinity,
        non-numeric data, or sparse input where it is not accepted.
    """
    ids = None
    names = None
    if hasattr(X, "columns") and hasattr(X, "index") and hasattr(X, "to_numpy"):
        names = np.asarray([str(c) for c in X.columns], dtype=object)
        ids = X.index
        X = X.to_numpy()
    if sp.issparse(X):
        if not accept_sparse:
            raise ParameterError(
                f"{what}: sparse input of shape {X.shape} is not supported here; "
                "pass a dense array"
            )
        X = sp.csr_matrix(X)
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        data = X.data
    else:
        if not (allow_memmap and isinstance(X, np.memmap)):
            try:
                X = np.asarray(X)
            except (TypeError, ValueError) as exc:
                raise ParameterError(f"{what}: cannot be read as a numeric array ({exc})") from None
        X = _materialise_repeats(X, what)
        if X.dtype.kind in "biu":
            X = X.astype(np.float64)
        elif X.dtype.kind == "f" and X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        elif X.dtype.kind == "c":
            raise ParameterError(f"{what}: Complex data not supported (dtype {X.dtype})")
        elif X.dtype.kind == "O":
            try:
                X = X.astype(np.float64)
            except (TypeError, ValueError) as exc:
                raise _DTypeError(f"{what}: {exc}; expected numbers") from None
        elif X.dtype.kind != "f":
            raise ParameterError(
                f"{what}: dtype {X.dtype} is not numeric; expected float32, float64 or integers"
            )
        data = X
    if X.ndim != 2:
        hint = " with X.reshape(-1, 1) for a single feature" if X.ndim == 1 else ""
        raise ParameterError(
            f"{what}: expected a 2-D array (n_samples, n_features), got shape {X.shape}. "
            f"Reshape your data{hint}"
        )
    if X.shape[0] == 0:
        raise ParameterError(
            f"{what}: found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 "
            "is required."
        )
    if X.shape[1] == 0:
        raise ParameterError(
            f"{what}: found array with 0 feature(s) (shape={X.shape}) while a minimum of 1 is "
            "required."
        )
    finite, peak = kernels.finite_peak(data)  # one pass, no n x d temporary
    if not finite:
        bad = int(np.size(data) - np.isfinite(data).sum())
        raise ParameterError(
            f"{what}: X of shape {X.shape} contains {bad} NaN or infinite value(s)"
        )
    _check_magnitude(data.dtype, peak, X.shape, what)
    return CheckedX(X, ids, names)


def _check_magnitude(dtype, peak, shape, what):
    """Refuse values whose squared distances would overflow the dtype (silently wrong codes)."""
    limit = float(np.sqrt(np.finfo(dtype).max / (4.0 * shape[1])))
    if peak > limit:
        hint = ("pass it as float64 (X.astype(np.float64))" if dtype == np.float32
                else "rescale it (for example divide by its largest absolute value)")
        raise ParameterError(
            f"{what}: X of shape {shape} holds values up to {peak:.3g}, whose squared distances "
            f"overflow {dtype} (at most {limit:.3g} for {shape[1]} features); {hint}"
        )


#: a view with zero strides (np.broadcast_to) is copied up to this size, refused above it
MAX_REPEAT_COPY = 256 << 20


def _materialise_repeats(X, what):
    """A contiguous copy of a zero-stride view, or an error before allocating a huge one."""
    if X.ndim == 0 or 0 not in X.strides or X.size <= 1:
        return X
    itemsize = 8 if X.dtype.kind in "biu" else X.dtype.itemsize  # integers become float64
    nbytes = int(np.prod(X.shape, dtype=np.float64)) * itemsize
    if nbytes > MAX_REPEAT_COPY:
        raise ParameterError(
            f"{what}: X of shape {X.shape} repeats its rows or columns (a view with zero "
            f"strides, such as np.broadcast_to); using it would copy {nbytes / 2**30:.1f} GiB. "
            "Pass the distinct rows, with sample_weight counting their repeats"
        )
    return np.ascontiguousarray(X)


class _DTypeError(ParameterError, TypeError):
    """Non-numeric entries in an object array (a TypeError too, as NumPy raises)."""


def check_sample_weight(sample_weight, n_samples) -> np.ndarray:
    """Return float64 weights of shape (n_samples,); ones when ``sample_weight`` is None."""
    if sample_weight is None:
        return np.ones(n_samples, dtype=np.float64)
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.ndim == 0:
        w = np.full(n_samples, float(w))
    if w.shape != (n_samples,):
        raise ParameterError(
            f"sample_weight has shape {w.shape}; expected ({n_samples},) to match X"
        )
    if not np.isfinite(w).all() or (w < 0).any():
        raise ParameterError("sample_weight must be finite and non-negative")
    if w.sum() <= 0:
        raise ParameterError("sample_weight sums to zero; at least one weight must be positive")
    return w


def check_fitted(estimator, attribute: str) -> None:
    if not hasattr(estimator, attribute):
        raise NotFittedError(
            f"this {type(estimator).__name__} is not fitted yet; call 'fit' first"
        )


def check_n_features(estimator, X) -> None:
    expected = estimator.n_features_in_
    if X.shape[1] != expected:
        raise ParameterError(
            f"X has {X.shape[1]} features, but {type(estimator).__name__} is expecting "
            f"{expected} features as input (X has shape {X.shape})"
        )


def check_random_state(random_state) -> np.random.RandomState:
    """One place where ``random_state`` becomes a generator (``None``, int or RandomState)."""
    try:
        return _sk_check_random_state(random_state)
    except ValueError:
        raise ParameterError(
            f"random_state={random_state!r} must be None, an int or a numpy RandomState"
        ) from None


def check_positive_int(value, name: str, *, minimum: int = 1) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ParameterError(f"{name}={value!r} must be an integer >= {minimum}")
    if value < minimum:
        raise ParameterError(f"{name}={value!r} must be an integer >= {minimum}")
    return int(value)


def check_image(image, *, what="image") -> np.ndarray:
    """Validate an image of shape ``(height, width)`` or ``(height, width, channels)``.

    Integer and float pixels are kept as they are; booleans become uint8.

    Raises
    ------
    ParameterError
        For other shapes, empty images, non-numeric pixels, NaN or infinity.
    """
    try:
        img = np.asarray(image)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{what}: cannot be read as an array ({exc})") from None
    if img.ndim not in (2, 3) or img.shape[0] == 0 or img.shape[1] == 0:
        raise ParameterError(
            f"{what} has shape {img.shape}; expected (height, width) or (height, width, channels)"
        )
    if img.dtype.kind not in "uif" and img.dtype != bool:
        raise ParameterError(f"{what} has dtype {img.dtype}; expected integer or float pixels")
    if img.dtype == bool:
        img = img.astype(np.uint8)
    if img.dtype.kind == "f" and not np.isfinite(img).all():
        raise ParameterError(f"{what} contains NaN or infinite values")
    return img
