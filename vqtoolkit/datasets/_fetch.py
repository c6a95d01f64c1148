"""Download data sets into the data home, every file checked against the registry's SHA-256.

Built on pooch: each file goes to a temporary file beside its destination, is
hashed, and only then renamed into place, so an interrupted or damaged
download never leaves a half-written file under the right name. A file already
present is kept only if its SHA-256 matches; otherwise it is fetched again.

``$VQTOOLKIT_DATA_MIRROR`` (an ``http://``, ``https://`` or ``file://`` URL)
replaces every upstream: a mirror is laid out like the data home, so file
``fsdd/recordings/0_george_0.wav`` is read from
``$VQTOOLKIT_DATA_MIRROR/fsdd/recordings/0_george_0.wav``.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlparse
from urllib.request import url2pathname

from ..errors import DataNotFoundError, FileFormatError, ParameterError
from . import _home
from ._home import download_home, find_dataset
from ._registry import DataFile, files_of

__all__ = ["fetch", "FetchResult", "DatasetStatus", "status", "mirror_url", "MIRROR_ENV"]

MIRROR_ENV = "VQTOOLKIT_DATA_MIRROR"
_SCHEMES = ("http", "https", "file")


@dataclass(frozen=True)
class FetchResult:
    """What :func:`fetch` did.

    Attributes
    ----------
    name : str
        The data set (or group) fetched.
    path : Path
        Its folder in the data home, ``home / name``.
    home : Path
        The data home written into.
    n_files : int
        Files of the data set, all present and verified on return.
    n_downloaded : int
        Files downloaded now (missing, damaged or partial before).
    bytes_downloaded : int
    source : str
        The mirror URL, or ``'upstream'`` (the pinned GitHub commits).
    """

    name: str
    path: Path
    home: Path
    n_files: int
    n_downloaded: int
    bytes_downloaded: int
    source: str


@dataclass(frozen=True)
class DatasetStatus:
    """Where a data set is, judged by file names and sizes (no hashing).

    Attributes
    ----------
    name : str
    home : Path or None
        The data home holding the most files of it (the first such folder the
        loaders look in), None when no file is anywhere.
    n_present, n_files : int
        Files found there with the registry's size, and files in the registry.
    """

    name: str
    home: Path | None
    n_present: int
    n_files: int

    @property
    def complete(self) -> bool:
        return self.n_present == self.n_files


def fetch(name: str, *, data_home=None, verbose=None, timeout: float = 30.0,
          n_workers: int = 8) -> FetchResult:
    """Download data set ``name`` into the data home, verifying every file by SHA-256.

    Files already there with the right hash are kept; missing, damaged or
    partial files are downloaded again. Nothing is written under a file's name
    before its hash has been checked.

    Parameters
    ----------
    name : str
        ``'fsdd'``, ``'japanese_vowels'``, ``'bbc'``, ``'ag_news'``,
        ``'reuters21578'``, ``'clustering/sipu'``, ``'clustering/uci'``,
        ``'clustering/s-sets'``, or ``'clustering'`` for the last three.
    data_home : str or path-like, optional
        Folder to download into. Default ``$VQTOOLKIT_DATA``, else the user
        cache folder (``~/.cache/vqtoolkit/data`` on Linux), which the loaders
        also look in.
    verbose : bool, optional
        One progress bar over the files on stderr. Default (None): only when
        stderr is a terminal (the package-wide rule of every progress bar).
    timeout : float
        Seconds to wait for a connection or for data before giving up.
    n_workers : int
        Parallel downloads.

    Returns
    -------
    FetchResult

    Raises
    ------
    ParameterError
        Unknown ``name``, or ``$VQTOOLKIT_DATA_MIRROR`` is not an http(s) or file URL.
    DataNotFoundError
        A file cannot be downloaded (offline, host unreachable, not on the
        mirror); the one-line message names the URL and ``VQTOOLKIT_DATA_MIRROR``.
    FileFormatError
        A downloaded file does not have the registry's SHA-256 (bad mirror).
    """
    if n_workers < 1:
        raise ParameterError(f"n_workers={n_workers!r} must be at least 1")
    files = files_of(name)
    home = download_home(data_home)
    base = mirror_url()
    _remove_stale_temporaries(home, files)
    todo = [f for f in files if not _intact(home / f.local_path, f)]
    total = sum(f.size for f in todo)
    if todo:
        _download(name, todo, home, base, verbose, timeout, n_workers)
    return FetchResult(name, home / name, home, len(files), len(todo), total, base or "upstream")


def status(name: str, *, data_home=None) -> DatasetStatus:
    """Which data home holds data set ``name`` and how many of its files (by name and size).

    ``data_home`` given: only that folder; else every folder the loaders look
    in (:func:`vqtoolkit.datasets.data_home`), then the download home.
    """
    files = files_of(name)
    homes = [download_home(data_home)] if data_home is not None else _home._candidates(None)
    if data_home is None and download_home() not in homes:
        homes.append(download_home())
    best = (None, 0)
    for h in homes:
        n = sum(1 for f in files if _size(h / f.local_path) == f.size)
        if n > best[1]:
            best = (h, n)
    return DatasetStatus(name, best[0], best[1], len(files))


def mirror_url() -> str | None:
    """``$VQTOOLKIT_DATA_MIRROR`` without its trailing ``/``, or None when unset or empty."""
    value = os.environ.get(MIRROR_ENV, "").strip()
    if not value:
        return None
    if urlparse(value).scheme not in _SCHEMES:
        raise ParameterError(
            f"{MIRROR_ENV}={value!r} must be an http://, https:// or file:// URL "
            "(for a folder: file:///absolute/path)"
        )
    return value.rstrip("/")


def ensure(name: str, path, *, source: str, download_if_missing: bool) -> Path:
    """The folder of ``name`` as :func:`find_dataset` finds it, fetching it first when missing.

    Only without an explicit ``path`` and with ``download_if_missing``; the
    fetch error then also says where a local copy was looked for.
    """
    try:
        return find_dataset(name, path, source=source)
    except DataNotFoundError:
        if path is not None or not download_if_missing:
            raise
    fetch_missing(name)
    return find_dataset(name, None, source=source)


def fetch_missing(name: str) -> FetchResult:
    """:func:`fetch` for a loader (progress bar on a terminal): its error also lists the folders looked in."""
    try:
        return fetch(name)
    except DataNotFoundError as exc:
        looked = ", ".join(str(c) for c in _home._candidates(None))
        raise DataNotFoundError(
            f"{exc}; or set VQTOOLKIT_DATA to a folder holding {name} (looked in: {looked})"
        ) from None


# ------------------------------------------------------------------ internals


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


def _intact(path: Path, f: DataFile) -> bool:
    if _size(path) != f.size:
        return False
    import pooch

    return pooch.file_hash(str(path), alg="sha256") == f.sha256


def _url(f: DataFile, base: str | None) -> str:
    return f.upstream_url if base is None else f"{base}/{quote(f.local_path)}"


def _download(name, todo, home, base, verbose, timeout, n_workers):
    import logging

    import pooch

    from .._progress import progress_bar

    created = _make_folders(home, {(home / f.local_path).parent for f in todo})
    downloader = _Downloader(name, base, timeout)
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)  # pooch logs one line per file otherwise
    bar = progress_bar(total=len(todo), unit="file", desc=f"fetch {name}", verbose=verbose)
    lock = threading.Lock()
    stop = threading.Event()

    def one(f):
        if stop.is_set():
            return
        _retrieve(f, home, base, downloader)
        with lock:
            bar.update(1)

    ok = False
    try:
        one(todo[0])  # a first file alone: offline fails once, fast, with one message
        if len(todo) > 1:
            pool = ThreadPoolExecutor(max_workers=min(n_workers, len(todo) - 1))
            try:
                futures = [pool.submit(one, f) for f in todo[1:]]
                wait(futures, return_when=FIRST_EXCEPTION)
                failed = [fu for fu in futures if fu.done() and fu.exception() is not None]
                if failed:
                    raise failed[0].exception()
            finally:  # on an error or Ctrl-C: files under way finish (or vanish), the rest is dropped
                stop.set()
                pool.shutdown(wait=True, cancel_futures=True)
        ok = True
    finally:
        bar.close()
        logger.setLevel(level)
        if not ok:  # no empty folder left behind: loaders would take it for the data set
            for folder in reversed(created):
                try:
                    folder.rmdir()
                except OSError:
                    pass


#: names of pooch's temporary downloads (``tempfile.NamedTemporaryFile`` in the destination folder)
_POOCH_TEMPORARY = re.compile(r"tmp[a-z0-9_]{8}")


def _remove_stale_temporaries(home: Path, files) -> None:
    """Delete what a killed fetch left: pooch temporaries beside the data set's files.

    Only names of the ``tmpXXXXXXXX`` form that are not files of the registry,
    in the folders this data set's files go to.
    """
    known = {f.local_path for f in files}
    for folder in {(home / f.local_path).parent for f in files}:
        if not folder.is_dir():
            continue
        for p in folder.iterdir():
            if (_POOCH_TEMPORARY.fullmatch(p.name) and p.is_file()
                    and p.relative_to(home).as_posix() not in known):
                try:
                    p.unlink()
                except OSError:
                    pass


def _make_folders(home: Path, folders) -> list[Path]:
    """Create ``folders``; return the ones made now (parents first)."""
    created = []
    for folder in sorted(folders):
        missing = [p for p in [folder, *folder.parents] if not p.exists()]
        folder.mkdir(parents=True, exist_ok=True)
        created.extend(p for p in reversed(missing) if p not in created)
    return created


def _retrieve(f: DataFile, home: Path, base, downloader) -> None:
    import pooch

    target = home / f.local_path
    url = _url(f, base)
    try:
        pooch.retrieve(url, known_hash=f"sha256:{f.sha256}", fname=target.name, path=target.parent,
                       downloader=downloader, progressbar=False)
    except ValueError as exc:
        if not isinstance(exc, ParameterError) and "hash" in str(exc).lower():
            where = f"the mirror {MIRROR_ENV}={base}" if base else "upstream"
            raise FileFormatError(
                f"{url}: the downloaded file does not have the registry's SHA-256 "
                f"({f.sha256[:16]}...); the copy at {where} is damaged or another version"
            ) from None
        raise


class _Downloader:
    """pooch downloader: http(s) through one requests session per thread, file:// by copying."""

    def __init__(self, name, base, timeout):
        self.name, self.base, self.timeout = name, base, timeout
        self._local = threading.local()

    def __call__(self, url, output_file, pooch_obj=None, check_only=False):
        try:
            if url.startswith("file:"):
                with open(url2pathname(urlparse(url).path), "rb") as src, open(output_file, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                return
            session = getattr(self._local, "session", None)
            if session is None:
                import requests

                session = self._local.session = requests.Session()
            with session.get(url, timeout=self.timeout, stream=True) as r:
                r.raise_for_status()
                with open(output_file, "wb") as dst:
                    for chunk in r.iter_content(1 << 16):
                        dst.write(chunk)
        except Exception as exc:  # every transport failure becomes one line
            if isinstance(exc, OSError) and not url.startswith("file:") and _is_local(exc):
                raise  # cannot write the temporary file: a local problem, reported as is
            raise DataNotFoundError(self._message(url, exc)) from None

    def _message(self, url, exc):
        hint = (f"check {MIRROR_ENV}={self.base}" if self.base else
                f"check the network, or set {MIRROR_ENV} to a mirror laid out like the data home "
                "(an http(s):// or file:// URL)")
        return f"cannot download data set {self.name!r}: {url}: {_reason(exc, self.timeout)}; {hint}"


def _is_local(exc) -> bool:
    try:
        import requests
    except ImportError:  # pragma: no cover - requests comes with pooch
        return True
    return not isinstance(exc, requests.RequestException)


def _reason(exc, timeout) -> str:
    import requests

    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code} {exc.response.reason}"
    if isinstance(exc, requests.Timeout):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    m = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", str(exc))
    if m:
        return m.group(1).strip()
    return type(exc).__name__
