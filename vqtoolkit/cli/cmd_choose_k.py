"""``vqtoolkit choose-k``: choose the number of codewords for a feature file and print the curve."""

from __future__ import annotations

import sys

__all__ = ["register", "run"]

_HELP = """\
Choose the number of codewords k for FEATURES and print the per-k table (or the
G-means / X-means rounds) with the choice marked by '*'.

FEATURES is a .npy file, a .npz file (a FeatureSet, the array 'X', or its only
array), or a .csv/.tsv/.txt/.data file of numbers, optionally .gz-compressed
(comma- or whitespace-separated; a header row is skipped), such as the .data.gz
files of the clustering benchmarks.

example:
  vqtoolkit choose-k ../shared/data/clustering/sipu/a1.data.gz --method gmeans
  vqtoolkit choose-k feats.npy --method silhouette --k-min 2 --k-max 20
"""


def register(subparsers) -> None:
    """Add the ``choose-k`` sub-command."""
    import argparse

    from ..selection import METHODS

    p = subparsers.add_parser(
        "choose-k", help="choose the number of codewords (G-means, X-means, elbow, …)",
        description=_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("features", metavar="FEATURES", help=".npy, .npz, .csv/.tsv/.txt or .data.gz file")
    p.add_argument("--method", default="gmeans", choices=METHODS)
    p.add_argument("--k-min", type=int, default=None, help="smallest k (default 1)")
    p.add_argument("--k-max", type=int, default=None,
                   help="largest k (default 30 for curves, n/8 for G-means/X-means)")
    p.add_argument("--alpha", type=float, default=1e-4,
                   help="G-means Anderson-Darling significance level (default 1e-4)")
    p.add_argument("--split-test", default="ad+dip", choices=("ad+dip", "ad"),
                   help="G-means split rule: normality and dip test with a final merge (default), "
                        "or Hamerly & Elkan's normality test alone")
    p.add_argument("--dip-alpha", type=float, default=0.05, help="G-means dip test level (default 0.05)")
    p.add_argument("--whiten", default=None, choices=("scale", "standard", "pca", "zca"))
    p.add_argument("--seed", type=int, default=0, help="random_state (default 0)")
    p.add_argument("-o", "--output", default=None, help="save the chosen codebook (.npz)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``choose-k``; return 0."""
    from ..selection import choose_k
    from ._arrays import read_array

    X = read_array(args.features)
    k_range = None
    if args.k_min is not None or args.k_max is not None:
        n = X.shape[0]
        curve = args.method not in ("gmeans", "xmeans")
        lo = 1 if args.k_min is None else args.k_min
        hi = args.k_max if args.k_max is not None else (min(30, n - 1) if curve else max(1, n // 8))
        k_range = range(lo, hi + 1) if curve else (lo, hi)
        if lo > hi:
            from ..errors import ParameterError

            raise ParameterError(f"--k-min={lo} is larger than --k-max={hi}")
    result = choose_k(X, method=args.method, k_range=k_range, alpha=args.alpha,
                      split_test=args.split_test, dip_alpha=args.dip_alpha, whiten=args.whiten,
                      random_state=args.seed, progress=not args.quiet)
    print(f"# {args.features}: {X.shape[0]} observations x {X.shape[1]} features")
    print(result.table())
    if args.output:
        from ..codebook import Codebook

        cb = Codebook(result.k, init=result.codewords, whiten=args.whiten, random_state=args.seed)
        path = cb.fit(X).save(args.output)
        print(f"vqtoolkit: wrote {path}", file=sys.stderr)
    return 0
