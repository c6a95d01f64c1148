"""vqtoolkit.compat.scipy against scipy.cluster.vq: the same calls, the same seeds, side by side.

``--rows`` x ``--features`` float64 observations (default 200,000 x 13, MFCC-sized;
a mixture of 100 overlapping Gaussians) are given to

- ``kmeans2(X, k, iter=--iter, minit=--minit, seed=--seed)``,
- ``kmeans(X, k, iter=--kmeans-iter, seed=--seed)`` (``iter`` = restarts; each
  run goes on until the mean distance changes by at most ``thresh = 1e-5``),
- ``vq(X, codebook)`` with ``k`` rows of ``X`` as the codebook,

of both libraries, interleaved (vqtoolkit then scipy, then scipy then
vqtoolkit, ...), each call after a short sleep. vqtoolkit runs on every core
(its default), scipy on one (it has no threads). The table gives the median
time, the ratio scipy / vqtoolkit, and the distortion of both results as scipy
defines it (mean non-squared distance to the nearest codeword; for ``kmeans``
the value it returns). The same seed draws the same initial codebook in both,
so equal distortions mean equal runs.

Run: ``python benchmarks/bench_compat.py`` (about a minute on 2 quiet cores;
scipy's ``kmeans`` takes most of it).
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _common import blas_report, machine_report, median, print_table, search_report, time_calls  # noqa: E402


def make_data(n, d, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=2.0, size=(100, d))
    return centres[rng.integers(100, size=n)] + rng.normal(size=(n, d))


def run_case(name, ours, theirs, repeats, pause, score):
    """Interleaved timings of two zero-argument callables; returns a table row."""
    times = {"vqtoolkit": [], "scipy": []}
    results = {}
    order = [("vqtoolkit", ours), ("scipy", theirs)]
    for r in range(repeats):
        for label, fn in (order if r % 2 == 0 else order[::-1]):
            out = []
            times[label] += time_calls(lambda fn=fn, out=out: out.append(fn()), 1, pause)
            results[label] = out[0]
    t_ours, t_theirs = median(times["vqtoolkit"]), median(times["scipy"])
    return [name, t_ours, t_theirs, t_theirs / t_ours, score(results["vqtoolkit"]),
            score(results["scipy"])]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=200_000)
    p.add_argument("--features", type=int, default=13)
    p.add_argument("--k", type=int, default=64)
    p.add_argument("--iter", type=int, default=10, help="kmeans2 iterations")
    p.add_argument("--minit", default="random", choices=["random", "points", "++"])
    p.add_argument("--kmeans-iter", type=int, default=1, help="kmeans restarts")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--kmeans-repeats", type=int, default=1)
    p.add_argument("--pause", type=float, default=0.2)
    args = p.parse_args(argv)

    import scipy
    import scipy.cluster.vq as sp_vq

    import vqtoolkit
    from vqtoolkit.compat import scipy as vt

    X = make_data(args.rows, args.features, args.seed)
    book = X[np.random.default_rng(args.seed + 1).choice(len(X), args.k, replace=False)]
    vt.kmeans2(X[:5000], args.k, iter=2, minit=args.minit, seed=args.seed)  # numba warm-up

    def mean_dist(centroids):
        return float(vt.vq(X, centroids, check_finite=False)[1].mean())

    k, s = args.k, args.seed
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # empty clusters: both libraries warn
        rows.append(run_case(
            f"kmeans2 (minit={args.minit!r}, iter={args.iter})",
            lambda: vt.kmeans2(X, k, iter=args.iter, minit=args.minit, seed=s),
            lambda: sp_vq.kmeans2(X, k, iter=args.iter, minit=args.minit, seed=s),
            args.repeats, args.pause, lambda res: mean_dist(res[0])))
        rows.append(run_case(
            f"kmeans (iter={args.kmeans_iter} restart(s))",
            lambda: vt.kmeans(X, k, iter=args.kmeans_iter, seed=s),
            lambda: sp_vq.kmeans(X, k, iter=args.kmeans_iter, seed=s),
            args.kmeans_repeats, args.pause, lambda res: float(res[1])))
        rows.append(run_case(
            f"vq (k={k})", lambda: vt.vq(X, book), lambda: sp_vq.vq(X, book),
            args.repeats, args.pause, lambda res: float(res[1].mean())))

    print(f"# bench_compat: X {args.rows} x {args.features} float64, k = {k}, seed = {s}; "
          f"vqtoolkit {vqtoolkit.__version__}, scipy {scipy.__version__}; {machine_report()}")
    print(f"# {search_report(args.features)}")
    for line in blas_report():
        print(f"# {line}")
    print(f"# median of {args.repeats} interleaved calls ({args.kmeans_repeats} for kmeans); "
          "distortion = mean non-squared distance (scipy's definition)")
    print_table(["call", "vqtoolkit s", "scipy s", "scipy / vqtoolkit", "distortion vqtoolkit",
                 "distortion scipy"], rows)


if __name__ == "__main__":
    main()
