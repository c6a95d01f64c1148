"""Exceptions raised by vqtoolkit.

Every error derives from :class:`VQError`, and each subclass also derives from
the builtin exception a caller would naturally catch, so ``except ValueError``
keeps working for code that does not know about vqtoolkit.
"""

from sklearn.exceptions import NotFittedError as _SklearnNotFittedError

__all__ = [
    "VQError",
    "ParameterError",
    "EmptyClusterError",
    "InfeasibleError",
    "FileFormatError",
    "DataNotFoundError",
    "NotFittedError",
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


class NotFittedError(VQError, _SklearnNotFittedError):
    """An estimator was used before ``fit``."""
