"""Text data sets with topic labels: BBC News, Reuters-21578 and AG News (test split).

Read in place from the data home (``$VQTOOLKIT_DATA``, ``../shared/data`` or the
user cache folder; fetched there first when missing):

- ``bbc/<class>/<n>.txt``: one article per file; ``sport/199.txt`` is latin-1
  (the fallback is reported with an :class:`EncodingFallbackWarning`).
- ``reuters21578/reut2-*.sgm``: SGML; character entities (``&lt;``, ``&#3;`` …)
  are decoded, control characters dropped; one file holds a latin-1 byte.
- ``ag_news/test.csv``: class index 1–4, title, description; the ``#39;``-style
  escapes (``&`` lost), HTML entities, tags and backslash line breaks are cleaned.
"""

from __future__ import annotations

import csv
import html
import re
import warnings
from collections import Counter

import numpy as np

from ..errors import FileFormatError, ParameterError
from ..features.text import Corpus, read_folder, read_text_file
from ._fetch import ensure

__all__ = ["load_bbc", "load_reuters", "load_ag_news", "clean_ag_text"]

_BBC_SOURCE = "http://mlg.ucd.ie/datasets/bbc.html (raw text files, one folder per class)"
_REUTERS_SOURCE = "https://archive.ics.uci.edu/dataset/137/reuters+21578+text+categorization+collection"
_AG_SOURCE = "https://github.com/mhjabreel/CharCnn_Keras/tree/master/data/ag_news_csv (test.csv)"


def load_bbc(path=None, *, download_if_missing: bool = True) -> Corpus:
    """BBC News: 2,225 articles in 5 classes (business, entertainment, politics, sport, tech).

    Parameters
    ----------
    path : str or path-like, optional
        The folder holding one sub-folder per class; default ``bbc`` in the data home.
    download_if_missing : bool
        When the data set is in no data home (and ``path`` is not given), fetch
        it first with :func:`vqtoolkit.datasets.fetch` (into ``$VQTOOLKIT_DATA``
        or the user cache folder). Offline, the error is one line naming the URL
        and ``VQTOOLKIT_DATA_MIRROR``.

    Returns
    -------
    Corpus
        Sorted by file path; ids are the file paths.
    """
    root = ensure("bbc", path, source=_BBC_SOURCE, download_if_missing=download_if_missing)
    return read_folder(root, extensions=(".txt",))


def load_reuters(path=None, *, split="all", single_label=False, n_topics=None,
                 require_body=True, download_if_missing: bool = True) -> Corpus:
    """Reuters-21578 newswire (title + body of every ``<REUTERS>`` entry).

    Parameters
    ----------
    path : str or path-like, optional
        Folder holding ``reut2-000.sgm`` … ``reut2-021.sgm``; default
        ``reuters21578`` in the data home.
    split : {'all', 'train', 'test', 'modapte'}
        ``LEWISSPLIT`` TRAIN or TEST, or the ModApte split (TRAIN and TEST with
        ``TOPICS="YES"``); ``'all'`` keeps every document.
    single_label : bool
        Keep only documents with exactly one ``TOPICS`` entry.
    n_topics : int, optional
        Then keep only the ``n_topics`` most frequent labels (e.g. 8 for the
        usual "R8" subset with ``single_label=True``).
    require_body : bool
        Drop documents without a ``<BODY>``.
    download_if_missing : bool
        When the data set is in no data home (and ``path`` is not given), fetch
        it first with :func:`vqtoolkit.datasets.fetch` (into ``$VQTOOLKIT_DATA``
        or the user cache folder). Offline, the error is one line naming the URL
        and ``VQTOOLKIT_DATA_MIRROR``.

    Returns
    -------
    Corpus
        ids are ``NEWID``; ``topics`` and ``split`` are filled in.
    """
    if split not in ("all", "train", "test", "modapte"):
        raise ParameterError(f"split={split!r} must be 'all', 'train', 'test' or 'modapte'")
    root = ensure("reuters21578", path, source=_REUTERS_SOURCE, download_if_missing=download_if_missing)
    files = sorted(root.glob("reut2-*.sgm"))
    if not files:
        raise FileFormatError(f"{root}: no reut2-*.sgm files; get them from {_REUTERS_SOURCE}")
    docs = []
    fallbacks = []
    for f in files:
        text, enc = read_text_file(f)
        if enc != "utf-8":
            fallbacks.append((str(f), enc))
        docs.extend(_parse_sgml(text, f))
    if fallbacks:
        from ..features.text import EncodingFallbackWarning

        warnings.warn(f"{len(fallbacks)} file(s) not valid UTF-8, read as latin-1: "
                      f"{', '.join(f for f, _ in fallbacks)}", EncodingFallbackWarning, stacklevel=2)
    keep = []
    for d in docs:
        if require_body and not d["has_body"]:
            continue
        if split == "train" and d["lewis"] != "TRAIN" or split == "test" and d["lewis"] != "TEST":
            continue
        if split == "modapte" and not (d["lewis"] in ("TRAIN", "TEST") and d["topics_yes"]):
            continue
        if single_label and len(d["topics"]) != 1:
            continue
        keep.append(d)
    if n_topics is not None:
        counts = Counter(d["topics"][0] for d in keep if d["topics"])
        top = {t for t, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n_topics]}
        keep = [d for d in keep if d["topics"] and d["topics"][0] in top]
    labels = np.array([d["topics"][0] if d["topics"] else "" for d in keep], dtype=str)
    return Corpus(
        [d["text"] for d in keep], np.array([d["id"] for d in keep], dtype=str), labels,
        fallbacks, topics=tuple(tuple(d["topics"]) for d in keep),
        split=np.array([d["lewis"] for d in keep], dtype=str),
    )


