"""Spherical k-means on a sparse TF-IDF-like matrix: vqtoolkit vs scikit-learn KMeans.

Same CSR matrix (unit rows, Zipfian terms drawn from topics), same initial
codewords, fixed number of Lloyd iterations (tol=0), one run each. Prints
seconds per iteration of the whole fit and of one assignment + accumulation pass,
the ratio vqtoolkit / scikit-learn, peak extra memory of ``Codebook.fit``
(tracemalloc) relative to the CSR matrix, and the BLAS in use.

Usage::

    python benchmarks/bench_text.py [--n 20000] [--terms 50000] [--k 20] [--nnz 120] [--iter 10]

Timings are noisy on a shared machine; run it alone for reliable numbers.
"""

from __future__ import annotations

import argparse
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
    own = [rng.choice(terms, size=300, replace=False) for _ in range(k)]
    rows, cols = [], []
    for i in range(n):
        m = rng.poisson(nnz)
        c = np.concatenate([rng.choice(terms, size=m // 2, p=zipf),
                            rng.choice(own[topic[i]], size=m - m // 2)])
        c = np.unique(c)
        rows.append(np.full(c.size, i))
        cols.append(c)
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    vals = (1 + np.log1p(rng.poisson(1.0, size=rows.size))).astype(np.float32)
    X = sp.csr_matrix((vals, (rows, cols)), shape=(n, terms), dtype=np.float32)
    from sklearn.preprocessing import normalize

    return normalize(X), topic


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
    args = p.parse_args(argv)
    for info in threadpool_info():
        print(f"# {info.get('user_api')}: {info.get('internal_api')} {info.get('version')} "
              f"({info.get('architecture', '?')}, {info.get('num_threads')} threads)")
    X, _ = make_corpus(args.n, args.terms, args.k, args.nnz)
    csr_bytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    print(f"# X: {X.shape[0]} x {X.shape[1]}, {X.nnz} non-zeros, CSR {csr_bytes / 2**20:.1f} MiB, "
          f"k = {args.k}, {args.iter} iterations")
    C0 = random_rows(X, args.k, np.random.RandomState(0)).astype(np.float64)
    kernels.assign_accumulate(X[:100], C0.astype(np.float32))  # compile / warm up

    t = time.perf_counter()
    cb = Codebook(args.k, metric="cosine", init=C0, max_iter=args.iter, tol=0).fit(X)
    ours = (time.perf_counter() - t) / cb.n_iter_
    t = time.perf_counter()
    km = KMeans(args.k, init=C0.astype(np.float32), n_init=1, max_iter=args.iter, tol=0).fit(X)
    theirs = (time.perf_counter() - t) / km.n_iter_
    reps = 5
    C32 = C0.astype(np.float32)
    t = time.perf_counter()
    for _ in range(reps):
        kernels.assign_accumulate(X, C32)
    pass_ours = (time.perf_counter() - t) / reps

    tracemalloc.start()
    Codebook(args.k, metric="cosine", init=C0, max_iter=3, tol=0).fit(X)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print("\n| engine | s / iteration (fit) | iterations | ratio vs scikit-learn |")
    print("|---|---|---|---|")
    print(f"| vqtoolkit Codebook(metric='cosine') | {ours:.4f} | {cb.n_iter_} | {ours / theirs:.2f} |")
    print(f"| scikit-learn KMeans (lloyd) | {theirs:.4f} | {km.n_iter_} | 1.00 |")
    print(f"| vqtoolkit kernels.assign_accumulate, one pass | {pass_ours:.4f} | - | "
          f"{pass_ours / theirs:.2f} |")
    print(f"\npeak extra memory during Codebook.fit: {peak / 2**20:.1f} MiB = "
          f"{peak / csr_bytes:.2f} x the CSR matrix")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
