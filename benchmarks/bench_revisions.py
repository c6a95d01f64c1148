"""No-regression check: this checkout against an older revision, interleaved in one run.

The older revision is checked out into a temporary git worktree; every
measurement runs in a fresh subprocess that imports vqtoolkit from one tree or
the other (``PYTHONPATH``), alternating old / new ``--repeats`` times, so
background load hits both alike. Measured, as in ``bench_kmeans.py`` and
``bench_text.py``: seconds per iteration of the whole
``Codebook(k, init=C0, max_iter=10, tol=0, algorithm=...).fit(X)`` on the
three dense shapes (float32), and of the spherical fit on a 20,000 x 50,000
TF-IDF-like CSR matrix (k = 20). Printed: medians, and new / old.

Usage: python benchmarks/bench_revisions.py OLD_REVISION [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

CASES = [("dense", 200_000, 13, 64, "hamerly"), ("dense", 200_000, 13, 64, "lloyd"),
         ("dense", 200_000, 39, 256, "hamerly"), ("dense", 200_000, 39, 256, "lloyd"),
         ("dense", 100_000, 128, 1024, "hamerly"), ("dense", 100_000, 128, 1024, "lloyd"),
         ("text", 20_000, 50_000, 20, "auto")]

CHILD = r"""
import json, os, sys, time
# import vqtoolkit from VQ_TREE, ahead of the editable install's finder
sys.meta_path = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path.insert(0, os.environ["VQ_TREE"])
sys.path.insert(0, {bench!r})
kind, n, d, k, algorithm = json.loads(sys.argv[1])
import numpy as np
import vqtoolkit
from vqtoolkit import Codebook
if kind == "dense":
    from bench_kmeans import make_data
    X, C0 = make_data(n, d, k)
    metric = "euclidean"
else:
    from bench_text import make_corpus
    X = make_corpus(n, d, k, 120)[0]
    C0 = X[np.random.RandomState(0).choice(n, k, replace=False)].toarray()
    metric = "cosine"
fit = lambda: Codebook(k, init=C0, max_iter=10, tol=0, metric=metric, algorithm=algorithm,
                       n_threads=2).fit(X)
fit()  # warm: numba caches, BLAS threads
t = time.perf_counter()
cb = fit()
print(json.dumps({{"s_per_iter": (time.perf_counter() - t) / cb.n_iter_,
                   "file": vqtoolkit.__file__}}))
"""


def measure(tree, case):
    env = dict(os.environ, VQ_TREE=tree)
    out = subprocess.run([sys.executable, "-c", CHILD.format(bench=HERE), json.dumps(case)],
                         env=env, capture_output=True, text=True, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    if not res["file"].startswith(tree):
        raise RuntimeError(f"imported {res['file']}, not from {tree}")
    return res["s_per_iter"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--only", nargs="*", help="run only the cases whose name contains one of these")
    args = ap.parse_args(argv)
    import numpy  # noqa: F401 - loads the BLAS threadpoolctl reports
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_info

    print("BLAS:", ", ".join(f"{i['internal_api']} {i.get('version')} {i.get('architecture')}"
                             for i in threadpool_info() if i["user_api"] == "blas"),
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}")
    with tempfile.TemporaryDirectory() as tmp:
        old_tree = os.path.join(tmp, "old")
        subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", old_tree, args.old],
                       check=True, capture_output=True)
        try:
            rev = subprocess.run(["git", "-C", old_tree, "rev-parse", "--short", "HEAD"],
                                 capture_output=True, text=True, check=True).stdout.strip()
            head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                                  capture_output=True, text=True, check=True).stdout.strip()
            print(f"old: {rev}, new: {head} (+ working tree); {args.repeats} alternating runs each\n")
            print(f"{'case':34s} {'old s/it':>9s} {'new s/it':>9s} {'new/old':>8s}")
            for case in CASES:
                kind, n, d, k, algorithm = case
                name = f"{kind} {n:,}x{d:,} k={k} {algorithm}"
                if args.only and not any(o in name for o in args.only):
                    continue
                old, new = [], []
                for _ in range(args.repeats):
                    old.append(measure(old_tree, case))
                    new.append(measure(ROOT, case))
                mo, mn = sorted(old)[len(old) // 2], sorted(new)[len(new) // 2]
                print(f"{name:34s} {mo:9.4f} {mn:9.4f} {mn / mo:8.3f}", flush=True)
        finally:
            subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", old_tree],
                           capture_output=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
