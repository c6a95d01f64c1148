"""Make the table of dip quantiles under the uniform null used by vqtoolkit.selection._unimodality.

Simulates ``sqrt(n) * dip`` for uniform samples of each size ``n`` (seeded, so the
table is reproducible) and prints the ``_LEVELS`` / ``_NS`` / ``_TABLE`` literals.

Usage::

    python scripts/dip_null_table.py
"""

from __future__ import annotations

import numpy as np

from vqtoolkit.selection._unimodality import _dip_sorted

LEVELS = [0.0, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999]
SIZES = [4, 5, 6, 8, 10, 15, 20, 30, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000]


def reps_for(n):
    return 20000 if n <= 1000 else 5000 if n <= 5000 else 2000


def main():
    rng = np.random.RandomState(20240601)
    rows = []
    for n in SIZES:
        s = np.array([_dip_sorted(np.sort(rng.uniform(size=n))) for _ in range(reps_for(n))])
        s *= np.sqrt(n)
        q = np.quantile(s, LEVELS[1:])
        rows.append([0.5 / np.sqrt(n), *q])  # level 0: the smallest possible dip, 1 / (2n)
    print("_LEVELS = np.array(" + repr(LEVELS) + ")")
    print("_NS = np.array(" + repr([float(n) for n in SIZES]) + ")")
    print("_TABLE = np.array([")
    for n, r in zip(SIZES, rows):
        vals = [f"{v:.4f}" for v in r]
        print(f"    # n = {n}")
        print("    [" + ", ".join(vals[:8]) + ",")
        print("     " + ", ".join(vals[8:]) + "],")
    print("])")


if __name__ == "__main__":
    main()
