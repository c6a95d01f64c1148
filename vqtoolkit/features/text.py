"""Text front end: read a corpus, turn documents into TF-IDF rows (one row per document).

- :func:`read_corpus` reads a folder of text files (label = sub-folder name,
  id = file path), a CSV or JSON Lines column, or a list of strings with
  optional ids, and returns a :class:`Corpus`. Files are decoded as UTF-8
  first and as latin-1 when that fails; every fallback is listed in
  :attr:`Corpus.fallbacks` and reported once with a :class:`EncodingFallbackWarning`.
- :class:`TfidfExtractor` wraps scikit-learn's ``TfidfVectorizer`` (or a
  ``HashingVectorizer`` followed by ``TfidfTransformer`` when the vocabulary
  does not fit in memory) with the settings that matter for clustering, and
  optionally reduces the TF-IDF rows to ``lsa_components`` dense dimensions with
  ``TruncatedSVD`` (LSA), L2-normalised. :meth:`TfidfExtractor.to_state` /
  :meth:`TfidfExtractor.from_state` store everything (settings, vocabulary, idf,
  LSA basis) as JSON plus plain arrays, so new documents are vectorised
  identically after loading.

Shapes: TF-IDF output is a CSR matrix ``(n_documents, n_terms)``; LSA output a
dense ``(n_documents, lsa_components)`` array. Rows have unit L2 length.
"""

from __future__ import annotations

import csv
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from .._validation import check_fitted, check_random_state
from ..errors import FileFormatError, ParameterError

__all__ = [
    "Corpus",
    "EncodingFallbackWarning",
    "TfidfExtractor",
    "read_corpus",
    "read_folder",
    "read_table",
    "read_text_file",
    "TEXT_EXTENSIONS",
    "TOKEN_PATTERN",
]

#: File endings read by :func:`read_folder`.
TEXT_EXTENSIONS = (".txt", ".text", ".md", "")

#: Words of two or more letters (digits and underscores are not words).
TOKEN_PATTERN = r"(?u)\b[^\W\d_][^\W\d_]+\b"


class EncodingFallbackWarning(UserWarning):
    """A text file was not valid UTF-8 and was decoded as latin-1."""


@dataclass(frozen=True)
class Corpus:
    """Documents with their ids and (optional) labels: what every text reader and loader returns.

    Attributes
    ----------
    texts : list of str, length n_documents
    ids : ndarray of shape (n_documents,)
        File paths, a column of the table, the given ids, ``NEWID`` (Reuters),
        or positions.
    labels : ndarray of shape (n_documents,), str, or None
        Sub-folder names, a label column, or a data set's classes (Reuters:
        the first topic, ``''`` for none).
    fallbacks : list of (str, str)
        ``(file, encoding)`` for every file not read as UTF-8.
    topics : tuple of tuple of str, optional
        Reuters: every ``TOPICS`` entry of each document.
    split : ndarray of shape (n_documents,), str, optional
        Reuters: the ``LEWISSPLIT`` attribute (``TRAIN``, ``TEST``, ``NOT-USED``).
    """

    texts: list
    ids: np.ndarray
    labels: np.ndarray | None = None
    fallbacks: list = field(default_factory=list)
    topics: tuple | None = None
    split: np.ndarray | None = None

    @property
    def target_names(self) -> tuple:
        """Distinct labels, sorted (``()`` without labels)."""
        if self.labels is None:
            return ()
        return tuple(sorted(set(np.asarray(self.labels).tolist())))

    @property
    def target(self) -> np.ndarray | None:
        """Labels as integers: positions in :attr:`target_names`; None without labels."""
        if self.labels is None:
            return None
        return np.searchsorted(np.asarray(self.target_names), self.labels)

    def __len__(self) -> int:
        return len(self.texts)


def read_text_file(path, *, encodings=("utf-8", "latin-1")) -> tuple[str, str]:
    """Read one text file, trying ``encodings`` in order.

    Parameters
    ----------
    path : str or path-like
    encodings : sequence of str
        latin-1 (the default last resort) decodes every byte sequence.

    Returns
    -------
    text : str
    encoding : str
        The encoding that worked.
    """
    raw = Path(path).read_bytes()
    for enc in encodings:
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise FileFormatError(f"{path}: cannot be decoded with any of {tuple(encodings)}")


