"""Worker CPU time of a Dask pass, per chunk task: plain passes against Hamerly's bounds.

The two chunk functions that a Dask pass runs on the workers
(``vqtoolkit.distributed._backend._step``, every distance, and
``vqtoolkit.distributed._hamerly._chunk_step``, Hamerly's bounds kept per
chunk) are called in this process on the chunks of a mixture of Gaussians,
through the codebooks of a Lloyd run from random rows (empty codewords kept),
each state passed to the next pass as Dask passes it. CPU time of the calling
thread (``time.thread_time``: robust to other processes on a loaded machine),
in interleaved rounds. The rows searched by the bounds are printed per pass.

Usage: python benchmarks/bench_dask_hamerly.py [--rows 2e6] [--chunk 500000] [--k 64]
       [--d 13] [--passes 12] [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from vqtoolkit import kernels
from vqtoolkit.distributed._backend import _step
from vqtoolkit.distributed._hamerly import _chunk_step, hamerly_bounds


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=float, default=2e6)
    ap.add_argument("--chunk", type=int, default=500_000)
    ap.add_argument("--k", type=int, default=64)
    ap.add_argument("--d", type=int, default=13)
    ap.add_argument("--passes", type=int, default=12)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    n, k, d = int(args.rows), args.k, args.d
    rng = np.random.RandomState(0)
    means = rng.uniform(-8, 8, size=(k, d))
    X = (means[rng.randint(k, size=n)] + rng.normal(size=(n, d))).astype(np.float32)
    chunks = [X[i:i + args.chunk] for i in range(0, n, args.chunk)]
    C = X[np.sort(np.random.RandomState(2).choice(n, k, replace=False))]
    seq = [C]
    for _ in range(args.passes - 1):  # the codebooks of a Lloyd run
        st = kernels.assign_accumulate(X, C, n_threads=1)[2]
        nz = st.counts > 0
        C = C.copy()
        C[nz] = st.sums[nz] / st.counts[nz, None]
        seq.append(np.ascontiguousarray(C))
    print(f"{n:,} x {d} float32 -> {k}, {len(chunks)} chunks of {args.chunk:,} rows, "
          f"{args.passes} passes from random rows; CPU seconds per pass (all chunks):")
    ratios = []
    for r in range(args.rounds):
        times = {}
        for alg in ("plain", "hamerly"):
            states, prev, per, searched = [None] * len(chunks), None, [], []
            for C in seq:
                bounds = hamerly_bounds(C, prev) if alg == "hamerly" else None
                t0 = time.thread_time()
                for i, x in enumerate(chunks):
                    if alg == "plain":
                        states[i] = _step(x, C, None, states[i], "sqeuclidean", 1)
                    else:
                        states[i] = _chunk_step(x, None, states[i], C, prev, bounds, 1)
                per.append(time.thread_time() - t0)
                if alg == "hamerly":
                    searched.append(sum(s.recomputed for s in states) / n)
                prev = C
            times[alg] = np.array(per)
            extra = (" share searched: " + " ".join(f"{s:.2f}" for s in searched)) if searched else ""
            print(f"  round {r + 1} {alg:8s} first {per[0]:.3f}, later mean {np.mean(per[1:]):.3f}{extra}",
                  flush=True)
        ratio = times["hamerly"][1:].mean() / times["plain"][1:].mean()
        ratios.append(ratio)
        print(f"  round {r + 1} later passes hamerly / plain = {ratio:.2f}, all passes = "
              f"{times['hamerly'].sum() / times['plain'].sum():.2f}", flush=True)
    print(f"later passes hamerly / plain, median of {args.rounds} rounds: {np.median(ratios):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
