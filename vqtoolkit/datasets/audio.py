"""Audio data sets: the Free Spoken Digit Dataset and UCI Japanese Vowels."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import FileFormatError, ParameterError
from ._fetch import ensure

__all__ = ["load_fsdd", "load_japanese_vowels", "FSDD", "JapaneseVowels", "FSDD_LABEL_REGEX"]

#: Named groups of an FSDD file name ``{digit}_{speaker}_{take}.wav``; pass it as
#: ``label_regex`` to :func:`vqtoolkit.features.audio.extract_many`.
FSDD_LABEL_REGEX = r"^(?P<digit>\d)_(?P<speaker>[a-z]+)_(?P<take>\d+)\.wav$"

_FSDD_SOURCE = "https://github.com/Jakobovski/free-spoken-digit-dataset (folder recordings/)"
_JV_SOURCE = (
    "https://archive.ics.uci.edu/dataset/128/japanese+vowels (files ae.train, ae.test)"
)
_FSDD_TEST_TAKES = 5  # official split: takes 0-4 are the test set
_JV_TEST_BLOCKS = (31, 35, 88, 44, 29, 24, 40, 50, 29)


@dataclass(frozen=True)
class FSDD:
    """FSDD recordings (8 kHz mono wav) with their labels, one entry per file.

    Attributes
    ----------
    files : list of str, length n_files
        Paths of the wav files, sorted by (speaker, digit, take).
    digit : ndarray of shape (n_files,), int
    speaker : ndarray of shape (n_files,), str
    take : ndarray of shape (n_files,), int
    is_test : ndarray of shape (n_files,), bool
        Official split: takes 0–4 are the test set.
    """

    files: list
    digit: np.ndarray
    speaker: np.ndarray
    take: np.ndarray
    is_test: np.ndarray

    def __len__(self) -> int:
        return len(self.files)


@dataclass(frozen=True)
class JapaneseVowels:
    """UCI Japanese Vowels: 12 LPC cepstrum coefficients per frame, 9 speakers.

    Attributes
    ----------
    X_train, X_test : list of ndarray of shape (n_frames_i, 12), float64
        One matrix per utterance (270 train, 370 test), rows are frames.
    y_train, y_test : ndarray of shape (n_utterances,), int
        Speaker 1–9.
    """

    X_train: list
    y_train: np.ndarray
    X_test: list
    y_test: np.ndarray


def load_fsdd(path=None, *, split: str = "all", download_if_missing: bool = True) -> FSDD:
    """The Free Spoken Digit Dataset: 3,000 recordings of digits by 6 speakers.

    Parameters
    ----------
    path : str or path-like, optional
        The FSDD folder (holding ``recordings/``) or the recordings folder itself.
        Default: ``fsdd`` in the data home (see :func:`vqtoolkit.datasets.data_home`).
    split : {'all', 'train', 'test'}
        Official split: takes 0–4 are the test set, takes 5–49 the training set.
    download_if_missing : bool
        When the data set is in no data home (and ``path`` is not given), fetch
        it first with :func:`vqtoolkit.datasets.fetch` (into ``$VQTOOLKIT_DATA``
        or the user cache folder). Offline, the error is one line naming the URL
        and ``VQTOOLKIT_DATA_MIRROR``.

    Returns
    -------
    FSDD
        File list with digit, speaker, take and the split of every file.

    Raises
    ------
    DataNotFoundError
        The folder is missing; the message says where it looked and where to get it.
    """
    if split not in ("all", "train", "test"):
        raise ParameterError(f"split={split!r} must be 'all', 'train' or 'test'")
    root = ensure("fsdd", path, source=_FSDD_SOURCE, download_if_missing=download_if_missing)
    rec = root / "recordings" if (root / "recordings").is_dir() else root
    pattern = re.compile(FSDD_LABEL_REGEX)
    rows = []
    for f in rec.iterdir():
        m = pattern.match(f.name)
        if m:
            rows.append((m["speaker"], int(m["digit"]), int(m["take"]), str(f)))
    if not rows:
        raise FileFormatError(
            f"{rec}: no FSDD recordings named {{digit}}_{{speaker}}_{{take}}.wav; "
            f"get them from {_FSDD_SOURCE}"
        )
    rows.sort()
    speaker = np.array([r[0] for r in rows], dtype=str)
    digit = np.array([r[1] for r in rows], dtype=np.int64)
    take = np.array([r[2] for r in rows], dtype=np.int64)
    is_test = take < _FSDD_TEST_TAKES
    keep = np.ones(len(rows), bool) if split == "all" else (is_test if split == "test"
                                                            else ~is_test)
    files = [r[3] for r, k in zip(rows, keep) if k]
    return FSDD(files, digit[keep], speaker[keep], take[keep], is_test[keep])


def load_japanese_vowels(path=None, *, download_if_missing: bool = True) -> JapaneseVowels:
    """UCI Japanese Vowels: utterances of /ae/ by 9 speakers as LPC cepstra.

    Parameters
    ----------
    path : str or path-like, optional
        Folder holding ``ae.train`` and ``ae.test``; default ``japanese_vowels`` in
        the data home.
    download_if_missing : bool
        When the data set is in no data home (and ``path`` is not given), fetch
        it first with :func:`vqtoolkit.datasets.fetch` (into ``$VQTOOLKIT_DATA``
        or the user cache folder). Offline, the error is one line naming the URL
        and ``VQTOOLKIT_DATA_MIRROR``.

    Returns
    -------
    JapaneseVowels
        270 training utterances (30 per speaker, in speaker order) and 370 test
        utterances (speaker blocks of 31 35 88 44 29 24 40 50 29).

    Raises
    ------
    DataNotFoundError
        The folder is missing.
    FileFormatError
        A file is missing or does not have the expected utterance counts.
    """
    root = ensure("japanese_vowels", path, source=_JV_SOURCE,
                  download_if_missing=download_if_missing)
    X_train = _read_ae(root / "ae.train")
    X_test = _read_ae(root / "ae.test")
    blocks_train = (30,) * 9
    for name, X, blocks in (("ae.train", X_train, blocks_train),
                            ("ae.test", X_test, _JV_TEST_BLOCKS)):
        if len(X) != sum(blocks):
            raise FileFormatError(
                f"{root / name}: {len(X)} utterances, expected {sum(blocks)}"
            )
    y_train = np.repeat(np.arange(1, 10), blocks_train)
    y_test = np.repeat(np.arange(1, 10), _JV_TEST_BLOCKS)
    return JapaneseVowels(X_train, y_train, X_test, y_test)


def _read_ae(path: Path) -> list[np.ndarray]:
    """Utterances of an ``ae.*`` file; each ends with a line of twelve 1.0 values."""
    if not path.is_file():
        raise FileFormatError(f"{path}: missing; get it from {_JV_SOURCE}")
    out, rows = [], []
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        try:
            vals = [float(v) for v in parts]
        except ValueError:
            raise FileFormatError(f"{path}, line {lineno}: not numbers: {line[:60]!r}") from None
        if len(vals) != 12:
            raise FileFormatError(f"{path}, line {lineno}: {len(vals)} values, expected 12")
        if all(v == 1.0 for v in vals):
            if rows:
                out.append(np.array(rows))
            rows = []
        else:
            rows.append(vals)
    if rows:
        out.append(np.array(rows))
    return out
