"""MFCC extraction and Matcher scoring over many files, as Dask tasks in partitions."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field

import numpy as np

from .._progress import DEPRECATED, function_verbose
from ..errors import ParameterError
from ._cluster import _client

__all__ = ["DistributedFeatures", "extract_mfcc", "score_collection"]


@dataclass(frozen=True)
class DistributedFeatures:
    """Frames of many utterances as one Dask array, with the per-utterance index.

    Attributes
    ----------
    X : dask.array.Array of shape (n_frames_total, n_features), float32
        One row chunk per partition of files; the chunks live on the cluster.
    index : list of vqtoolkit.features.audio.Utterance
        Where each utterance sits in ``X`` (file, start row, frame count, labels).
    failures : list of (str, str)
        Files that could not be used, with the reason.
    features : dict
        The extractor's settings (``MFCCExtractor.to_meta()``).
    """

    X: object
    index: list
    failures: list = field(default_factory=list)
    features: dict | None = None

    def __len__(self):
        return len(self.index)


def extract_mfcc(files, extractor=None, *, partition_size=200, label_regex=None, cache=False,
                 client=None, verbose=None, progress=DEPRECATED):
    """MFCC frames of many audio files, extracted on a Dask cluster, partition by partition.

    One task handles ``partition_size`` files (not one task per file), so the
    scheduler sees a few hundred tasks for a corpus of tens of thousands of
    files. The frames stay on the workers; only the frame counts come back to
    build the index.

    Parameters
    ----------
    files : str, path-like or sequence of them
        Files, folders or glob patterns, as for
        :func:`vqtoolkit.features.audio.extract_many`. Workers must see the
        same paths (a shared file system).
    extractor : MFCCExtractor, optional
        Settings; default the ``'vq'`` preset, as :func:`~vqtoolkit.features.audio.extract_many`.
    partition_size : int, default=200
        Files per task.
    label_regex : str, optional
        Named groups parsed from each file name into the utterance labels.
    cache : bool or path-like, default=False
        Per-file feature cache, as in ``extract_many`` (off by default: the
        workers may not share a disk).
    client : distributed.Client, optional
        Default: :func:`get_client`.
    verbose : bool or None, default=None
        Progress bar over partitions on stderr: ``None`` only when stderr is a
        terminal, ``True`` always, ``False`` never (see :mod:`vqtoolkit._progress`).
    progress : bool
        Deprecated alias of ``verbose`` (FutureWarning); removed in the next release.

    Returns
    -------
    DistributedFeatures
    """
    from ..features._batch import _cache_dir, find_audio_files
    from ..features._mfcc import default_extractor
    from ..features.audio import MFCCExtractor, Utterance
    from ..features.labels import label_rule

    extractor = default_extractor() if extractor is None else extractor
    if not isinstance(extractor, MFCCExtractor):
        raise ParameterError(f"extractor must be an MFCCExtractor, got {type(extractor).__name__}")
    partition_size = _check_partition_size(partition_size)
    paths = find_audio_files(files)
    labels, failures, todo = label_rule(label_regex=label_regex).apply(paths)
    client = _client(client)
    parts = [todo[s:s + partition_size] for s in range(0, len(todo), partition_size)]
    settings = extractor.to_dict()
    cache_dir = _cache_dir(cache)
    futures = [client.submit(_extract_partition, [paths[i] for i in p], settings, cache_dir,
                             pure=False) for p in parts]
    metas = [client.submit(_partition_meta, f, pure=False) for f in futures]
    _wait(client, metas, function_verbose(verbose, progress, "extract_mfcc"))
    import dask
    import dask.array as da

    index, blocks, pos = [], [], 0
    for part, fut, meta in zip(parts, futures, client.gather(metas)):
        counts, bad = meta
        for local, reason in bad:
            failures[part[local]] = reason
        rows = 0
        for local, i in enumerate(part):
            if counts[local] >= 0:
                index.append(Utterance(paths[i], pos + rows, int(counts[local]), labels[i]))
                rows += int(counts[local])
        if rows:
            blocks.append(da.from_delayed(dask.delayed(_partition_matrix)(fut),
                                          shape=(rows, extractor.n_features), dtype=np.float32))
        pos += rows
    X = da.concatenate(blocks) if blocks else da.zeros((0, extractor.n_features), np.float32)
    failed = [(paths[i], failures[i]) for i in sorted(failures)]
    if failed:
        shown = "; ".join(f"{f}: {r}" for f, r in failed[:5])
        warnings.warn(f"{len(failed)} of {len(paths)} files could not be used: {shown}; see "
                      "DistributedFeatures.failures", stacklevel=2)
    return DistributedFeatures(X, index, failed, extractor.to_meta())


def score_collection(matcher, collection, *, partition_size=200, extractor=None, client=None):
    """Score many utterances against a Matcher, lazily, one task per partition.

    Parameters
    ----------
    matcher : Matcher
        A fitted :class:`~vqtoolkit.Matcher`, or anything with ``classes_`` and
        ``score(list_of_matrices)`` returning a ``(n_utterances, n_classes)``
        array (or a result with a ``.distortion`` or ``.scores`` array).
    collection : DistributedFeatures, sequence of ndarray, or sequence of paths
        Utterances: the result of :func:`extract_mfcc`, per-utterance frame
        matrices, or audio files (then ``extractor`` turns each into frames).
    partition_size : int, default=200
        Utterances per task.
    extractor : callable, optional
        ``extractor(path) -> (n_frames, n_features)`` for file input; default
        the matcher's ``features`` (its MFCCExtractor).
    client : distributed.Client, optional
        Used to ship in-memory matrices to the cluster; default :func:`get_client`.

    Returns
    -------
    dask.array.Array of shape (n_utterances, n_classes), float64
        Lazy; one row chunk per partition. For a Matcher: the distortion of
        each utterance against each class (``MatchScores.distortion``), in the
        order of ``matcher.classes_``.
    """
    import dask
    import dask.array as da

    partition_size = _check_partition_size(partition_size)
    n_classes = len(matcher.classes_)
    scorer = dask.delayed(matcher, pure=True)
    blocks = []
    if isinstance(collection, DistributedFeatures):
        bounds = [(u.start, u.stop) for u in collection.index]
        groups = [bounds[s:s + partition_size] for s in range(0, len(bounds), partition_size)]
        edges = [g[0][0] for g in groups] + [bounds[-1][1]] if groups else [0]
        X = collection.X.rechunk((tuple(np.diff(edges).tolist()), collection.X.shape[1]))
        for g, x in zip(groups, X.to_delayed().ravel()):
            local = [(a - g[0][0], b - g[0][0]) for a, b in g]
            blocks.append((dask.delayed(_score_frames)(scorer, x, local), len(g)))
    else:
        items = list(collection)
        files = bool(items) and isinstance(items[0], (str, os.PathLike))
        if files:
            ext = extractor if extractor is not None else getattr(matcher, "features", None)
            if not callable(ext):
                raise ParameterError(
                    "score_collection got file names but no extractor; pass "
                    "extractor=MFCCExtractor(...) or fit the Matcher with features=..."
                )
            ext_d = dask.delayed(ext, pure=True)
        else:
            client = _client(client)
        for s in range(0, len(items), partition_size):
            part = items[s:s + partition_size]
            if files:
                task = dask.delayed(_score_files)(scorer, ext_d, [str(p) for p in part])
            else:
                task = dask.delayed(_score_list)(scorer, client.scatter(
                    [np.asarray(m) for m in part]))
            blocks.append((task, len(part)))
    if not blocks:
        return da.zeros((0, n_classes))
    return da.concatenate([da.from_delayed(t, shape=(m, n_classes), dtype=np.float64)
                           for t, m in blocks])


# ------------------------------------------------------------------ workers


def _extract_partition(paths, settings, cache_dir):
    from ..features._batch import _extract_chunk

    out = _extract_chunk(paths, settings, cache_dir, False, single_thread=True)
    mats = [v for ok, v in out if ok]
    counts = [v.shape[0] if ok else -1 for ok, v in out]
    bad = [(i, v) for i, (ok, v) in enumerate(out) if not ok]
    n_features = settings_n_features(settings)
    M = np.concatenate(mats) if mats else np.empty((0, n_features), np.float32)
    return M, counts, bad


def settings_n_features(settings):
    from ..features.audio import MFCCExtractor

    return MFCCExtractor.from_dict(settings).n_features


def _partition_meta(part):
    return part[1], part[2]


def _partition_matrix(part):
    return part[0]


def _as_scores(result, n):
    for name in ("distortion", "scores"):  # MatchScores.distortion, or a plain array
        if hasattr(result, name):
            result = getattr(result, name)
            break
    scores = np.asarray(result, dtype=np.float64)
    if scores.ndim != 2 or scores.shape[0] != n:
        raise ParameterError(
            f"matcher.score returned shape {scores.shape}; expected ({n}, n_classes)"
        )
    return scores


def _score_list(matcher, mats):
    return _as_scores(matcher.score(list(mats)), len(mats))


def _score_frames(matcher, x, bounds):
    return _score_list(matcher, [x[a:b] for a, b in bounds])


def _score_files(matcher, extractor, paths):
    return _score_list(matcher, [extractor(p) for p in paths])


def _check_partition_size(partition_size):
    if isinstance(partition_size, bool) or not isinstance(partition_size, (int, np.integer)) \
            or partition_size < 1:
        raise ParameterError(f"partition_size={partition_size!r} must be a positive integer")
    return int(partition_size)


def _wait(client, futures, verbose):
    from distributed import as_completed

    from .._progress import progress_bar

    with progress_bar(total=len(futures), unit="partition", desc="MFCC (dask)",
                      verbose=verbose) as bar:
        for _ in as_completed(futures):
            bar.update(1)
