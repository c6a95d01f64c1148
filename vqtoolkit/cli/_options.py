"""Options shared by several sub-commands."""

from __future__ import annotations

import argparse

__all__ = ["add_progress_options"]


class _Quiet(argparse.Action):
    """``-q``: sets ``quiet=True`` and ``progress=False``."""

    def __call__(self, parser, namespace, values, option_string=None):
        namespace.quiet = True
        namespace.progress = False


def add_progress_options(p) -> None:
    """``-q/--quiet`` and ``--progress``; afterwards ``args.progress`` is ``None``, ``True`` or ``False``.

    ``None`` (neither flag): progress bars on stderr only when stderr is a
    terminal. ``--progress``: always (plain lines when stderr is a log file or a
    pipe). ``-q``: never. Pass ``args.progress`` as the ``verbose=`` /
    ``progress=`` argument of the library; ``args.quiet`` stays available for
    other chatter.
    """
    g = p.add_mutually_exclusive_group()
    g.add_argument("-q", "--quiet", action=_Quiet, nargs=0,
                   help="no progress bars (default: bars only when stderr is a terminal)")
    g.add_argument("--progress", action="store_const", const=True, dest="progress",
                   help="progress bars even when stderr is not a terminal (as plain lines)")
    p.set_defaults(quiet=False, progress=None)
