"""``vqtoolkit evaluate``: accuracy, confusion matrix, per-class report and EER on labelled inputs."""

from __future__ import annotations

import argparse

__all__ = ["register", "run"]

_HELP = """\
Evaluate a model made by 'vqtoolkit train' on labelled inputs: identification
accuracy, confusion matrix, per-class precision / recall / F1, and the
verification equal error rate (every input against every class, cohort-
normalised distortion). Labels come from the file names (--label-regex, --label).

examples:
  vqtoolkit evaluate speakers.npz '../shared/data/fsdd/recordings/*_[0-4].wav' --label speaker
  vqtoolkit evaluate digits.npz fsdd_test.npz --label digit --format csv -o report.csv
"""


def register(subparsers) -> None:
    """Add the ``evaluate`` sub-command."""
    from .cmd_train import add_input_options

    p = subparsers.add_parser(
        "evaluate", help="accuracy, confusion matrix and EER of a model on labelled inputs",
        description=_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", help="matcher file (.npz) from 'vqtoolkit train'")
    add_input_options(p, features=False)
    p.add_argument("--format", default="json", choices=["json", "csv"],
                   help="json (everything, default) or csv (per-class report)")
    p.add_argument("-o", "--output", default=None, help="write here instead of stdout")
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``evaluate``."""
    import sys

    import numpy as np

    from .. import evaluation as ev
    from .cmd_train import emit, load_matcher, read_inputs

    model = load_matcher(args.model)
    fs, labels = read_inputs(args, model.features, need_labels=True)
    model.verbose = args.progress
    scores = model.score(fs)
    known = np.isin(labels.astype(str), model.classes_.astype(str))
    if not known.all():
        print(f"vqtoolkit: {int((~known).sum())} inputs have classes the model does not know; "
              "they count as errors", file=sys.stderr)
    pred = scores.predict().astype(str)
    truth = labels.astype(str)
    acc = ev.accuracy(truth, pred)
    conf = ev.confusion_matrix(truth, pred)
    report = ev.per_class_report(truth, pred)
    eer = None
    if known.any():
        trials = ev.verification_trials(
            type(scores)(scores.distortion[known], scores.classes), truth[known])
        eer = ev.equal_error_rate(trials.is_target, trials.score)
    print(f"vqtoolkit: accuracy {acc:.4f} on {len(truth)} inputs"
          + (f", EER {eer.eer:.4f}" if eer else ""), file=sys.stderr)
    rows = [{"class": c, **{k: v for k, v in r.items()}}
            for c, r in report.items() if isinstance(r, dict)]
    document = {
        "model": str(args.model),
        "n_inputs": len(truth),
        "accuracy": acc,
        "eer": None if eer is None else eer.eer,
        "eer_threshold": None if eer is None else eer.threshold,
        "confusion": conf.to_dict(),
        "per_class": report,
    }
    emit(rows, fmt=args.format, output=args.output, document=document)
    return 0
