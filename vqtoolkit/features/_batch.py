"""Batch extraction: many files → one FeatureSet, in parallel, cached, failures kept."""

from __future__ import annotations

import glob
import hashlib
import json
import math
import multiprocessing
import os
import sys
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np

from .._progress import DEPRECATED, function_verbose
from ..errors import FileFormatError, ParameterError
from ._mfcc import MFCCExtractor, decode_audio, default_extractor, warm_up
from .featureset import FeatureSet, Utterance
from .labels import label_rule

__all__ = ["extract_many", "find_audio_files", "default_cache_dir", "AUDIO_EXTENSIONS"]

#: File extensions picked up when a folder is given.
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".aiff", ".aif", ".au", ".mp3", ".w64")

_CACHE_VERSION = "2"  # 2: single-threaded BLAS for every n_jobs (bit-identical features)
_CACHE_ENV = "VQTOOLKIT_CACHE"


def extract_many(
    sources,
    extractor: MFCCExtractor | None = None,
    *,
    n_jobs: int | None = None,
    label_regex: str | None = None,
    labels=None,
    cache=True,
    strict: bool = False,
    verbose: bool | None = None,
    progress=DEPRECATED,
) -> FeatureSet:
    """MFCC frames of many audio files, stacked into one :class:`FeatureSet`.

    Parameters
    ----------
    sources : str, path-like, or sequence of them
        Files, folders (searched recursively for :data:`AUDIO_EXTENSIONS`) or glob
        patterns (``"data/**/*.wav"``). Files are processed in sorted order within
        each folder or pattern, and in the order given otherwise.
    extractor : MFCCExtractor, optional
        Settings; default the ``'vq'`` preset, the default front end (:func:`default_extractor`).
    n_jobs : int, optional
        Worker processes; ``None`` or ``-1`` uses every CPU, ``1`` runs in-process.
    label_regex : str, optional
        Regular expression with named groups, searched in each file *name*; the
        groups become the utterance's labels, e.g.
        ``r"(?P<digit>\\d)_(?P<speaker>[a-z]+)_(?P<take>\\d+)"``. A file whose name
        does not match is a failure. The same as ``labels='regex:' + label_regex``.
    labels : {None, 'auto', 'folder', 'regex:PATTERN'}, optional
        Label rule (:mod:`vqtoolkit.features.labels`): ``'folder'`` labels each
        file by the name of its folder (label ``folder``); ``'auto'`` uses FSDD's
        ``digit`` / ``speaker`` / ``take`` when every file name has that form,
        else the folder. Default: no labels (or ``label_regex``).
    cache : bool, None, str or path-like
        Folder of cached per-file features, keyed by the SHA-256 of the file's bytes
        and the settings. ``True`` or ``None``: ``$VQTOOLKIT_CACHE`` or
        ``~/.cache/vqtoolkit/features``; ``False``: no cache.
    strict : bool
        Raise at the first bad file instead of collecting failures.
    verbose : bool or None, default=None
        Progress bar on stderr: ``None`` shows it only when stderr is a
        terminal, ``True`` always (plain lines when stderr is a log or a pipe),
        ``False`` never. See :mod:`vqtoolkit._progress`.
    progress : bool
        Deprecated alias of ``verbose`` (FutureWarning); removed in the next release.

    Returns
    -------
    FeatureSet
        ``X`` of shape (n_frames_total, n_features), float32; ``index`` in input
        order; ``failures`` lists ``(file, reason)`` for every file that could not
        be used (unreadable, truncated, empty, all silence, too short).

    Raises
    ------
    ParameterError
        No audio file found, bad ``label_regex``, ``labels`` or ``n_jobs``.
    FileFormatError
        With ``strict=True``, the first bad file.
    """
    extractor = default_extractor() if extractor is None else extractor
    if not isinstance(extractor, MFCCExtractor):
        raise ParameterError(f"extractor must be an MFCCExtractor, got {type(extractor).__name__}")
    files = find_audio_files(sources)
    rule = label_rule(labels, label_regex=label_regex)
    n_jobs = _check_n_jobs(n_jobs)
    cache_dir = _cache_dir(cache)

    labels, failures, todo = rule.apply(files, strict=strict)

    settings = extractor.to_dict()
    results: dict[int, np.ndarray] = {}
    bar = _progress_bar(len(files), function_verbose(verbose, progress, "extract_many"))
    bar.update(len(files) - len(todo))
    try:
        for idx, out in _run(todo, files, settings, cache_dir, n_jobs, strict):
            for i, (ok, value) in zip(idx, out):
                if ok:
                    results[i] = value
                else:
                    failures[i] = value
                    if strict:
                        raise FileFormatError(f"{files[i]}: {value}")
            bar.update(len(idx))
    finally:
        bar.close()

    index, blocks, pos = [], [], 0
    for i, f in enumerate(files):
        if i in results:
            M = results[i]
            index.append(Utterance(f, pos, M.shape[0], labels[i]))
            blocks.append(M)
            pos += M.shape[0]
    X = np.concatenate(blocks) if blocks else np.empty((0, extractor.n_features), np.float32)
    failed = [(files[i], failures[i]) for i in sorted(failures)]
    if failed:
        shown = "; ".join(f"{f}: {r}" for f, r in failed[:5])
        more = f" (and {len(failed) - 5} more)" if len(failed) > 5 else ""
        warnings.warn(
            f"{len(failed)} of {len(files)} files could not be used: {shown}{more}; "
            f"see FeatureSet.failures", stacklevel=2,
        )
    return FeatureSet(X, index, failed, extractor.to_meta())


