"""Codebooks on Dask: in-memory vs vqtoolkit on a Dask LocalCluster vs dask-ml KMeans, one run.

Data: 2,000,000 x 13 float32 drawn from a mixture of 64 Gaussians (seeded),
k = 64. Reported per method: seeding time, Lloyd iterations, seconds per
iteration, end-to-end seconds, final distortion (mean squared distance) and
its ratio to the best known distortion (Lloyd started from the 64 true means,
or the best run, whichever is lower).

Per-iteration cost is also measured directly: 5 assignment passes
(assign + accumulate, the whole of one Lloyd iteration) with the same
codebook, in memory and on the cluster.

Usage: python benchmarks/bench_dask.py [--n 2000000] [--skip-dask-ml]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_info

from vqtoolkit import Codebook, kernels, quantize


def mixture(n, d, k, seed=0):
    rng = np.random.RandomState(seed)
    means = rng.uniform(-8, 8, size=(k, d))
    scales = rng.uniform(0.5, 1.5, size=(k, 1))
    z = rng.randint(k, size=n)
    X = (means[z] + rng.normal(size=(n, d)) * scales[z]).astype(np.float32)
    return X, means


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2_000_000)
    ap.add_argument("--k", type=int, default=64)
    ap.add_argument("--chunks", type=int, default=16, help="row chunks of the Dask array")
    ap.add_argument("--skip-dask-ml", action="store_true")
    args = ap.parse_args(argv)

    import dask
    import dask.array as da
    from distributed import Client

    from vqtoolkit.distributed import DaskRows, local_cluster

    print("BLAS:", ", ".join(f"{i['internal_api']} {i.get('version')} ({i['num_threads']} threads)"
                             for i in threadpool_info() if i["user_api"] == "blas"))
    X, true_means = mixture(args.n, 13, args.k)
    n, k = X.shape[0], args.k
    print(f"data: {X.shape} {X.dtype} ({X.nbytes / 2**20:.0f} MiB), k={k}, "
          f"{args.chunks} chunks; 2 cores shared with other work: timings are noisy\n", flush=True)
    rows = []

    def record(name, seed_s, n_iter, total_s, distortion, lloyd_s=None):
        per = (lloyd_s if lloyd_s is not None else total_s) / max(n_iter, 1)
        rows.append(dict(name=name, seed=seed_s, n_iter=n_iter, per=per, total=total_s, J=distortion))
        print(f"  {name}: {n_iter} iterations, {total_s:.1f} s, distortion {distortion:.5f}", flush=True)

    # reference: Lloyd from the true means
    ref = Codebook(k, init=true_means).fit(X)
    best = ref.distortion_

    # in memory
    t0 = time.perf_counter()
    mem = Codebook(k, random_state=0, verbose=False).fit(X)
    t_mem = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(5):
        kernels.assign_accumulate(X, mem.whitened_codebook_)
    it_mem = (time.perf_counter() - t0) / 5
    record("in-memory (vqtoolkit)", float("nan"), mem.n_iter_, t_mem, mem.distortion_)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = local_cluster(n_workers=2, threads_per_worker=1, processes=True, dashboard=False)
    client = Client(cluster)
    try:
        Xd = client.persist(da.from_array(X, chunks=(-(-n // args.chunks), 13)))
        client.wait_for_workers(2)
        # per-iteration cost on the cluster, same codebook
        with DaskRows(Xd, None, client=client).passes(algorithm="lloyd") as passes:
            passes.step(mem.whitened_codebook_)
            t0 = time.perf_counter()
            for _ in range(5):
                passes.step(mem.whitened_codebook_)
            it_dask = (time.perf_counter() - t0) / 5
        # end to end: k-means++ and Lloyd on a 100k sample (n_init restarts, in memory),
        # then Lloyd on the cluster from the best of them
        for n_init in (1, 10):
            t0 = time.perf_counter()
            with dask.config.set({"vqtoolkit.init-sample-size": 100_000}):
                dcb = Codebook(k, n_init=n_init, random_state=0).fit(Xd)
            t_dask = time.perf_counter() - t0
            record(f"Dask LocalCluster, n_init={n_init}", float("nan"), dcb.n_iter_, t_dask,
                   dcb.distortion_)
        if not args.skip_dask_ml:
            try:
                from dask_ml.cluster import KMeans
            except ImportError:
                print("  dask-ml not installed (pip install dask-ml): skipped")
            else:
                t0 = time.perf_counter()
                km = KMeans(n_clusters=k, random_state=0).fit(Xd)
                t_km = time.perf_counter() - t0
                # distortion recomputed with the same definition as ours (mean squared distance)
                J_km = quantize(X, np.asarray(km.cluster_centers_, dtype=np.float32)).distortion
                record("dask-ml KMeans (k-means||)", float("nan"), int(km.n_iter_), t_km, J_km)
    finally:
        client.close()
        cluster.close()

    best = min([best] + [r["J"] for r in rows])
    print(f"\nbest known distortion {best:.5f} (Lloyd from the true means: {ref.distortion_:.5f})")
    print(f"one assignment pass (= one Lloyd iteration, same codebook): in-memory {it_mem:.3f} s, "
          f"Dask {it_dask:.3f} s, ratio {it_dask / it_mem:.2f}x")
    print("(total/it below includes seeding and, for dask-ml, its initialisation)\n")
    base = next((r for r in rows if r["name"].startswith("Dask")), rows[0])
    print(f"{'method':32s} {'iter':>5s} {'total/it':>8s} {'total s':>8s} {'vs Dask':>8s} "
          f"{'distortion':>11s} {'/ best':>7s}")
    for r in rows:
        print(f"{r['name']:32s} {r['n_iter']:5d} {r['per']:8.3f} {r['total']:8.1f} "
              f"{r['total'] / base['total']:7.2f}x {r['J']:11.5f} {r['J'] / best:7.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
