"""Figure creation without pyplot (works with no display) and saving in any format matplotlib writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backend_bases import FigureCanvasBase

from ..errors import ParameterError

__all__ = ["new_figure", "finish", "axes_figure", "target_figure", "check_save_path", "attr",
           "SAVE_FORMATS"]

#: File suffixes ``path=`` accepts: every format the installed matplotlib writes
#: (``.png``, ``.pdf``, ``.svg``, ``.eps``, ``.jpg``, ``.tif``, ``.webp`` …; ``.pgf`` needs LaTeX).
SAVE_FORMATS = tuple(sorted(f".{ext}" for ext in FigureCanvasBase.get_supported_filetypes()))


def new_figure(figsize):
    """A Figure attached to the Agg canvas (no GUI, no global pyplot state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def axes_figure(ax, figsize, *, projection=None):
    """Return ``(fig, ax)``: the given axes and its figure, or a new figure with one axes."""
    if ax is not None:
        if not hasattr(ax, "figure") or not hasattr(ax, "add_artist"):
            raise ParameterError(f"ax={ax!r} is not a matplotlib Axes")
        if projection == "3d" and getattr(ax, "name", "") != "3d":
            raise ParameterError("a 3-D plot needs an axes made with projection='3d'")
        return ax.figure, ax
    fig = new_figure(figsize)
    return fig, fig.add_subplot(projection=projection)


def target_figure(fig, figsize, what):
    """``fig`` (an empty Figure or SubFigure to draw into) checked, or a new figure of ``figsize``."""
    if fig is None:
        return new_figure(figsize)
    if not (hasattr(fig, "subplots") and hasattr(fig, "add_gridspec") and hasattr(fig, "axes")):
        raise ParameterError(f"{what}: fig={fig!r} is not a matplotlib Figure or SubFigure")
    if fig.axes:
        raise ParameterError(
            f"{what}: fig= already holds {len(fig.axes)} axes; pass an empty Figure, or a "
            "SubFigure made with fig.subfigures() to place this picture beside others"
        )
    return fig


def check_save_path(path, *, label=None) -> Path:
    """``path`` as a Path when its suffix names a format matplotlib writes.

    Raises
    ------
    ParameterError
        Naming the path (as ``label``, default ``path='…'``) and the allowed suffixes.
    """
    p = Path(path)
    if p.suffix.lower() not in SAVE_FORMATS:
        given = p.suffix or "a file without suffix"
        raise ParameterError(
            f"{label or f'path={str(path)!r}'}: cannot save a picture as {given!r}; the suffix picks "
            f"the format, one of {', '.join(SAVE_FORMATS)}"
        )
    return p


def finish(fig, path, dpi=100):
    """Save the figure of ``fig`` to ``path`` when given (format from the suffix); return ``fig``.

    ``fig`` may be a SubFigure: its whole figure is saved.
    """
    if path is not None:
        p = check_save_path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        root = fig.get_figure(root=True) if hasattr(fig, "get_figure") else fig
        try:
            root.savefig(p, dpi=dpi)
        except RuntimeError as exc:  # e.g. .pgf without a LaTeX installation
            raise ParameterError(f"path={str(path)!r}: matplotlib could not write it ({exc})") from None
    return fig


def attr(obj, names, default=None):
    """The first attribute (or mapping key) of ``obj`` in ``names`` that exists."""
    for name in names:
        if isinstance(obj, dict) and name in obj:
            return obj[name]
        if hasattr(obj, name):
            return getattr(obj, name)
    return default


def as_1d(values, name):
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.size == 0:
        raise ParameterError(f"{name} has shape {arr.shape}; expected a non-empty 1-D array")
    return arr
