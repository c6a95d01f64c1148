"""Clustering benchmarks with ground truth: Fränti's sets (S1–S4, A1–A3, Birch …) and UCI sets.

Layout read in place (see ``../shared/data/README.md``)::

    clustering/sipu/NAME.data.gz      whitespace-separated rows
    clustering/sipu/NAME.labels0.gz   one label per row, 1-based, 0 = noise
    clustering/uci/NAME.data.gz, NAME.labels0.gz
    clustering/s-sets/sN-cb.txt       reference codebooks of S1–S4
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataNotFoundError, FileFormatError
from ._home import find_dataset

__all__ = ["ClusteringData", "load_clustering", "load_s_set_codebook", "list_clustering"]

_SOURCE = "https://github.com/gagolews/clustering-data-v1 (Gagolewski's benchmark suite)"


@dataclass(frozen=True)
class ClusteringData:
    """One benchmark set.

    Attributes
    ----------
    name : str
    X : ndarray of shape (n_samples, n_features), float64
    labels : ndarray of shape (n_samples,), int64
        Ground truth, 1-based; 0 marks noise.
    n_clusters : int
        Number of distinct non-noise labels.
    path : Path
        The ``.data.gz`` file read.
    """

    name: str
    X: np.ndarray
    labels: np.ndarray
    n_clusters: int
    path: Path


def list_clustering(*, battery="sipu", path=None) -> list[str]:
    """Names of the sets available in ``clustering/<battery>``."""
    folder = find_dataset(f"clustering/{battery}", path, source=_SOURCE)
    return sorted(p.name[: -len(".data.gz")] for p in folder.glob("*.data.gz"))


def load_clustering(name, *, battery=None, path=None) -> ClusteringData:
    """Load benchmark ``name`` (e.g. ``'s1'``, ``'a1'``, ``'birch1'``, ``'wine'``).

    Parameters
    ----------
    name : str
        Case-insensitive set name.
    battery : {'sipu', 'uci'}, optional
        Looked up in both when omitted.
    path : str or path-like, optional
        Folder holding ``NAME.data.gz`` (overrides the data home).

    Returns
    -------
    ClusteringData
    """
    name = name.lower()
    batteries = [battery] if battery else ["sipu", "uci"]
    looked = []
    for b in batteries:
        try:
            folder = find_dataset(f"clustering/{b}", path, source=_SOURCE)
        except DataNotFoundError as exc:
            looked.append(str(exc))
            continue
        data = folder / f"{name}.data.gz"
        if data.exists():
            X = _read(data, float)
            labels = _read(folder / f"{name}.labels0.gz", np.int64).ravel()
            if labels.shape[0] != X.shape[0]:
                raise FileFormatError(
                    f"{data}: {X.shape[0]} rows but {labels.shape[0]} labels in labels0.gz"
                )
            k = int(np.unique(labels[labels > 0]).size)
            return ClusteringData(name, X, labels, k, data)
        looked.append(str(data))
    raise DataNotFoundError(
        f"clustering set {name!r} not found; looked in: {'; '.join(looked)}. "
        f"It can be obtained from {_SOURCE}"
    )


def load_s_set_codebook(name, *, path=None) -> np.ndarray:
    """Reference codebook of S1–S4 (15 rows).

    Returns
    -------
    ndarray of shape (15, 2), float64
    """
    folder = find_dataset("clustering/s-sets", path, source="http://cs.uef.fi/sipu/datasets/")
    f = folder / f"{name.lower()}-cb.txt"
    if not f.exists():
        raise DataNotFoundError(f"reference codebook {f} not found")
    return _read(f, float, delimiter=",")


def _read(path, dtype, delimiter=None):
    try:
        arr = np.loadtxt(path, dtype=dtype, delimiter=delimiter, ndmin=2)
    except (ValueError, OSError, EOFError) as exc:
        raise FileFormatError(f"{path}: cannot be read ({exc})") from None
    return arr
