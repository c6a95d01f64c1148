"""Cost of one Dask pass against rows, chunk size and workers (the numbers behind docs/scaling.md).

One pass = one Lloyd iteration: every chunk runs the shared kernel (assign +
accumulate), the per-codeword totals are added in chunk order. The data
(float32, 13 features, a mixture of 64 Gaussians, k = 64) is persisted on a
``LocalCluster`` of worker processes (1 thread each) on 127.0.0.1; for each
configuration the median of ``--repeats`` passes with the same codebook is
printed, next to the in-memory pass on as many threads, and the tasks and
bytes that one pass moves.

Usage: python benchmarks/bench_scaling.py [--rows 2e6 8e6] [--chunks 125000 500000 2000000]
       [--workers 1 2] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_info

from vqtoolkit.backends import InMemoryRows

D, K = 13, 64


def mixture(n, seed=0):
    rng = np.random.RandomState(seed)
    means = rng.uniform(-8, 8, size=(K, D))
    return (means[rng.randint(K, size=n)] + rng.normal(size=(n, D))).astype(np.float32), means


def median_pass(step, C, repeats):
    step(C)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        step(C)
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=float, nargs="+", default=[2e6, 8e6])
    ap.add_argument("--chunks", type=int, nargs="+", default=[125_000, 500_000, 2_000_000])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore", message="Sending large graph")  # the data, once per setup

    import dask.array as da
    from distributed import Client

    from vqtoolkit.distributed import DaskRows, local_cluster

    blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
    print("BLAS:", ", ".join(f"{i['internal_api']} {i.get('version')} {i.get('architecture')}"
                             for i in blas), f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}")
    print(f"d = {D}, k = {K}, float32; median of {args.repeats} passes; 2 cores\n")
    print(f"{'rows':>11s} {'workers':>7s} {'chunk':>9s} {'tasks':>6s} {'kB moved':>8s} "
          f"{'Dask s':>8s} {'memory s':>8s} {'ratio':>6s} {'ns/row':>7s}")
    for n in (int(r) for r in args.rows):
        X, means = mixture(n)
        C = means.astype(np.float32)
        for workers in args.workers:
            with InMemoryRows(X, n_threads=workers).passes(algorithm="lloyd") as p:
                t_mem = median_pass(p.step, C, args.repeats)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cluster = local_cluster(n_workers=workers, threads_per_worker=1, processes=True,
                                        dashboard=False)
            client = Client(cluster)
            try:
                client.wait_for_workers(workers)
                for chunk in args.chunks:
                    if chunk > n:
                        continue
                    Xd = client.persist(da.from_array(X, chunks=(chunk, D)))
                    rows = DaskRows(Xd, None, client=client)
                    with rows.passes(algorithm="lloyd") as p:
                        t = median_pass(p.step, C, args.repeats)
                    tasks = len(Xd.chunks[0])
                    moved = tasks * (K * (D + 2) * 8 + 64) + workers * K * D * 4
                    print(f"{n:11,d} {workers:7d} {chunk:9,d} {tasks:6d} {moved / 1e3:8.1f} "
                          f"{t:8.3f} {t_mem:8.3f} {t / t_mem:6.2f} {t * workers / n * 1e9:7.1f}",
                          flush=True)
                    del Xd, rows
            finally:
                client.close()
                cluster.close()
    print("\nns/row: worker-seconds per row (time x workers / rows); ratio: Dask / in memory on as "
          "many threads")
    return 0


if __name__ == "__main__":
    sys.exit(main())