def read_folder(folder, *, extensions=TEXT_EXTENSIONS, labels_from_folders=True) -> Corpus:
    """Read every text file under ``folder`` (sorted by path).

    Parameters
    ----------
    folder : str or path-like
    extensions : sequence of str
        File endings to read (``''`` = no ending); hidden files are skipped.
    labels_from_folders : bool
        The label of a file is the name of its first-level sub-folder (files
        directly in ``folder`` get ``''``).

    Returns
    -------
    Corpus
        ids are file paths.
    """
    root = Path(folder)
    if not root.is_dir():
        raise FileFormatError(f"{root}: not a folder")
    files = sorted(
        p for p in root.rglob("*")
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in extensions
    )
    if not files:
        raise FileFormatError(f"{root}: no text files ending in {tuple(extensions)}")
    texts, fallbacks, labels = [], [], []
    for f in files:
        text, enc = read_text_file(f)
        texts.append(text)
        if enc != "utf-8":
            fallbacks.append((str(f), enc))
        rel = f.relative_to(root).parts
        labels.append(rel[0] if len(rel) > 1 else "")
    _report_fallbacks(fallbacks)
    return Corpus(texts, np.array([str(f) for f in files]),
                  np.array(labels) if labels_from_folders else None, fallbacks)


def read_table(path, *, column="text", id_column=None, label_column=None) -> Corpus:
    """Read documents from a CSV file (with a header) or a JSON Lines file.

    Parameters
    ----------
    path : str or path-like
        ``.csv`` / ``.tsv`` (header row) or ``.jsonl`` / ``.json`` (one object a line).
    column : str
        Column holding the text.
    id_column, label_column : str, optional
        Columns holding ids (default: row numbers) and labels.

    Returns
    -------
    Corpus
    """
    path = Path(path)
    text, enc = read_text_file(path)
    fallbacks = [] if enc == "utf-8" else [(str(path), enc)]
    _report_fallbacks(fallbacks)
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        rows = []
        for lineno, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise FileFormatError(f"{path}, line {lineno}: not JSON ({exc})") from None
    else:
        delim = "\t" if path.suffix.lower() == ".tsv" else ","
        rows = list(csv.DictReader(text.splitlines(), delimiter=delim))
    if not rows:
        raise FileFormatError(f"{path}: no rows")
    for name in (column, id_column, label_column):
        if name is not None and name not in rows[0]:
            raise ParameterError(
                f"{path}: no column {name!r}; columns are {sorted(rows[0])}"
            )
    texts = ["" if r.get(column) is None else str(r[column]) for r in rows]
    ids = (np.array([str(r[id_column]) for r in rows]) if id_column
           else np.arange(len(rows)).astype(str))
    labels = np.array([str(r[label_column]) for r in rows]) if label_column else None
    return Corpus(texts, ids, labels, fallbacks)


def read_corpus(source, *, ids=None, column="text", id_column=None, label_column=None) -> Corpus:
    """Read documents from a folder, a CSV / JSON Lines file, or a list of strings.

    Parameters
    ----------
    source : str, path-like, list of str or pandas Series
        A folder (one document per file, label = sub-folder), a table file
        (see :func:`read_table`), or the documents themselves.
    ids : sequence, optional
        Ids for a list of strings (default: the Series index, else positions).
    column, id_column, label_column : str
        For table files.

    Returns
    -------
    Corpus
    """
    if isinstance(source, Corpus):
        return source
    if isinstance(source, (str, Path)) and not isinstance(source, str) or (
        isinstance(source, str) and Path(source).exists()
    ):
        p = Path(source)
        if p.is_dir():
            return read_folder(p)
        return read_table(p, column=column, id_column=id_column, label_column=label_column)
    if isinstance(source, str):
        raise FileFormatError(
            f"{source}: no such file or folder (to cluster one document, pass a list of strings)"
        )
    if ids is None and hasattr(source, "index") and hasattr(source, "to_numpy"):
        ids = source.index
    texts = list(source)
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad:
        raise ParameterError(
            f"documents must be strings; item {bad[0]} is {type(texts[bad[0]]).__name__}"
        )
    ids = np.arange(len(texts)) if ids is None else np.asarray(ids)
    if ids.shape != (len(texts),):
        raise ParameterError(f"got {ids.shape[0] if ids.ndim else 0} ids for {len(texts)} documents")
    return Corpus(texts, ids)


