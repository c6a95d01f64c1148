"""Colours for clusters: cluster ``i`` always gets colour ``i``, distinguishable for 100+ clusters.

The palette starts with matplotlib's ten ``tab10`` colours and continues like
Glasbey et al. (2007): each next colour is the candidate of an sRGB grid
(24 levels per channel) whose smallest CIELAB distance to the colours chosen
so far (and to the white background) is largest. The construction is greedy,
hence prefix-stable: the first ``m`` colours of a palette of ``n > m`` colours
are the palette of ``m`` colours. It is computed once and cached.
"""

from __future__ import annotations

import threading

import numpy as np

from .. import kernels
from .._validation import check_positive_int

__all__ = ["cluster_colors", "label_colors", "rgb_to_lab", "NOISE_COLOR", "MAX_COLORS"]

NOISE_COLOR = (0.75, 0.75, 0.75)
MAX_COLORS = 4096
_TAB10 = np.array([
    [0x1F, 0x77, 0xB4], [0xFF, 0x7F, 0x0E], [0x2C, 0xA0, 0x2C], [0xD6, 0x27, 0x28],
    [0x94, 0x67, 0xBD], [0x8C, 0x56, 0x4B], [0xE3, 0x77, 0xC2], [0x7F, 0x7F, 0x7F],
    [0xBC, 0xBD, 0x22], [0x17, 0xBE, 0xCF],
], dtype=np.float64) / 255.0
_LOCK = threading.Lock()
_CACHE = {"colors": _TAB10.copy(), "min_d": None, "cands": None}


def cluster_colors(n_colors):
    """The first ``n_colors`` colours of the cluster palette.

    Parameters
    ----------
    n_colors : int in [1, 4096]

    Returns
    -------
    ndarray of shape (n_colors, 3), float64
        sRGB in [0, 1]; row ``i`` is the colour of cluster ``i``.
    """
    n = check_positive_int(n_colors, "n_colors")
    if n > MAX_COLORS:
        from ..errors import ParameterError

        raise ParameterError(f"n_colors={n} exceeds the palette size {MAX_COLORS}")
    with _LOCK:
        if _CACHE["colors"].shape[0] < n:
            _extend(max(n, 128))
        return _CACHE["colors"][:n].copy()


def label_colors(labels):
    """Colour of every label: ``palette[label]`` for labels >= 0, grey for negative (noise).

    Parameters
    ----------
    labels : ndarray of shape (n_samples,), int

    Returns
    -------
    ndarray of shape (n_samples, 3), float64
    """
    labels = np.asarray(labels, dtype=np.int64)
    top = int(labels.max()) + 1 if labels.size and labels.max() >= 0 else 1
    pal = np.vstack([cluster_colors(top), [NOISE_COLOR]])
    return pal[np.where(labels >= 0, labels, top)]


def rgb_to_lab(rgb):
    """sRGB in [0, 1] (D65) to CIELAB.

    Parameters
    ----------
    rgb : ndarray of shape (n, 3)

    Returns
    -------
    ndarray of shape (n, 3), float64: L* in [0, 100], a*, b*.
    """
    c = np.asarray(rgb, dtype=np.float64)
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.4124564, 0.3575761, 0.1804375],
                  [0.2126729, 0.7151522, 0.0721750],
                  [0.0193339, 0.1191920, 0.9503041]])
    xyz = lin @ m.T / np.array([0.95047, 1.0, 1.08883])
    eps = 216 / 24389
    f = np.where(xyz > eps, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1)


def _extend(n):
    if _CACHE["cands"] is None:
        levels = np.linspace(0.0, 1.0, 24)
        grid = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), -1).reshape(-1, 3)
        lab = rgb_to_lab(grid)
        keep = lab[:, 0] <= 92  # nearly white markers vanish on a white background
        grid, lab = grid[keep], lab[keep]
        seeds = rgb_to_lab(np.vstack([_CACHE["colors"], [[1.0, 1.0, 1.0]]]))
        _CACHE["cands"] = (grid, lab)
        _CACHE["min_d"] = kernels.min_sq_distances(lab, seeds, n_threads=1)
    grid, lab = _CACHE["cands"]
    min_d = _CACHE["min_d"]
    chosen = [_CACHE["colors"]]
    for _ in range(n - _CACHE["colors"].shape[0]):
        best = int(np.argmax(min_d))  # lowest index on ties: deterministic
        chosen.append(grid[best][None, :])
        min_d = kernels.min_sq_distances(lab, lab[best][None, :], min_d, n_threads=1)
    _CACHE["colors"] = np.vstack(chosen)
    _CACHE["min_d"] = min_d
