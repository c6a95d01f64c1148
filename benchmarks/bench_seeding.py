"""Seeding methods compared: time, end-to-end fit time and final inertia relative to exact greedy k-means++.

For every data set and every seed, each method seeds (timed), then the
default Lloyd runs from its seeds (``Codebook(k, init=C0, random_state=seed)``,
timed), and the final inertia (sum of squared distances to the nearest
codeword, recomputed the same way for all) is divided by that of exact greedy
k-means++ with the same seed. Methods run interleaved in one process (seed by
seed, method by method), so background load hits all alike. Printed: median
seconds of the seeding and of seeding + fit, their ratio to exact greedy's,
the mean final inertia over the seeds divided by exact greedy's (single runs
differ by up to 2x between seeds on some sets: local optima), and the
smallest and largest per-seed ratio. A method that makes the same choices as
another on a data set (``k-means||`` is the default above 10,000 rows) is
not run twice.

Methods:

- ``greedy``: exact greedy k-means++ on all rows (``init='greedy-k-means++'``,
  2 + log k local trials; the former default);
- ``default``: ``kmeans_plusplus`` as ``init='k-means++'`` runs it: k-means||
  (Bahmani et al. 2012) with 5 rounds of oversampling k, then weighted greedy
  k-means++ on the candidates (greedy on all rows up to 10,000 rows);
- ``k-means||``: the same whatever the number of rows;
- ``k-means|| 3xk``: 3 rounds of oversampling k;
- ``k-means|| 5x2k``: the paper's 5 rounds of oversampling 2k;
- ``coreset``: greedy k-means++ on a lightweight coreset (Bachem et al. 2018)
  of ``--sample-size`` rows, ``max(20 k, 10,000)`` by default;
- ``uniform``: greedy k-means++ on as many rows drawn uniformly.

Data: the four shapes of ``bench_e2e.py`` (float32 blobs, ``make_data``) and
Fränti's sets (``load_clustering``, k = the number of true clusters).

Usage: python benchmarks/bench_seeding.py [--seeds 3] [--shapes 0 1 2 3] [--sets s1 birch1 ...]
       [--methods greedy coreset ...] [--sample-size M]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _common import blas_report, machine_report  # noqa: E402
from bench_e2e import SHAPES, inertia, make_data  # noqa: E402

from vqtoolkit import Codebook, kernels  # noqa: E402
from vqtoolkit.seeding import (  # noqa: E402
    PARALLEL_MIN_ROWS,
    greedy_kmeans_plusplus,
    kmeans_parallel,
    kmeans_plusplus,
)

SETS = ["s1", "s2", "s3", "s4", "a3", "birch1", "birch2", "worms_2"]


def seed_greedy(X, k, rng, m):
    return greedy_kmeans_plusplus(X, k, rng)


def seed_default(X, k, rng, m):
    return kmeans_plusplus(X, k, rng)


def seed_parallel(X, k, rng, m):
    return kmeans_parallel(X, k, rng)


def seed_parallel_3(X, k, rng, m):
    return kmeans_parallel(X, k, rng, rounds=3, oversampling=k)


def seed_parallel_5(X, k, rng, m):
    return kmeans_parallel(X, k, rng, rounds=5, oversampling=2 * k)


def sample_size(n, k, m):
    return min(n, max(20 * k, 10_000)) if m == "auto" else min(n, m)


def lightweight_coreset(X, m, rng):
    """Bachem, Lucic & Krause 2018: q = 1/(2n) + d(x, mean)^2 / (2 sum d^2), weights 1 / (m q)."""
    mean = kernels.column_moments(X)[0]
    d2 = kernels.min_sq_distances(X, mean[None, :].astype(X.dtype))
    q = 0.5 / X.shape[0] + 0.5 * d2 / d2.sum()
    q /= q.sum()
    rows, counts = np.unique(rng.choice(X.shape[0], size=m, p=q), return_counts=True)
    return rows, counts / (m * q[rows])


def seed_coreset(X, k, rng, m):
    m = sample_size(X.shape[0], k, m)
    if m >= X.shape[0]:
        return greedy_kmeans_plusplus(X, k, rng)
    rows, weight = lightweight_coreset(X, m, rng)
    return greedy_kmeans_plusplus(X[rows], k, rng, sample_weight=weight)


def seed_uniform(X, k, rng, m):
    n = X.shape[0]
    m = sample_size(n, k, m)
    if m >= n:
        return greedy_kmeans_plusplus(X, k, rng)
    return greedy_kmeans_plusplus(X[np.sort(rng.choice(n, size=m, replace=False))], k, rng)


METHODS = {"greedy": seed_greedy, "default": seed_default,
           "k-means||": seed_parallel, "k-means|| 3xk": seed_parallel_3,
           "k-means|| 5x2k": seed_parallel_5, "coreset": seed_coreset,
           "uniform": seed_uniform}


def same_as(name, X):
    """The method that makes the same choices on ``X`` (not run twice), or None."""
    if name == "k-means||" and X.shape[0] > PARALLEL_MIN_ROWS:
        return "default"
    return None


def datasets(shapes, sets):
    for s in shapes:
        n, d, k = SHAPES[s]
        yield f"{n:,} x {d}, k = {k}", make_data(n, d, k), k
    if sets:
        from vqtoolkit.datasets import load_clustering
        for name in sets:
            data = load_clustering(name)
            yield f"{name} ({data.X.shape[0]:,} x {data.X.shape[1]}, k = {data.n_clusters})", \
                data.X, data.n_clusters


def run(X, k, methods, seeds, m):
    res = {name: {"seed_s": [], "fit_s": [], "J": []} for name in methods}
    own = [name for name in methods if same_as(name, X) not in methods]
    for name in own:  # warm: numba caches, thread pools
        C0 = METHODS[name](X[:3000], min(k, 20), np.random.RandomState(0), 2000)
        Codebook(min(k, 20), init=C0, random_state=0).fit(X[:3000])
    for seed in range(seeds):
        for name in own:
            time.sleep(0.2)
            t0 = time.perf_counter()
            C0 = METHODS[name](X, k, np.random.RandomState(seed), m)
            t1 = time.perf_counter()
            C = Codebook(k, init=C0, random_state=seed).fit(X).codebook_
            t2 = time.perf_counter()
            res[name]["seed_s"].append(t1 - t0)
            res[name]["fit_s"].append(t2 - t0)
            res[name]["J"].append(inertia(X, C))
    for name in methods:
        if name not in own:
            res[name] = res[same_as(name, X)]
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--shapes", type=int, nargs="*", default=list(range(len(SHAPES))))
    ap.add_argument("--sets", nargs="*", default=SETS)
    ap.add_argument("--methods", nargs="*", default=list(METHODS), choices=list(METHODS),
                    help="'greedy' (the reference) always runs")
    ap.add_argument("--sample-size", default="auto",
                    help="rows of the coreset / uniform sample ('auto': max(20 k, 10,000))")
    args = ap.parse_args(argv)
    m = args.sample_size if args.sample_size == "auto" else int(args.sample_size)
    warnings.filterwarnings("ignore")
    print("\n".join(blas_report()))
    print(machine_report())
    methods = list(args.methods)
    if "greedy" in methods:
        methods.remove("greedy")
    methods.insert(0, "greedy")  # the reference
    for label, X, k in datasets(args.shapes, args.sets):
        res = run(X, k, methods, args.seeds, m)
        ref = np.array(res["greedy"]["J"])
        ref_seed = np.median(res["greedy"]["seed_s"])
        print(f"\n{label}: {args.seeds} seeds, sample_size={m}")
        print(f"{'method':16s} {'seed s':>8s} {'/ greedy':>9s} {'fit s':>8s} {'/ greedy':>9s} "
              f"{'inertia / greedy':>17s} {'per seed (min, max)':>20s}")
        for name in methods:
            r = res[name]
            ratio = np.array(r["J"]) / ref
            seed_s, fit_s = np.median(r["seed_s"]), np.median(r["fit_s"])
            same = f"  (= {same_as(name, X)})" if same_as(name, X) in methods else ""
            print(f"{name:16s} {seed_s:8.3f} {seed_s / ref_seed:9.2f} {fit_s:8.3f} "
                  f"{fit_s / np.median(res['greedy']['fit_s']):9.2f} {np.mean(r['J']) / ref.mean():17.4f} "
                  f"{f'({ratio.min():.3f}, {ratio.max():.3f})':>20s}{same}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
