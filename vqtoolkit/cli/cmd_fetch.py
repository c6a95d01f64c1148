"""``vqtoolkit fetch``: download data sets into the data home, every file checked by SHA-256."""

from __future__ import annotations

import argparse
import sys

__all__ = ["register", "run"]

_HELP = """\
Download data sets into the data home: DIR of --data-home, else $VQTOOLKIT_DATA,
else the user cache folder (~/.cache/vqtoolkit/data on Linux), where the loaders
also look. Files already there are kept when their SHA-256 matches the registry;
missing, damaged or partial files are downloaded again. Files come from the
upstream repositories at pinned commits, or from $VQTOOLKIT_DATA_MIRROR (an
http(s):// or file:// URL laid out like the data home). `vqtoolkit datasets`
lists the names. One line per data set on stdout (JSON with --format json).

examples:
  vqtoolkit fetch fsdd clustering
  vqtoolkit fetch --all --data-home ~/data/vq
  VQTOOLKIT_DATA_MIRROR=http://lab-server:8000 vqtoolkit fetch bbc
"""


def register(subparsers) -> None:
    """Add the ``fetch`` sub-command."""
    from . import EXIT_CODES_HELP
    from ._options import add_progress_options

    p = subparsers.add_parser(
        "fetch", help="download data sets (SHA-256 checked) into the data home",
        description=_HELP, epilog=EXIT_CODES_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("names", nargs="*", metavar="NAME",
                   help="data sets: fsdd, japanese_vowels, bbc, ag_news, reuters21578, clustering, "
                        "clustering/sipu, clustering/uci, clustering/s-sets")
    p.add_argument("--all", action="store_true", help="every data set (59 MB, 5,323 files)")
    p.add_argument("--data-home", default=None, metavar="DIR", help="download into DIR")
    p.add_argument("--timeout", type=float, default=30.0, metavar="S",
                   help="seconds to wait for a connection or data (default 30)")
    p.add_argument("--format", default="text", choices=["text", "json"], help="text (default) or json")
    add_progress_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``fetch``: 0 all fetched, 1 some data sets failed (named on stderr), 2 none fetched."""
    from ..datasets import dataset_names, fetch
    from ..datasets._registry import expand
    from ..errors import ParameterError, VQError
    from . import EXIT_OK, EXIT_PARTIAL, EXIT_USAGE
    from .cmd_train import emit

    names = dataset_names() if args.all else list(dict.fromkeys(args.names))
    if not names:
        raise ParameterError("no data set named; give one or more NAMEs (see `vqtoolkit datasets`) "
                             "or --all")
    if args.timeout <= 0:
        raise ParameterError(f"--timeout {args.timeout:g} must be positive")
    for n in names:
        expand(n)  # every name checked before anything is downloaded
    done, failed = [], []
    for n in names:
        try:
            r = fetch(n, data_home=args.data_home, verbose=args.progress, timeout=args.timeout)
        except VQError as exc:
            print(f"vqtoolkit: error: {exc}", file=sys.stderr)
            failed.append({"name": n, "reason": str(exc)})
            continue
        done.append({"name": r.name, "path": str(r.path), "n_files": r.n_files,
                     "n_downloaded": r.n_downloaded, "bytes_downloaded": r.bytes_downloaded,
                     "source": r.source})
        if args.format == "text":
            got = (f"{r.n_downloaded:,} downloaded ({r.bytes_downloaded / 1e6:.1f} MB from {r.source})"
                   if r.n_downloaded else "all present, nothing downloaded")
            print(f"{r.name}: {r.n_files:,} files verified in {r.path}; {got}", flush=True)
    if args.format == "json":
        emit([], fmt="json", output=None, document={"fetched": done, "failed": failed})
    if done and args.data_home is not None and not _looked_in(args.data_home):
        print(f"vqtoolkit: note: the loaders do not look in {args.data_home}; "
              f"set VQTOOLKIT_DATA={args.data_home} to use it", file=sys.stderr)
    if failed and not done:
        return EXIT_USAGE
    return EXIT_PARTIAL if failed else EXIT_OK


def _looked_in(folder) -> bool:
    from pathlib import Path

    from ..datasets import _home

    target = Path(folder).resolve()
    return any(c.resolve() == target for c in _home._candidates(None))
