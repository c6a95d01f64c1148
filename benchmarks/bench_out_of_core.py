"""Out of core on a LocalCluster: a zarr store larger than the workers' memory, against in memory.

Data: ``--n`` x 13 float32 rows (default 24,000,000: 1.25 GB) from a mixture of
64 Gaussians, written once to a zarr store (``--store``, reused when it holds
the same data). The cluster: ``LocalCluster(n_workers=2, threads_per_worker=1,
memory_limit='500MB')`` on 127.0.0.1 (worker processes), so the data cannot be
held by the workers: every pass reads the store again.

Printed:

1. seconds per assignment pass (assign + accumulate, the whole of one Lloyd
   iteration with the same codebook), in memory (plain and Hamerly passes, 2
   threads) and streamed from the store on the cluster, and their ratio;
2. bytes moved per pass between the workers and the client;
3. a whole fit from the same initial codebook (``--iters`` Lloyd passes): in
   memory vs on the cluster, with the largest codeword difference and whether
   the labels are identical.

With ``--hamerly`` it prints instead the seconds per pass of a Lloyd fit on
the cluster with plain passes and with Hamerly's bounds (``algorithm='lloyd'``
and ``'hamerly'``, the same initial codebook of random rows, ``--iters`` passes), in
``--rounds`` interleaved rounds, and the ratio of every round; the rows are
persisted on the workers when they fit half of their memory, else streamed.

Usage: python benchmarks/bench_out_of_core.py [--n 24000000] [--store /tmp/ooc.zarr]
       [--compressor none|zstd|lz4] [--iters 10] [--hamerly [--rounds 3]]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_info

from vqtoolkit import Codebook
from vqtoolkit.backends import InMemoryRows
from vqtoolkit.seeding import kmeans_plusplus

D, K, SEED = 13, 64, 0


def mixture_block(start, stop, means, scales):
    """Rows ``start:stop`` of the data set (each block seeded by its start: reproducible)."""
    rng = np.random.RandomState(SEED + start // 1_000_000)
    z = rng.randint(K, size=stop - start)
    return (means[z] + rng.normal(size=(stop - start, D)) * scales[z]).astype(np.float32)


def write_store(path, n, chunk, compressor):
    import zarr

    rng = np.random.RandomState(SEED)
    means = rng.uniform(-8, 8, size=(K, D))
    scales = rng.uniform(0.5, 1.5, size=(K, 1))
    try:
        z = zarr.open_array(path, mode="r")
        if (z.shape == (n, D) and z.chunks[0] == chunk and z.attrs.get("compressor") == compressor
                and z.attrs.get("complete")):
            return z
    except Exception:  # noqa: BLE001 - absent or damaged: rewrite
        pass
    codecs = {"none": None, "zstd": "zstd", "lz4": "lz4"}[compressor]
    kwargs = {}
    if codecs is None:
        kwargs["compressors"] = None
    else:
        from zarr.codecs import BloscCodec

        kwargs["compressors"] = [BloscCodec(cname=codecs, clevel=3, shuffle="bitshuffle")]
    z = zarr.create_array(path, shape=(n, D), chunks=(chunk, D), dtype="float32", overwrite=True,
                          **kwargs)
    for start in range(0, n, 1_000_000):
        stop = min(n, start + 1_000_000)
        z[start:stop] = mixture_block(start, stop, means, scales)
    z.attrs["compressor"] = compressor
    z.attrs["complete"] = True
    return z


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=24_000_000)
    ap.add_argument("--chunk", type=int, default=500_000, help="rows per zarr chunk")
    ap.add_argument("--store", default=os.path.join(os.environ.get("TMPDIR", "/tmp"),
                                                    "vqtoolkit-out-of-core.zarr"))
    ap.add_argument("--compressor", choices=["none", "zstd", "lz4"], default="lz4")
    ap.add_argument("--format", choices=["zarr", "npy"], default="zarr",
                    help="npy: the store's rows copied once into an .npy file beside it")
    ap.add_argument("--memory-limit", default="500MB")
    ap.add_argument("--iters", type=int, default=10, help="Lloyd passes of the whole-fit comparison")
    ap.add_argument("--passes", type=int, default=3, help="timed passes per method")
    ap.add_argument("--hamerly", action="store_true",
                    help="only: seconds per Lloyd pass on the cluster, plain vs Hamerly, interleaved")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds of --hamerly")
    args = ap.parse_args(argv)

    from distributed import Client

    from vqtoolkit.distributed import DaskRows, local_cluster, read_rows

    blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
    print("BLAS:", ", ".join(f"{i['internal_api']} {i.get('version')} {i.get('architecture')}"
                             for i in blas), f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}")
    t0 = time.perf_counter()
    z = write_store(args.store, args.n, args.chunk, args.compressor)
    print(f"store: {args.store} {z.shape} float32, chunks of {args.chunk:,} rows, compressor "
          f"{args.compressor}, {args.n * D * 4 / 1e9:.2f} GB of data ({time.perf_counter() - t0:.0f} s"
          " to open or write)", flush=True)

    X = z[:]  # the in-memory side
    source = args.store
    if args.format == "npy":
        source = args.store.rstrip("/") + ".npy"
        if not os.path.exists(source):
            np.save(source + ".tmp.npy", X)
            os.replace(source + ".tmp.npy", source)
        print(f"reading {source} ({os.path.getsize(source) / 1e9:.2f} GB) instead of the store")
    sample = X[np.random.RandomState(1).choice(X.shape[0], 100_000, replace=False)]
    C0 = kmeans_plusplus(sample, K, np.random.RandomState(0))

    def timed(step, C):
        step(C)  # warm
        t = time.perf_counter()
        for _ in range(args.passes):
            step(C)
        return (time.perf_counter() - t) / args.passes

    if not args.hamerly:
        rows = InMemoryRows(X, n_threads=2)
        with rows.passes(algorithm="lloyd") as p:
            t_mem = timed(p.step, C0)
        with rows.passes(algorithm="hamerly") as p:
            t_ham = timed(p.step, C0)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = local_cluster(n_workers=2, threads_per_worker=1, processes=True,
                                dashboard=False, memory_limit=args.memory_limit)
    client = Client(cluster)
    try:
        client.wait_for_workers(2)
        Xd = read_rows(source, chunk_rows=args.chunk)
        drows = DaskRows(Xd, None, client=client)
        print(f"workers: 2 x 1 thread, memory_limit={args.memory_limit} each; data/memory = "
              f"{Xd.nbytes / (2 * _bytes(args.memory_limit)):.2f}; persisted: "
              f"{drows._fits_in_memory()}", flush=True)
        if args.hamerly:
            # from random rows (more passes than from k-means++ seeds on this well-separated mixture)
            C_rand = X[np.sort(np.random.RandomState(2).choice(X.shape[0], K, replace=False))]
            return hamerly_rounds(drows.map(_same_rows), C_rand, args.iters, args.rounds)
        with drows.passes(algorithm="lloyd") as p:
            t_dask = timed(p.step, C0)
        n_chunks = len(Xd.chunks[0])
        per_chunk = K * (D + 2) * 8 + 64  # sums, counts, sse (float64) + changed count
        moved = n_chunks * per_chunk + 2 * K * D * 4  # partial totals up + codebook to 2 workers

        print(f"\none assignment pass, {args.n:,} x {D} -> {K} (seconds):")
        print(f"  in memory, plain passes, 2 threads : {t_mem:7.3f}")
        print(f"  in memory, Hamerly passes, 2 threads: {t_ham:7.3f}  (same codebook every pass: "
              "the bounds skip most rows; a fit's later passes come close to this)")
        kind = "npy" if args.format == "npy" else f"zarr ({args.compressor})"
        print(f"  Dask, streamed from {kind:12s}, 2 workers: {t_dask:7.3f}  = {t_dask / t_mem:.2f}x "
              "the in-memory plain pass")
        print(f"  bytes moved per pass: {moved / 1e3:.1f} kB ({n_chunks} chunk totals of "
              f"{per_chunk / 1e3:.1f} kB + the codebook)")

        t = time.perf_counter()
        a = Codebook(K, init=C0, max_iter=args.iters, tol=0, algorithm="lloyd", n_threads=2).fit(X)
        t_a = time.perf_counter() - t
        t = time.perf_counter()
        b = Codebook(K, init=C0, max_iter=args.iters, tol=0).fit(Xd)
        t_b = time.perf_counter() - t
        # block by block: the whole label array would be concatenated on one small worker
        same = all(np.array_equal(b.labels_.blocks[i].compute(), a.labels_[lo:hi])
                   for i, (lo, hi) in enumerate(zip(drows.offsets[:-1], drows.offsets[1:])))
        rel = float(np.abs(b.codebook_ - a.codebook_).max() / np.abs(a.codebook_).max())
        print(f"\nwhole fit, {args.iters} passes from the same codebook:")
        print(f"  in memory {t_a:.1f} s ({a.n_iter_} iterations), Dask {t_b:.1f} s ({b.n_iter_} "
              f"iterations, moments + passes + final pass)")
        print(f"  distortion {a.distortion_:.6f} vs {b.distortion_:.6f}; codewords max rel diff "
              f"{rel:.2e}; labels identical: {same}")
    finally:
        client.close()
        cluster.close()
    return 0


def hamerly_rounds(drows, C0, iters, rounds):
    """Seconds per Lloyd pass on the cluster, plain passes vs Hamerly's bounds, interleaved rounds."""
    from vqtoolkit.lloyd import lloyd

    drows.weight  # noqa: B018 - the moments pass, once, before any timing
    print(f"\nLloyd passes on the cluster, {drows.shape[0]:,} x {D} -> {K}, {iters} passes from the "
          f"same codebook (seconds per pass: first, mean of the later ones):")
    results = {}
    runners = []
    make = drows.passes

    def passes(**kwargs):  # keep the pass runners: their Hamerly log counts the recomputed rows
        runners.append(make(**kwargs))
        return runners[-1]

    drows.passes = passes
    for r in range(rounds):
        for alg in ("lloyd", "hamerly"):
            stamps = [time.perf_counter()]
            res = lloyd(drows, C0, max_iter=iters, tol=0, algorithm=alg,
                        progress=lambda it, J, stamps=stamps: stamps.append(time.perf_counter()))
            per = np.diff(stamps)
            results[alg] = (per, res)
            log = runners[-1].hamerly.log if runners[-1].hamerly is not None else []
            share = " ".join(f"{e['recomputed'] / drows.shape[0]:.2f}" for e in log)
            print(f"  round {r + 1} {alg:8s}: first {per[0]:6.2f}, later {per[1:].mean():6.2f}, "
                  f"{res.n_iter} passes, distortion {res.distortion:.6f}"
                  + (f"; share of rows searched per pass: {share}" if log else ""), flush=True)
        (pl, rl), (ph, rh) = results["lloyd"], results["hamerly"]
        same = bool(np.array_equal(rl.codes.compute(), rh.codes.compute())) if r == 0 else "-"
        print(f"  round {r + 1} later passes hamerly / plain = {ph[1:].mean() / pl[1:].mean():.2f}, "
              f"whole fit = {ph.sum() / pl.sum():.2f}; same codes: {same}", flush=True)
    return 0


def _same_rows(x):
    return x


def _bytes(text):
    from dask.utils import parse_bytes

    return parse_bytes(text)


if __name__ == "__main__":
    sys.exit(main())
