"""The ``vqtoolkit`` command (also ``python -m vqtoolkit``).

Each sub-command lives in its own module ``vqtoolkit/cli/cmd_<name>.py`` that
defines ``register(subparsers)``; the module is discovered automatically. The
library never imports this package: library errors (:class:`VQError`) become a
one-line message on stderr and exit code 2 only here, at the boundary.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from .._version import __version__
from ..errors import VQError

__all__ = ["main", "build_parser"]

EXIT_OK = 0
EXIT_PARTIAL = 1  # results written, but some inputs failed (named on stderr)
EXIT_USAGE = 2  # usage error, bad file, or no usable input: nothing written

#: appended to every sub-command's ``--help`` (``epilog=EXIT_CODES_HELP``)
EXIT_CODES_HELP = """\
exit codes:
  0    all inputs processed, results written
  1    results written, but some inputs failed (each named on stderr)
  2    usage error, unreadable file or no usable input: nothing written
  130  interrupted (Ctrl-C); nothing half-written is left behind
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, like every other bad input
        self.exit(EXIT_USAGE, f"vqtoolkit: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="vqtoolkit",
        description="Vector quantization of signal and document features.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"vqtoolkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for mod in sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("cmd_")):
        importlib.import_module(f"{__name__}.{mod}").register(sub)
    return parser


#: archive-writing commands: ``-o NAME`` without ``.npz`` writes ``NAME.npz`` (as ``save`` does)
_ARCHIVE_OUTPUT = {"choose-k", "extract", "train"}
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


def _check_output(args):
    """Refuse an ``-o`` the command could not write, before any work starts.

    An existing folder is an error (nothing is ever written beside it), and so
    is a destination whose nearest existing folder is not writable.
    """
    import os
    from pathlib import Path

    from ..errors import ParameterError

    output = getattr(args, "output", None)
    if output in (None, "-"):
        return
    given = Path(output)
    final = given
    if args.command in _ARCHIVE_OUTPUT and given.suffix != ".npz":
        final = given.with_name(given.name + ".npz")
    for p in (given, final):
        if p.is_dir():
            raise ParameterError(
                f"-o {output}: is a folder; give a file name, for example {p / 'out.npz'}"
            )
    folder = final.parent if str(final.parent) else Path(".")
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ParameterError(f"-o {output}: cannot write in the folder {folder}")


def _terminate_cleanly():
    """SIGTERM raises SystemExit(143), so ``finally`` blocks (temp files of saves) run first."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)


def _on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


def main(argv=None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    _terminate_cleanly()
    try:
        _check_output(args)
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("vqtoolkit: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except VQError as exc:
        print(f"vqtoolkit: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"vqtoolkit: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
