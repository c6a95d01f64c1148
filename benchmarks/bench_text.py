"""Spherical k-means on a sparse TF-IDF-like matrix: vqtoolkit vs scikit-learn KMeans, interleaved.

Same CSR matrix (unit rows, Zipfian terms drawn from topics), same initial
codewords, fixed number of Lloyd iterations (tol=0). Both engines are warmed up
first (numba's cached kernels loaded, thread pools started), then fitted in
alternating order ``--rounds`` times, half a second apart (so that one engine's
spinning idle threads do not take the cores from the next fit). Prints, per round, the seconds per
iteration of each whole fit and the ratio vqtoolkit / scikit-learn, their
medians, the time of one :func:`vqtoolkit.kernels.assign_accumulate` pass, the
peak extra memory of ``Codebook.fit`` (tracemalloc) relative to the CSR matrix,
the load average and the BLAS in use.

Usage::

    python benchmarks/bench_text.py [--n 20000] [--terms 50000] [--k 20] [--nnz 120] [--iter 10]
                                    [--rounds 3] [--dtype float32] [--profile]

``--profile`` also prints where one single-threaded fit spends its CPU time,
in ms per iteration: the CSR search, the per-codeword sums, the codebook
transpose, the rest of the Lloyd loop (update rule, casts, Python) and the
rest of the fit (validation, seeding from the given codewords, numbering).
``--dtype float64`` clusters float64 rows (scikit-learn's ``TfidfVectorizer``
default; scikit-learn then runs in float64 too).

Timings are noisy on a shared machine: compare the ratios of one run, not the
seconds of different runs.
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc

import numpy as np
import scipy.sparse as sp


def make_corpus(n, terms, k, nnz, seed=0):
    """CSR (n, terms) float32, unit rows: each document mixes its topic's words with Zipf noise."""
    rng = np.random.RandomState(seed)
    topic = rng.randint(k, size=n)
    ranks = np.arange(1, terms + 1)
    zipf = 1.0 / ranks
    zipf /= zipf.sum()
    # what rng.choice(terms, size, p=zipf) draws (same numbers from the same stream), without
    # recomputing the cumulative distribution for every document
    cdf = zipf.cumsum()
    cdf /= cdf[-1]
    own = [rng.choice(terms, size=300, replace=False) for _ in range(k)]
    rows, cols = [], []
    for i in range(n):
        m = rng.poisson(nnz)
        c = np.concatenate([cdf.searchsorted(rng.random_sample(m // 2), side="right"),
                            rng.choice(own[topic[i]], size=m - m // 2)])
        c = np.unique(c)
        rows.append(np.full(c.size, i))
        cols.append(c)
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    vals = (1 + np.log1p(rng.poisson(1.0, size=rows.size))).astype(np.float32)
    X = sp.csr_matrix((vals, (rows, cols)), shape=(n, terms), dtype=np.float32)
    from sklearn.preprocessing import normalize

    return normalize(X), topic


def profile_fit(fit, n_iter):
    """CPU ms per iteration of one single-threaded ``fit()`` by component (see the module docstring)."""
    from vqtoolkit import fitting
    from vqtoolkit.kernels import _passes

    spent = dict.fromkeys(["search", "sums", "transpose", "lloyd", "fit"], 0.0)

    def timed(module, name, key):
        inner = getattr(module, name)

        def call(*args, **kwargs):
            t = time.thread_time()
            try:
                return inner(*args, **kwargs)
            finally:
                spent[key] += time.thread_time() - t

        setattr(module, name, call)
        return inner

    saved = [(m, n, timed(m, n, key)) for m, n, key in [
        (_passes, "_sparse_search", "search"), (_passes, "_sparse_sums_range", "sums"),
        (_passes, "_codeword_ranges", "sums"), (_passes, "_transpose_codebook", "transpose"),
        (fitting, "lloyd", "lloyd")]]
    t = time.thread_time()
    try:
        fit()
        spent["fit"] = time.thread_time() - t
    finally:
        for module, name, inner in saved:
            setattr(module, name, inner)
    spent["fit"] -= spent["lloyd"]
    spent["lloyd"] -= spent["search"] + spent["sums"] + spent["transpose"]
    return {key: 1e3 * v / n_iter for key, v in spent.items()}


def _per_iteration(fit):
    time.sleep(0.5)  # the previous fit's idle threads (OpenMP's spin-wait) go to sleep first
    t = time.perf_counter()
    model = fit()
    return (time.perf_counter() - t) / model.n_iter_, model.n_iter_


def main(argv=None) -> int:
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_info

    from vqtoolkit import Codebook, kernels
    from vqtoolkit.seeding import random_rows

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=20000)
    p.add_argument("--terms", type=int, default=50000)
    p.add_argument("--k", type=int, default=20)
    p.add_argument("--nnz", type=int, default=120, help="mean non-zeros per row")
    p.add_argument("--iter", type=int, default=10)
    p.add_argument("--rounds", type=int, default=3, help="alternating fits of each engine")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--profile", action="store_true", help="CPU ms per iteration by component")
    args = p.parse_args(argv)
    X, _ = make_corpus(args.n, args.terms, args.k, args.nnz)
    X = X.astype(args.dtype)
    csr_bytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    C0 = random_rows(X, args.k, np.random.RandomState(0)).astype(np.float64)

    def ours(max_iter=args.iter):
        return Codebook(args.k, metric="cosine", init=C0, max_iter=max_iter, tol=0).fit(X)

    def theirs(max_iter=args.iter):
        return KMeans(args.k, init=C0.astype(X.dtype), n_init=1, max_iter=max_iter, tol=0).fit(X)

    ours(2), theirs(2)  # warm up: kernels compiled or loaded from numba's cache, pools started
    for info in threadpool_info():
        print(f"# {info.get('user_api')}: {info.get('internal_api')} {info.get('version')} "
              f"({info.get('architecture', '?')}, {info.get('num_threads')} threads)")
    print(f"# X: {X.shape[0]} x {X.shape[1]}, {X.nnz} non-zeros, CSR {csr_bytes / 2**20:.1f} MiB, "
          f"{X.dtype}, k = {args.k}, {args.iter} iterations, {kernels.default_n_threads()} threads; "
          f"load average {os.getloadavg()[0]:.1f}")
    print("\n| round | vqtoolkit s / iteration | scikit-learn s / iteration | ratio |")
    print("|---|---|---|---|")
    ratios, ours_t, theirs_t = [], [], []
    for r in range(args.rounds):
        if r % 2 == 0:
            a, n_ours = _per_iteration(ours)
            b, n_theirs = _per_iteration(theirs)
        else:
            b, n_theirs = _per_iteration(theirs)
            a, n_ours = _per_iteration(ours)
        assert n_ours == n_theirs == args.iter, (n_ours, n_theirs)
        ours_t.append(a)
        theirs_t.append(b)
        ratios.append(a / b)
        print(f"| {r + 1} | {a:.4f} | {b:.4f} | {a / b:.2f} |")
    print(f"| median | {np.median(ours_t):.4f} | {np.median(theirs_t):.4f} | "
          f"{np.median(ratios):.2f} |")

    reps = 5
    Cx = C0.astype(X.dtype)
    t = time.perf_counter()
    for _ in range(reps):
        kernels.assign_accumulate(X, Cx)
    pass_ours = (time.perf_counter() - t) / reps
    print(f"\none kernels.assign_accumulate pass: {pass_ours:.4f} s "
          f"({pass_ours / np.median(theirs_t):.2f} x scikit-learn's median iteration)")

    tracemalloc.start()
    ours(3)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak extra memory during Codebook.fit: {peak / 2**20:.1f} MiB = "
          f"{peak / csr_bytes:.2f} x the CSR matrix")
    if args.profile:
        def one_thread():
            return Codebook(args.k, metric="cosine", init=C0, max_iter=args.iter, tol=0,
                            n_threads=1).fit(X)

        one_thread()
        parts = profile_fit(one_thread, args.iter)
        print("\nCPU ms per iteration of a single-threaded fit (" + str(args.iter + 1)
              + " passes per " + str(args.iter) + " iterations: the last one labels the rows): "
              + ", ".join(f"{key} {v:.1f}" for key, v in parts.items())
              + f"; total {sum(parts.values()):.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
