"""Choosing k on benchmark sets with known k: k found, ARI, centroid index and time per method.

Sets: Fränti's S1–S4, A1–A3, R15, D31, unbalance, Birch1 (clustering/sipu) and the
UCI sets (clustering/uci), read in place from the data home. Ground-truth
centroids are the means of the labelled clusters (the published codebooks for
S1–S4). Curves try ``k = 1 … min(2 k_true, 40)``; G-means / X-means get the
bound ``n // 8``. Birch1 runs G-means and X-means only (a 100-value curve on
100,000 points is out of a benchmark's time).

Usage::

    python benchmarks/bench_choose_k.py [--sets s1 a1 ...] [--methods gmeans xmeans ...]
        [--alpha 1e-4] [--no-uci]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_info

from vqtoolkit import centroid_index, choose_k
from vqtoolkit.datasets import load_clustering, load_s_set_codebook

SIPU = ["s1", "s2", "s3", "s4", "a1", "a2", "a3", "r15", "d31", "unbalance", "birch1"]
UCI = ["ecoli", "glass", "ionosphere", "sonar", "statlog", "wdbc", "wine", "yeast"]
METHODS = ["gmeans", "xmeans", "elbow", "silhouette", "gap", "calinski_harabasz", "davies_bouldin"]
BIG = {"birch1"}


def truth_centroids(d):
    if d.name in ("s1", "s2", "s3", "s4"):
        return load_s_set_codebook(d.name)
    keep = d.labels > 0
    return np.vstack([d.X[keep][d.labels[keep] == j].mean(0) for j in np.unique(d.labels[keep])])


def run_one(d, method, alpha):
    k_true = d.n_clusters
    if method in ("gmeans", "xmeans"):
        k_range = None
    else:
        k_range = range(1, min(2 * k_true, 40) + 1)
    t = time.perf_counter()
    r = choose_k(d.X, method=method, k_range=k_range, alpha=alpha, random_state=0,
                 n_refs=5 if method == "gap" else 10)
    secs = time.perf_counter() - t
    keep = d.labels > 0
    ari = adjusted_rand_score(d.labels[keep], r.codebook.labels_[keep])
    ci = centroid_index(r.codebook.codebook_, truth_centroids(d))
    return r.k, ari, ci, secs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="*", default=None)
    ap.add_argument("--methods", nargs="*", default=METHODS)
    ap.add_argument("--alpha", type=float, default=1e-4)
    ap.add_argument("--no-uci", action="store_true")
    args = ap.parse_args(argv)
    blas = [(i.get("internal_api"), i.get("architecture"), i.get("num_threads"))
            for i in threadpool_info() if i.get("user_api") == "blas"]
    print(f"BLAS: {blas}; G-means alpha={args.alpha}")
    sets = args.sets or SIPU + ([] if args.no_uci else UCI)
    head = f"{'set':<11}{'k':>4}  " + "  ".join(f"{m[:17]:>24}" for m in args.methods)
    print("cells: k found / ARI / CI / seconds")
    print(head)
    exact = {m: 0 for m in args.methods}
    within = {m: 0 for m in args.methods}
    n_sipu = 0
    for name in sets:
        d = load_clustering(name)
        cells = []
        for m in args.methods:
            if name in BIG and m not in ("gmeans", "xmeans"):
                cells.append(f"{'not run':>24}")
                continue
            k, ari, ci, secs = run_one(d, m, args.alpha)
            cells.append(f"{k:>5} / {ari:4.2f} / {ci:>3} / {secs:6.1f}")
            if name in SIPU:
                exact[m] += k == d.n_clusters
                within[m] += abs(k - d.n_clusters) <= 0.1 * d.n_clusters
        n_sipu += name in SIPU
        print(f"{name:<11}{d.n_clusters:>4}  " + "  ".join(cells), flush=True)
    if n_sipu:
        print(f"\nFränti sets ({n_sipu}): exact k / within ±10 %")
        for m in args.methods:
            print(f"  {m:<18} {exact[m]:>2} / {within[m]:>2}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
