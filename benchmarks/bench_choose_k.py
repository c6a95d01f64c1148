"""Choosing k on benchmark sets with known k: k found, ARI, centroid index and time per method.

Sets: Fränti's S1–S4, A1–A3, R15, D31, unbalance, Birch1 (clustering/sipu) and the
eight UCI sets (clustering/uci), read in place from the data home. Ground-truth
centroids are the means of the labelled clusters (the published codebooks for
S1–S4); the UCI "clusters" are the classes, standardised features
(``whiten='standard'``) for every method.

Methods: ``gmeans`` (the default: Anderson–Darling + dip guard + merge),
``gmeans-ad`` (Hamerly & Elkan's rule as published: Anderson–Darling only,
every rejected cluster split each round), ``xmeans`` and the curve methods.
G-means / X-means get the bound ``n // 8``. Curves try ``k = 1 … ceil(1.5 k_true)``
(at least 10); on Birch1 ``k = 5, 10, …, 110`` (22 fits of 100,000 points; every
``k`` up to 110 would take about 2 minutes per method); silhouette on a sample
of 2,000 rows; gap with 5 reference sets.

Usage::

    python benchmarks/bench_choose_k.py [--sets s1 a1 ...] [--methods gmeans xmeans ...] [--no-uci]
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_info

from vqtoolkit import Codebook, centroid_index, choose_k
from vqtoolkit.datasets import load_clustering, load_s_set_codebook

SIPU = ["s1", "s2", "s3", "s4", "a1", "a2", "a3", "r15", "d31", "unbalance", "birch1"]
UCI = ["ecoli", "glass", "ionosphere", "sonar", "statlog", "wdbc", "wine", "yeast"]
METHODS = ["gmeans", "gmeans-ad", "xmeans", "elbow", "silhouette", "gap", "calinski_harabasz",
           "davies_bouldin"]
SHORT = {"calinski_harabasz": "CH", "davies_bouldin": "DB"}
# (set, method) pairs not run, with the reason printed in their cell
SKIP: dict = {}


def truth_centroids(d, X):
    if d.name in ("s1", "s2", "s3", "s4"):
        return load_s_set_codebook(d.name)
    keep = d.labels > 0
    return np.vstack([X[keep][d.labels[keep] == j].mean(0) for j in np.unique(d.labels[keep])])


def run_one(d, method, uci):
    k_true = d.n_clusters
    kwargs = {"random_state": 0}
    if uci:
        kwargs["whiten"] = "standard"
    if method == "gmeans-ad":
        kwargs.update(method="gmeans", split_test="ad", max_splits=None)
    elif method in ("gmeans", "xmeans"):
        kwargs["method"] = method
    else:
        kwargs["method"] = method
        if d.name == "birch1":
            kwargs["k_range"] = range(5, 111, 5)
        else:
            kwargs["k_range"] = range(1, max(10, math.ceil(1.5 * k_true)) + 1)
        if method == "gap":
            kwargs["n_refs"] = 5
    t = time.perf_counter()
    r = choose_k(d.X, **kwargs)
    secs = time.perf_counter() - t
    keep = d.labels > 0
    cb = Codebook(r.k, init=r.codewords, whiten=kwargs.get("whiten")).fit(d.X)
    ari = adjusted_rand_score(d.labels[keep], cb.labels_[keep])
    ci = centroid_index(cb.codebook_, truth_centroids(d, d.X))
    return r.k, ari, ci, secs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="*", default=None)
    ap.add_argument("--methods", nargs="*", default=METHODS)
    ap.add_argument("--no-uci", action="store_true")
    args = ap.parse_args(argv)
    blas = [(i.get("internal_api"), i.get("architecture"), i.get("num_threads"))
            for i in threadpool_info() if i.get("user_api") == "blas"]
    print(f"BLAS: {blas}")
    sets = args.sets or SIPU + ([] if args.no_uci else UCI)
    names = [SHORT.get(m, m) for m in args.methods]
    print("cells: k found / ARI / CI / seconds  (markdown)")
    print("| set | true k | " + " | ".join(names) + " |")
    print("|---|---:|" + "---:|" * len(names))
    stats = {m: {"exact": 0, "within": 0, "ari": [], "secs": 0.0, "n": 0} for m in args.methods}
    n_sipu = 0
    for name in sets:
        d = load_clustering(name)
        uci = name in UCI
        cells = []
        for m in args.methods:
            if (name, m) in SKIP:
                cells.append(f"not run ({SKIP[name, m]})")
                continue
            k, ari, ci, secs = run_one(d, m, uci)
            cells.append(f"{'**' if k == d.n_clusters else ''}{k}{'**' if k == d.n_clusters else ''}"
                         f" / {ari:.2f} / {ci} / {secs:.1f}")
            if name in SIPU:
                s = stats[m]
                s["exact"] += k == d.n_clusters
                s["within"] += abs(k - d.n_clusters) <= 0.1 * d.n_clusters
                s["ari"].append(ari)
                s["secs"] += secs
                s["n"] += 1
        n_sipu += name in SIPU
        print(f"| {name} | {d.n_clusters} | " + " | ".join(cells) + " |", flush=True)
    if n_sipu:
        base = stats[args.methods[0]]["secs"] or 1.0
        print(f"\nFränti sets ({n_sipu}): exact k / within ±10 % / mean ARI / total s "
              f"(ratio to {args.methods[0]}); sets run")
        for m in args.methods:
            s = stats[m]
            mean_ari = np.mean(s["ari"]) if s["ari"] else float("nan")
            print(f"  {m:<18} {s['exact']:>2} / {s['within']:>2} / {mean_ari:.3f} / "
                  f"{s['secs']:7.1f} s ({s['secs'] / base:6.1f}x); {s['n']} sets")
        if "gmeans" in stats and n_sipu == len(SIPU):
            g = stats["gmeans"]
            print(f"\ntarget (G-means exact on >= 8 of 11, within ±10 % on all): exact {g['exact']}/11 "
                  f"{'met' if g['exact'] >= 8 else 'NOT met'}, within {g['within']}/11 "
                  f"{'met' if g['within'] == 11 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
