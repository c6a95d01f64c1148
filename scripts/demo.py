"""``make demo``: the main jobs end to end on the data this machine has.

Runs each demo section that exists, in order:

1. ``_demo_codebook.py``: a k-means codebook on Fränti's S1 benchmark
   (distortion, centroid index against the reference codebook, codebook file);
   a generated Gaussian mixture when the data is missing.
2. ``_demo_matching.py``: speaker and digit recognition on FSDD (synthetic
   vowels when FSDD is missing), accuracy tables, confusion matrix.
3. ``_demo_plots.py``: pictures of clusters and codebooks.

Missing data sets are fetched first (progress bar on stderr) when
``$VQTOOLKIT_DATA_MIRROR`` is set or the network answers within a few seconds;
otherwise, or with ``--no-fetch``, the demo goes on at once. Every section
prints what it does and where it writes; a missing data set is never an error:
the section says where it looked and uses generated data.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

SECTIONS = ["_demo_codebook", "_demo_matching", "_demo_plots"]
#: what the sections read: S1, A3, wine and the S-set codebooks (2.3 MB), then FSDD (21 MB)
NEEDED = ["clustering", "fsdd"]
PROBE_TIMEOUT = 5.0  # seconds: an unreachable host costs the demo this much, once


def fetch_missing(names=NEEDED, *, timeout=PROBE_TIMEOUT) -> list[str]:
    """Fetch the data sets the demo reads that no data home holds; return the ones fetched.

    The first download doubles as the network probe: when it fails (offline,
    no mirror) the rest is not tried and the sections use generated data.
    """
    from vqtoolkit.datasets import download_home, fetch, status
    from vqtoolkit.errors import VQError

    missing = [n for n in names if not status(n).complete]
    fetched = []
    for n in missing:
        try:
            r = fetch(n, verbose=True, timeout=timeout if not fetched else 30.0)
        except VQError as exc:
            print(f"could not fetch {n} ({exc}); the demo uses generated data instead", flush=True)
            break
        print(f"fetched {n}: {r.n_downloaded:,} files into {r.path} (from {r.source})", flush=True)
        fetched.append(n)
    if missing and not fetched:
        print(f"(set VQTOOLKIT_DATA_MIRROR, or run `vqtoolkit fetch {' '.join(missing)}` online; "
              f"data goes to {download_home()})", flush=True)
    return fetched



def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="folder for files and pictures (default: out)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-fetch", action="store_true",
                        help="never download: use the data found, else generated data")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if not args.no_fetch:
        fetch_missing()
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
