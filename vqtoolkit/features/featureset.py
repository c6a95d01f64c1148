"""FeatureSet: the frames of many utterances stacked in one matrix, with an index."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import FileFormatError, ParameterError

__all__ = ["FeatureSet", "Utterance"]

_KIND = "featureset"


@dataclass(frozen=True)
class Utterance:
    """Where one utterance sits in :attr:`FeatureSet.X`.

    Attributes
    ----------
    file : str
        The audio file it came from.
    start : int
        First row in ``X``.
    n_frames : int
        Number of rows.
    labels : dict of str to str
        Labels parsed from the file's path by a label rule
        (:mod:`vqtoolkit.features.labels`: a regex's named groups, or ``folder``).
    """

    file: str
    start: int
    n_frames: int
    labels: dict = field(default_factory=dict)

    @property
    def stop(self) -> int:
        """One past the last row in ``X``."""
        return self.start + self.n_frames


class FeatureSet:
    """Frames of many utterances: one stacked matrix plus a per-utterance index.

    Parameters
    ----------
    X : ndarray of shape (n_frames_total, n_features), float32
        All frames, utterance after utterance, in index order.
    index : sequence of Utterance
        One entry per utterance, with contiguous, increasing ``start``.
    failures : sequence of (str, str), optional
        Files that could not be used, with the reason.
    features : dict, optional
        The extractor's ``to_meta()``; lets the same settings process new audio.

    Examples
    --------
    >>> fs[0].shape                      # frames of the first utterance  # doctest: +SKIP
    (29, 39)
    >>> fs.labels("speaker")[:2]         # doctest: +SKIP
    array(['george', 'george'], dtype='<U8')
    """

    def __init__(self, X, index: Sequence[Utterance], failures=(), features: dict | None = None):
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2:
            raise ParameterError(f"X of shape {X.shape}: expected (n_frames, n_features)")
        index = list(index)
        pos = 0
        for u in index:
            if u.start != pos or u.n_frames < 0:
                raise ParameterError(f"index entry for {u.file} starts at {u.start}, expected {pos}")
            pos += u.n_frames
        if pos != X.shape[0]:
            raise ParameterError(f"index covers {pos} rows but X has {X.shape[0]}")
        self.X = X
        self.index = index
        self.failures = [(str(f), str(r)) for f, r in failures]
        self.features = features

    # ----------------------------------------------------------------- access
    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int) -> np.ndarray:
        """Frames of utterance ``i``: ndarray of shape (n_frames, n_features), a view of X."""
        u = self.index[i]
        return self.X[u.start:u.stop]

    def __repr__(self) -> str:
        return (f"FeatureSet({len(self)} utterances, X={self.X.shape}, "
                f"{len(self.failures)} failures)")

    def utterances(self) -> list[np.ndarray]:
        """Per-utterance matrices, each of shape (n_frames_i, n_features), in index order."""
        return [self[i] for i in range(len(self))]

    @property
    def files(self) -> list[str]:
        """The file of every utterance, in index order."""
        return [u.file for u in self.index]

    @property
    def label_names(self) -> list[str]:
        """Names of the labels parsed from the file names."""
        return list(self.index[0].labels) if self.index else []

    def labels(self, name: str) -> np.ndarray:
        """Label ``name`` of every utterance: ndarray of shape (n_utterances,), str.

        Convert with ``.astype(int)`` for numeric labels such as FSDD digits.
        """
        self._check_label(name)
        return np.array([u.labels[name] for u in self.index], dtype=str)

    def frame_labels(self, name: str) -> np.ndarray:
        """Label ``name`` of every row of ``X``: ndarray of shape (n_frames_total,), str."""
        self._check_label(name)
        return np.repeat(self.labels(name), [u.n_frames for u in self.index])

    def subset(self, which) -> FeatureSet:
        """A new FeatureSet with the utterances selected by a boolean mask or indices."""
        idx = np.arange(len(self))[np.asarray(which)]
        rows, index, pos = [], [], 0
        for i in idx:
            u = self.index[int(i)]
            rows.append(self.X[u.start:u.stop])
            index.append(Utterance(u.file, pos, u.n_frames, dict(u.labels)))
            pos += u.n_frames
        X = np.concatenate(rows) if rows else np.empty((0, self.X.shape[1]), np.float32)
        return FeatureSet(X, index, self.failures, self.features)

    def relabel(self, labels, *, strict: bool = False) -> FeatureSet:
        """A new FeatureSet labelled again from the stored file paths.

        Parameters
        ----------
        labels : {'auto', 'folder', 'regex:PATTERN'} or LabelRule
            The label rule (:mod:`vqtoolkit.features.labels`); the old labels are dropped.
        strict : bool
            Raise :class:`FileFormatError` at the first file the rule cannot label.

        Returns
        -------
        FeatureSet
            The utterances the rule labels, in order; the others are left out and
            appended to ``failures`` with the reason.
        """
        from .labels import label_rule

        new, failed, todo = label_rule(labels).apply(self.files, strict=strict)
        rows, index, pos = [], [], 0
        for i in todo:
            u = self.index[i]
            rows.append(self.X[u.start:u.stop])
            index.append(Utterance(u.file, pos, u.n_frames, new[i]))
            pos += u.n_frames
        X = np.concatenate(rows) if rows else np.empty((0, self.X.shape[1]), np.float32)
        failures = self.failures + [(self.index[i].file, r) for i, r in sorted(failed.items())]
        return FeatureSet(X, index, failures, self.features)

    @property
    def extractor(self):
        """The :class:`MFCCExtractor` that made these features (None when unknown)."""
        if not self.features:
            return None
        from ._mfcc import from_meta

        return from_meta(self.features)

    def _check_label(self, name):
        if name not in self.label_names:
            raise ParameterError(
                f"label {name!r} is unknown; this FeatureSet has labels {self.label_names} "
                f"(extract with a label rule, labels='folder' or 'regex:PATTERN', or use relabel)"
            )

    # ------------------------------------------------------------------ files
    def save(self, path):
        """Write the set to a ``.npz`` file atomically (no pickle); return the path.

        :meth:`load` and :func:`vqtoolkit.load` read it back.
        """
        from ..io import write_archive

        return write_archive(path, *self._to_state())

    @classmethod
    def load(cls, path) -> FeatureSet:
        """Read a file written by :meth:`save`."""
        from ..io import read_archive

        meta, arrays = read_archive(path)
        if meta.get("kind") != _KIND:
            raise FileFormatError(f"{path}: holds a {meta.get('kind')!r}, not a featureset")
        return cls._from_state(meta, arrays, path)

    def _to_state(self):
        """``(meta, arrays)`` of the set, as stored in a featureset file."""
        names = self.label_names
        arrays = {
            "X": self.X,
            "start": np.array([u.start for u in self.index], dtype=np.int64),
            "n_frames": np.array([u.n_frames for u in self.index], dtype=np.int64),
            "files": np.array(self.files, dtype=str),  # not "file": np.savez reserves it
            "failure_file": np.array([f for f, _ in self.failures], dtype=str),
            "failure_reason": np.array([r for _, r in self.failures], dtype=str),
        }
        for j, name in enumerate(names):
            arrays[f"label_{j}"] = self.labels(name)
        meta = {"kind": _KIND, "label_names": names, "features": self.features}
        return meta, arrays

    @classmethod
    def _from_state(cls, meta, arrays, path) -> FeatureSet:
        """Rebuild a set from :meth:`_to_state` output; ``path`` names the file in errors."""
        a = arrays
        try:
            names = meta["label_names"]
            cols = [a[f"label_{j}"] for j in range(len(names))]
            _check_columns(path, {"files": a["files"], "start": a["start"], "n_frames": a["n_frames"],
                                  **{f"label {nm!r}": c for nm, c in zip(names, cols)}})
            _check_columns(path, {"failure_file": a["failure_file"],
                                  "failure_reason": a["failure_reason"]})
            if a["X"].ndim != 2 or a["X"].dtype.kind != "f":
                raise FileFormatError(
                    f"{path}: damaged featureset file (X is {a['X'].dtype} of shape {a['X'].shape}, "
                    f"expected a float matrix (n_frames, n_features))"
                )
            index = [
                Utterance(str(f), int(s), int(n), {nm: str(c[i]) for nm, c in zip(names, cols)})
                for i, (f, s, n) in enumerate(zip(a["files"], a["start"], a["n_frames"]))
            ]
            failures = list(zip(a["failure_file"].tolist(), a["failure_reason"].tolist()))
            return cls(a["X"], index, failures, meta.get("features"))
        except (KeyError, ParameterError) as exc:
            raise FileFormatError(f"{path}: incomplete featureset file ({exc})") from None


def _check_columns(path, columns):
    """Every per-utterance column of a featureset file is 1-D and of the same length."""
    lengths = {name: (np.ndim(c), np.shape(c)[0] if np.ndim(c) else None) for name, c in columns.items()}
    sizes = {n for nd, n in lengths.values() if nd == 1}
    if any(nd != 1 for nd, _ in lengths.values()) or len(sizes) > 1:
        shown = ", ".join(f"{name}: {np.shape(c)}" for name, c in columns.items())
        raise FileFormatError(
            f"{path}: damaged featureset file (per-utterance columns disagree: {shown})"
        )
