"""Where the evaluation data lives.

Loaders look, in order, in ``$VQTOOLKIT_DATA``, ``../shared/data`` (relative to
the current folder, then to the project checkout) and the user cache folder
that :func:`vqtoolkit.datasets.fetch` downloads into when ``$VQTOOLKIT_DATA``
is not set (:func:`download_home`: ``~/.cache/vqtoolkit/data`` on Linux).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import DataNotFoundError

__all__ = ["data_home", "download_home", "find_dataset"]

_ENV = "VQTOOLKIT_DATA"


def data_home(path: str | os.PathLike | None = None) -> Path:
    """Return the data folder.

    Parameters
    ----------
    path : str or path-like, optional
        Explicit folder. When omitted, ``$VQTOOLKIT_DATA`` is used, then
        ``../shared/data`` relative to the current directory, then relative to
        the project checkout this package was imported from, then the user
        cache folder of :func:`download_home`.

    Returns
    -------
    Path
        The first candidate that exists, or the first candidate when none does
        (callers report it in their error message).
    """
    return _candidates(path)[0] if path is not None else _first_existing(_candidates(None))


def download_home(path: str | os.PathLike | None = None) -> Path:
    """The folder :func:`vqtoolkit.datasets.fetch` downloads into.

    ``path`` when given, else ``$VQTOOLKIT_DATA``, else the user cache folder
    ``vqtoolkit/data`` (``~/.cache/vqtoolkit/data`` on Linux, ``$XDG_CACHE_HOME``
    respected; the platform's cache folder elsewhere). The folder need not exist.
    """
    if path is not None:
        return Path(path).expanduser()
    env = os.environ.get(_ENV)
    return Path(env).expanduser() if env else _user_cache()


def _user_cache() -> Path:
    import pooch

    return Path(pooch.os_cache("vqtoolkit")) / "data"


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
    if _fetchable(name):
        hint += f" To download it: vqtoolkit fetch {name}"
    raise DataNotFoundError(
        f"data set {name!r} not found; looked in: {looked}. "
        f"Set {_ENV} to the folder that holds it.{hint}"
    )


def _fetchable(name: str) -> bool:
    from ._registry import DATASETS, GROUPS

    return name in DATASETS or name in GROUPS


def _candidates(path) -> list[Path]:
    if path is not None:
        return [Path(path)]
    out = []
    env = os.environ.get(_ENV)
    if env:
        out.append(Path(env))
    out.append(Path.cwd().parent / "shared" / "data")
    out.append(Path(__file__).resolve().parents[3] / "shared" / "data")
    out.append(_user_cache())
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
