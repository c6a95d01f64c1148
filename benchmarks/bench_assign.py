"""Assignment throughput (vectors per second): vqtoolkit against scipy, scikit-learn and faiss.

``n = 1,000,000`` float32 vectors of ``d = 13`` (MFCC-sized) are assigned to
``k = 256`` codewords by

- ``vqtoolkit.kernels.assign`` (codes + exact squared distances),
- ``scipy.cluster.vq.vq`` (codes + distances, single-threaded),
- scikit-learn ``KMeans.predict`` (codes only),
- faiss ``IndexFlatL2.search(X, 1)`` (codes + squared distances),

each with ``--threads`` threads (default 2), round-robin ``--repeats`` times,
each call after a short sleep (``--pause``) so no library's idle threads spin.
The table gives the median and best throughput, the ratio to faiss, and the
peak extra memory (tracemalloc and sampled RSS; the output arrays themselves,
``n`` codes and ``n`` distances, are included).

Run: ``python benchmarks/bench_assign.py`` (about 30 s on 2 quiet cores);
``--threads 1 --cpu-time`` compares CPU time instead (readable on a loaded
machine).
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
    time_calls,
)


def make_data(n, d, k, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(k, d))
    X = (centers[rng.integers(k, size=n)] + rng.normal(size=(n, d))).astype(np.float32)
    C = (centers + 0.1 * rng.normal(size=(k, d))).astype(np.float32)
    return X, C


def make_methods(X, C, threads):
    """name -> zero-argument callable doing the whole assignment."""
    from scipy.cluster.vq import vq

    from vqtoolkit import kernels

    methods = {
        "vqtoolkit": lambda: kernels.assign(X, C, n_threads=threads),
        "scipy vq": lambda: vq(X, C, check_finite=False),
    }
    from sklearn.cluster import KMeans

    km = KMeans(C.shape[0], init=C, n_init=1, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        km.fit(C)
    km.cluster_centers_ = C.copy()
    methods["sklearn predict"] = lambda: km.predict(X)
    try:
        import faiss
    except ImportError:
        print("# faiss: not installed, skipped (pip install -e '.[bench]')", file=sys.stderr)
    else:
        faiss.omp_set_num_threads(threads)
        index = faiss.IndexFlatL2(C.shape[1])
        index.add(C)
        methods["faiss IndexFlatL2"] = lambda: index.search(X, 1)
    return methods


def _cpu_time_call(fn, pause):
    """``[seconds]``: the calling thread's CPU time of one ``fn()``, after ``pause`` seconds of sleep."""
    time.sleep(pause)
    t0 = time.thread_time()
    fn()
    return [time.thread_time() - t0]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--d", type=int, default=13)
    p.add_argument("--k", type=int, default=256)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=11)
    p.add_argument("--pause", type=float, default=0.2, help="seconds of sleep before each timed call")
    p.add_argument("--cpu-time", action="store_true",
                   help="time the calling thread's CPU time (needs --threads 1; every method then runs "
                        "on that thread), so other processes on a shared machine do not count")
    args = p.parse_args(argv)
    if args.cpu_time and args.threads != 1:
        p.error("--cpu-time needs --threads 1 (the CPU time of other threads is not counted)")

    import sklearn.cluster  # noqa: F401  load its OpenMP runtime before limiting threads
    from threadpoolctl import threadpool_limits

    from vqtoolkit import kernels

    X, C = make_data(args.n, args.d, args.k)
    kernels.assign(X[:1000], C, n_threads=1)  # compile before timing
    print(f"# bench_assign  {machine_report()}  n={args.n} d={args.d} k={args.k} "
          f"threads={args.threads} repeats={args.repeats} clock={'CPU time' if args.cpu_time else 'wall'}")
    with threadpool_limits(limits=args.threads):
        for line in blas_report():
            print("# " + line)
        print("# " + search_report(args.d))
        methods = make_methods(X, C, args.threads)
        codes_ref = None
        mem = {}
        for name, fn in methods.items():  # one untimed run: memory + agreement check
            pm = PeakMemory()
            with pm.measure():
                res = fn()
            mem[name] = pm
            codes = np.asarray(res[1] if name.startswith("faiss") else
                               (res if name.startswith("sklearn") else res[0])).ravel()
            if codes_ref is None:
                codes_ref = codes
            else:
                agree = float(np.mean(codes == codes_ref))
                print(f"# {name}: codes agree with vqtoolkit on {100 * agree:.4f} % of rows")
        times = {name: [] for name in methods}
        for _ in range(args.repeats):
            for name, fn in methods.items():
                times[name].extend(_cpu_time_call(fn, args.pause) if args.cpu_time
                                   else time_calls(fn, 1, args.pause))
    ref = "faiss IndexFlatL2" if "faiss IndexFlatL2" in times else "vqtoolkit"
    rows = []
    for name, ts in times.items():
        rate = args.n / median(ts) / 1e6
        rows.append([name, rate, args.n / min(ts) / 1e6, args.n / max(ts) / 1e6,
                     f"{median(times[ref]) / median(ts):.2f}",
                     f"{mem[name].traced_mb:.0f}", f"{mem[name].rss_mb:.0f}"])
    print()
    print_table(["method", "M vec/s med", "best", "worst", f"speed vs {ref}", "traced MB", "RSS MB"], rows)
    print(f"# X is {X.nbytes / 2**20:.0f} MB; codes (int64) + distances (float32) are "
          f"{args.n * 12 / 2**20:.0f} MB of that extra memory")
    return 0


if __name__ == "__main__":
    sys.exit(main())
