"""``vqtoolkit extract``: MFCC frames of audio files into one ``.npz`` FeatureSet."""

from __future__ import annotations

import json
import sys
import warnings

from ._options import add_progress_options

__all__ = ["register", "run"]

_HELP = """\
Extract MFCC frames from audio files, folders or glob patterns into a FeatureSet
file (.npz; read it with vqtoolkit.features.audio.FeatureSet.load). Bad files are
reported by name with the reason; the others are still extracted. The labels are
stored with the frames, so 'vqtoolkit train FILE.npz' works on the file as it is.

examples:
  vqtoolkit extract ../shared/data/fsdd/recordings -o fsdd.npz --preset speech
  vqtoolkit extract spk -o speakers.npz --labels folder      # spk/alice/*.wav ...
  vqtoolkit extract rec -o words.npz --labels 'regex:(?P<word>[a-z]+)-(?P<n>\\d+)'

"""


def register(subparsers) -> None:
    """Add the ``extract`` sub-command."""
    import argparse

    from . import EXIT_CODES_HELP
    from .cmd_train import LABELS_HELP, add_label_options

    p = subparsers.add_parser(
        "extract", help="MFCC frames of audio files into a .npz FeatureSet",
        description=_HELP + LABELS_HELP.split("  --label NAME")[0], epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("audio", nargs="+", metavar="AUDIO", help="files, folders or glob patterns")
    p.add_argument("-o", "--output", required=True, help="output .npz file")
    p.add_argument("--preset", default="vq", help="'vq' (default; the same as train's), "
                   "'speech' or 'librosa'")
    p.add_argument("--sr", type=int, default=None, help="resample to this rate (Hz)")
    p.add_argument("--n-mfcc", type=int, default=None, help="number of coefficients")
    add_label_options(p)
    p.add_argument("-j", "--jobs", type=int, default=None,
                   help="worker processes (default: all CPUs)")
    cache = p.add_mutually_exclusive_group()
    cache.add_argument("--cache", default=None, metavar="DIR",
                       help="cache folder (default $VQTOOLKIT_CACHE or ~/.cache/vqtoolkit)")
    cache.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    p.add_argument("--strict", action="store_true", help="stop at the first bad file")
    add_progress_options(p)
    p.add_argument("--format", default="text", choices=["text", "json"],
                   help="summary as a text line on stderr (default) or JSON on stdout")
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``extract``; return 0, 1 when some files were skipped, 2 when none could be used."""
    from ..features.audio import MFCCExtractor, extract_many, warm_up
    from . import EXIT_OK, EXIT_PARTIAL, EXIT_USAGE
    from .cmd_train import failures_json, label_rule

    overrides = {}
    if args.sr is not None:
        overrides["sr"] = args.sr
    if args.n_mfcc is not None:
        overrides["n_mfcc"] = args.n_mfcc
    extractor = MFCCExtractor.preset(args.preset, **overrides)
    if not args.quiet:
        print("vqtoolkit: loading librosa…", file=sys.stderr, flush=True)
    warm_up(verbose=True)
    cache = False if args.no_cache else (args.cache or True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # failures are summarised below
        fs = extract_many(
            args.audio, extractor, n_jobs=args.jobs, labels=label_rule(args),
            cache=cache, strict=args.strict, verbose=args.progress,
        )
    for f, reason in fs.failures:
        print(f"vqtoolkit: skipped {f}: {reason}", file=sys.stderr)
    n_files = len(fs) + len(fs.failures)
    if len(fs) == 0:
        print(f"vqtoolkit: error: none of the {n_files} files could be used; nothing written",
              file=sys.stderr)
        return EXIT_USAGE  # as train / match / evaluate: no usable input is an input error
    path = fs.save(args.output)
    print(
        f"vqtoolkit: wrote {path}: {len(fs)} utterances, {fs.X.shape[0]} frames x "
        f"{fs.X.shape[1]} features; labels {fs.label_names}; "
        f"{len(fs.failures)} of {n_files} files failed",
        file=sys.stderr,
    )
    if args.format == "json":
        doc = {"output": str(path), "n_files": n_files, "n_utterances": len(fs),
               "n_frames": int(fs.X.shape[0]), "n_features": int(fs.X.shape[1]),
               "labels": fs.label_names, "failures": failures_json(fs.failures)}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    return EXIT_PARTIAL if fs.failures else EXIT_OK
