"""``make demo``: the main jobs end to end on the data this machine has.

Runs each demo section that exists, in order:

1. ``_demo_codebook.py``: a k-means codebook on Fränti's S1 benchmark
   (distortion, centroid index against the reference codebook, codebook file);
   a generated Gaussian mixture when the data is missing.
2. ``_demo_matching.py``: speaker and digit recognition on FSDD (synthetic
   vowels when FSDD is missing), accuracy tables, confusion matrix.
3. ``_demo_plots.py``: pictures of clusters and codebooks.

Every section prints what it does and where it writes; a missing data set is
never an error: the section says where it looked and uses generated data.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

SECTIONS = ["_demo_codebook", "_demo_matching", "_demo_plots"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="folder for files and pictures (default: out)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    here = Path(__file__).resolve().parent
    for name in SECTIONS:
        path = here / f"{name}.py"
        if not path.exists():
            continue
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        t0 = time.perf_counter()
        print(f"\n=== {module.TITLE}", flush=True)
        module.run(out=out, seed=args.seed)
        print(f"    ({time.perf_counter() - t0:.1f} s)", flush=True)
    print(f"\nall outputs are in {out.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
