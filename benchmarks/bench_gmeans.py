"""G-means with the defaults over seeds: k found on the 11 Fränti sets and the 8 UCI sets.

For every set, ``choose_k(X, random_state=seed)`` (method ``'gmeans'``, every
setting by default) for each seed, then the same with ``resplit=False`` (the
rule without the re-split pass), and for seed 0 the adjusted Rand index and
centroid index of the found codewords refined by one Lloyd run (what
``Codebook(n_codewords='auto')`` does) against the ground truth, and the
seconds of the default run. UCI sets are standardised (``whiten='standard'``);
their "true k" is the number of classes. ``--subsample 0.9`` runs each seed on
a different random 90 % of the rows instead of all of them (a check that the
answer is not one lucky configuration: ``random_state`` alone changes little,
since G-means starts from one codeword, the mean).

Usage::

    python benchmarks/bench_gmeans.py [--sets s1 s4 ...] [--seeds 0 1 2 3 4] [--no-uci]
                                      [--subsample 0.9]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np
from sklearn.metrics import adjusted_rand_score

sys.path.insert(0, os.path.dirname(__file__))
from _common import blas_report  # noqa: E402

from vqtoolkit import Codebook, centroid_index, choose_k  # noqa: E402
from vqtoolkit.datasets import load_clustering, load_s_set_codebook  # noqa: E402

SIPU = ["s1", "s2", "s3", "s4", "a1", "a2", "a3", "r15", "d31", "unbalance", "birch1"]
UCI = ["ecoli", "glass", "ionosphere", "sonar", "statlog", "wdbc", "wine", "yeast"]


def truth_centroids(d):
    if d.name in ("s1", "s2", "s3", "s4"):
        return load_s_set_codebook(d.name)
    keep = d.labels > 0
    return np.vstack([d.X[keep][d.labels[keep] == j].mean(0) for j in np.unique(d.labels[keep])])


def ks_over_seeds(d, seeds, whiten, subsample, **kwargs):
    ks = []
    for seed in seeds:
        X = d.X
        if subsample < 1:
            rs = np.random.RandomState(1000 + seed)
            X = X[np.sort(rs.choice(len(X), int(subsample * len(X)), replace=False))]
        ks.append(choose_k(X, random_state=seed, whiten=whiten, **kwargs).k)
    return ks


def cell(ks, k_true):
    """The k of every seed, exact ones in bold."""
    return " ".join(f"**{k}**" if k == k_true else str(k) for k in ks)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="*", default=None)
    ap.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2, 3, 4])
    ap.add_argument("--no-uci", action="store_true")
    ap.add_argument("--subsample", type=float, default=1.0)
    args = ap.parse_args(argv)
    print("\n".join(blas_report()[:1]))
    sets = args.sets or SIPU + ([] if args.no_uci else UCI)
    seeds = ", ".join(map(str, args.seeds))
    rows = f"{args.subsample:.0%} of the rows" if args.subsample < 1 else "all rows"
    print(f"k per seed ({seeds}; {rows}); ARI / CI / seconds: seed 0, all rows, defaults\n")
    print("| set | true k | k, defaults | k, `resplit=False` | ARI | CI | s |")
    print("|---|---:|---|---|---:|---:|---:|")
    exact = {True: 0, False: 0}
    n_sipu = 0
    for name in sets:
        d = load_clustering(name)
        whiten = "standard" if name in UCI else None
        with warnings.catch_warnings():  # constant UCI columns: the whitener says so, once is enough
            warnings.simplefilter("ignore", UserWarning)
            new = ks_over_seeds(d, args.seeds, whiten, args.subsample)
            old = ks_over_seeds(d, args.seeds, whiten, args.subsample, resplit=False)
            t = time.perf_counter()
            r = choose_k(d.X, random_state=0, whiten=whiten)
            secs = time.perf_counter() - t
            cb = Codebook(r.k, init=r.codewords, whiten=whiten).fit(d.X)
        keep = d.labels > 0
        ari = adjusted_rand_score(d.labels[keep], cb.labels_[keep])
        ci = centroid_index(cb.codebook_, truth_centroids(d))
        print(f"| {name} | {d.n_clusters} | {cell(new, d.n_clusters)} | {cell(old, d.n_clusters)} "
              f"| {ari:.2f} | {ci} | {secs:.1f} |", flush=True)
        if name in SIPU:
            n_sipu += 1
            exact[True] += all(k == d.n_clusters for k in new)
            exact[False] += all(k == d.n_clusters for k in old)
    if n_sipu:
        print(f"\nFränti sets exact for every seed: defaults {exact[True]} / {n_sipu}, "
              f"resplit=False {exact[False]} / {n_sipu}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
