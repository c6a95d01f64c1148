"""Progress bars: the one place that creates them.

Every bar of vqtoolkit (feature extraction, matcher training and scoring,
document clustering, ``choose_k``) comes from :func:`progress_bar`, so they all
follow one rule:

- they write to ``sys.stderr`` (looked up at call time, so a redirected or
  captured stderr is honoured), never to stdout, which carries results;
- ``verbose=None`` (the "auto" setting) shows a bar only when stderr is a
  terminal; ``verbose=True`` always shows it; ``verbose=False`` never does;
- on a terminal the bar is an ordinary tqdm bar redrawn in place (at most every
  0.1 s) and erased when done;
- when forced onto something that is not a terminal (a log file, a pipe, a
  notebook cell), it writes whole lines instead of redrawing with carriage
  returns: the starting state, at most one line every :data:`LOG_INTERVAL`
  seconds, and the final state. A log gets a few readable lines, not a
  screenful of ``\\r`` updates.
"""

from __future__ import annotations

import sys

from tqdm.std import tqdm

__all__ = ["progress_bar", "show_progress", "estimator_verbose", "function_verbose", "LOG_INTERVAL"]

#: seconds between two lines of a bar written to a non-terminal stream
LOG_INTERVAL = 30.0

#: seconds between two redraws of a bar on a terminal
TTY_INTERVAL = 0.1


def show_progress(verbose) -> bool:
    """Whether a bar is shown for this setting: ``None`` means "only if stderr is a terminal".

    Parameters
    ----------
    verbose : bool, int or None

    Returns
    -------
    bool
    """
    if verbose is None:
        return _is_tty(sys.stderr)
    return bool(verbose)


def progress_bar(iterable=None, *, total=None, desc=None, unit="it", verbose=None, initial=0):
    """A tqdm bar on stderr that follows the package-wide rule (see the module docstring).

    Parameters
    ----------
    iterable : iterable, optional
        Wrapped like ``tqdm(iterable)``; without it, call ``update(n)``.
    total : int, optional
        Number of steps (default ``len(iterable)`` when it has one).
    desc, unit : str
        Label before the bar and name of one step.
    verbose : bool, int or None, default=None
        ``None``: shown only when stderr is a terminal; true: always; false: never.
    initial : int, default=0
        Starting count.

    Returns
    -------
    tqdm
        A disabled bar (``update``, ``close``, ``set_postfix_str`` do nothing)
        when not shown.
    """
    stream = sys.stderr
    # miniters=1: every update may redraw (time permitting); tqdm's adaptive default skips updates
    # after a fast start, which left slow steps (one split of G-means) looking stuck
    common = dict(total=total, desc=desc, unit=unit, initial=initial, file=stream, leave=False,
                  miniters=1)
    if not show_progress(verbose):
        return tqdm(iterable, disable=True, **common)
    if _is_tty(stream):  # follows the window size; 80 x 24 when the terminal reports none
        sized = _columns(stream) > 0
        return tqdm(iterable, mininterval=TTY_INTERVAL, dynamic_ncols=sized,
                    ncols=None if sized else 80, nrows=None if sized else 24, **common)
    return _LineBar(iterable, mininterval=LOG_INTERVAL, maxinterval=LOG_INTERVAL * 10, ascii=True,
                    ncols=80, **common)


def _is_tty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


def _columns(stream) -> int:
    import os

    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return 0


class _LineBar(tqdm):
    """A tqdm bar that writes one whole line per refresh (no carriage return) and its final state."""

    def display(self, msg=None, pos=None):
        if msg is None:  # a refresh; ``msg=''`` asks to erase, which a log cannot do
            line = self.__str__()
            if line != getattr(self, "_last_line", None):
                self._last_line = line
                self.fp.write(line + "\n")
                self.fp.flush()
        return True

    def close(self):
        if not getattr(self, "disable", True) and getattr(self, "sp", None) is not None:
            self.display()  # the final count, once
            self.sp = None  # nothing on screen to clear or to end with a newline
        super().close()


#: default of the deprecated ``progress=`` parameter of estimators and functions (scikit-learn's idiom)
DEPRECATED = "deprecated"


def estimator_verbose(estimator):
    """``estimator.verbose``, or its deprecated ``progress`` parameter with a FutureWarning.

    ``Matcher``, ``DocumentClusterer`` and some functions called the switch
    ``progress`` before everything took scikit-learn's name ``verbose``; the
    old name still works for one release.
    """
    old = getattr(estimator, "progress", DEPRECATED)
    if isinstance(old, str) and old == DEPRECATED:
        return estimator.verbose
    _warn_progress(type(estimator).__name__)
    return old


def function_verbose(verbose, progress, name):
    """``verbose``, or the deprecated ``progress`` keyword of the function ``name`` with a FutureWarning."""
    if isinstance(progress, str) and progress == DEPRECATED:
        return verbose
    _warn_progress(name)
    return progress


def _warn_progress(name):
    import warnings

    warnings.warn(f"{name}(progress=...) is deprecated and will be removed in the next release; "
                  f"use {name}(verbose=...)", FutureWarning, stacklevel=4)
