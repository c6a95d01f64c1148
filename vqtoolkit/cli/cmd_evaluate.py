"""``vqtoolkit evaluate``: accuracy, confusion matrix, per-class report and EER on labelled inputs."""

from __future__ import annotations

import argparse

__all__ = ["register", "run"]

_HELP = """\
Evaluate a model made by 'vqtoolkit train' on labelled inputs: identification
accuracy, confusion matrix, per-class precision / recall / F1, and the
verification equal error rate (every input against every class, cohort-
normalised distortion). Labels come from the label rules below.

output (--format json, the default): one object,
  {"model": FILE, "n_inputs": N, "accuracy": A,
   "per_class": {CLASS: {"precision", "recall", "f1", "support"}, ...},
   "averages": {"macro": {...}, "weighted": {...}},
   "confusion": {"classes": [CLASS, ...], "counts": [[...], ...]},   rows: true class,
                                                                   columns: predicted
   "eer": {"rate": EER, "threshold": T} or null,
   "failures": [{"file": FILE, "reason": WHY}, ...]}
--format csv: the per-class report, one row per class.

examples:
  vqtoolkit evaluate speakers.npz '../shared/data/fsdd/recordings/*_[0-4].wav' --label speaker
  vqtoolkit evaluate speakers.npz spk_test --labels folder
  vqtoolkit evaluate digits.npz fsdd_test.npz --label digit --format csv -o report.csv

"""


def register(subparsers) -> None:
    """Add the ``evaluate`` sub-command."""
    from . import EXIT_CODES_HELP
    from .cmd_train import LABELS_HELP, add_input_options

    p = subparsers.add_parser(
        "evaluate", help="accuracy, confusion matrix and EER of a model on labelled inputs",
        description=_HELP + LABELS_HELP, epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", help="matcher file (.npz) from 'vqtoolkit train'")
    add_input_options(p, features=False)
    p.add_argument("--format", default="json", choices=["json", "csv"],
                   help="json (everything, default) or csv (per-class report)")
    p.add_argument("-o", "--output", default=None, help="write here instead of stdout")
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``evaluate``; return 0, or 1 when some inputs were skipped."""
    import sys

    import numpy as np

    from .. import evaluation as ev
    from . import EXIT_OK, EXIT_PARTIAL
    from .cmd_train import emit, failures_json, load_matcher, read_inputs

    model = load_matcher(args.model)
    fs, labels, failed = read_inputs(args, model.features, need_labels=True)
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
    per_class = {c: _scores(r) for c, r in report.items()
                 if isinstance(r, dict) and not c.endswith(" avg")}
    rows = [{"class": c, **r} for c, r in report.items() if isinstance(r, dict)]
    document = {
        "model": str(args.model),
        "n_inputs": len(truth),
        "accuracy": acc,
        "per_class": per_class,
        "averages": {c[:-len(" avg")]: _scores(r) for c, r in report.items()
                     if isinstance(r, dict) and c.endswith(" avg")},
        "confusion": {"classes": [str(c) for c in conf.labels], "counts": conf.counts.tolist()},
        "eer": None if eer is None else {"rate": eer.eer, "threshold": eer.threshold},
        "failures": failures_json(failed),
    }
    emit(rows, fmt=args.format, output=args.output, document=document)
    return EXIT_PARTIAL if failed else EXIT_OK


def _scores(r):
    """scikit-learn's report entry with plain names: precision, recall, f1, support."""
    return {"precision": float(r["precision"]), "recall": float(r["recall"]),
            "f1": float(r["f1-score"]), "support": int(r["support"])}
