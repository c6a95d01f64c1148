"""Document clustering: TF-IDF rows → spherical k-means → topics (top terms) and members.

:class:`DocumentClusterer` chains :class:`~vqtoolkit.features.text.TfidfExtractor`
and :class:`~vqtoolkit.Codebook`:

- ``lsa_components=None`` (default): spherical k-means (``Codebook(metric='cosine')``)
  directly on the sparse CSR TF-IDF matrix, never densified. Codewords have unit
  length; a document goes to the codeword of largest cosine similarity.
- ``lsa_components=m``: plain k-means (``Codebook(metric='euclidean')``) on the
  ``m``-dimensional LSA rows (L2-normalised).

Seeding (``init='lsa'``, the default, see :func:`lsa_seed`): k-means++ seeding
on sparse text is fragile: the D² sampling favours outlying, short documents
whose TF-IDF vectors are almost orthogonal to everything, and one run lands in a
poor local optimum more often than not. So the partition that starts the
sparse run is found in a cheap dense space instead: the TF-IDF rows are projected
on their first ``seed_components`` singular vectors (LSA), spherical k-means is
run there ``n_init`` times from k-means++ seeds, the run with the lowest
distortion is kept, and its clusters' normalised TF-IDF sums become the initial
codewords of the sparse run. ``init='k-means++'`` instead restarts the sparse
spherical k-means ``n_init`` times from k-means++ seeds on the unit rows (cosine
k-means++) and keeps the lowest distortion.

Top terms are read from the mean TF-IDF vector of each cluster (TF-IDF units,
whatever space the clustering ran in). Clusters are numbered by decreasing size.
"""

from __future__ import annotations

import copy
import numbers
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.preprocessing import normalize

from . import kernels
from ._doc_report import ClusterSummary, DocumentReport, assignments_csv
from ._progress import DEPRECATED, estimator_verbose, function_verbose, progress_bar, show_progress
from ._validation import check_fitted, check_positive_int, check_random_state
from .codebook import Codebook
from .errors import FileFormatError, ParameterError
from .features.text import TfidfExtractor, read_corpus

__all__ = ["DocumentClusterer", "ClusterSummary", "DocumentReport", "lsa_seed", "INIT_METHODS"]

INIT_METHODS = ("lsa", "k-means++")


def lsa_seed(X, n_clusters, *, n_components=50, n_init=10, random_state=None, n_threads=None,
             verbose=False, progress=DEPRECATED):
    """Initial unit-length codewords for spherical k-means on sparse TF-IDF rows.

    Spherical k-means with ``n_init`` k-means++ restarts runs on the rows
    projected to ``n_components`` LSA dimensions (``TruncatedSVD``, rows
    L2-normalised); the lowest-distortion partition is turned into codewords in
    the space of ``X`` (normalised sums of each cluster's rows).

    Parameters
    ----------
    X : CSR matrix or ndarray of shape (n_documents, n_terms)
    n_clusters : int
    n_components : int
        Capped at ``min(X.shape) - 1``.
    n_init : int
    random_state : None, int or RandomState
    n_threads : int, optional
    verbose : bool or None, default=False
        Progress bar over the restarts on stderr (``None``: only when stderr is
        a terminal; see :mod:`vqtoolkit._progress`).
    progress : bool
        Deprecated alias of ``verbose`` (FutureWarning); removed in the next release.

    Returns
    -------
    ndarray of shape (n_clusters, n_terms), float64
        Unit-length rows.
    """
    from sklearn.decomposition import TruncatedSVD

    rng = check_random_state(random_state)
    m = int(min(n_components, min(X.shape) - 1))
    if m >= 2:
        Z = TruncatedSVD(m, random_state=rng).fit_transform(X).astype(X.dtype, copy=False)
    else:  # tiny corpus: cluster the rows themselves
        Z = X
    best = None
    seeds = rng.randint(np.iinfo(np.int32).max, size=n_init)
    verbose = function_verbose(verbose, progress, "lsa_seed")
    for seed in progress_bar(seeds, desc="seeding", unit="run", verbose=verbose):
        cb = Codebook(n_clusters, metric="cosine", n_threads=n_threads,
                      random_state=int(seed)).fit(Z)
        if best is None or cb.distortion_ < best.distortion_:
            best = cb
    cb = best
    sums, counts = kernels.accumulate(X, cb.labels_, n_clusters)
    return normalize(sums)


