"""``vqtoolkit match``: score audio files (or a FeatureSet) against a saved Matcher."""

from __future__ import annotations

import argparse

__all__ = ["register", "run"]

_HELP = """\
Score every input against every class codebook of a model made by
'vqtoolkit train' and print, per input, the best class, the classes ranked best
first and the distortion against each class (lower is a better match). The
model's own MFCC settings are applied to audio files.

output (--format json, the default): a list with one object per input,
  {"input": FILE, "prediction": CLASS, "scores": {CLASS: distortion, ...},
   "ranking": [CLASS, ...]}            best class first; --top N keeps the N best
  plus "normalized": {"method": M, "scores": {CLASS: score, ...}} with --normalize M.
--format csv: one row per input: input, predicted, top (with --top > 1),
  distortion[CLASS] ... and M[CLASS] ... with --normalize M.

examples:
  vqtoolkit match speakers.npz new_recording.wav
  vqtoolkit match digits.npz 'recordings/*_[0-4].wav' --top 3 --format csv -o matches.csv

"""


def register(subparsers) -> None:
    """Add the ``match`` sub-command."""
    from . import EXIT_CODES_HELP
    from .cmd_train import LABELS_HELP, add_input_options

    p = subparsers.add_parser(
        "match", help="best class of each input by quantization distortion",
        description=_HELP + LABELS_HELP, epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", help="matcher file (.npz) from 'vqtoolkit train'")
    add_input_options(p, features=False)
    p.add_argument("--top", type=int, default=None,
                   help="how many best classes to list (JSON: all; CSV: 1)")
    p.add_argument("--normalize", default=None, choices=["min", "cohort", "zscore"],
                   help="also report normalised scores")
    p.add_argument("--format", default="json", choices=["json", "csv"], help="json (default) or csv")
    p.add_argument("-o", "--output", default=None, help="write here instead of stdout")
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``match``; return 0, or 1 when some inputs were skipped."""
    from ..errors import ParameterError
    from . import EXIT_OK, EXIT_PARTIAL
    from .cmd_train import emit, load_matcher, read_inputs

    model = load_matcher(args.model)
    n_classes = model.classes_.size
    if args.top is not None and not 1 <= args.top <= n_classes:
        raise ParameterError(f"--top {args.top} must be between 1 and {n_classes}")
    fs, _, failed = read_inputs(args, model.features, need_labels=False)
    model.verbose = args.progress
    scores = model.score(fs)
    norm = scores.normalized(args.normalize) if args.normalize else None
    if args.format == "csv":
        rows = _csv_rows(fs.files, scores, norm, args.normalize, args.top or 1)
        emit(rows, fmt="csv", output=args.output)
    else:
        ranking = scores.top_n(args.top or n_classes)
        names = [str(c) for c in scores.classes]
        doc = []
        for i, f in enumerate(fs.files):
            entry = {
                "input": f,
                "prediction": str(ranking[i, 0]),  # class names are strings, as JSON keys are
                "scores": dict(zip(names, scores.distortion[i].tolist())),
                "ranking": [str(c) for c in ranking[i]],
            }
            if norm is not None:
                entry["normalized"] = {"method": args.normalize,
                                       "scores": dict(zip(names, norm[i].tolist()))}
            doc.append(entry)
        emit(doc, fmt="json", output=args.output)
    return EXIT_PARTIAL if failed else EXIT_OK


def _csv_rows(files, scores, norm, method, top):
    """Flat rows: input, predicted, top (when top > 1), distortion[c] ..., method[c] ..."""
    best = scores.top_n(top)
    rows = []
    for i, f in enumerate(files):
        row = {"input": f, "predicted": _py(best[i, 0])}
        if top > 1:
            row["top"] = " ".join(str(c) for c in best[i])
        for j, c in enumerate(scores.classes):
            row[f"distortion[{c}]"] = float(scores.distortion[i, j])
            if norm is not None:
                row[f"{method}[{c}]"] = float(norm[i, j])
        rows.append(row)
    return rows


def _py(v):
    return v.item() if hasattr(v, "item") else v
