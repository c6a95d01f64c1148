"""Seconds per Lloyd iteration: vqtoolkit against scipy, scikit-learn and faiss, side by side.

Every method gets the same float32 data and the same initial centroids, and
the same number of threads (``--threads``, default 2). Per shape the methods
run round-robin ``--repeats`` times (so background load hits them alike), each
after a short sleep (``--pause``, so the previous method's OpenMP/BLAS worker
threads have stopped spinning); the table reports the median and the best of
the per-iteration times, the ratio of ours to the fastest peer, peak extra
memory and the BLAS in use.

What one "iteration" is, per method:

- vqtoolkit: ``Codebook(k, init=C0, max_iter=N, tol=0, algorithm=...).fit(X)``
  divided by ``n_iter_`` (the whole estimator: validation, the final
  assignment pass, canonical numbering), once with ``algorithm='lloyd'``
  (every distance, :func:`vqtoolkit.kernels.assign_accumulate`) and once with
  ``algorithm='hamerly'`` (:class:`vqtoolkit.kernels.HamerlyState`, the
  default); both give the same iterates.
- scipy ``kmeans2(minit='matrix', iter=N)``, scikit-learn
  ``KMeans(algorithm='lloyd', n_init=1, tol=0, max_iter=N)`` and
  ``faiss.Kmeans(niter=N)``: total time of the call divided by the
  iterations it ran (so their fixed per-call costs are spread over N).

Run: ``python benchmarks/bench_kmeans.py`` (a few minutes on 2 quiet
cores); ``--quick`` for a small smoke run; ``--shapes 200000x13x64`` for
one shape; ``--threads 1 --cpu-time`` to compare CPU time on a loaded
machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _common import (  # noqa: E402
    PeakMemory,
    blas_report,
    machine_report,
    median,
    print_table,
    search_report,
)

SHAPES = [(200_000, 13, 64), (200_000, 39, 256), (100_000, 128, 1024)]

# wall-clock time; --cpu-time (one thread only) takes the calling thread's CPU time instead
_clock = time.perf_counter


def make_data(n, d, k, seed=0):
    """Gaussian blobs (float32) and ``k`` initial centroids drawn from the rows."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(k, d))
    X = (centers[rng.integers(k, size=n)] + rng.normal(size=(n, d))).astype(np.float32)
    C0 = X[rng.choice(n, k, replace=False)].copy()
    return X, C0


# --------------------------------------------------------------------------- methods
# each returns a list of seconds per iteration


def _run_codebook(X, C0, iters, threads, algorithm):
    from vqtoolkit import Codebook

    cb = Codebook(C0.shape[0], init=C0, max_iter=iters, tol=0.0, n_threads=threads,
                  algorithm=algorithm)
    t0 = _clock()
    cb.fit(X)
    return [(_clock() - t0) / max(cb.n_iter_, 1)]


def run_ours_lloyd(X, C0, iters, threads):
    return _run_codebook(X, C0, iters, threads, "lloyd")


def run_ours_hamerly(X, C0, iters, threads):
    return _run_codebook(X, C0, iters, threads, "hamerly")


def run_scipy(X, C0, iters, threads):
    from scipy.cluster.vq import kmeans2

    t0 = _clock()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kmeans2(X, C0.copy(), iter=iters, minit="matrix", missing="warn")
    return [(_clock() - t0) / iters]


def run_sklearn(X, C0, iters, threads):
    from sklearn.cluster import KMeans

    km = KMeans(C0.shape[0], init=C0, n_init=1, max_iter=iters, tol=0.0, algorithm="lloyd")
    t0 = _clock()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning when a cluster empties
        km.fit(X)
    return [(_clock() - t0) / max(km.n_iter_, 1)]


def run_faiss(X, C0, iters, threads):
    import faiss

    faiss.omp_set_num_threads(threads)
    km = faiss.Kmeans(X.shape[1], C0.shape[0], niter=iters, verbose=False, seed=0,
                      max_points_per_centroid=10**9, min_points_per_centroid=1)
    t0 = _clock()
    km.train(X, init_centroids=C0.copy())
    return [(_clock() - t0) / iters]


METHODS = {"vqtoolkit-hamerly": run_ours_hamerly, "vqtoolkit-lloyd": run_ours_lloyd,
           "scipy": run_scipy, "sklearn": run_sklearn, "faiss": run_faiss}
