"""Figure creation without pyplot (works with no display) and saving to PNG or SVG."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ParameterError

__all__ = ["new_figure", "finish", "axes_figure", "attr", "SAVE_FORMATS"]

SAVE_FORMATS = (".png", ".svg")


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
        if projection == "3d" and getattr(ax, "name", "") != "3d":
            raise ParameterError("a 3-D plot needs an axes made with projection='3d'")
        return ax.figure, ax
    fig = new_figure(figsize)
    return fig, fig.add_subplot(projection=projection)


def finish(fig, path, dpi=100):
    """Save ``fig`` to ``path`` (``.png`` or ``.svg``) when given; return ``fig``."""
    if path is not None:
        p = Path(path)
        if p.suffix.lower() not in SAVE_FORMATS:
            raise ParameterError(
                f"path={str(path)!r}: can save {SAVE_FORMATS}, not {p.suffix or 'no suffix'!r}"
            )
        p.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(p, dpi=dpi)
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
