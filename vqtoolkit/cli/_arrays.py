"""Feature matrices from files: the one reader behind every command that takes a plain matrix.

Accepted files (rows = observations, columns = features):

``.npy``
    One array.
``.npz``
    A FeatureSet written by ``vqtoolkit extract`` (its frames), or a plain
    archive: the array ``X``, else its only array.
``.csv``, ``.tsv``, ``.txt``, ``.data`` (optionally ``.gz``-compressed)
    Numbers separated by commas (when the first row has one) or whitespace;
    a first row that is not all numbers is a header and is skipped, so a file
    with and without a header gives the same matrix.

A 1-D array is one feature (a column). Errors name the file:
:class:`~vqtoolkit.errors.FileFormatError` for anything that is not a 2-D
numeric matrix, :class:`FileNotFoundError` for a missing file.
"""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import numpy as np

from ..errors import FileFormatError, ParameterError

__all__ = ["read_array", "read_features", "ARRAY_SUFFIXES"]

TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".data")

#: File endings :func:`read_array` reads.
ARRAY_SUFFIXES = (".npy", ".npz", *TEXT_SUFFIXES, *(s + ".gz" for s in TEXT_SUFFIXES))


def read_array(path) -> np.ndarray:
    """Read a feature matrix from a ``.npy``, ``.npz`` or text file (see the module docstring).

    Returns
    -------
    ndarray of shape (n_samples, n_features)
    """
    return read_features(path)[0]


def read_features(path):
    """Like :func:`read_array`; also return the FeatureSet when the file holds one.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    featureset : FeatureSet or None
    """
    p = Path(path)
    name = p.name.lower()
    if not name.endswith(ARRAY_SUFFIXES):
        raise FileFormatError(
            f"{path}: unknown feature file type; expected one of {', '.join(ARRAY_SUFFIXES)}"
        )
    if not p.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    featureset = None
    try:
        if name.endswith(".npy"):
            X = np.load(p, allow_pickle=False)
        elif name.endswith(".npz"):
            X, featureset = _read_npz(p)
        else:
            X = _read_text(p)
    except (ValueError, EOFError, OSError, zipfile.BadZipFile) as exc:
        if isinstance(exc, FileFormatError):
            raise
        raise FileFormatError(f"{path}: cannot be read as a feature matrix ({exc})") from None
    return _check_matrix(X, path), featureset


def _read_npz(p):
    with np.load(p, allow_pickle=False) as z:
        names = list(z.files)
        if "__meta__" in names:  # a vqtoolkit archive: only a FeatureSet holds features
            return _read_featureset(p)
        if not names:
            raise FileFormatError(f"{p}: the .npz archive holds no array")
        if "X" in names:
            return z["X"], None
        if len(names) == 1:
            return z[names[0]], None
    raise FileFormatError(
        f"{p}: the .npz archive holds the arrays {names}; name the feature matrix 'X'"
    )


def _read_featureset(p):
    from ..features.featureset import FeatureSet
    from ..io import read_archive

    meta, arrays = read_archive(p)
    kind = meta.get("kind")
    if kind != "featureset":
        raise FileFormatError(f"{p}: holds a {kind}, not features (a FeatureSet or a plain array)")
    fs = FeatureSet._from_state(meta, arrays, p)
    return fs.X, fs


def _read_text(p):
    opener = gzip.open if p.name.lower().endswith(".gz") else open
    with opener(p, "rt") as f:
        lines = [ln for ln in f.read().splitlines() if ln.strip()]
    if not lines:
        raise FileFormatError(f"{p}: the file is empty")
    delimiter = "," if "," in lines[0] else None
    if not _all_numbers(lines[0], delimiter):  # a header row
        lines = lines[1:]
        if not lines:
            raise FileFormatError(f"{p}: holds a header row and no data")
    return np.loadtxt(lines, delimiter=delimiter, ndmin=2)


def _all_numbers(line, delimiter):
    try:
        [float(tok) for tok in line.split(delimiter)]
    except ValueError:
        return False
    return True


def _check_matrix(X, path):
    X = np.asarray(X)
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    if X.ndim != 2 or X.dtype.kind not in "biuf":
        raise FileFormatError(
            f"{path}: expected a 2-D numeric array, got shape {X.shape} and dtype {X.dtype}"
        )
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise FileFormatError(f"{path}: holds an empty matrix of shape {X.shape}")
    if X.dtype.kind == "f" and not np.isfinite(X).all():
        bad = np.argwhere(~np.isfinite(X))
        raise ParameterError(
            f"{path}: the matrix of shape {X.shape} holds {len(bad)} NaN or infinite value(s), "
            f"the first in row {bad[0][0]}, column {bad[0][1]}; remove or fill them"
        )
    return X