class DocumentClusterer(ClusterMixin, BaseEstimator):
    """Cluster documents by topic; read each cluster's top terms and members.

    Parameters
    ----------
    n_clusters : int, default=8
    features : TfidfExtractor, optional
        Feature settings (cloned before fitting). Default ``TfidfExtractor()``:
        sublinear tf, ``min_df=2``, ``max_df=0.5``, English stop words, words of
        two or more letters.
    lsa_components : int, optional
        Cluster ``lsa_components``-dimensional LSA rows with plain k-means instead
        of the sparse TF-IDF rows with spherical k-means.
    init : {'lsa', 'k-means++'}, default='lsa'
        Seeding of the spherical k-means; see the module docstring and :func:`lsa_seed`.
    n_init : int, default=10
        Restarts (of the LSA seeding run, or of the whole clustering); the lowest
        distortion wins.
    seed_components : int, default=50
        LSA dimensions used by ``init='lsa'``.
    max_iter : int, default=100
    tol : float, default=1e-4
    n_threads : int, optional
    random_state : None, int or RandomState, default=0
    verbose : bool or None, default=False
        Stage messages and a progress bar over the restarts, on stderr;
        ``None`` shows them only when stderr is a terminal.
    progress : bool
        Deprecated alias of ``verbose`` (FutureWarning); removed in the next release.

    Attributes
    ----------
    features_ : TfidfExtractor
        Fitted; vectorises new documents identically.
    codebook_ : Codebook
        The fitted codebook (training space: unit TF-IDF rows, or LSA rows).
    labels_ : ndarray of shape (n_documents,), int64
        Cluster of each training document (0 = largest cluster).
    ids_ : ndarray of shape (n_documents,)
        The documents' ids (file paths, the given ids, the Series index, positions).
    cluster_sizes_ : ndarray of shape (n_clusters,), int64
    centroids_ : ndarray of shape (n_clusters, n_terms), float64
        Mean TF-IDF vector of each cluster.
    similarity_ : ndarray of shape (n_documents,), float64
        Cosine similarity of each document to its codeword (training space).
    distortion_ : float
    feature_names_ : ndarray of shape (n_terms,), str
    """

    def __init__(self, n_clusters=8, *, features=None, lsa_components=None, init="lsa",
                 n_init=10, seed_components=50, max_iter=100, tol=1e-4, n_threads=None,
                 random_state=0, verbose=False, progress=DEPRECATED):
        self.n_clusters = n_clusters
        self.features = features
        self.lsa_components = lsa_components
        self.init = init
        self.n_init = n_init
        self.seed_components = seed_components
        self.max_iter = max_iter
        self.tol = tol
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose
        self.progress = progress

    # ------------------------------------------------------------------ fitting

    def fit(self, texts, y=None, *, ids=None):
        """Vectorise and cluster ``texts``.

        Parameters
        ----------
        texts : sequence of str, pandas Series, folder, CSV / JSON Lines file or Corpus
            See :func:`vqtoolkit.features.text.read_corpus`.
        y : ignored
        ids : sequence of length n_documents, optional
            The documents' own ids (default: file paths, the Series index, or positions).

        Returns
        -------
        self
        """
        self._check_params()
        corpus = read_corpus(texts, ids=ids)
        k = self.n_clusters
        if k > len(corpus):
            raise ParameterError(
                f"n_clusters={k} is larger than the number of documents ({len(corpus)})"
            )
        say = _stage_printer(estimator_verbose(self))
        features = self._features()
        say(f"vectorising {len(corpus)} documents")
        X = features.fit_tfidf(corpus.texts)
        say(f"TF-IDF matrix {X.shape[0]} x {X.shape[1]}, {X.nnz} non-zeros")
        Xs = features.reduce(X)
        self.codebook_ = self._cluster(Xs, X, k)
        self.features_ = features
        self.feature_names_ = features.get_feature_names_out()
        self._finish(self.codebook_.labels_, X, Xs, np.asarray(corpus.ids))
        return self

    def fit_predict(self, texts, y=None, *, ids=None):
        """Fit and return :attr:`labels_`."""
        return self.fit(texts, ids=ids).labels_

    # ---------------------------------------------------------------- inference

    def predict(self, texts):
        """Cluster of new documents (vectorised with the training settings).

        Parameters
        ----------
        texts : sequence of str

        Returns
        -------
        ndarray of shape (n_documents,), int64
        """
        check_fitted(self, "labels_")
        Xs = self.features_.transform(read_corpus(texts).texts)
        return self._relabel[self.codebook_.predict(Xs)]

    def top_terms(self, n=10, *, cluster=None, weights=False):
        """Terms with the largest mean TF-IDF weight in each cluster.

        Parameters
        ----------
        n : int
        cluster : int, optional
            One cluster only.
        weights : bool
            Also return the mean TF-IDF weights.

        Returns
        -------
        list (one per cluster) of list of str, or of (str, float) with ``weights=True``;
        a single list when ``cluster`` is given.
        """
        check_fitted(self, "centroids_")
        n = check_positive_int(n, "n")
        which = range(self.n_clusters) if cluster is None else [self._check_cluster(cluster)]
        out = []
        for j in which:
            row = self.centroids_[j]
            top = np.lexsort((np.arange(row.size), -row))[:n]
            top = top[row[top] > 0]
            terms = [str(self.feature_names_[t]) for t in top]
            out.append(list(zip(terms, row[top].tolist())) if weights else terms)
        return out if cluster is None else out[0]

    def members(self, cluster):
        """Ids of the training documents in ``cluster`` (in training order).

        Returns
        -------
        ndarray
        """
        check_fitted(self, "labels_")
        return self.ids_[self.labels_ == self._check_cluster(cluster)]

    def representatives(self, cluster, n=5):
        """Ids of the ``n`` members of ``cluster`` closest to its codeword (most similar first).

        Returns
        -------
        ndarray of length min(n, cluster size)
        """
        check_fitted(self, "labels_")
        n = check_positive_int(n, "n")
        idx = np.flatnonzero(self.labels_ == self._check_cluster(cluster))
        order = np.lexsort((idx, -self.similarity_[idx]))[:n]
        return self.ids_[idx[order]]

    def report(self, *, n_terms=10, n_representatives=3, labels=None,
               members=True) -> DocumentReport:
        """Summary of every cluster (size, top terms, representatives, members), optionally scored.

        Parameters
        ----------
        n_terms, n_representatives : int
        labels : array-like of shape (n_documents,), optional
            True classes of the training documents; adds NMI, adjusted Rand and V-measure.
        members : bool, default=True
            List the ids of every cluster's documents (:meth:`members`).

        Returns
        -------
        DocumentReport
        """
        check_fitted(self, "labels_")
        terms = self.top_terms(n_terms, weights=True)
        clusters = tuple(
            ClusterSummary(j, int(self.cluster_sizes_[j]), tuple(terms[j]),
                           tuple(str(i) for i in self.representatives(j, n_representatives))
                           if self.cluster_sizes_[j] else (),
                           tuple(str(i) for i in self.members(j)) if members else ())
            for j in range(self.n_clusters)
        )
        scores = None
        if labels is not None:
            scores = clustering_scores(labels, self.labels_)
        settings = {**_jsonable(self._params()),
                    "features": self.features_.to_state()[0]["params"]}
        return DocumentReport(int(self.labels_.size), int(self.n_clusters),
                              int(self.feature_names_.size), float(self.distortion_), settings,
                              clusters, scores)

    # -------------------------------------------------------------------- files

    def write_assignments(self, path):
        """Write ``id,cluster,similarity`` for every training document (CSV with a header).

        Returns
        -------
        pathlib.Path
        """
        from .io import atomic_write

        check_fitted(self, "labels_")
        text = assignments_csv(self.ids_, self.labels_, self.similarity_)
        atomic_write(Path(path), lambda fh: fh.write(text.encode()))
        return Path(path)

    def save(self, path):
        """Write the fitted clusterer (features, vocabulary, idf, codebook) to ``.npz``.

        Returns
        -------
        pathlib.Path
        """
        from .io import write_archive

        return write_archive(path, *self._to_state())

    def _to_state(self):
        """``(meta, arrays)`` of the fitted clusterer, as stored in a document clusterer file."""
        check_fitted(self, "labels_")
        fmeta, farrays = self.features_.to_state()
        cb = copy.copy(self.codebook_)
        cb.init = "k-means++"  # the seed array is not needed to predict
        cmeta, carrays = cb._to_state()
        cmeta["shift"] = "shift" in carrays
        meta = {
            "kind": "document_clusterer",
            "params": _jsonable(self._params()),
            "features": fmeta,
            "codebook": cmeta,
        }
        arrays = {f"features.{k}": v for k, v in farrays.items()}
        arrays.update({f"codebook.{k}": v for k, v in carrays.items()})
        arrays.update({
            "relabel": self._relabel, "labels": self.labels_, "centroids": self.centroids_,
            "similarity": self.similarity_, "ids": np.asarray(self.ids_).astype(str),
        })
        return meta, arrays

    @classmethod
    def _from_state(cls, meta, arrays, path):
        """Rebuild a clusterer from :meth:`_to_state` output; ``path`` names the file in errors."""
        try:
            params = dict(meta["params"])
            params.pop("features", None)
            params.pop("progress", None)  # files written before verbose replaced it
            self = cls(**params)
            sub = {k.split(".", 1)[1]: v for k, v in arrays.items() if k.startswith("features.")}
            self.features_ = TfidfExtractor.from_state(meta["features"], sub)
            self.features = TfidfExtractor(**self.features_.get_params())
            # files written before the codebook had its own state lack these two entries
            cmeta = {"feature_names": None, "whitener": None, **meta["codebook"]}
            carr = {k.split(".", 1)[1]: v for k, v in arrays.items() if k.startswith("codebook.")}
            self.codebook_ = Codebook._from_state(cmeta, carr, path)
            self._relabel = arrays["relabel"].astype(np.int64)
            self.labels_ = arrays["labels"].astype(np.int64)
            self.centroids_ = arrays["centroids"]
            self.similarity_ = arrays["similarity"]
            self.ids_ = arrays["ids"]
            self.feature_names_ = self.features_.get_feature_names_out()
            self.cluster_sizes_ = np.bincount(self.labels_, minlength=self.n_clusters)
            self.distortion_ = float(cmeta["distortion"])
        except FileFormatError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise FileFormatError(f"{path}: not a valid document clusterer file ({exc})") from None
        return self

    # ----------------------------------------------------------------- internals

    def _params(self):
        """``get_params(deep=False)`` without the deprecated ``progress`` alias."""
        params = self.get_params(deep=False)
        params.pop("progress", None)
        return params

    def _check_params(self):
        check_positive_int(self.n_clusters, "n_clusters")
        check_positive_int(self.n_init, "n_init")
        check_positive_int(self.seed_components, "seed_components")
        check_positive_int(self.max_iter, "max_iter")
        if self.lsa_components is not None:
            check_positive_int(self.lsa_components, "lsa_components")
        if self.init not in INIT_METHODS:
            raise ParameterError(f"init={self.init!r} is not one of {INIT_METHODS}")
        if self.features is not None and not isinstance(self.features, TfidfExtractor):
            raise ParameterError(
                f"features must be a TfidfExtractor or None, got {type(self.features).__name__}"
            )

    def _features(self):
        from sklearn.base import clone

        features = clone(self.features) if self.features is not None else TfidfExtractor()
        return features.set_params(lsa_components=self.lsa_components)

    def _cluster(self, Xs, X, k):
        rng = check_random_state(self.random_state)
        common = dict(max_iter=self.max_iter, tol=self.tol, n_threads=self.n_threads)
        verbose = estimator_verbose(self)
        say = _stage_printer(verbose)
        if self.lsa_components is not None:  # plain k-means on LSA rows, restarts
            return self._restarts(lambda seed: Codebook(k, metric="euclidean", random_state=seed,
                                                        **common).fit(Xs), rng, verbose)
        if self.init == "k-means++":
            return self._restarts(lambda seed: Codebook(k, metric="cosine", random_state=seed,
                                                        **common).fit(Xs), rng, verbose)
        say(f"seeding: spherical k-means x {self.n_init} in {self.seed_components} LSA dimensions")
        C0 = lsa_seed(Xs, k, n_components=self.seed_components, n_init=self.n_init,
                      random_state=rng, n_threads=self.n_threads, verbose=verbose)
        say("spherical k-means on the sparse TF-IDF rows")
        return Codebook(k, metric="cosine", init=C0, random_state=rng, **common).fit(Xs)

    def _restarts(self, run, rng, verbose):
        seeds = rng.randint(np.iinfo(np.int32).max, size=self.n_init)
        best = None
        for seed in progress_bar(seeds, desc="restarts", unit="run", verbose=verbose):
            cb = run(int(seed))
            if best is None or cb.distortion_ < best.distortion_:
                best = cb
        return best

    def _finish(self, codes, X, Xs, ids):
        k = self.n_clusters
        sizes = np.bincount(codes, minlength=k)
        order = np.lexsort((np.arange(k), -sizes))  # largest first, ties by codeword index
        self._relabel = np.empty(k, dtype=np.int64)
        self._relabel[order] = np.arange(k)
        self.labels_ = self._relabel[codes]
        self.cluster_sizes_ = sizes[order].astype(np.int64)
        sums, counts = kernels.accumulate(X, self.labels_, k)
        self.centroids_ = sums / np.maximum(counts, 1)[:, None]
        # rows of Xs have unit length (or are empty): their dot product with the unit codeword
        C = normalize(self.codebook_.whitened_codebook_).astype(Xs.dtype)
        self.similarity_ = np.asarray((Xs @ C.T)[np.arange(codes.size), codes], dtype=np.float64)
        self.similarity_ = self.similarity_.ravel()
        self.distortion_ = float(self.codebook_.distortion_)
        self.ids_ = ids

    def _check_cluster(self, cluster):
        k = self.n_clusters
        if not isinstance(cluster, numbers.Integral) or not 0 <= cluster < k:
            raise ParameterError(f"cluster={cluster!r} must be an integer in [0, {k})")
        return int(cluster)


