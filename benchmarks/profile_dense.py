"""Where the time of a dense pass goes at few features: CPU nanoseconds per row, one thread.

Times (``time.thread_time``, so other processes on a shared machine do not
count; median and best of ``--repeats`` interleaved rounds) for float32 blobs
of ``--d`` features (default 13, MFCC-sized), ``k = 64`` and ``256``:

- ``sweep``: the unrolled search alone, on one chunk of rows already
  transposed (``d x chunk``, repeated);
- ``search``: the search as ``kernels.assign`` runs it, block by block: each
  chunk copied transposed, then swept (``search - sweep`` is the copy);
- ``finish``: the exact float64 distance to the chosen codeword;
- ``assign``, ``assign_accumulate``: the public passes (``n_threads=1``);
- ``faiss``: ``IndexFlatL2.search(X, 1)`` with one OpenMP / BLAS thread.

and then the ``HamerlyState`` steps of 10 Lloyd iterations at ``k = 64``
(milliseconds per step, rows recomputed per step).

Run: ``python benchmarks/profile_dense.py`` (about a minute).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _common import machine_report, search_report  # noqa: E402
from bench_assign import make_data  # noqa: E402  (the same blobs and codebook as bench_assign)


def pass_parts(X, C):
    """name -> zero-argument callable, each over all rows of X, one thread."""
    from vqtoolkit import kernels
    from vqtoolkit.kernels import _dense

    n, d = X.shape
    k = C.shape[0]
    C64 = C.astype(np.float64)
    negC, h = _dense._gemm_operands(C, np.einsum("ij,ij->i", C64, C64))
    argmin, chunk, work_size = _dense._dense_search(k, d, X.dtype)
    if argmin is _dense._gemm_argmin:
        raise SystemExit(f"d={d} uses the GEMM search here; this profile is for the unrolled one")
    module = sys.modules[argmin.__module__]
    B = kernels.BLOCK_ROWS
    work = np.empty(work_size, X.dtype)
    best = np.empty(B, X.dtype)
    idx = np.empty(B, _dense._index_dtype(X.dtype))
    codes = np.empty(n, np.int64)
    dist = np.empty(n, X.dtype)
    none = np.zeros(0)
    XT = np.ascontiguousarray(X[:chunk].T)
    starts = range(0, n - chunk + 1, chunk)
    def sweep():
        for _ in starts:
            module.sweep(XT, negC, h, best[:chunk], idx[:chunk])

    def search():
        for s in range(0, n, B):
            argmin(X[s:s + B], _dense._NO_ROWS, False, negC, h, chunk, work, _dense._NO_NORMS,
                        best, best, idx, False)

    def finish():
        for s in range(0, n, B):
            m = min(B, n - s)
            _dense._dense_finish(X[s:s + m], C, idx[:m], codes[s:s + m], none, dist[s:s + m],
                                 np.zeros((0, d)), none, none, False)

    parts = {"sweep": sweep, "search": search, "finish": finish,
             "assign": lambda: kernels.assign(X, C, n_threads=1),
             "assign_accumulate": lambda: kernels.assign_accumulate(X, C, n_threads=1)}
    try:
        import faiss
    except ImportError:
        print("# faiss: not installed, skipped", file=sys.stderr)
    else:
        faiss.omp_set_num_threads(1)
        index = faiss.IndexFlatL2(d)
        index.add(C)
        parts["faiss"] = lambda: index.search(X, 1)
    per_row = {"sweep": len(starts) * chunk}
    return parts, per_row


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=200_000)
    p.add_argument("--d", type=int, default=13)
    p.add_argument("--repeats", type=int, default=7)
    args = p.parse_args(argv)

    import sklearn.cluster  # noqa: F401  load its OpenMP runtime before limiting threads
    from threadpoolctl import threadpool_limits

    from vqtoolkit.kernels import HamerlyState

    print(f"# profile_dense  {machine_report()}  n={args.n} d={args.d}  CPU time of one thread")
    print("# " + search_report(args.d))
    with threadpool_limits(limits=1):
        for k in (64, 256):
            X, C = make_data(args.n, args.d, k)
            parts, rows = pass_parts(X, C)
            for fn in parts.values():
                fn()  # compile / warm up
            times = {name: [] for name in parts}
            for _ in range(args.repeats):
                for name, fn in parts.items():
                    t = time.thread_time()
                    fn()
                    times[name].append((time.thread_time() - t) / rows.get(name, args.n) * 1e9)
            for name, ts in times.items():
                print(f"k={k:4d}  {name:18s} {np.median(ts):7.1f} ns/row (best {min(ts):.1f})")
        X, C = make_data(args.n, args.d, 64)
        C0 = X[np.random.default_rng(1).choice(args.n, 64, replace=False)].copy()
        for _ in range(2):
            state, C, line = HamerlyState(X, n_threads=1), C0.copy(), []
            for _ in range(11):
                t = time.thread_time()
                _, _, stats = state.step(C)
                line.append(f"{(time.thread_time() - t) * 1e3:.1f} ({state.n_recomputed})")
                C = (stats.sums / np.maximum(stats.counts, 1)[:, None]).astype(np.float32)
            print("hamerly steps k=64, ms (rows recomputed): " + ", ".join(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
