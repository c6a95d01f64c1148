"""How many rows Hamerly's bounds would keep, pass by pass, in the spherical k-means of bench_text.py.

A simulation (NumPy and scipy, float64, no vqtoolkit kernels) on the corpus and
initial codewords of ``bench_text.py``: every pass computes all distances (for
the reference codes), then applies the rule of
:class:`vqtoolkit.kernels.HamerlyState` — exact distance ``u_i`` to the current
codeword; the row keeps its code when ``u_i < max(l_i, s_a)``, ``l_i`` the
lower bound on the distance to every other codeword (lowered by the largest
shift of another codeword since the previous pass), ``s_a`` half the distance
from the row's codeword to its nearest other codeword. Rows not kept get a
fresh ``l_i`` (their second smallest distance), as the dense state does. It
checks that every kept row's code equals the brute-force argmin.

The CSR pass has no such state today; the printed fractions say what share of
the per-row searches a sparse version could skip (each kept row still reads its
non-zeros once for ``u_i``).

Usage::

    python benchmarks/bench_text_bounds.py [--n 20000] [--terms 50000] [--k 20] [--nnz 120] [--iter 10]
"""

from __future__ import annotations

import argparse

import numpy as np
import scipy.sparse as sp
from bench_text import make_corpus


def main(argv=None) -> int:
    from vqtoolkit.seeding import random_rows

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=20000)
    p.add_argument("--terms", type=int, default=50000)
    p.add_argument("--k", type=int, default=20)
    p.add_argument("--nnz", type=int, default=120)
    p.add_argument("--iter", type=int, default=10)
    args = p.parse_args(argv)
    X, _ = make_corpus(args.n, args.terms, args.k, args.nnz)
    n, k = X.shape[0], args.k
    X = X.astype(np.float64)
    xx = np.asarray(X.multiply(X).sum(axis=1)).ravel()
    C = random_rows(X, k, np.random.RandomState(0)).astype(np.float64)
    C /= np.linalg.norm(C, axis=1)[:, None]  # what metric='cosine' starts from
    rows = np.arange(n)
    codes = lower = prev = None
    print(f"# X: {n} x {X.shape[1]}, {X.nnz} non-zeros, k = {k}, {args.iter} iterations + the final pass")
    print("\n| pass | rows kept by the bounds | largest codeword shift | codes changed |")
    print("|---|---|---|---|")
    for it in range(args.iter + 1):
        cn = (C**2).sum(1)
        D = np.sqrt(np.maximum(xx[:, None] + cn[None, :] - 2 * np.asarray(X @ C.T), 0.0))
        best = D.argmin(axis=1)
        second = np.partition(D, 1, axis=1)[:, 1] if k > 1 else np.full(n, np.inf)
        if prev is None:
            keep = np.zeros(n, dtype=bool)
            print(f"| {it + 1} | 0 (first pass) | - | - |")
        else:
            shift = np.linalg.norm(C - prev, axis=1)
            top = np.argsort(-shift, kind="stable")
            other = np.where(codes == top[0], shift[top[1]] if k > 1 else 0.0, shift[top[0]])
            lower = lower - other
            cc = np.sqrt(np.maximum(cn[:, None] + cn[None, :] - 2 * C @ C.T, 0.0))
            np.fill_diagonal(cc, np.inf)
            s = cc.min(axis=1) / 2
            keep = D[rows, codes] < np.maximum(lower, s[codes])
            assert np.array_equal(best[keep], codes[keep])
            print(f"| {it + 1} | {keep.mean():.3f} | {shift.max():.4f} | {np.mean(best != codes):.4f} |")
        lower = np.where(keep, lower if lower is not None else second, second)
        codes = best
        prev = C
        P = sp.csr_matrix((np.ones(n), (codes, rows)), shape=(k, n))
        S = np.asarray((P @ X).todense())
        norms = np.linalg.norm(S, axis=1)
        C = np.where(norms[:, None] > 0, S / np.where(norms > 0, norms, 1.0)[:, None], prev)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
