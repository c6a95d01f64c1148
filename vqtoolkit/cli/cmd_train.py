"""``vqtoolkit train``: one codebook per class from labelled audio (or a FeatureSet file).

Also holds the helpers shared by ``match`` and ``evaluate``: reading the
inputs (audio files or a FeatureSet ``.npz``) and writing results as JSON or CSV.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import warnings
from pathlib import Path

from ..errors import ParameterError
from ._options import add_progress_options

__all__ = ["register", "run", "read_inputs", "emit", "add_input_options", "add_label_options",
           "load_matcher", "LABELS_HELP"]

#: the label rules, shown in the --help of extract, train, match and evaluate
LABELS_HELP = """\
labels (the same rules and default in extract, train, match and evaluate):
  --labels auto           the default: FSDD's labels digit, speaker, take when every
                          file name is {digit}_{speaker}_{take}.wav (3_theo_12.wav),
                          else the folder rule
  --labels folder         the folder holding the file is the label 'folder'
                          (spk/alice/001.wav -> alice)
  --labels regex:PATTERN  the named groups of PATTERN, searched in the file name;
                          a file whose name does not match is skipped (and named)
  --label-regex PATTERN   the same as --labels regex:PATTERN
  --label NAME picks the class among the labels; needed only when there are several
  (digit, speaker, take). A FeatureSet .npz keeps the labels it was extracted with,
  unless --labels or --label-regex is given: then they are made again from the
  file paths it stores.
"""

_HELP = """\
Train a Matcher (one VQ codebook per class) and save it as one .npz file that
holds every codebook, the class labels, the whitening and the MFCC settings.
Inputs are audio files, folders, glob patterns, or one FeatureSet .npz made by
'vqtoolkit extract'; classes come from the label rules below.

examples:
  # speaker models from FSDD's training takes (FSDD names: labels digit, speaker, take)
  vqtoolkit train '../shared/data/fsdd/recordings/*_[5-9].wav' \\
      '../shared/data/fsdd/recordings/*_[1-4][0-9].wav' -o speakers.npz --label speaker \\
      --preset speech --no-cmvn --n-mfcc 20 --n-codewords 64
  # one folder per speaker: spk/alice/*.wav, spk/bob/*.wav
  vqtoolkit train spk -o speakers.npz --labels folder
  # digit models from extracted features
  vqtoolkit train fsdd_train.npz -o digits.npz --label digit

""" + LABELS_HELP


def register(subparsers) -> None:
    """Add the ``train`` sub-command."""
    from . import EXIT_CODES_HELP

    p = subparsers.add_parser(
        "train", help="train a Matcher (one codebook per class) from labelled audio",
        description=_HELP, epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_input_options(p, features=True)
    p.add_argument("-o", "--output", required=True, help="model file to write (.npz)")
    p.add_argument("-k", "--n-codewords", type=int, default=32, help="codewords per class (32)")
    p.add_argument("--whiten", default="standard",
                   choices=["none", "scale", "standard", "pca", "zca"],
                   help="whitening before the codebooks (standard)")
    p.add_argument("--seed", type=int, default=0, help="random seed (0)")
    p.add_argument("--format", default="text", choices=["text", "json"],
                   help="summary as a text line on stderr (default) or JSON on stdout")
    p.set_defaults(func=run)


def add_label_options(p) -> None:
    """``--labels`` / ``--label-regex``: the label rule (see :data:`LABELS_HELP`)."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--labels", default=None, metavar="RULE",
                   help="auto (default), folder, or regex:PATTERN (see 'labels' above)")
    g.add_argument("--label-regex", default=None, metavar="PATTERN",
                   help="the same as --labels regex:PATTERN")


def label_rule(args):
    """The label rule the arguments ask for (``'auto'`` when none is given)."""
    from ..features.labels import label_rule as parse

    if args.label_regex is not None:
        return parse(label_regex=args.label_regex)
    return parse(args.labels or "auto")


def add_input_options(p, *, features: bool) -> None:
    """Input arguments shared by train / match / evaluate."""
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="audio files, folders, glob patterns, or one FeatureSet .npz")
    add_label_options(p)
    p.add_argument("--label", default=None, metavar="NAME",
                   help="which label is the class (needed when there are several)")
    if features:
        p.add_argument("--preset", default="vq", help="MFCC preset: 'vq' (default; the same as "
                       "Matcher's and extract's), 'speech' or 'librosa'")
        p.add_argument("--n-mfcc", type=int, default=None, help="number of coefficients")
        p.add_argument("--no-cmvn", action="store_true", help="no per-utterance CMVN")
        p.add_argument("--trim-db", type=float, default=None, help="trim silence (dB below peak)")
    p.add_argument("-j", "--jobs", type=int, default=None, help="extraction processes")
    add_progress_options(p)


