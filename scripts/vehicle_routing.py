"""Cluster-first, route-second vehicle routing with a capacitated codebook.

Customers (random points with integer demands) are split among vehicles by
``CapacitatedCodebook`` (no vehicle over its capacity, demands not split);
then each vehicle's route from the depot is built by nearest neighbour and
improved by 2-opt. Prints loads, distortion against the unconstrained codebook,
route lengths and run time.

Run: ``python scripts/vehicle_routing.py [--customers 1000] [--vehicles 10] [--plot routes.png]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.spatial.distance import cdist

from vqtoolkit import CapacitatedCodebook, Codebook


def route(points, depot):
    """Closed tour depot -> points -> depot: nearest neighbour, then 2-opt. Returns (order, length)."""
    P = np.vstack([depot, points])
    D = cdist(P, P)
    tour, left = [0], set(range(1, len(P)))
    while left:
        nxt = min(left, key=lambda j: D[tour[-1], j])
        tour.append(nxt)
        left.remove(nxt)
    tour.append(0)
    improved = True
    while improved:
        improved = False
        for i in range(1, len(tour) - 2):
            a, b = tour[i - 1], tour[i]
            c, d = tour[i + 1:-1], tour[i + 2:]
            gain = D[a, c] + D[b, d] - D[a, b] - np.asarray([D[x, y] for x, y in zip(c, d)])
            if gain.size and gain.min() < -1e-9:
                j = i + 1 + int(np.argmin(gain))
                tour[i:j + 1] = tour[i:j + 1][::-1]
                improved = True
    length = float(sum(D[tour[t], tour[t + 1]] for t in range(len(tour) - 1)))
    return [t - 1 for t in tour[1:-1]], length


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=1000)
    ap.add_argument("--vehicles", type=int, default=10)
    ap.add_argument("--slack", type=float, default=0.05, help="spare capacity fraction")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--plot", help="save a figure of the routes to this file")
    args = ap.parse_args(argv)
    rng = np.random.RandomState(args.seed)
    X = rng.rand(args.customers, 2) * 100
    demand = rng.randint(1, 31, size=args.customers)
    capacity = float(np.ceil(demand.sum() / args.vehicles * (1 + args.slack)))
    depot = np.array([50.0, 50.0])

    t = time.perf_counter()
    cb = CapacitatedCodebook(args.vehicles, capacity, demand=demand, random_state=args.seed).fit(X)
    t_cluster = time.perf_counter() - t
    free = Codebook(args.vehicles, random_state=args.seed).fit(X)
    free_loads = np.bincount(free.labels_, weights=demand, minlength=args.vehicles)

    print(f"{args.customers} customers, total demand {demand.sum()}, {args.vehicles} vehicles of "
          f"capacity {capacity:g}")
    print(f"clustering: {t_cluster:.2f} s, {cb.n_iter_} alternations, certified gap of the last "
          f"assignment {cb.optimality_gap_:.1e}")
    print(f"distortion: capacitated {cb.distortion_:.3f} vs unconstrained {free.distortion_:.3f} "
          f"(+{100 * (cb.distortion_ / free.distortion_ - 1):.2f} %); unconstrained loads up to "
          f"{free_loads.max():.0f} ({int((free_loads > capacity).sum())} vehicles over capacity)")
    total = 0.0
    routes = []
    print(f"{'vehicle':>7s} {'customers':>9s} {'load':>6s} {'route':>8s}")
    for j in range(args.vehicles):
        idx = np.flatnonzero(cb.labels_ == j)
        order, length = route(X[idx], depot)
        routes.append(idx[order])
        total += length
        print(f"{j:7d} {idx.size:9d} {cb.loads_[j]:6.0f} {length:8.1f}")
    assert (cb.loads_ <= capacity).all()
    print(f"total route length {total:.1f}")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 6))
        for r in routes:
            path = np.vstack([depot, X[r], depot])
            ax.plot(path[:, 0], path[:, 1], "-", lw=0.8)
            ax.scatter(X[r, 0], X[r, 1], s=4)
        ax.plot(*depot, "k*", ms=12)
        ax.set_title("cluster first (capacitated codebook), route second (2-opt)")
        fig.savefig(args.plot, dpi=120)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
