"""Capacitated codebooks side by side with k-means-constrained (size limits) and timed with demands.

Run: ``python benchmarks/bench_capacity.py``. Part 1: size-constrained problems
(demand = 1, minimum and maximum cluster sizes), the objective (sum of squared
distances) and time of vqtoolkit.CapacitatedCodebook vs k-means-constrained
(the anchor; it supports counts only), same n_init. Part 2: 1,000 customers with
integer demands and 10 vehicles (k-means-constrained cannot express demands).
"""

from __future__ import annotations

import time

import numpy as np
from threadpoolctl import threadpool_info

from vqtoolkit import CapacitatedCodebook, Codebook


def _sse(X, C, labels):
    return float(((X - C[labels]) ** 2).sum())


def size_constrained(rows):
    from k_means_constrained import KMeansConstrained

    for name, n, k, d, lo_f, hi_f, seed in [("blobs", 1000, 10, 2, 0.8, 1.1, 0),
                                            ("uniform", 2000, 8, 2, 0.9, 1.1, 1),
                                            ("gauss-5d", 1500, 12, 5, 0.5, 1.2, 2)]:
        rng = np.random.RandomState(seed)
        if name == "blobs":
            X = np.vstack([rng.randn(n // 5, d) * (j + 1) + rng.rand(d) * 30 for j in range(5)])
        elif name == "uniform":
            X = rng.rand(n, d) * 100
        else:
            X = rng.randn(n, d)
        lo, hi = int(n / k * lo_f), int(np.ceil(n / k * hi_f))
        for n_init in (1, 5):
            t = time.perf_counter()
            ours = CapacitatedCodebook(k, hi, min_load=lo, n_init=n_init, random_state=seed).fit(X)
            t_ours = time.perf_counter() - t
            t = time.perf_counter()
            ref = KMeansConstrained(k, size_min=lo, size_max=hi, n_init=n_init, random_state=seed,
                                    n_jobs=1).fit(X)
            t_ref = time.perf_counter() - t
            s_ours = _sse(X, ours.codebook_, ours.labels_)
            s_ref = _sse(X, ref.cluster_centers_, ref.labels_)
            sizes = np.bincount(ref.labels_, minlength=k)
            assert lo <= sizes.min() and sizes.max() <= hi
            rows.append((f"{name} n={n} k={k} [{lo},{hi}] n_init={n_init}", s_ours, s_ref,
                         s_ours / s_ref, t_ours, t_ref))


def demands():
    rng = np.random.RandomState(0)
    X = rng.rand(1000, 2) * 100
    q = rng.randint(1, 31, size=1000)
    cap = float(np.ceil(q.sum() / 10 * 1.05))
    t = time.perf_counter()
    cb = CapacitatedCodebook(10, cap, demand=q, random_state=0).fit(X)
    elapsed = time.perf_counter() - t
    free = Codebook(10, random_state=0).fit(X)
    free_loads = np.bincount(free.labels_, weights=q, minlength=10)
    print("\n1,000 customers, integer demands 1-30, 10 vehicles of capacity", cap)
    print(f"  capacitated: distortion {cb.distortion_:.3f}, max load {cb.loads_.max():.0f}, "
          f"certified gap {cb.optimality_gap_:.2e}, {cb.n_iter_} alternations, {elapsed:.2f} s")
    print(f"  unconstrained k-means: distortion {free.distortion_:.3f} "
          f"(ratio {cb.distortion_ / free.distortion_:.4f}), max load {free_loads.max():.0f} "
          f"({int((free_loads > cap).sum())} vehicles over capacity)")


def main():
    blas = [(i.get("internal_api"), i.get("architecture")) for i in threadpool_info()
            if i.get("user_api") == "blas"]
    print("BLAS:", blas, "(timings on a shared 2-core machine are noisy)")
    rows = []
    size_constrained(rows)
    print(f"\n{'problem':44s} {'SSE ours':>12s} {'SSE kmc':>12s} {'ratio':>7s} {'t ours':>7s} "
          f"{'t kmc':>7s}")
    for r in rows:
        print(f"{r[0]:44s} {r[1]:12.4f} {r[2]:12.4f} {r[3]:7.4f} {r[4]:7.2f} {r[5]:7.2f}")
    demands()


if __name__ == "__main__":
    main()