OURS = ("vqtoolkit-hamerly", "vqtoolkit-lloyd")


def available_methods(names):
    out = []
    for name in names:
        mod = "vqtoolkit" if name in OURS else {"scipy": "scipy", "sklearn": "sklearn",
                                                 "faiss": "faiss"}[name]
        try:
            __import__(mod)
        except ImportError:
            print(f"# {name}: not installed, skipped (pip install -e '.[bench]')", file=sys.stderr)
            continue
        out.append(name)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iters", type=int, default=10, help="Lloyd iterations per run")
    p.add_argument("--repeats", type=int, default=5, help="runs per method and shape (round-robin)")
    p.add_argument("--pause", type=float, default=0.3,
                   help="seconds of sleep before each timed run, so the previous method's "
                        "spinning OpenMP/BLAS threads have gone to sleep")
    p.add_argument("--methods", default="vqtoolkit-hamerly,vqtoolkit-lloyd,scipy,sklearn,faiss")
    p.add_argument("--no-scipy-big", action="store_true", help="skip scipy on the k=1024 shape (slow)")
    p.add_argument("--quick", action="store_true", help="small shapes, smoke run")
    p.add_argument("--cpu-time", action="store_true",
                   help="time the calling thread's CPU time (needs --threads 1; every method then runs "
                        "on that thread), so other processes on a shared machine do not count")
    p.add_argument("--shapes", default=None,
                   help="comma-separated n x d x k to run instead of the default three, e.g. 200000x13x64")
    args = p.parse_args(argv)
    global _clock
    if args.cpu_time:
        if args.threads != 1:
            p.error("--cpu-time needs --threads 1 (the CPU time of other threads is not counted)")
        _clock = time.thread_time

    import sklearn.cluster  # noqa: F401  load its OpenMP runtime before limiting threads
    from threadpoolctl import threadpool_limits

    from vqtoolkit import kernels

    names = available_methods(args.methods.split(","))
    shapes = [(20_000, 13, 64), (20_000, 39, 256)] if args.quick else SHAPES
    if args.shapes:
        shapes = [tuple(int(v) for v in shape.split("x")) for shape in args.shapes.split(",")]
    # compile the numba kernels before anything is timed
    kernels.assign_accumulate(*make_data(1000, 4, 8), n_threads=1)
    run_ours_hamerly(*make_data(1000, 4, 8), 3, 1)

    print(f"# bench_kmeans  {machine_report()}  threads={args.threads}  iters={args.iters} "
          f"repeats={args.repeats}  clock={'CPU time' if args.cpu_time else 'wall'}")
    rows = []
    with threadpool_limits(limits=args.threads):
        for line in blas_report():
            print("# " + line)
        for d in sorted({d for _, d, _ in shapes}):
            print("# " + search_report(d))
        for n, d, k in shapes:
            X, C0 = make_data(n, d, k)
            x_mb = X.nbytes / 2**20
            todo = [m for m in names if not (m == "scipy" and args.no_scipy_big and k >= 1024)]
            mem = {}
            for m in todo:  # memory: one short run each, not timed
                pm = PeakMemory()
                with pm.measure():
                    METHODS[m](X, C0, 2, args.threads)
                mem[m] = pm
            times = {m: [] for m in todo}
            for _ in range(args.repeats):
                for m in todo:
                    time.sleep(args.pause)
                    times[m].extend(METHODS[m](X, C0, args.iters, args.threads))
            med = {m: median(v) for m, v in times.items()}
            peers = [m for m in todo if m not in OURS]
            fastest = min(peers, key=lambda m: med[m]) if peers else None
            for m in todo:
                ratio = med[m] / med[fastest] if fastest else float("nan")
                rows.append([f"{n}x{d} k={k}", m, med[m], min(times[m]), max(times[m]),
                             f"{ratio:.2f}" + (" *" if m == fastest else ""),
                             f"{mem[m].traced_mb:.0f}", f"{mem[m].rss_mb:.0f}", f"{x_mb:.0f}"])
            print(f"# done {n}x{d} k={k}: " + ", ".join(f"{m} {med[m]:.4g}s" for m in todo), flush=True)
    print()
    print_table(["shape", "method", "s/iter med", "best", "worst", "vs fastest peer (*)",
                 "traced MB", "RSS MB", "X MB"], rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
