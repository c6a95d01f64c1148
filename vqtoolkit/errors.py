"""Exceptions raised by vqtoolkit.

Every error derives from :class:`VQError`, and each subclass also derives from
the builtin exception a caller would naturally catch, so ``except ValueError``
keeps working for code that does not know about vqtoolkit.
"""

__all__ = [
    "VQError",
    "ParameterError",
    "EmptyClusterError",
    "InfeasibleError",
    "FileFormatError",
    "DataNotFoundError",
    "NotFittedError",  # noqa: F822 - made on first use by __getattr__ below
]


class VQError(Exception):
    """Root of every exception raised by vqtoolkit."""


class ParameterError(VQError, ValueError):
    """A parameter or an input array is not acceptable (value, shape or dtype)."""


class EmptyClusterError(VQError, RuntimeError):
    """A codeword lost all its observations and ``empty='error'`` was asked for."""


class InfeasibleError(VQError, ValueError):
    """A constrained problem has no solution (for example demand exceeds capacity)."""


class FileFormatError(VQError, ValueError):
    """A file cannot be read: corrupt, truncated, wrong kind or newer format version."""


class DataNotFoundError(VQError, FileNotFoundError):
    """A data set is not where it was looked for."""


def overflow_error(shape):
    """The error for data whose squared distances overflow float64 (distortion inf or NaN)."""
    return ParameterError(
        f"X of shape {shape}: squared distances overflow (the distortion is infinite or NaN); "
        "its values are too large to square in float64: rescale X (for example divide it by "
        "its largest absolute value) before fitting"
    )


def __getattr__(name):
    # NotFittedError derives from scikit-learn's (so its check_is_fitted callers catch it);
    # it is made on first use, so importing vqtoolkit's errors (as Dask workers running the
    # kernels do) does not import scikit-learn: 80 MB less per worker process
    if name != "NotFittedError":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from sklearn.exceptions import NotFittedError as sklearn_not_fitted

    cls = type("NotFittedError", (VQError, sklearn_not_fitted),
               {"__doc__": "An estimator was used before ``fit``.", "__module__": __name__})
    globals()["NotFittedError"] = cls
    return cls
