"""``vqtoolkit plot``: pictures of a saved codebook (or matcher) and a feature file."""

from __future__ import annotations

import sys

__all__ = ["register", "run"]

KINDS = ("clusters", "codebook", "sequence")

_HELP = """\
Draw a saved codebook (or one class's codebook of a saved matcher) with a feature
file, to a picture file. The suffix of -o picks the format: .png, .pdf, .svg,
.eps, .ps, .jpg, .tif, .webp ... (every format matplotlib writes).

kinds:
  clusters   observations coloured by code, codewords marked (PCA, Isomap or
             t-SNE projection for more than 3 features)          needs FEATURES
  codebook   heatmap codewords x features in original units
  sequence   one utterance's feature matrix with its code sequence
             (FEATURES must be a FeatureSet .npz from 'vqtoolkit extract')

FEATURES: a FeatureSet .npz, a .npy / .npz matrix, or a CSV / text matrix with or
without a header row, optionally .gz-compressed (rows = observations).

examples:
  vqtoolkit plot out/s1_codebook.npz features.npy -o clusters.png
  vqtoolkit plot out/s1_codebook.npz -o codebook.pdf
  vqtoolkit plot speakers.npz fsdd.npz --class george --kind sequence --utterance 3 -o seq.svg
"""


def register(subparsers) -> None:
    """Add the ``plot`` sub-command."""
    import argparse

    p = subparsers.add_parser(
        "plot", help="pictures of a saved codebook or matcher and a feature file",
        description=_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", metavar="MODEL", help="codebook or matcher .npz written by save()")
    p.add_argument("features", metavar="FEATURES", nargs="?", default=None,
                   help="feature file (.npz FeatureSet, .npy, .csv, .tsv or .txt)")
    p.add_argument("-o", "--output", required=True,
                   help="picture to write; its suffix picks the format (.png, .pdf, .svg, ...)")
    p.add_argument("--kind", choices=KINDS, default=None,
                   help="what to draw (default: clusters with FEATURES, else codebook)")
    p.add_argument("--projection", choices=("pca", "isomap", "tsne", "none"), default="pca",
                   help="projection for more than 3 features (default pca)")
    p.add_argument("--class", dest="class_name", default=None,
                   help="for a matcher: the class whose codebook to draw")
    p.add_argument("--utterance", type=int, default=0, help="utterance index for --kind sequence")
    p.add_argument("--max-points", type=int, default=50_000, help="draw at most this many observations")
    p.add_argument("--seed", type=int, default=0, help="random seed for subsets and projections")
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``plot``; return 0 on success."""
    from .. import plotting
    from ..errors import ParameterError
    from ..io import load
    from ..plotting._common import check_save_path
    from ._arrays import read_features

    check_save_path(args.output, label=f"-o {args.output}")  # before any work starts
    model = _codebook_of(load(args.model), args.class_name, args.model)
    kind = args.kind or ("clusters" if args.features else "codebook")
    if kind == "codebook":
        fig = plotting.plot_codebook(model, path=args.output)
    else:
        if args.features is None:
            raise ParameterError(f"--kind {kind} needs a FEATURES file")
        X, featureset = read_features(args.features)
        if kind == "clusters":
            projection = None if args.projection == "none" else args.projection
            fig = plotting.plot_clusters(X, None, codebook=model, projection=projection,
                                         max_points=args.max_points, random_state=args.seed,
                                         path=args.output)
        else:
            if featureset is None:
                raise ParameterError(f"{args.features}: --kind sequence needs a FeatureSet .npz "
                                     "(written by 'vqtoolkit extract')")
            n = len(featureset)
            if not 0 <= args.utterance < n:
                raise ParameterError(f"--utterance {args.utterance} is out of range; "
                                     f"{args.features} holds {n} utterances")
            rate = _frame_rate(featureset)
            fig = plotting.plot_code_sequence(
                featureset[args.utterance], codebook=model, frame_rate=rate,
                title=featureset.index[args.utterance].file, path=args.output,
            )
    n_axes = len(fig.axes)
    print(f"vqtoolkit: wrote {args.output} ({kind}, {n_axes} axes)", file=sys.stderr)
    return 0


def _codebook_of(model, class_name, path):
    from ..errors import ParameterError

    if hasattr(model, "codebook_") and class_name is None:
        return model
    books = getattr(model, "codebooks_", None)
    if books is None:
        raise ParameterError(f"{path}: holds a {type(model).__name__} without codebooks to draw")
    classes = [str(c) for c in getattr(model, "classes_", range(len(books)))]
    if isinstance(books, dict):
        classes = [str(c) for c in books]
        books = list(books.values())
    if class_name is None:
        raise ParameterError(f"{path} is a matcher; choose a codebook with --class (one of {classes})")
    if class_name not in classes:
        raise ParameterError(f"--class {class_name!r} is not in {path}; classes are {classes}")
    return books[classes.index(class_name)]


def _frame_rate(featureset):
    """Frames per second from the extractor settings, or None when the sample rate is unknown."""
    try:
        extractor = featureset.extractor
        sr = getattr(extractor, "sr", None)
        if extractor is None or not sr:
            return None
        return sr / extractor.frame_params(sr)[2]
    except Exception:  # noqa: BLE001 - a picture without a time axis is still useful
        return None
