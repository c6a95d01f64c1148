"""Texture mosaics: test images cut from several textures, with the true regions.

A mosaic is the reference for texture segmentation
(:func:`vqtoolkit.images.segment_texture`): every pixel knows the texture it
came from, so a segmentation can be scored after matching segment numbers to
regions (:func:`vqtoolkit.match_labels`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_image, check_positive_int
from ..errors import ParameterError

__all__ = ["TextureMosaic", "texture_mosaic", "load_texture_mosaic"]


@dataclass(frozen=True)
class TextureMosaic:
    """A test image made of several textures with known regions.

    Attributes
    ----------
    image : ndarray of shape (height, width), dtype of the textures
    truth : ndarray of shape (height, width), int64
        Which texture every pixel came from (index into the inputs).
    """

    image: np.ndarray
    truth: np.ndarray


def texture_mosaic(textures, *, shape=(256, 256)) -> TextureMosaic:
    """Cut a mosaic out of grey textures: pie slices around an off-centre point.

    Region ``i`` is the ``i``-th of ``len(textures)`` equal angular sectors
    around the point at (0.45 h, 0.55 w), each filled with the same pixels of
    texture ``i``; the borders are straight lines at varying angles, so the
    segmentation has to follow texture, not position.

    Parameters
    ----------
    textures : sequence of ndarray of shape (H_i, W_i)
        At least two grey images, each at least ``shape``.
    shape : (int, int)

    Returns
    -------
    TextureMosaic
    """
    textures = [check_image(t, what=f"textures[{i}]") for i, t in enumerate(textures)]
    if len(textures) < 2:
        raise ParameterError(f"texture_mosaic needs at least 2 textures; got {len(textures)}")
    h, w = (check_positive_int(s, "shape") for s in shape)
    for i, t in enumerate(textures):
        if t.ndim != 2 or t.shape[0] < h or t.shape[1] < w:
            raise ParameterError(
                f"textures[{i}] has shape {t.shape}; expected a grey image of at least {(h, w)}"
            )
    rows, cols = np.mgrid[0:h, 0:w]
    angle = np.arctan2(rows - 0.45 * h, cols - 0.55 * w) + np.pi  # [0, 2 pi]
    truth = np.minimum((angle / (2 * np.pi) * len(textures)).astype(np.int64), len(textures) - 1)
    out = np.empty((h, w), dtype=np.result_type(*[t.dtype for t in textures]))
    for i, t in enumerate(textures):
        out[truth == i] = t[:h, :w][truth == i]
    return TextureMosaic(out, truth)


def load_texture_mosaic(names=("brick", "grass", "gravel"), *, shape=(256, 256)) -> TextureMosaic:
    """:func:`texture_mosaic` of scikit-image sample textures (needs scikit-image).

    Parameters
    ----------
    names : sequence of str
        Names of grey images in :mod:`skimage.data` (``'brick'``, ``'grass'``,
        ``'gravel'`` …).
    shape : (int, int)

    Returns
    -------
    TextureMosaic
    """
    try:
        from skimage import data
    except ImportError:  # pragma: no cover
        raise ParameterError(
            "load_texture_mosaic needs scikit-image: pip install 'vqtoolkit[image]'"
        ) from None
    textures = []
    for name in names:
        loader = getattr(data, str(name), None)
        if loader is None or not callable(loader):
            raise ParameterError(f"{name!r} is not an image of skimage.data (try 'brick', 'grass', 'gravel')")
        textures.append(loader())
    return texture_mosaic(textures, shape=shape)
