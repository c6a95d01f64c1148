"""Codebook heatmaps and an utterance's feature matrix with its code sequence."""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from ._common import axes_figure, finish, target_figure
from ._palette import cluster_colors

__all__ = ["plot_codebook", "plot_code_sequence"]


def plot_codebook(codebook, *, feature_names=None, counts=None, color_scale="feature", annotate=None,
                  cmap=None, title=None, ax=None, path=None):
    """Heatmap of a codebook: one row per codeword, one column per feature, in original units.

    Parameters
    ----------
    codebook : ndarray of shape (n_codewords, n_features) or fitted Codebook
        A Codebook gives its codewords in original units (``codebook_``), its
        feature names and the size of every cluster.
    feature_names : sequence of str, optional
        Column labels (default: the Codebook's, else ``x0, x1, …``).
    counts : array-like of shape (n_codewords,), optional
        Cluster sizes shown next to the row labels.
    color_scale : {'feature', 'global'}, default='feature'
        ``'feature'`` colours each column by its z-score across codewords
        (features in different units stay readable); ``'global'`` colours the
        raw values on one scale. The numbers written in the cells are always
        the original values.
    annotate : bool, optional
        Write the values in the cells; default when there are at most 400 cells.
    cmap : str, optional
    title : str, optional
    ax : matplotlib Axes, optional
        Draw into this axes (its figure gets the colour bar) instead of a new figure.
    path : str or path-like, optional
        Save the figure there; the suffix picks the format (any of :data:`SAVE_FORMATS`).

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or the figure of ``ax``.
    """
    C = np.asarray(getattr(codebook, "codebook_", codebook), dtype=np.float64)
    if C.ndim != 2 or C.size == 0 or not np.isfinite(C).all():
        raise ParameterError(
            f"codebook has shape {C.shape}; expected a finite (n_codewords, n_features) array"
        )
    k, d = C.shape
    if feature_names is None and hasattr(codebook, "feature_names_in_"):
        feature_names = list(codebook.feature_names_in_)
    names = [f"x{j}" for j in range(d)] if feature_names is None else [str(x) for x in feature_names]
    if len(names) != d:
        raise ParameterError(f"feature_names has {len(names)} entries; the codebook has {d} features")
    if counts is None:
        counts = getattr(codebook, "counts_", None)
    if counts is not None:
        counts = np.asarray(counts, dtype=np.float64).ravel()
        if counts.shape != (k,):
            raise ParameterError(f"counts has shape {counts.shape}; expected ({k},)")
    if color_scale == "feature":
        sd = C.std(axis=0)
        Z = (C - C.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
        lim = max(float(np.abs(Z).max()), 1e-12)
        vmin, vmax, cmap, label = -lim, lim, cmap or "RdBu_r", "z-score within feature"
    elif color_scale == "global":
        Z, vmin, vmax, cmap, label = C, None, None, cmap or "viridis", "value"
    else:
        raise ParameterError(f"color_scale={color_scale!r} is not one of ('feature', 'global')")
    fig, ax = axes_figure(ax, (min(2.5 + 0.55 * d, 18), min(max(3.6, 1.6 + 0.32 * k), 14)))
    im = ax.imshow(Z, aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    fig.colorbar(im, ax=ax, label=label, shrink=0.9)
    if annotate is None:
        annotate = k * d <= 400
    if annotate:
        for i in range(k):
            for j in range(d):
                shade = abs(Z[i, j] - (0 if vmin is not None else np.median(Z))) / (np.ptp(Z) or 1.0)
                ax.text(j, i, f"{C[i, j]:.3g}", ha="center", va="center", fontsize=7,
                        color="white" if shade > 0.35 else "black")
    ax.set_xticks(np.arange(d), names, rotation=90 if max(map(len, names)) * d > 60 else 0, fontsize=8)
    step = max(1, k // 40)
    rows = np.arange(0, k, step)
    row_labels = [f"{i}" if counts is None else f"{i} (n={counts[i]:.0f})" for i in rows]
    ax.set_yticks(rows, row_labels, fontsize=8)
    pal = cluster_colors(k)
    for tick, i in zip(ax.get_yticklabels(), rows):
        tick.set_color(pal[i])
        tick.set_fontweight("bold")
    ax.set_xlabel("feature")
    ax.set_ylabel("codeword")
    ax.set_title(title or f"codebook: {k} codewords × {d} features (original units)")
    return finish(fig, path)


def plot_code_sequence(features, codes=None, *, codebook=None, frame_rate=None, feature_label="MFCC",
                       title=None, fig=None, path=None):
    """An utterance's feature matrix (e.g. MFCCs) with its code sequence underneath.

    Parameters
    ----------
    features : array-like of shape (n_frames, n_features)
        Rows are frames (vqtoolkit's orientation); drawn with time on the x axis.
    codes : array-like of shape (n_frames,), int, optional
        Code of every frame. Computed from ``codebook`` when omitted.
    codebook : ndarray or fitted Codebook, optional
    frame_rate : float, optional
        Frames per second (``sr / hop_length``); the x axis is then in seconds.
    feature_label : str, default='MFCC'
    title : str, optional
    fig : matplotlib Figure or SubFigure, optional
        An empty figure to draw into (e.g. one of ``Figure.subfigures()``)
        instead of a new one; this picture has two axes, so it takes no ``ax=``.
    path : str or path-like, optional
        Save the figure there; the suffix picks the format (any of :data:`SAVE_FORMATS`).

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or ``fig``: two axes (the feature matrix and the
        code strip) and a colour bar.
    """
    from .._validation import check_X

    M = np.asarray(check_X(features, what="plot_code_sequence").X, dtype=np.float64)
    n, d = M.shape
    if codes is None:
        if codebook is None:
            raise ParameterError("give codes, or a codebook to compute them from")
        if hasattr(codebook, "predict"):
            codes = codebook.predict(M)
        else:
            from ..quantization import quantize

            codes = quantize(M, np.asarray(codebook, dtype=np.float64)).codes
    codes = np.asarray(codes)
    if codes.shape != (n,) or codes.dtype.kind not in "iu":
        raise ParameterError(f"codes has shape {codes.shape} and dtype {codes.dtype}; "
                             f"expected ({n},) integers to match the {n} frames")
    if frame_rate is not None and not (np.isfinite(frame_rate) and frame_rate > 0):
        raise ParameterError(f"frame_rate={frame_rate!r} must be a positive number (frames per second)")
    scale = 1.0 / frame_rate if frame_rate else 1.0
    extent_x = (-0.5 * scale, (n - 0.5) * scale)
    fig = target_figure(fig, (max(6.0, min(14.0, 3 + n / 15)), 4.2), "plot_code_sequence")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[4, 1])
    im = top.imshow(M.T, aspect="auto", origin="lower", cmap="magma", interpolation="nearest",
                    extent=(*extent_x, -0.5, d - 0.5))
    fig.colorbar(im, ax=[top, bottom], label=feature_label, shrink=0.8)
    top.set_ylabel(f"{feature_label} coefficient")
    top.set_title(title or f"{n} frames × {d} features and their codes")
    k = int(codes.max()) + 1 if codes.size else 1
    strip = cluster_colors(max(k, 1))[np.clip(codes, 0, None)][None, :, :]
    bottom.imshow(strip, aspect="auto", interpolation="nearest", extent=(*extent_x, -0.5, 0.5))
    if n <= 80:
        for t, c in enumerate(codes):
            bottom.text(t * scale, 0, str(int(c)), ha="center", va="center", fontsize=6)
    bottom.set_yticks([])
    bottom.set_ylabel("code", rotation=0, ha="right", va="center")
    bottom.set_xlabel("time (s)" if frame_rate else "frame")
    return finish(fig, path)
