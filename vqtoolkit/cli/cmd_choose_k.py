"""``vqtoolkit choose-k``: choose the number of codewords for a feature file and print the curve."""

from __future__ import annotations

import sys

__all__ = ["register", "run", "read_features"]

_HELP = """\
Choose the number of codewords k for FEATURES and print the per-k table (or the
G-means / X-means rounds) with the choice marked by '*'.

FEATURES is a .npy file, a .npz file (the array 'X', else the first array), a
.csv/.txt file of numbers (comma- or whitespace-separated; a header line is
skipped) or a whitespace-separated .data.gz file as in the clustering benchmarks.

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
    p.add_argument("features", metavar="FEATURES", help=".npy, .npz, .csv/.txt or .data.gz file")
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

    X = read_features(args.features)
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
        path = result.codebook.save(args.output)
        print(f"vqtoolkit: wrote {path}", file=sys.stderr)
    return 0


def read_features(path):
    """Read a feature matrix from ``.npy``, ``.npz``, ``.csv``/``.txt`` or ``.data.gz``.

    Returns
    -------
    ndarray of shape (n_samples, n_features)
    """
    import numpy as np

    from ..errors import FileFormatError

    name = str(path).lower()
    try:
        if name.endswith(".npy"):
            X = np.load(path, allow_pickle=False)
        elif name.endswith(".npz"):
            with np.load(path, allow_pickle=False) as z:
                if not z.files:
                    raise FileFormatError(f"{path}: the .npz archive holds no array")
                X = z["X"] if "X" in z.files else z[z.files[0]]
        elif name.endswith((".csv", ".txt", ".data.gz", ".data", ".gz")):
            X = _read_text(path)
        else:
            raise FileFormatError(
                f"{path}: unknown feature file type; expected .npy, .npz, .csv, .txt or .data.gz"
            )
    except (ValueError, EOFError) as exc:
        if isinstance(exc, FileFormatError):
            raise
        raise FileFormatError(f"{path}: cannot be read as a feature matrix ({exc})") from None
    X = np.asarray(X)
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    if X.ndim != 2 or X.dtype.kind not in "biuf":
        raise FileFormatError(
            f"{path}: expected a 2-D numeric array, got shape {X.shape} and dtype {X.dtype}"
        )
    return X


def _read_text(path):
    import numpy as np

    opener = open
    if str(path).lower().endswith(".gz"):
        import gzip

        opener = gzip.open
    with opener(path, "rt") as f:
        lines = [ln for ln in f.read().splitlines() if ln.strip()]
    if not lines:
        raise ValueError("the file is empty")
    delimiter = "," if "," in lines[0] else None
    try:
        float(lines[0].replace(",", " ").split()[0])
    except ValueError:  # a header line
        lines = lines[1:]
    return np.loadtxt(lines, delimiter=delimiter, ndmin=2)
