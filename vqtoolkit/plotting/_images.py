"""An image beside its colour-quantized version, and texture segmentation overlays."""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from ._common import axes_figure, finish, new_figure, target_figure
from ._palette import cluster_colors

__all__ = ["plot_quantized_image", "plot_segmentation"]


def plot_quantized_image(image, quantized, *, codebook=None, titles=None, fig=None, path=None):
    """The original image, its colour-quantized version and the palette.

    Parameters
    ----------
    image : ndarray of shape (height, width[, channels])
    quantized : ndarray of the same shape, or a QuantizedImage
        A :class:`~vqtoolkit.images.QuantizedImage` also gives the
        palette and the error.
    codebook : ndarray of shape (n_colors, channels), optional
        The palette, drawn as a strip of swatches under the images.
    titles : (str, str), optional
    fig : matplotlib Figure or SubFigure, optional
        An empty figure to draw into (e.g. one of ``Figure.subfigures()``)
        instead of a new one; this picture has several axes, so it takes no ``ax=``.
    path : str or path-like, optional
        Save the figure there; the suffix picks the format (any of :data:`SAVE_FORMATS`).

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or ``fig``: two image axes, plus one palette axes
        when a palette is known.
    """
    mse = None
    if hasattr(quantized, "image") and hasattr(quantized, "codebook"):
        codebook = quantized.codebook if codebook is None else codebook
        mse = getattr(quantized, "mse", None)
        quantized = quantized.image
    a, b = np.asarray(image), np.asarray(quantized)
    if a.shape != b.shape or a.ndim not in (2, 3):
        raise ParameterError(f"image {a.shape} and quantized {b.shape} must be images of the same shape")
    h, w = a.shape[:2]
    n_colors = None if codebook is None else int(np.asarray(codebook).shape[0])
    if titles is None:
        right = "quantized" if n_colors is None else f"{n_colors} colours"
        if mse is not None:
            right += f" (MSE {mse:.1f})"
        titles = ("original", right)
    width = 11.0
    fig = target_figure(fig, (width, width / 2 * h / w + (1.2 if codebook is not None else 0.5)),
                        "plot_quantized_image")
    if codebook is not None:
        grid = fig.add_gridspec(2, 2, height_ratios=[8, 1])
        axes = [fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, :])]
    else:
        axes = list(fig.subplots(1, 2))
    for ax, img, t in zip(axes, (a, b), titles):
        ax.imshow(_displayable(img), cmap="gray" if img.ndim == 2 else None, interpolation="nearest")
        ax.set_title(t)
        ax.set_axis_off()
    if codebook is not None:
        pal = np.asarray(codebook, dtype=np.float64)
        scale = 255.0 if np.issubdtype(a.dtype, np.integer) else 1.0
        if pal.ndim == 1 or pal.shape[1] == 1:
            pal = np.repeat(pal.reshape(-1, 1), 3, axis=1)
        axes[2].imshow(np.clip(pal / scale, 0, 1)[None, :, :3], aspect="auto", interpolation="nearest")
        axes[2].set_yticks([])
        axes[2].set_xticks([])
        axes[2].set_title("palette (codebook)", fontsize="small")
    return finish(fig, path)


def plot_segmentation(image, segments, *, truth=None, alpha=0.5, title=None, ax=None, path=None):
    """A texture segmentation drawn over the image (segment ``i`` in cluster colour ``i``).

    Parameters
    ----------
    image : ndarray of shape (height, width[, channels])
    segments : ndarray of shape (height, width), int, or a TextureSegmentation
    truth : ndarray of shape (height, width), int, optional
        Known regions: a third panel shows them, and the title gives the pixel
        accuracy after matching segment numbers to regions.
    alpha : float in [0, 1], default=0.5
        Opacity of the overlay.
    title : str, optional
    ax : matplotlib Axes, optional
        Draw only the overlay into this axes (no image or known-regions
        panel; its title gives the accuracy against ``truth``).
    path : str or path-like, optional
        Save the figure there; the suffix picks the format (any of :data:`SAVE_FORMATS`).

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, with two axes (image, overlay), three with ``truth``;
        or the figure of ``ax``.
    """
    segments = np.asarray(getattr(segments, "labels", segments))
    img = np.asarray(image)
    if segments.ndim != 2 or segments.shape != img.shape[:2] or segments.dtype.kind not in "iu":
        raise ParameterError(f"segments has shape {segments.shape}, dtype {segments.dtype}; expected "
                             f"integers of shape {img.shape[:2]} to match the image")
    if not 0 <= alpha <= 1:
        raise ParameterError(f"alpha={alpha!r} must be in [0, 1]")
    if truth is not None:
        truth = np.asarray(truth)
        if truth.shape != segments.shape:
            raise ParameterError(f"truth has shape {truth.shape}; expected {segments.shape}")
    panels = 3 if truth is not None else 2
    h, w = segments.shape
    if ax is None:
        fig = new_figure((4.2 * panels, 4.2 * h / w + 0.6))
        axes = fig.subplots(1, panels)
    else:
        fig, ax = axes_figure(ax, None)
        axes = [None, ax]
    base = _displayable(img)
    gray = base if base.ndim == 2 else base[..., :3].mean(axis=2)
    gray = (gray - gray.min()) / (np.ptp(gray) or 1.0)
    pal = cluster_colors(int(segments.max()) + 1)
    overlay = (1 - alpha) * gray[..., None] + alpha * pal[segments]
    edges = _boundaries(segments)
    overlay[edges] = 0.0
    if ax is None:
        axes[0].imshow(base, cmap="gray" if base.ndim == 2 else None)
        axes[0].set_title("image")
    axes[1].imshow(np.clip(overlay, 0, 1))
    n_seg = np.unique(segments).size
    axes[1].set_title(f"{n_seg} segments")
    if truth is not None:
        from ..metrics import match_labels

        matched = match_labels(truth.ravel(), segments.ravel()).reshape(segments.shape)
        acc = float(np.mean(matched == truth))
        axes[1].set_title(f"{n_seg} segments, pixel accuracy {acc:.3f}")
        if ax is None:
            tcodes = np.unique(truth, return_inverse=True)[1].reshape(truth.shape)
            axes[2].imshow(cluster_colors(int(tcodes.max()) + 1)[tcodes])
            axes[2].set_title("known regions")
    for a in axes:
        if a is not None:
            a.set_axis_off()
    if title and ax is not None:
        ax.set_title(title)
    elif title:
        fig.suptitle(title)
    return finish(fig, path)


def _boundaries(labels):
    b = np.zeros(labels.shape, dtype=bool)
    b[:-1, :] |= labels[:-1, :] != labels[1:, :]
    b[:, :-1] |= labels[:, :-1] != labels[:, 1:]
    return b


def _displayable(img):
    img = np.asarray(img)
    if img.dtype.kind == "f":
        lo, hi = float(img.min()), float(img.max())
        if lo < 0 or hi > 1:
            return (img - lo) / ((hi - lo) or 1.0)
        return img
    if img.dtype == np.uint8:
        return img
    info = np.iinfo(img.dtype)
    return img.astype(np.float64) / info.max
