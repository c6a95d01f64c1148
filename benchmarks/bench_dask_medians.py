"""Cost of one k-medians update on Dask (exact medians by histogram passes) against the in-memory one.

One k-medians iteration = one assignment pass (which also returns the first
bracket of every median) + the median passes: histogram passes over the
chunks, then one pass that gathers the few values left in each bracket. The
data (float32, 13 features, a mixture of 64 Gaussians, k = 64) is persisted on
a ``LocalCluster`` of worker processes (1 thread each) on 127.0.0.1. Printed:
the median of ``--repeats`` updates with the same codes, the median passes,
the values gathered to the client, the time the former update took to gather
every row, and the in-memory update
(:func:`vqtoolkit.backends.group_medians`) on the same codes, which the Dask
result must equal exactly.

Usage: python benchmarks/bench_dask_medians.py [--rows 2e6] [--chunk 250000] [--workers 2]
       [--repeats 3]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from vqtoolkit.backends import group_medians

D, K = 13, 64


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=float, default=2e6)
    ap.add_argument("--chunk", type=int, default=250_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore", message="Sending large graph")

    import dask.array as da
    from distributed import Client

    from vqtoolkit.distributed import DaskRows, local_cluster

    n = int(args.rows)
    rng = np.random.RandomState(0)
    means = rng.uniform(-8, 8, size=(K, D))
    X = (means[rng.randint(K, size=n)] + rng.normal(size=(n, D))).astype(np.float32)
    C = means.astype(np.float32)
    with local_cluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                       dashboard=False) as cluster, Client(cluster) as client:
        Xd = client.persist(da.from_array(X, chunks=(args.chunk, D)))
        rows = DaskRows.from_input(Xd, client=client)
        passes = rows.passes(metric="cityblock", update="median")
        passes.step(C)  # warm-up (numba loads its compiled loops on the workers)
        steps = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            passes.step(C)
            steps.append(time.perf_counter() - t)
        t_step = float(np.median(steps))
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            got = passes.medians(C)
            times.append(time.perf_counter() - t)
        codes = passes.codes_array().compute()
        t = time.perf_counter()
        rows._gather_rows(np.arange(n))  # what the former update did first: every row to the client
        t_gather = time.perf_counter() - t
    t = time.perf_counter()
    ref = group_medians(X, np.ones(n), codes, C)
    t_mem = time.perf_counter() - t
    log = passes.median_log[-1]
    print(f"rows {n:,} chunks of {args.chunk:,} ({-(-n // args.chunk)} tasks) workers {args.workers} "
          f"k {K} d {D}")
    print(f"assignment pass (with the brackets): {t_step:.3f} s (median of {args.repeats})")
    print(f"Dask median update: {np.median(times):.3f} s (median of {args.repeats}), "
          f"{log['passes']} passes, {log['gathered']:,} values gathered "
          f"({log['gathered'] / X.size:.2%} of the data)")
    print(f"in-memory group_medians on the same codes: {t_mem:.3f} s "
          f"(the former Dask update: gather every row, {t_gather:.3f} s, then this)")
    print(f"identical to the in-memory medians: {np.array_equal(got, ref)}")


if __name__ == "__main__":
    main()
