"""``vqtoolkit match``: score audio files (or a FeatureSet) against a saved Matcher."""

from __future__ import annotations

import argparse

__all__ = ["register", "run"]

_HELP = """\
Score every input against every class codebook of a model made by
'vqtoolkit train' and print, per input, the best class, the n best classes and
the distortion against each class (lower is a better match). The model's own
MFCC settings are applied to audio files.

examples:
  vqtoolkit match speakers.npz new_recording.wav
  vqtoolkit match digits.npz 'recordings/*_[0-4].wav' --top 3 --format csv -o matches.csv
"""


def register(subparsers) -> None:
    """Add the ``match`` sub-command."""
    from .cmd_train import add_input_options

    p = subparsers.add_parser(
        "match", help="best class of each input by quantization distortion",
        description=_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", help="matcher file (.npz) from 'vqtoolkit train'")
    add_input_options(p, features=False)
    p.add_argument("--top", type=int, default=1, help="how many best classes to list (1)")
    p.add_argument("--normalize", default=None, choices=["min", "cohort", "zscore"],
                   help="also report normalised scores")
    p.add_argument("--format", default="json", choices=["json", "csv"], help="json (default) or csv")
    p.add_argument("-o", "--output", default=None, help="write here instead of stdout")
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``match``."""
    from ..errors import ParameterError
    from .cmd_train import emit, load_matcher, read_inputs

    model = load_matcher(args.model)
    if args.top < 1 or args.top > model.classes_.size:
        raise ParameterError(f"--top {args.top} must be between 1 and {model.classes_.size}")
    fs, _ = read_inputs(args, model.features, need_labels=False)
    model.verbose = args.progress
    scores = model.score(fs)
    top = scores.top_n(args.top)
    norm = scores.normalized(args.normalize) if args.normalize else None
    rows = []
    for i, f in enumerate(fs.files):
        row = {"input": f, "predicted": _py(top[i, 0])}
        if args.top > 1:
            row["top"] = " ".join(str(c) for c in top[i])
        for j, c in enumerate(scores.classes):
            row[f"distortion[{c}]"] = float(scores.distortion[i, j])
            if norm is not None:
                row[f"{args.normalize}[{c}]"] = float(norm[i, j])
        rows.append(row)
    emit(rows, fmt=args.format, output=args.output)
    return 0


def _py(v):
    return v.item() if hasattr(v, "item") else v
