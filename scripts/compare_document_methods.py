"""Clustering methods for TF-IDF documents measured side by side (issue 18); NMI against the labels.

Every method sees the same TF-IDF matrix (``TfidfExtractor()`` defaults: sublinear tf,
``min_df=2``, ``max_df=0.5``) and k = number of classes; no label is used except by the
``oracle`` diagnostic row. Prints the median NMI over the seeds (min-max in brackets) and
the seconds per fit, one row per method, then a diagnostic: spherical k-means started from
the true classes' normalised sums, and the distortion it reaches next to the default's.

Methods (literature recommendations for TF-IDF clustering):

- ``default``: ``DocumentClusterer`` (LSA-50 seeding, 10 restarts, sparse spherical k-means);
- ``sparse-select``: the 10 LSA partitions are each refined on the sparse rows and the
  lowest *sparse* distortion is kept (the default keeps the lowest LSA distortion);
  ``sparse-select-30`` does the same with 30 LSA partitions;
- ``lsa-200``: spherical k-means (10 k-means++ restarts) on 200 L2-normalised LSA dimensions;
- ``spectral``: Ng-Jordan-Weiss spectral clustering on the symmetrised 15-nearest-neighbour
  cosine graph (k leading eigenvectors of D^-1/2 A D^-1/2, rows normalised, spherical k-means);
- ``nmf``: scikit-learn ``NMF`` (nndsvd) with k topics, cluster = argmax of W;
- ``knn-smooth``: each row replaced by the normalised mean of itself and its 10 nearest
  neighbours, then the default;
- ``bisecting``: scikit-learn ``BisectingKMeans`` on the unit rows, refined by sparse
  spherical k-means;
- ``consensus``: 20 LSA restarts, average linkage of their label vectors (Hamming
  co-association), refined by sparse spherical k-means.

Usage::

    python scripts/compare_document_methods.py [--datasets bbc reuters ag_news] [--seeds 5]
        [--methods default sparse-select ...]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import NMF, TruncatedSVD
from sklearn.metrics import normalized_mutual_info_score as nmi
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import normalize

from vqtoolkit import Codebook, kernels
from vqtoolkit.documents import lsa_seed


def _refine(X, labels, k):
    """Sparse spherical k-means started from the normalised sums of a partition."""
    sums, _ = kernels.accumulate(X, np.asarray(labels, dtype=np.int64), k)
    return Codebook(k, metric="cosine", init=normalize(sums), random_state=0).fit(X)


def _restarts(Z, k, seed, n_init=10):
    rng = np.random.RandomState(seed)
    runs = [Codebook(k, metric="cosine", random_state=int(s)).fit(Z)
            for s in rng.randint(2**31 - 1, size=n_init)]
    return min(runs, key=lambda cb: cb.distortion_)


def _lsa_runs(X, k, seed, n_init, m=50):
    rng = np.random.RandomState(seed)
    Z = TruncatedSVD(m, random_state=rng).fit_transform(X).astype(X.dtype)
    return [Codebook(k, metric="cosine", random_state=int(s)).fit(Z)
            for s in rng.randint(2**31 - 1, size=n_init)]


def _knn(X, m):
    """Indices and cosine similarities of every row's m nearest other rows (unit rows)."""
    nn = NearestNeighbors(n_neighbors=m + 1, metric="cosine", algorithm="brute").fit(X)
    dist, idx = nn.kneighbors(X)
    return idx[:, 1:], 1.0 - dist[:, 1:]


def default(X, k, seed):
    rng = np.random.RandomState(seed)
    C0 = lsa_seed(X, k, n_components=50, n_init=10, random_state=rng)
    return Codebook(k, metric="cosine", init=C0, random_state=rng).fit(X).labels_


def sparse_select(X, k, seed, n_init=10):
    fits = [_refine(X, cb.labels_, k) for cb in _lsa_runs(X, k, seed, n_init)]
    return min(fits, key=lambda cb: cb.distortion_).labels_


