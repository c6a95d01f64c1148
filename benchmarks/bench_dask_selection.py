"""G-means / X-means (``choose_k``) on Dask against in memory: time, passes, and what reaches the client.

The data (float32, 13 features, a mixture of ``--clusters`` Gaussians) is
persisted on a ``LocalCluster`` of worker processes (1 thread each) on
127.0.0.1. Printed, for the in-memory run and the Dask run with the same
seed: the chosen ``k`` (they must agree), seconds, and for Dask the passes
over the data by kind (Lloyd passes, 2-means children passes, per-code
moments, projections), the rows gathered to the client (the k-means++ sample
only), the per-row values brought to the client (the projections the
normality and dip tests sort), and the peak of the client's allocations
(``tracemalloc``) against the size of the data.

Usage: python benchmarks/bench_dask_selection.py [--rows 4e5] [--clusters 16] [--chunk 50000]
       [--workers 2] [--method gmeans]
"""

from __future__ import annotations

import argparse
import collections
import time
import tracemalloc
import warnings

import numpy as np

D = 13


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=float, default=4e5)
    ap.add_argument("--clusters", type=int, default=16)
    ap.add_argument("--chunk", type=int, default=50_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--method", default="gmeans")
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore", message="Sending large graph")

    import dask
    import dask.array as da
    from distributed import Client

    from vqtoolkit import choose_k
    from vqtoolkit.distributed import DaskRows, local_cluster
    from vqtoolkit.distributed._backend import DaskPasses

    n = int(args.rows)
    rng = np.random.RandomState(0)
    means = rng.uniform(-20, 20, size=(args.clusters, D))
    X = (means[rng.randint(args.clusters, size=n)] + rng.normal(size=(n, D))).astype(np.float32)
    kw = dict(method=args.method, random_state=0)
    if args.method == "xmeans":
        kw["k_range"] = (1, n // 8)  # from one cluster, as G-means
    t = time.perf_counter()
    mem = choose_k(X, **kw)
    t_mem = time.perf_counter() - t
    print(f"data {n} x {D} float32 ({X.nbytes / 1e6:.1f} MB), {args.clusters} clusters, "
          f"method={args.method}")
    print(f"in memory: k = {mem.k}, {t_mem:.2f} s")

    counts = collections.Counter()
    moved = collections.Counter()

    def counted(name, fn, tally=None):
        def wrapper(*a, **k):
            counts[name] += 1
            out = fn(*a, **k)
            if tally is not None:
                moved[tally] += tally_of(tally, a, out)
            return out
        return wrapper

    def tally_of(kind, a, out):
        if kind == "rows gathered":
            return len(a[1])
        return sum(v.size for v in out)  # projections: one value per row

    DaskPasses.step = counted("Lloyd pass", DaskPasses.step)
    DaskRows._gather_rows = counted("gather", DaskRows._gather_rows, "rows gathered")
    for name in ("group_scatter", "group_power", "group_farthest", "group_sse"):
        if hasattr(DaskRows, name):
            setattr(DaskRows, name, counted(name, getattr(DaskRows, name)))
    if hasattr(DaskRows, "group_projections"):
        DaskRows.group_projections = counted("projections", DaskRows.group_projections,
                                             "projected values")
    try:
        from vqtoolkit.distributed._selection import DaskChildren

        DaskChildren.step = counted("children pass", DaskChildren.step)
    except ImportError:  # the former code: members gathered to the client
        pass

    with local_cluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                       dashboard=False) as cluster, Client(cluster) as client:
        Xd = client.persist(da.from_array(X, chunks=(args.chunk, D)))
        with dask.config.set({"vqtoolkit.init-sample-size": 100_000}):
            choose_k(Xd[:args.chunk], **kw)  # warm-up: numba loads its loops on the workers
            counts.clear()
            moved.clear()
            tracemalloc.start()
            t = time.perf_counter()
            got = choose_k(Xd, **kw)
            t_dask = time.perf_counter() - t
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    same = got.k == mem.k and np.allclose(got.codewords, mem.codewords, rtol=1e-5,
                                          atol=1e-5 * np.abs(mem.codewords).max())
    print(f"Dask ({args.workers} workers, chunks of {args.chunk}): k = {got.k}, {t_dask:.2f} s, "
          f"equals in memory: {same}")
    print("calls: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    print("to the client: " + ", ".join(f"{k} {v}" for k, v in sorted(moved.items())))
    print(f"client peak allocations: {peak / 1e6:.1f} MB (data {X.nbytes / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
