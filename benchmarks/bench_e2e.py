"""End to end with the defaults: Codebook(k).fit(X) against the peers' default k-means, one run.

Per shape, every method runs ``--repeats`` times round-robin (so background
load hits all alike), each with its *default* settings and ``random_state=0``,
timed end to end (validation, seeding, iterations, final assignment):

- vqtoolkit ``Codebook(k, random_state=0, n_init=N).fit(X)``;
- scikit-learn ``KMeans(k, random_state=0, n_init=N)``;
- scikit-learn-intelex ``sklearnex.cluster.KMeans(k, random_state=0, n_init=N)``;
- faiss ``Kmeans(d, k, seed=0, nredo=N)`` trained from k-means++ seeds (scikit-learn's
  ``kmeans_plusplus``, timed with it) for a fair quality; faiss's own default
  seeding is random rows;
- superkmeans, if installed, at its defaults.

Printed: median seconds, the ratio to the faster of scikit-learn and
scikit-learn-intelex, and inertia (sum of squared distances to the nearest
centroid, recomputed the same way for all) relative to the best of the
methods. The BLAS in use is printed first.

Usage: python benchmarks/bench_e2e.py [--n-init 1] [--repeats 3] [--shapes 0 1 2 3] [--quick]
       [--skip faiss superkmeans]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _common import blas_report  # noqa: E402

SHAPES = [(200_000, 13, 64), (200_000, 39, 256), (100_000, 128, 1024), (50_000, 128, 512)]


def make_data(n, d, k, seed=0):
    """Gaussian blobs, float32 (as bench_kmeans.py)."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(k, d))
    return (centers[rng.integers(k, size=n)] + rng.normal(size=(n, d))).astype(np.float32)


def run_vqtoolkit(X, k, n_init):
    from vqtoolkit import Codebook

    return Codebook(k, random_state=0, n_init=n_init).fit(X).codebook_


def run_sklearn(X, k, n_init):
    from sklearn.cluster import KMeans

    return KMeans(k, random_state=0, n_init=n_init).fit(X).cluster_centers_


def run_sklearnex(X, k, n_init):
    from sklearnex.cluster import KMeans

    return KMeans(k, random_state=0, n_init=n_init).fit(X).cluster_centers_


def run_faiss(X, k, n_init):
    import faiss
    from sklearn.cluster import kmeans_plusplus

    best = None
    for r in range(n_init):
        C0, _ = kmeans_plusplus(X, k, random_state=r)
        km = faiss.Kmeans(X.shape[1], k, seed=r)
        km.train(X, init_centroids=np.ascontiguousarray(C0, dtype=np.float32))
        if best is None or km.obj[-1] < best[0]:
            best = (km.obj[-1], km.centroids)
    return best[1]


def run_superkmeans(X, k, n_init):
    import superkmeans

    best = None
    for r in range(n_init):
        C = np.asarray(superkmeans.SuperKMeans(k, X.shape[1], seed=r).train(X))
        J = inertia(X, C) if n_init > 1 else 0.0
        if best is None or J < best[0]:
            best = (J, C)
    return best[1]


METHODS = {"vqtoolkit": run_vqtoolkit, "scikit-learn": run_sklearn,
           "scikit-learn-intelex": run_sklearnex, "faiss (k-means++ seeds)": run_faiss,
           "superkmeans": run_superkmeans}


def available():
    out = ["vqtoolkit", "scikit-learn"]
    for name, mod in (("scikit-learn-intelex", "sklearnex"), ("faiss (k-means++ seeds)", "faiss"),
                      ("superkmeans", "superkmeans")):
        try:
            __import__(mod)
            out.append(name)
        except ImportError:
            print(f"# {name}: not installed (pip install -e '.[bench]'); skipped")
    return out


def inertia(X, C):
    from vqtoolkit import kernels

    return float(kernels.assign(X, np.ascontiguousarray(C, dtype=X.dtype))[1].astype(np.float64).sum())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-init", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--shapes", type=int, nargs="*", default=list(range(len(SHAPES))))
    ap.add_argument("--quick", action="store_true", help="shapes divided by 10 (smoke run)")
    ap.add_argument("--skip", nargs="*", default=[], choices=["faiss", "superkmeans"],
                    help="leave these peers out (the long n_init=10 runs: the goal is against "
                         "scikit-learn and scikit-learn-intelex)")
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore")
    import sklearn  # noqa: F401 - loads the BLAS that blas_report names

    print("\n".join(blas_report()))
    names = [m for m in available() if m.split()[0] not in args.skip]
    for s in args.shapes:
        n, d, k = SHAPES[s]
        if args.quick:
            n, k = n // 10, max(2, k // 10)
        X = make_data(n, d, k)
        times = {m: [] for m in names}
        centers = {}
        for m in names:  # warm: imports, numba caches, thread pools
            METHODS[m](X[:2000], min(k, 20), 1)
        for _ in range(args.repeats):
            for m in names:
                time.sleep(0.3)
                t = time.perf_counter()
                centers[m] = METHODS[m](X, k, args.n_init)
                times[m].append(time.perf_counter() - t)
        med = {m: float(np.median(v)) for m, v in times.items()}
        J = {m: inertia(X, c) for m, c in centers.items()}
        ref = min(med[m] for m in names if m.startswith("scikit-learn"))
        best = min(J.values())
        print(f"\n{n:,} x {d}, k = {k}, n_init = {args.n_init} ({args.repeats} runs each, median)")
        print(f"{'method':26s} {'seconds':>9s} {'/ faster sklearn':>17s} {'inertia / best':>15s}")
        for m in names:
            print(f"{m:26s} {med[m]:9.3f} {med[m] / ref:17.2f} {J[m] / best:15.4f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