class TfidfExtractor(TransformerMixin, BaseEstimator):
    """TF-IDF rows (optionally reduced by LSA) with settings that suit clustering.

    Parameters
    ----------
    sublinear_tf : bool, default=True
        Use ``1 + log(tf)`` instead of raw counts.
    min_df : int or float, default=2
        Ignore terms in fewer documents (a fraction for floats).
    max_df : float or int, default=0.5
        Ignore terms in more documents (a fraction for floats).
    max_features : int, optional
        Keep the most frequent terms only.
    stop_words : 'english', list of str or None, default='english'
    ngram_range : tuple (min_n, max_n), default=(1, 1)
    token_pattern : str, default=TOKEN_PATTERN
        Words of two or more letters; numbers are not terms.
    lowercase : bool, default=True
    hashing : bool, default=False
        Use ``HashingVectorizer`` (no vocabulary in memory) with ``n_features``
        columns. ``min_df``, ``max_df`` and ``max_features`` do not apply; term
        names (for :meth:`get_feature_names_out`) are recovered from the tokens of
        the first ``10_000`` training documents.
    n_features : int, default=2**18
        Columns of the hashing space.
    lsa_components : int, optional
        Reduce to this many dimensions with ``TruncatedSVD`` and L2-normalise
        (dense output).
    dtype : {numpy.float32, numpy.float64}, default=numpy.float32
    random_state : None, int or RandomState, default=0
        For the randomised SVD.

    Attributes
    ----------
    vectorizer_ : TfidfVectorizer or HashingVectorizer
    idf_ : ndarray of shape (n_terms,)
    feature_names_ : ndarray of shape (n_terms,), str
    svd_components_ : ndarray of shape (lsa_components, n_terms), only with LSA
    explained_variance_ratio_ : float, only with LSA
    n_terms_ : int
    """

    def __init__(self, *, sublinear_tf=True, min_df=2, max_df=0.5, max_features=None,
                 stop_words="english", ngram_range=(1, 1), token_pattern=TOKEN_PATTERN,
                 lowercase=True, hashing=False, n_features=2**18, lsa_components=None,
                 dtype=np.float32, random_state=0):
        self.sublinear_tf = sublinear_tf
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.stop_words = stop_words
        self.ngram_range = ngram_range
        self.token_pattern = token_pattern
        self.lowercase = lowercase
        self.hashing = hashing
        self.n_features = n_features
        self.lsa_components = lsa_components
        self.dtype = dtype
        self.random_state = random_state

    # ------------------------------------------------------------------ fitting

    def fit(self, texts, y=None):
        """Learn vocabulary, idf (and the LSA basis) from ``texts``.

        Parameters
        ----------
        texts : sequence of str, length n_documents

        Returns
        -------
        self
        """
        self.fit_tfidf(texts)
        return self

    def fit_transform(self, texts, y=None):
        """Fit, then return the rows of ``texts`` (CSR TF-IDF, or dense LSA)."""
        return self._reduce(self.fit_tfidf(texts), fit=True)

    def fit_tfidf(self, texts):
        """Fit and return the TF-IDF rows (CSR) even when LSA is on (LSA is fitted too).

        Returns
        -------
        CSR matrix of shape (n_documents, n_terms)
        """
        texts = _check_texts(texts)
        self._check_params()
        if self.hashing:
            from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

            self.vectorizer_ = HashingVectorizer(
                n_features=self.n_features, alternate_sign=False, norm=None,
                **self._common(),
            )
            counts = self.vectorizer_.transform(texts)
            tt = TfidfTransformer(sublinear_tf=self.sublinear_tf).fit(counts)
            self.idf_ = tt.idf_.astype(np.float64)
            self.feature_names_ = self._hashed_names(texts[:10_000])
            X = self._weight(counts)
        else:
            from sklearn.feature_extraction.text import TfidfVectorizer

            self.vectorizer_ = TfidfVectorizer(
                sublinear_tf=self.sublinear_tf, min_df=self.min_df, max_df=self.max_df,
                max_features=self.max_features, dtype=self.dtype, **self._common(),
            )
            try:
                X = self.vectorizer_.fit_transform(texts)
            except ValueError as exc:  # empty vocabulary, min_df > max_df ...
                raise ParameterError(_vocabulary_problem(exc, len(texts), self.min_df,
                                                         self.max_df)) from None
            self.idf_ = self.vectorizer_.idf_.astype(np.float64)
            self.feature_names_ = self.vectorizer_.get_feature_names_out().astype(str)
        self.n_terms_ = X.shape[1]
        X = sp.csr_matrix(X, dtype=self.dtype)
        if self.lsa_components is not None:
            self._fit_lsa(X)
        return X

    # ---------------------------------------------------------------- inference

    def transform(self, texts):
        """Rows of new documents, vectorised exactly as in training.

        Returns
        -------
        CSR matrix of shape (n_documents, n_terms), or ndarray of shape
        (n_documents, lsa_components) with LSA.
        """
        return self._reduce(self.transform_tfidf(texts))

    def transform_tfidf(self, texts):
        """TF-IDF rows (CSR, unit length) of new documents, before any LSA."""
        check_fitted(self, "idf_")
        texts = _check_texts(texts)
        if self.hashing:
            return self._weight(self.vectorizer_.transform(texts))
        return sp.csr_matrix(self.vectorizer_.transform(texts), dtype=self.dtype)

    def reduce(self, X):
        """Apply the fitted LSA (then L2 normalisation) to TF-IDF rows; identity without LSA."""
        return self._reduce(X)

    def get_feature_names_out(self, input_features=None):
        """Term of every TF-IDF column.

        Returns
        -------
        ndarray of shape (n_terms,), str
        """
        check_fitted(self, "feature_names_")
        return self.feature_names_

    # -------------------------------------------------------------------- state

    def to_state(self) -> tuple[dict, dict]:
        """JSON settings and plain arrays that rebuild this fitted extractor.

        Returns
        -------
        meta : dict
        arrays : dict of str to ndarray
            ``vocabulary`` (fixed-width unicode, column order), ``idf`` and,
            with LSA, ``svd_components``.
        """
        check_fitted(self, "idf_")
        params = self.get_params()
        params["dtype"] = np.dtype(params["dtype"]).name
        params["ngram_range"] = list(params["ngram_range"])
        if isinstance(params["random_state"], np.random.RandomState):
            params["random_state"] = None
        if params["stop_words"] is not None and not isinstance(params["stop_words"], str):
            params["stop_words"] = [str(w) for w in params["stop_words"]]
        meta = {"extractor": "tfidf", "params": params, "n_terms": int(self.n_terms_)}
        arrays = {"vocabulary": np.asarray(self.feature_names_, dtype=str), "idf": self.idf_}
        if self.lsa_components is not None:
            arrays["svd_components"] = self.svd_components_
            meta["explained_variance_ratio"] = float(self.explained_variance_ratio_)
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict, arrays: dict) -> TfidfExtractor:
        """Inverse of :meth:`to_state`."""
        params = dict(meta["params"])
        params["dtype"] = np.dtype(params["dtype"]).type
        params["ngram_range"] = tuple(params["ngram_range"])
        self = cls(**params)
        self.idf_ = np.asarray(arrays["idf"], dtype=np.float64)
        self.feature_names_ = np.asarray(arrays["vocabulary"]).astype(str)
        self.n_terms_ = int(meta["n_terms"])
        if self.hashing:
            from sklearn.feature_extraction.text import HashingVectorizer

            self.vectorizer_ = HashingVectorizer(n_features=self.n_features, alternate_sign=False,
                                                 norm=None, **self._common())
        else:
            from sklearn.feature_extraction.text import TfidfVectorizer

            vocab = {str(t): i for i, t in enumerate(self.feature_names_)}
            self.vectorizer_ = TfidfVectorizer(
                sublinear_tf=self.sublinear_tf, vocabulary=vocab, dtype=self.dtype,
                **self._common(),
            )
            self.vectorizer_.idf_ = self.idf_
        if self.lsa_components is not None:
            self.svd_components_ = np.asarray(arrays["svd_components"])
            self.explained_variance_ratio_ = float(meta.get("explained_variance_ratio", np.nan))
        return self

    # ----------------------------------------------------------------- internals

    def _check_params(self):
        if self.lsa_components is not None:
            if isinstance(self.lsa_components, bool) or not isinstance(
                    self.lsa_components, (int, np.integer)) or self.lsa_components < 1:
                raise ParameterError(
                    f"lsa_components={self.lsa_components!r} must be None or an integer >= 1"
                )
        if np.dtype(self.dtype) not in (np.float32, np.float64):
            raise ParameterError(f"dtype={self.dtype!r} must be numpy.float32 or numpy.float64")
        if not isinstance(self.stop_words, (str, list, tuple, type(None))) or (
                isinstance(self.stop_words, str) and self.stop_words != "english"):
            raise ParameterError(
                f"stop_words={self.stop_words!r} must be 'english', a list of words or None"
            )

    def _common(self):
        return dict(stop_words=self.stop_words, ngram_range=tuple(self.ngram_range),
                    token_pattern=self.token_pattern, lowercase=self.lowercase)

    def _weight(self, counts):
        X = sp.csr_matrix(counts, dtype=np.float64)
        if self.sublinear_tf:
            np.log(X.data, out=X.data)
            X.data += 1
        X = X @ sp.diags(self.idf_)
        from sklearn.preprocessing import normalize

        return sp.csr_matrix(normalize(X), dtype=self.dtype)

    def _hashed_names(self, texts):
        analyzer = self.vectorizer_.build_analyzer()
        names = np.full(self.n_features, "", dtype=object)
        seen: dict[str, int] = {}
        for t in texts:
            for tok in analyzer(t):
                seen[tok] = seen.get(tok, 0) + 1
        for tok in sorted(seen, key=lambda s: (-seen[s], s)):  # most frequent token wins a column
            j = _hash_column(self.n_features, tok)
            if names[j] == "":
                names[j] = tok
        empty = names == ""
        names[empty] = [f"#{j}" for j in np.flatnonzero(empty)]
        return names.astype(str)

    def _fit_lsa(self, X):
        from sklearn.decomposition import TruncatedSVD

        k = int(self.lsa_components)
        if k >= min(X.shape):
            raise ParameterError(
                f"lsa_components={k} must be smaller than min(n_documents, n_terms) = "
                f"{min(X.shape)}"
            )
        svd = TruncatedSVD(k, algorithm="randomized", n_iter=7,
                           random_state=check_random_state(self.random_state))
        svd.fit(X)
        self.svd_components_ = svd.components_.astype(self.dtype)
        self.explained_variance_ratio_ = float(svd.explained_variance_ratio_.sum())

    def _reduce(self, X, fit=False):
        if self.lsa_components is None:
            return X
        check_fitted(self, "svd_components_")
        from sklearn.preprocessing import normalize

        Z = np.asarray(X @ self.svd_components_.T, dtype=self.dtype)
        return normalize(Z).astype(self.dtype, copy=False)