def read_inputs(args, extractor, *, need_labels: bool):
    """Features and labels of the inputs (audio files or one FeatureSet file).

    Every input that could not be used is named on stderr. Nothing usable is a
    :class:`ParameterError` (exit code 2).

    Returns
    -------
    fs : FeatureSet
        The usable inputs.
    labels : ndarray of shape (len(fs),), str, or None
        The class of every input (None unless ``need_labels`` or ``--label``).
    failed : list of (str, str)
        The inputs that could not be used in this run, with the reason.
    """
    from ..features.audio import FeatureSet, extract_many

    srcs = args.inputs
    rule = label_rule(args)
    explicit = args.labels is not None or args.label_regex is not None
    if len(srcs) == 1 and srcs[0].endswith(".npz") and Path(srcs[0]).is_file():
        stored = FeatureSet.load(srcs[0])
        fs = stored
        if explicit or not stored.label_names:  # labels made again from the stored paths
            fs = stored.relabel(rule)
        failed = fs.failures[len(stored.failures):]
    else:
        if extractor is None:
            raise ParameterError(
                "this model holds no feature settings; give a FeatureSet .npz "
                "(vqtoolkit extract) instead of audio files"
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            fs = extract_many(srcs, extractor, n_jobs=args.jobs, labels=rule,
                              verbose=args.progress)
        failed = fs.failures
    for f, reason in failed:
        print(f"vqtoolkit: skipped {f}: {reason}", file=sys.stderr)
    if len(fs) == 0:
        raise ParameterError(f"none of the {len(failed)} inputs could be used")
    labels = None
    if need_labels or args.label:
        names = fs.label_names
        label = args.label or (names[0] if len(names) == 1 else None)
        if label is None:
            raise ParameterError(
                f"--label is needed to say which of the labels {names} is the class"
            )
        labels = fs.labels(label)
    return fs, labels, failed


def load_matcher(path):
    """Read a matcher file; a bad or wrong-kind file is a FileFormatError naming it."""
    from ..errors import FileFormatError
    from ..io import load
    from ..matcher import Matcher

    model = load(path)
    if not isinstance(model, Matcher):
        raise FileFormatError(
            f"{path}: holds a {type(model).__name__}, not a matcher (make one with 'vqtoolkit train')"
        )
    return model


def emit(rows, *, fmt, output, document=None) -> None:
    """Write ``rows`` (list of flat dicts) as CSV, or ``document`` (or rows) as JSON."""
    if fmt == "csv":
        buf = io.StringIO()
        fields = list(rows[0]) if rows else []
        writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        text = buf.getvalue()
    else:
        text = json.dumps(document if document is not None else rows, indent=2) + "\n"
    if output in (None, "-"):
        sys.stdout.write(text)
    else:
        from ..io import atomic_write

        atomic_write(Path(output), lambda fh: fh.write(text.encode()))
        print(f"vqtoolkit: wrote {output}", file=sys.stderr)


def failures_json(failed) -> list:
    """``[{"file": ..., "reason": ...}, ...]`` of the inputs that could not be used."""
    return [{"file": f, "reason": r} for f, r in failed]


def run(args) -> int:
    """Run ``train``; return 0, or 1 when some inputs were skipped."""
    from ..features.audio import MFCCExtractor
    from ..matcher import Matcher
    from . import EXIT_OK, EXIT_PARTIAL

    overrides = {}
    if args.n_mfcc is not None:
        overrides["n_mfcc"] = args.n_mfcc
    if args.no_cmvn:
        overrides["cmvn"] = None
    if args.trim_db is not None:
        overrides["trim_db"] = args.trim_db
    extractor = MFCCExtractor.preset(args.preset, **overrides)
    fs, labels, failed = read_inputs(args, extractor, need_labels=True)
    utts = fs.utterances()
    matcher = Matcher(
        args.n_codewords, features=fs.extractor,
        whiten=None if args.whiten == "none" else args.whiten, random_state=args.seed,
        verbose=args.progress, n_jobs=args.jobs,
    ).fit(utts, labels)
    path = matcher.save(args.output)
    print(f"vqtoolkit: wrote {path}: {matcher.classes_.size} classes x {args.n_codewords} "
          f"codewords, {matcher.n_features_in_} features, {len(utts)} utterances"
          + (f"; {len(failed)} of {len(utts) + len(failed)} inputs skipped" if failed else ""),
          file=sys.stderr)
    if args.format == "json":
        doc = {"output": str(path), "classes": [str(c) for c in matcher.classes_],
               "n_codewords": args.n_codewords, "n_features": int(matcher.n_features_in_),
               "n_utterances": len(utts), "failures": failures_json(failed)}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    return EXIT_PARTIAL if failed else EXIT_OK