def lsa_200(X, k, seed):
    Z = normalize(TruncatedSVD(200, random_state=seed).fit_transform(X))
    return _restarts(Z, k, seed).labels_


def spectral(X, k, seed, m=15):
    from scipy.sparse.linalg import eigsh

    idx, sim = _knn(X, m)
    n = X.shape[0]
    A = sp.csr_matrix((np.maximum(sim.ravel(), 0), (np.repeat(np.arange(n), m), idx.ravel())),
                      shape=(n, n))
    A = A.maximum(A.T).tocsr()
    s = 1 / np.sqrt(np.maximum(np.asarray(A.sum(1)).ravel(), 1e-12))
    L = sp.diags(s) @ A @ sp.diags(s)
    _, V = eigsh(L, k=k, which="LA", v0=np.random.RandomState(seed).uniform(-1, 1, n))
    return _restarts(normalize(V), k, seed).labels_


def nmf(X, k, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter
        return NMF(k, init="nndsvd", random_state=seed, max_iter=300).fit_transform(X).argmax(1)


def knn_smooth(X, k, seed, m=10):
    idx, _ = _knn(X, m)
    n = X.shape[0]
    cols = np.hstack([np.arange(n)[:, None], idx]).ravel()
    M = sp.csr_matrix((np.ones(cols.size), (np.repeat(np.arange(n), m + 1), cols)), shape=(n, n))
    return default(normalize(M @ X).astype(np.float32), k, seed)


def bisecting(X, k, seed):
    from sklearn.cluster import BisectingKMeans

    lab = BisectingKMeans(k, random_state=seed, n_init=3).fit(X).labels_
    return _refine(X, lab, k).labels_


def consensus(X, k, seed, n=20):
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    L = np.stack([cb.labels_ for cb in _lsa_runs(X, k, seed, n)], 1)
    uniq, inv = np.unique(L, axis=0, return_inverse=True)
    lab = fcluster(linkage(pdist(uniq, "hamming"), "average"), k, "maxclust")[inv.ravel()] - 1
    return _refine(X, lab, k).labels_


METHODS = {"default": default, "sparse-select": sparse_select,
           "sparse-select-30": lambda X, k, seed: sparse_select(X, k, seed, 30), "lsa-200": lsa_200,
           "spectral": spectral, "nmf": nmf, "knn-smooth": knn_smooth, "bisecting": bisecting,
           "consensus": consensus}


def main(argv=None) -> int:
    from cluster_documents import load

    from vqtoolkit.features.text import TfidfExtractor

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["bbc", "reuters", "ag_news"])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    args = parser.parse_args(argv)
    table = {}
    for name in args.datasets:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = load(name)
        X = TfidfExtractor().fit_tfidf(ds.texts)
        y = np.unique(np.asarray(ds.labels), return_inverse=True)[1].ravel()
        k = len(ds.target_names)
        for meth in args.methods:
            t = time.perf_counter()
            sc = [nmi(y, METHODS[meth](X, k, s)) for s in range(args.seeds)]
            secs = (time.perf_counter() - t) / args.seeds
            table[meth, name] = f"{np.median(sc):.3f} ({min(sc):.3f}-{max(sc):.3f}), {secs:.1f} s"
            print(f"{name} {meth}: {table[meth, name]}", flush=True)
        oracle = _refine(X, y, k)
        dflt = Codebook(k, metric="cosine", random_state=0,
                        init=lsa_seed(X, k, random_state=np.random.RandomState(0))).fit(X)
        print(f"{name} diagnostic: from the true classes NMI {nmi(y, oracle.labels_):.3f}, "
              f"distortion {oracle.distortion_:.5f}; default (seed 0) NMI {nmi(y, dflt.labels_):.3f}, "
              f"distortion {dflt.distortion_:.5f}", flush=True)
    print("\n| method | " + " | ".join(args.datasets) + " |")
    print("|---|" + "---|" * len(args.datasets))
    for meth in args.methods:
        print(f"| {meth} | " + " | ".join(table[meth, n] for n in args.datasets) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