def _hash_column(n_features, token):
    from sklearn.utils.murmurhash import murmurhash3_32

    return abs(int(murmurhash3_32(token, seed=0, positive=False))) % n_features


def _check_texts(texts):
    if isinstance(texts, str):
        raise ParameterError("texts must be a sequence of documents, got a single string")
    texts = list(texts)
    if not texts:
        raise ParameterError("texts is empty; expected at least one document")
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise ParameterError(f"documents must be strings; item {i} is {type(t).__name__}")
    return texts


def _report_fallbacks(fallbacks):
    if fallbacks:
        shown = ", ".join(f for f, _ in fallbacks[:5])
        more = f" and {len(fallbacks) - 5} more" if len(fallbacks) > 5 else ""
        warnings.warn(
            f"{len(fallbacks)} file(s) not valid UTF-8, read as latin-1: {shown}{more}",
            EncodingFallbackWarning, stacklevel=3,
        )


def _vocabulary_problem(exc, n_docs, min_df, max_df):
    """scikit-learn's vectorizer error, said in terms of this corpus and what to change."""
    def docs(value):
        return value if isinstance(value, int) else f"{value} x {n_docs} = {value * n_docs:g}"

    if "max_df corresponds to < documents than min_df" in str(exc):
        return (f"TfidfExtractor: with {n_docs} documents, max_df={max_df!r} keeps terms in at most "
                f"{docs(max_df)} documents, fewer than min_df={min_df!r} asks for: no term can "
                "pass both; lower min_df, raise max_df, or give more documents")
    if "empty vocabulary" in str(exc):
        return (f"TfidfExtractor: no term is left among the {n_docs} documents (min_df={min_df!r},"
                f" max_df={max_df!r}, stop words removed); lower min_df, raise max_df, or give "
                "more (or longer) documents")
    return f"TfidfExtractor: {exc}"