def clustering_scores(labels_true, labels_pred) -> dict:
    """NMI, adjusted Rand index and V-measure (scikit-learn's definitions).

    Returns
    -------
    dict with keys ``nmi``, ``ari``, ``v_measure``
    """
    from sklearn import metrics

    t = np.asarray(labels_true)
    p = np.asarray(labels_pred)
    if t.shape != p.shape:
        raise ParameterError(f"labels have shape {t.shape}; expected {p.shape} like the documents")
    return {"nmi": float(metrics.normalized_mutual_info_score(t, p)),
            "ari": float(metrics.adjusted_rand_score(t, p)),
            "v_measure": float(metrics.v_measure_score(t, p))}


def _stage_printer(verbose):
    import sys

    enabled = show_progress(verbose)

    def say(msg):
        if enabled:
            print(f"vqtoolkit: {msg}", file=sys.stderr, flush=True)

    return say


def _jsonable(params):
    out = {}
    for key, value in params.items():
        if isinstance(value, TfidfExtractor):
            value = value.to_state()[0]["params"] if hasattr(value, "idf_") else \
                _jsonable(value.get_params())
        elif isinstance(value, np.ndarray):
            continue
        elif isinstance(value, (np.integer, np.floating)):
            value = value.item()
        elif isinstance(value, np.random.RandomState):
            value = None
        elif isinstance(value, type):
            value = np.dtype(value).name
        elif isinstance(value, tuple):
            value = list(value)
        out[key] = value
    return out
