"""Where the evaluation data lives: ``$VQTOOLKIT_DATA``, falling back to ``../shared/data``."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import DataNotFoundError

__all__ = ["data_home", "find_dataset"]

_ENV = "VQTOOLKIT_DATA"


def data_home(path: str | os.PathLike | None = None) -> Path:
    """Return the data folder.

    Parameters
    ----------
    path : str or path-like, optional
        Explicit folder. When omitted, ``$VQTOOLKIT_DATA`` is used, then
        ``../shared/data`` relative to the current directory, then relative to
        the project checkout this package was imported from.

    Returns
    -------
    Path
        The first candidate that exists, or the first candidate when none does
        (callers report it in their error message).
    """
    return _candidates(path)[0] if path is not None else _first_existing(_candidates(None))


def find_dataset(name: str, path=None, *, source: str = "") -> Path:
    """Return the folder of data set ``name`` or raise :class:`DataNotFoundError`.

    Parameters
    ----------
    name : str
        Sub-folder of the data home, e.g. ``"fsdd"`` or ``"clustering/sipu"``.
    path : str or path-like, optional
        Explicit folder of the data set itself (overrides the data home).
    source : str
        Where the data set can be obtained; quoted in the error message.
    """
    if path is not None:
        candidates = [Path(path)]
    else:
        candidates = [c / name for c in _candidates(None)]
    for c in candidates:
        if c.is_dir():
            return c
    looked = ", ".join(str(c) for c in candidates)
    hint = f" It can be obtained from {source}." if source else ""
    raise DataNotFoundError(
        f"data set {name!r} not found; looked in: {looked}. "
        f"Set {_ENV} to the folder that holds it.{hint}"
    )


def _candidates(path) -> list[Path]:
    if path is not None:
        return [Path(path)]
    out = []
    env = os.environ.get(_ENV)
    if env:
        out.append(Path(env))
    out.append(Path.cwd().parent / "shared" / "data")
    out.append(Path(__file__).resolve().parents[3] / "shared" / "data")
    seen, uniq = set(), []
    for p in out:
        key = str(p.resolve()) if p.exists() else str(p)
        if key not in seen:
            seen.add(key)
            uniq.append(p)
    return uniq


def _first_existing(candidates: list[Path]) -> Path:
    for c in candidates:
        if c.is_dir():
            return c
    return candidates[0]
