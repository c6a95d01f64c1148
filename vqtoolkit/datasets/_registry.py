"""The data sets vqtoolkit can fetch: what they are, their licence, and every file's SHA-256.

``registry.tsv.gz`` (package data, written by ``scripts/make_registry.py``)
holds one row per file: its place in the data home, size, SHA-256 and the
upstream repository, commit and path it is the raw copy of. The prose below
(title, licence, home page) is per data set.
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from ..errors import ParameterError

__all__ = ["DataFile", "DatasetInfo", "DATASETS", "dataset_names", "files_of", "describe"]

_REGISTRY = Path(__file__).with_name("registry.tsv.gz")

#: name → (title, licence, home page); names are the folders of the data home
DATASETS = {
    "fsdd": (
        "Free Spoken Digit Dataset: 3,000 wav recordings (8 kHz) of the digits 0-9, 6 speakers",
        "CC BY-SA 4.0",
        "https://github.com/Jakobovski/free-spoken-digit-dataset",
    ),
    "japanese_vowels": (
        "UCI Japanese Vowels: /ae/ said by 9 speakers as 12 LPC cepstra per frame, 640 utterances",
        "UCI repository terms (research use)",
        "https://archive.ics.uci.edu/dataset/128/japanese+vowels",
    ),
    "bbc": (
        "BBC News: 2,225 articles, one text file each, in 5 topic folders",
        "research use only (D. Greene, UCD)",
        "http://mlg.ucd.ie/datasets/bbc.html",
    ),
    "ag_news": (
        "AG News test split: 7,600 titles and descriptions in 4 topics",
        "non-commercial research use",
        "http://groups.di.unipi.it/~gulli/AG_corpus_of_news_articles.html",
    ),
    "reuters21578": (
        "Reuters-21578 newswire: 21,578 stories with topic tags, 22 SGML files",
        "research use (free distribution for research, per the collection's README)",
        "https://archive.ics.uci.edu/dataset/137/reuters+21578+text+categorization+collection",
    ),
    "clustering/sipu": (
        "Fränti's clustering benchmarks (S1-S4, A1-A3, Birch1/2, D31, R15 ...) with ground truth",
        "research use",
        "https://github.com/gagolews/clustering-data-v1 (from http://cs.uef.fi/sipu/datasets/)",
    ),
    "clustering/uci": (
        "8 UCI sets (ecoli, glass, ionosphere, sonar, statlog, wdbc, wine, yeast) with classes",
        "UCI repository terms (research use)",
        "https://github.com/gagolews/clustering-data-v1",
    ),
    "clustering/s-sets": (
        "reference codebooks of S1-S4 (15 centroids each)",
        "research use",
        "http://cs.uef.fi/sipu/datasets/",
    ),
}

#: names that stand for several data sets at once
GROUPS = {"clustering": ["clustering/sipu", "clustering/uci", "clustering/s-sets"]}


@dataclass(frozen=True)
class DataFile:
    """One file of the registry.

    Attributes
    ----------
    dataset : str
        Data set it belongs to, e.g. ``"fsdd"``.
    local_path : str
        Place in the data home (and on a mirror), ``/``-separated.
    size : int
        Bytes.
    sha256 : str
        64 hex digits.
    repo, commit, repo_path : str
        GitHub repository, the commit it is pinned to and the path in it.
    """

    dataset: str
    local_path: str
    size: int
    sha256: str
    repo: str
    commit: str
    repo_path: str

    @property
    def upstream_url(self) -> str:
        """The raw file at the pinned commit."""
        return (f"https://raw.githubusercontent.com/{self.repo}/{self.commit}/"
                f"{quote(self.repo_path)}")


@dataclass(frozen=True)
class DatasetInfo:
    """What :func:`describe` reports for one data set.

    Attributes
    ----------
    name, title, licence, source : str
        ``source`` is the home page; ``upstream`` the pinned repositories.
    upstream : tuple of str
        ``owner/name@commit`` of every repository the files come from.
    n_files, size : int
        Number of files and their total bytes.
    """

    name: str
    title: str
    licence: str
    source: str
    upstream: tuple
    n_files: int
    size: int


@lru_cache(maxsize=1)
def _files() -> tuple:
    with gzip.open(_REGISTRY, "rt", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(io.StringIO(f.read()), delimiter="\t"))
    return tuple(DataFile(r["dataset"], r["local_path"], int(r["bytes"]), r["sha256"], r["repo"],
                          r["commit"], r["repo_path"]) for r in rows)


def dataset_names(*, groups: bool = False) -> list[str]:
    """Every data set name, in registry order; with ``groups=True`` also ``'clustering'``."""
    return list(DATASETS) + (list(GROUPS) if groups else [])


def expand(name: str) -> list[str]:
    """The data sets a name stands for (a group gives several); unknown names are refused."""
    if name in DATASETS:
        return [name]
    if name in GROUPS:
        return list(GROUPS[name])
    raise ParameterError(
        f"data set {name!r} is not known; known: {', '.join(dataset_names(groups=True))}"
    )


def files_of(name: str) -> list[DataFile]:
    """Registry rows of a data set or group, sorted by ``local_path``."""
    wanted = set(expand(name))
    return [f for f in _files() if f.dataset in wanted]


def describe(name: str) -> DatasetInfo:
    """Title, licence, source, upstream commits, file count and size of a data set or group."""
    files = files_of(name)
    parts = expand(name)
    title, licence, source = (DATASETS[name] if name in DATASETS else
                              (f"all of {', '.join(parts)}",
                               "; ".join(dict.fromkeys(DATASETS[p][1] for p in parts)),
                               "; ".join(dict.fromkeys(DATASETS[p][2] for p in parts))))
    upstream = tuple(dict.fromkeys(f"{f.repo}@{f.commit}" for f in files))
    return DatasetInfo(name, title, licence, source, upstream, len(files), sum(f.size for f in files))
