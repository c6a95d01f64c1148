"""Clustering benchmarks with ground truth: Fränti's sets (S1–S4, A1–A3, Birch …) and UCI sets.

Layout read in place from the data home (fetched there first when missing)::

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
from . import _home
from ._fetch import ensure, fetch_missing
from ._registry import DATASETS, files_of

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


def list_clustering(*, battery="sipu", path=None, download_if_missing: bool = True) -> list[str]:
    """Names of the sets available in ``clustering/<battery>`` (fetched first when missing)."""
    folder = ensure(f"clustering/{battery}", path, source=_SOURCE,
                    download_if_missing=download_if_missing and f"clustering/{battery}" in DATASETS)
    return sorted(p.name[: -len(".data.gz")] for p in folder.glob("*.data.gz"))


def load_clustering(name, *, battery=None, path=None, download_if_missing: bool = True) -> ClusteringData:
    """Load benchmark ``name`` (e.g. ``'s1'``, ``'a1'``, ``'birch1'``, ``'wine'``).

    Parameters
    ----------
    name : str
        Case-insensitive set name.
    battery : {'sipu', 'uci'}, optional
        Looked up in both when omitted.
    path : str or path-like, optional
        Folder holding ``NAME.data.gz`` (overrides the data home).
    download_if_missing : bool
        When no data home has the set (and ``path`` is not given), fetch its
        battery (``clustering/sipu``, 2 MB, or ``clustering/uci``) first with
        :func:`vqtoolkit.datasets.fetch`. Offline, the error is one line naming
        the URL and ``VQTOOLKIT_DATA_MIRROR``.

    Returns
    -------
    ClusteringData
    """
    name = name.lower()
    batteries = [battery] if battery else ["sipu", "uci"]
    for attempt in (0, 1):
        for b in batteries:
            data = _find_file(f"clustering/{b}", f"{name}.data.gz", path)
            if data is not None:
                return _load(name, data)
        known = [b for b in batteries if f"clustering/{b}/{name}.data.gz" in _registered()]
        if attempt or path is not None or not download_if_missing or not known:
            break
        fetch_missing(f"clustering/{known[0]}")
    looked = [str(f / f"{name}.data.gz") for b in batteries for f in _folders(f"clustering/{b}", path)]
    hint = f". To download it: vqtoolkit fetch clustering/{known[0]}" if known else ""
    raise DataNotFoundError(
        f"clustering set {name!r} not found; looked in: {'; '.join(looked)}. "
        f"It can be obtained from {_SOURCE}{hint}"
    )


def load_s_set_codebook(name, *, path=None, download_if_missing: bool = True) -> np.ndarray:
    """Reference codebook of S1–S4 (15 rows), fetched first when missing.

    Returns
    -------
    ndarray of shape (15, 2), float64
    """
    fname = f"{name.lower()}-cb.txt"
    f = _find_file("clustering/s-sets", fname, path)
    if f is None and path is None and download_if_missing and \
            f"clustering/s-sets/{fname}" in _registered():
        fetch_missing("clustering/s-sets")
        f = _find_file("clustering/s-sets", fname, path)
    if f is None:
        looked = ", ".join(str(d / fname) for d in _folders("clustering/s-sets", path))
        raise DataNotFoundError(f"reference codebook {fname} not found; looked in: {looked}. "
                                "It can be obtained from http://cs.uef.fi/sipu/datasets/. "
                                "To download it: vqtoolkit fetch clustering/s-sets")
    return _read(f, float, delimiter=",")


def _load(name, data: Path) -> ClusteringData:
    X = _read(data, float)
    labels = _read(data.with_name(f"{name}.labels0.gz"), np.int64).ravel()
    if labels.shape[0] != X.shape[0]:
        raise FileFormatError(
            f"{data}: {X.shape[0]} rows but {labels.shape[0]} labels in labels0.gz"
        )
    k = int(np.unique(labels[labels > 0]).size)
    return ClusteringData(name, X, labels, k, data)


def _folders(sub, path) -> list[Path]:
    return [Path(path)] if path is not None else [c / sub for c in _home._candidates(None)]


def _find_file(sub, fname, path) -> Path | None:
    """The first folder the loaders look in that holds ``fname`` (``path`` alone when given)."""
    for folder in _folders(sub, path):
        if (folder / fname).is_file():
            return folder / fname
    return None


def _registered() -> set:
    return {f.local_path for f in files_of("clustering")}


def _read(path, dtype, delimiter=None):
    try:
        arr = np.loadtxt(path, dtype=dtype, delimiter=delimiter, ndmin=2)
    except (ValueError, OSError, EOFError) as exc:
        raise FileFormatError(f"{path}: cannot be read ({exc})") from None
    return arr