def find_audio_files(sources) -> list[str]:
    """Expand files, folders and glob patterns into a list of file names.

    Folders and patterns expand in sorted order; a name that is neither an existing
    path nor a pattern is kept (and later reported as a failure: no such file).

    Raises
    ------
    ParameterError
        When nothing at all is found.
    """
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    out: list[str] = []
    for src in sources:
        s = str(src)
        p = Path(s)
        if p.is_dir():
            found = sorted(str(q) for q in p.rglob("*")
                           if q.suffix.lower() in AUDIO_EXTENSIONS and q.is_file())
            if not found:
                raise ParameterError(
                    f"folder {s} holds no audio files (looked for {', '.join(AUDIO_EXTENSIONS)})"
                )
            out.extend(found)
        elif glob.has_magic(s):
            found = sorted(q for q in glob.glob(s, recursive=True) if Path(q).is_file())
            if not found:
                raise ParameterError(f"pattern {s!r} matches no file")
            out.extend(found)
        else:
            out.append(s)
    if not out:
        raise ParameterError("no audio files given")
    return out


def default_cache_dir() -> Path:
    """``$VQTOOLKIT_CACHE`` or ``~/.cache/vqtoolkit/features``."""
    env = os.environ.get(_CACHE_ENV)
    return Path(env) if env else Path.home() / ".cache" / "vqtoolkit" / "features"


# ------------------------------------------------------------------------- helpers
def _run(todo, files, settings, cache_dir, n_jobs, strict):
    """Yield ``(indices, [(ok, matrix_or_reason), ...])`` chunk by chunk."""
    if not todo:
        return
    n_chunks_target = n_jobs * 8
    size = max(1, min(64, math.ceil(len(todo) / n_chunks_target)))
    chunks = [todo[k:k + size] for k in range(0, len(todo), size)]
    if n_jobs == 1 or len(chunks) == 1:
        for idx in chunks:
            # single-threaded BLAS here too: the same arithmetic as the workers, so the features
            # are bit-identical whatever n_jobs (with more BLAS threads they differed by 3e-5)
            yield idx, _extract_chunk([files[i] for i in idx], settings, cache_dir, strict,
                                      single_thread=True)
        return
    warm_up()  # compile or load librosa's kernels once, before the workers fork
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork") if sys.platform == "linux" and "fork" in methods \
        else None
    with ProcessPoolExecutor(max_workers=min(n_jobs, len(chunks)), mp_context=ctx,
                             initializer=_ignore_sigint) as ex:
        futures = {ex.submit(_extract_chunk, [files[i] for i in idx], settings, cache_dir,
                             strict, single_thread=True): idx for idx in chunks}
        try:
            for fut in as_completed(futures):
                yield futures[fut], fut.result()
        finally:
            for fut in futures:
                fut.cancel()


def _ignore_sigint():
    """Workers leave Ctrl-C to the parent, which stops the batch (no traceback per worker)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _extract_chunk(paths, settings, cache_dir, strict, *, single_thread=False):
    """Worker: features (or the failure reason) of each file in ``paths``."""
    if single_thread:  # one process per core: BLAS threads would only oversubscribe
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            return _extract_chunk(paths, settings, cache_dir, strict)
    extractor = MFCCExtractor.from_dict(settings)
    settings_key = hashlib.sha256(
        (json.dumps(settings, sort_keys=True) + _CACHE_VERSION + _librosa_version()).encode()
    ).hexdigest()
    out = []
    for path in paths:
        try:
            out.append((True, _extract_one(path, extractor, settings_key, cache_dir)))
        except FileFormatError as exc:
            out.append((False, _reason(str(exc), path)))
            if strict:
                break
        except OSError as exc:
            out.append((False, exc.strerror or str(exc)))
            if strict:
                break
    return out


def _extract_one(path, extractor, settings_key, cache_dir):
    data = Path(path).read_bytes()
    target = None
    if cache_dir is not None:
        key = hashlib.sha256(hashlib.sha256(data).digest() + settings_key.encode()).hexdigest()
        target = Path(cache_dir) / key[:2] / f"{key}.npy"
        if target.exists():
            try:
                M = np.load(target, allow_pickle=False)
                if M.ndim == 2 and M.dtype == np.float32 and M.shape[1] == extractor.n_features:
                    return M
            except (ValueError, OSError, EOFError):
                pass  # unreadable cache entry: recompute and overwrite
    y, sr = decode_audio(data, name=str(path))
    M = extractor.compute(y, sr=sr, name=str(path))
    if target is not None:
        from ..io import atomic_write

        try:
            atomic_write(target, lambda fh: np.save(fh, M, allow_pickle=False))
        except OSError:
            pass  # a read-only cache must not stop extraction
    return M


def _reason(message: str, path) -> str:
    prefix = f"{path}: "
    return message[len(prefix):] if message.startswith(prefix) else message


def _librosa_version() -> str:
    import librosa

    return librosa.__version__


def _check_n_jobs(n_jobs):
    if n_jobs is None or n_jobs == -1:
        return os.cpu_count() or 1
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
        raise ParameterError(f"n_jobs={n_jobs!r} must be a positive integer, -1 or None")
    return n_jobs


def _cache_dir(cache):
    if cache is False:
        return None
    if cache is None or cache is True:
        return str(default_cache_dir())
    return str(Path(cache))


def _progress_bar(total, verbose):
    from .._progress import progress_bar

    return progress_bar(total=total, unit="file", desc="MFCC", verbose=verbose)
