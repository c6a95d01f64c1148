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

__all__ = ["register", "run", "read_inputs", "emit", "add_input_options", "load_matcher"]

_HELP = """\
Train a Matcher (one VQ codebook per class) and save it as one .npz file that
holds every codebook, the class labels, the whitening and the MFCC settings.
Classes come from the file names through --label-regex (named groups) and
--label (which group); a FeatureSet .npz made by 'vqtoolkit extract' works too.

examples:
  # speaker models from FSDD's training takes
  vqtoolkit train '../shared/data/fsdd/recordings/*_[5-9].wav' \\
      '../shared/data/fsdd/recordings/*_[1-4][0-9].wav' -o speakers.npz \\
      --label-regex '(?P<digit>\\d)_(?P<speaker>[a-z]+)_(?P<take>\\d+)' --label speaker \\
      --preset speech --no-cmvn --n-mfcc 20 --n-codewords 64
  # digit models from extracted features
  vqtoolkit train fsdd_train.npz -o digits.npz --label digit
"""

FSDD_REGEX = r"(?P<digit>\d)_(?P<speaker>[a-z]+)_(?P<take>\d+)"


def register(subparsers) -> None:
    """Add the ``train`` sub-command."""
    p = subparsers.add_parser(
        "train", help="train a Matcher (one codebook per class) from labelled audio",
        description=_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_input_options(p, features=True)
    p.add_argument("-o", "--output", required=True, help="model file to write (.npz)")
    p.add_argument("-k", "--n-codewords", type=int, default=32, help="codewords per class (32)")
    p.add_argument("--whiten", default="standard",
                   choices=["none", "scale", "standard", "pca", "zca"],
                   help="whitening before the codebooks (standard)")
    p.add_argument("--seed", type=int, default=0, help="random seed (0)")
    p.set_defaults(func=run)


def add_input_options(p, *, features: bool) -> None:
    """Input arguments shared by train / match / evaluate."""
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="audio files, folders, glob patterns, or one FeatureSet .npz")
    p.add_argument("--label-regex", default=None,
                   help="regular expression with named groups matched in file names "
                        f"(default for FSDD-style names: {FSDD_REGEX})")
    p.add_argument("--label", default=None, help="which named group is the class")
    if features:
        p.add_argument("--preset", default="speech", help="MFCC preset: 'speech' (default) or "
                       "'librosa'")
        p.add_argument("--n-mfcc", type=int, default=None, help="number of coefficients")
        p.add_argument("--no-cmvn", action="store_true", help="no per-utterance CMVN")
        p.add_argument("--trim-db", type=float, default=None, help="trim silence (dB below peak)")
    p.add_argument("-j", "--jobs", type=int, default=None, help="extraction processes")
    add_progress_options(p)


def read_inputs(args, extractor, *, need_labels: bool):
    """Return ``(FeatureSet, labels or None)`` from audio files or a FeatureSet file."""
    from ..features.audio import FeatureSet, extract_many

    srcs = args.inputs
    if len(srcs) == 1 and srcs[0].endswith(".npz") and Path(srcs[0]).is_file():
        fs = FeatureSet.load(srcs[0])
    else:
        if extractor is None:
            raise ParameterError(
                "this model holds no feature settings; give a FeatureSet .npz "
                "(vqtoolkit extract) instead of audio files"
            )
        regex = args.label_regex or (FSDD_REGEX if need_labels or args.label else None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            fs = extract_many(srcs, extractor, n_jobs=args.jobs, label_regex=regex,
                              progress=args.progress)
        for f, reason in fs.failures:
            print(f"vqtoolkit: skipped {f}: {reason}", file=sys.stderr)
        if len(fs) == 0:
            raise ParameterError(f"none of the {len(fs.failures)} input files could be used")
    labels = None
    if need_labels or args.label:
        names = fs.label_names
        label = args.label or (names[0] if len(names) == 1 else None)
        if label is None:
            raise ParameterError(
                f"--label is needed to say which of the labels {names} is the class"
            )
        labels = fs.labels(label)
    return fs, labels


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


def run(args) -> int:
    """Run ``train``."""
    from ..features.audio import MFCCExtractor
    from ..matcher import Matcher

    overrides = {}
    if args.n_mfcc is not None:
        overrides["n_mfcc"] = args.n_mfcc
    if args.no_cmvn:
        overrides["cmvn"] = None
    if args.trim_db is not None:
        overrides["trim_db"] = args.trim_db
    extractor = MFCCExtractor.preset(args.preset, **overrides)
    fs, labels = read_inputs(args, extractor, need_labels=True)
    utts = fs.utterances()
    matcher = Matcher(
        args.n_codewords, features=fs.extractor,
        whiten=None if args.whiten == "none" else args.whiten, random_state=args.seed,
        verbose=args.progress, n_jobs=args.jobs,
    ).fit(utts, labels)
    path = matcher.save(args.output)
    print(f"vqtoolkit: wrote {path}: {matcher.classes_.size} classes x {args.n_codewords} "
          f"codewords, {matcher.n_features_in_} features, {len(utts)} utterances",
          file=sys.stderr)
    return 0
