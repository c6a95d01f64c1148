"""``vqtoolkit choose-k``: choose the number of codewords for a feature file; the curve as text or JSON."""

from __future__ import annotations

import sys

from ._options import add_progress_options

__all__ = ["register", "run", "k_range", "K_MIN", "K_MAX_CURVE"]

#: the k range when --k-min / --k-max are not given (each bound on its own)
K_MIN = 2
K_MAX_CURVE = 30

_HELP = f"""\
Choose the number of codewords k for FEATURES and print the per-k table (or the
G-means / X-means rounds) with the choice marked by '*', or, with --format json,
one JSON document: {{"k", "method", "features", "n_samples", "n_features",
"criterion", "codewords", and "curve": [{{"k", "score"}}, ...] for the curve
methods (plus "s_k" for gap), or "rounds": [{{"k", "score"}}, ...] and
"history": [every split test] for gmeans / xmeans}}.

FEATURES is a .npy file, a .npz file (a FeatureSet, the array 'X', or its only
array), or a .csv/.tsv/.txt/.data file of numbers, optionally .gz-compressed
(comma- or whitespace-separated; a header row is skipped), such as the .data.gz
files of the clustering benchmarks.

k range: --k-min defaults to {K_MIN} for every method (X-means started from one
cluster often never splits; silhouette, Calinski-Harabasz and Davies-Bouldin
need two clusters; pass --k-min 1 to let gmeans, elbow or gap answer "one
cluster"). --k-max defaults to min({K_MAX_CURVE}, n - 1) for the curves and to n/8
for gmeans / xmeans (a limit they stop below). Each bound takes its default
whether or not the other is given.

examples:
  vqtoolkit choose-k ../shared/data/clustering/sipu/a1.data.gz --method gmeans
  vqtoolkit choose-k feats.npy --method silhouette --k-min 2 --k-max 20
  vqtoolkit choose-k feats.npy --method xmeans --k-max 10 --format json -q > k.json
"""


def register(subparsers) -> None:
    """Add the ``choose-k`` sub-command."""
    import argparse

    from ..selection import METHODS
    from . import EXIT_CODES_HELP

    p = subparsers.add_parser(
        "choose-k", help="choose the number of codewords (G-means, X-means, elbow, …)",
        description=_HELP, epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("features", metavar="FEATURES", help=".npy, .npz, .csv/.tsv/.txt or .data.gz file")
    p.add_argument("--method", default="gmeans", choices=METHODS)
    p.add_argument("--k-min", type=int, default=None, help=f"smallest k (default {K_MIN})")
    p.add_argument("--k-max", type=int, default=None,
                   help=f"largest k (default min({K_MAX_CURVE}, n - 1) for curves, n/8 for "
                        "G-means/X-means)")
    p.add_argument("--alpha", type=float, default=1e-4,
                   help="G-means Anderson-Darling significance level (default 1e-4)")
    p.add_argument("--split-test", default="ad+dip", choices=("ad+dip", "ad"),
                   help="G-means split rule: normality and dip test with a final merge (default), "
                        "or Hamerly & Elkan's normality test alone")
    p.add_argument("--dip-alpha", type=float, default=0.05, help="G-means dip test level (default 0.05)")
    p.add_argument("--whiten", default=None, choices=("scale", "standard", "pca", "zca"))
    p.add_argument("--seed", type=int, default=0, help="random_state (default 0)")
    p.add_argument("--format", default="text", choices=("text", "json"),
                   help="stdout: the table (default) or one JSON document")
    p.add_argument("-o", "--output", default=None, help="save the chosen codebook (.npz)")
    add_progress_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``choose-k``; return 0."""
    from ..selection import choose_k
    from ._arrays import read_array

    X = read_array(args.features)
    result = choose_k(X, method=args.method, k_range=k_range(args, X.shape[0]), alpha=args.alpha,
                      split_test=args.split_test, dip_alpha=args.dip_alpha, whiten=args.whiten,
                      random_state=args.seed, verbose=args.progress)
    if args.format == "json":
        import json

        doc = result.to_dict()
        doc = {"k": doc.pop("k"), "method": doc.pop("method"), "features": str(args.features),
               "n_samples": int(X.shape[0]), "n_features": int(X.shape[1]), **doc}
        print(json.dumps(doc, indent=2))
    else:
        print(f"# {args.features}: {X.shape[0]} observations x {X.shape[1]} features")
        print(result.table())
    if args.output:
        from ..codebook import Codebook

        cb = Codebook(result.k, init=result.codewords, whiten=args.whiten, random_state=args.seed)
        path = cb.fit(X).save(args.output)
        print(f"vqtoolkit: wrote {path}", file=sys.stderr)
    return 0


def k_range(args, n):
    """The ``k_range`` given to :func:`~vqtoolkit.selection.choose_k`: each bound or its default.

    Curves: ``range(k_min, k_max + 1)``; G-means / X-means: ``(k_min, k_max)``.
    """
    from ..errors import ParameterError

    curve = args.method not in ("gmeans", "xmeans")
    lo = K_MIN if args.k_min is None else args.k_min
    if args.k_max is not None:
        hi = args.k_max
    else:  # never below k_min; inputs with too few rows are refused by the bounds check below
        hi = max(lo, min(K_MAX_CURVE, n - 1) if curve else n // 8)
    if lo < 1:
        raise ParameterError(f"--k-min={lo} must be at least 1")
    if lo > hi:
        raise ParameterError(f"--k-min={lo} is larger than --k-max={hi}")
    if hi > n:
        raise ParameterError(f"--k-max={hi} is larger than the number of observations ({n}) "
                             f"in {args.features}")
    return range(lo, hi + 1) if curve else (lo, hi)