def load_ag_news(path=None, *, download_if_missing: bool = True) -> Corpus:
    """AG News test split: 7,600 titles + descriptions, 1,900 per class.

    Parameters
    ----------
    path : str or path-like, optional
        Folder holding ``test.csv`` and ``classes.txt``; default ``ag_news`` in the data home.
    download_if_missing : bool
        When the data set is in no data home (and ``path`` is not given), fetch
        it first with :func:`vqtoolkit.datasets.fetch` (into ``$VQTOOLKIT_DATA``
        or the user cache folder). Offline, the error is one line naming the URL
        and ``VQTOOLKIT_DATA_MIRROR``.

    Returns
    -------
    Corpus
        Labels are the class names of ``classes.txt`` (World, Sports, Business,
        Sci/Tech); ids are row numbers; text is ``title + ". " + description``, cleaned.
    """
    root = ensure("ag_news", path, source=_AG_SOURCE, download_if_missing=download_if_missing)
    names_file = root / "classes.txt"
    names = (read_text_file(names_file)[0].split() if names_file.exists()
             else ["World", "Sports", "Business", "Sci/Tech"])
    data_file = root / "test.csv"
    if not data_file.exists():
        raise FileFormatError(f"{data_file}: missing; get it from {_AG_SOURCE}")
    texts, labels = [], []
    for lineno, row in enumerate(csv.reader(read_text_file(data_file)[0].splitlines()), 1):
        if len(row) < 3:
            raise FileFormatError(f"{data_file}, line {lineno}: {len(row)} fields, expected 3")
        try:
            cls = int(row[0])
            label = names[cls - 1]
        except (ValueError, IndexError):
            raise FileFormatError(
                f"{data_file}, line {lineno}: class {row[0]!r} is not in 1..{len(names)}"
            ) from None
        labels.append(label)
        texts.append(clean_ag_text(row[1]) + ". " + clean_ag_text(" ".join(row[2:])))
    labels = np.array(labels, dtype=str)
    return Corpus(texts, np.arange(len(texts)).astype(str), labels)


# ------------------------------------------------------------------ internals

_ESCAPE = re.compile(r"(?<!&)#(\d+);")
_NAMED = re.compile(r"(?<![&\w])(quot|amp|lt|gt|apos);")
_TAG = re.compile(r"<[^>]{0,200}>")
_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_ag_text(text: str) -> str:
    """Undo AG News escapes: ``#39;`` → ``'``, HTML entities and tags, ``\\`` line breaks."""
    text = _ESCAPE.sub(r"&#\1;", text)
    text = _NAMED.sub(r"&\1;", text)
    text = html.unescape(text)
    text = _TAG.sub(" ", text)
    text = text.replace("\\", " ")
    return re.sub(r"\s+", " ", text).strip()


_DOC = re.compile(r"<REUTERS(?P<attrs>[^>]*)>(?P<body>.*?)</REUTERS>", re.S)
_ATTR = re.compile(r'(\w+)="([^"]*)"')
_TOPICS = re.compile(r"<TOPICS>(.*?)</TOPICS>", re.S)
_D = re.compile(r"<D>(.*?)</D>", re.S)


def _field(body, tag):
    m = re.search(rf"<{tag}>(.*?)</{tag}>", body, re.S)
    return None if m is None else m.group(1)


def _unescape(text):
    return _CTRL.sub("", html.unescape(text)).strip()


def _parse_sgml(text, path):
    out = []
    for m in _DOC.finditer(text):
        attrs = dict(_ATTR.findall(m["attrs"]))
        body = m["body"]
        if "NEWID" not in attrs:
            raise FileFormatError(f"{path}: a <REUTERS> entry has no NEWID attribute")
        tm = _TOPICS.search(body)
        topics = [_unescape(t) for t in _D.findall(tm.group(1))] if tm else []
        title = _field(body, "TITLE")
        main = _field(body, "BODY")
        if main is None:  # TYPE="BRIEF" / "UNPROC": text without <BODY>
            raw = _field(body, "TEXT") or ""
            raw = re.sub(r"<TITLE>.*?</TITLE>|<DATELINE>.*?</DATELINE>", " ", raw, flags=re.S)
        else:
            raw = main
        parts = [_unescape(title) if title else "", _unescape(raw)]
        out.append({
            "id": attrs["NEWID"], "lewis": attrs.get("LEWISSPLIT", ""),
            "topics_yes": attrs.get("TOPICS") == "YES", "topics": topics,
            "has_body": main is not None, "text": "\n".join(p for p in parts if p),
        })
    return out
