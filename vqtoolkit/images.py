"""Images by vector quantization: colour quantization and texture segmentation.

Colour quantization
    Every pixel is an observation (its RGB or CIELAB colour); a codebook of
    ``n_colors`` codewords is the palette, and the image is rebuilt by
    replacing each pixel with its codeword (:func:`quantize_image`).
Texture segmentation
    Gabor texture features (:func:`vqtoolkit.features.image.texture_features`)
    of every pixel are clustered by a codebook of ``n_segments`` codewords; the
    codes, reshaped to the image, are the segment map (:func:`segment_texture`).

Images are arrays of shape ``(height, width)`` (grey) or ``(height, width,
channels)``, of any integer or float dtype; the sample images that
scikit-learn (``china.jpg``, ``flower.jpg``) and scikit-image (astronaut,
coffee, brick, grass, gravel …) ship work as they are. CIELAB needs
scikit-image (``pip install vqtoolkit[image]``). Test mosaics with known
regions are in :mod:`vqtoolkit.datasets.textures`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import kernels
from ._validation import check_image, check_positive_int, check_random_state
from .errors import ParameterError
from .features.image import DEFAULT_FREQUENCIES, texture_features

__all__ = [
    "QuantizedImage",
    "quantize_image",
    "TextureSegmentation",
    "segment_texture",
]

COLOR_SPACES = ("rgb", "lab")


# ------------------------------------------------------------------ colour quantization


@dataclass(frozen=True)
class QuantizedImage:
    """Result of :func:`quantize_image`.

    Attributes
    ----------
    image : ndarray, same shape and dtype as the input
        The image rebuilt from the codewords.
    codebook : ndarray of shape (n_colors, n_channels), float64
        The palette in the input's units (RGB values on the input's scale,
        also when the clustering ran in CIELAB), in canonical order.
    codes : ndarray of shape (height, width), int64
        Index of every pixel's codeword.
    mse : float
        Mean squared error between the input and ``image`` over all pixels
        and channels, in the input's units (0–255² for ``uint8``).
    """

    image: np.ndarray
    codebook: np.ndarray
    codes: np.ndarray
    mse: float

    @property
    def n_colors(self) -> int:
        """Number of codewords."""
        return int(self.codebook.shape[0])


def quantize_image(image, n_colors, *, color_space="rgb", histogram_bits=5, max_iter=100, tol=1e-4,
                   random_state=None, n_threads=None) -> QuantizedImage:
    """Reduce an image to ``n_colors`` colours with a k-means codebook.

    The pixels are first binned into a colour histogram of
    ``2**histogram_bits`` levels per channel that keeps, for every bin, the
    exact mean colour and the number of pixels. k-means runs on the bin means
    weighted by their counts (a few thousand points instead of every pixel),
    and then every pixel is assigned exactly to its nearest codeword. With
    ``histogram_bits=None`` k-means runs on all pixels.

    Parameters
    ----------
    image : ndarray of shape (height, width) or (height, width, channels)
        Integer or float pixel values.
    n_colors : int
        Size of the palette.
    color_space : {'rgb', 'lab'}, default='rgb'
        Space the clustering runs in. ``'lab'`` (perceptual, needs
        scikit-image) expects an RGB image, uint8 or float in [0, 1].
    histogram_bits : int in [1, 8] or None, default=5
        Histogram resolution; ``None`` clusters all pixels.
    max_iter, tol : see :class:`vqtoolkit.Codebook`.
    random_state : None, int or RandomState
    n_threads : int, optional

    Returns
    -------
    QuantizedImage

    Examples
    --------
    >>> import numpy as np
    >>> from vqtoolkit.images import quantize_image
    >>> img = np.zeros((4, 4, 3), np.uint8); img[:, 2:] = 200
    >>> res = quantize_image(img, 2, random_state=0)
    >>> res.codebook.tolist(), res.mse
    ([[0.0, 0.0, 0.0], [200.0, 200.0, 200.0]], 0.0)
    """
    from .codebook import Codebook

    img = check_image(image)
    k = check_positive_int(n_colors, "n_colors")
    if color_space not in COLOR_SPACES:
        raise ParameterError(f"color_space={color_space!r} is not one of {COLOR_SPACES}")
    if histogram_bits is not None:
        histogram_bits = check_positive_int(histogram_bits, "histogram_bits")
        if histogram_bits > 8:
            raise ParameterError(f"histogram_bits={histogram_bits} must be in [1, 8] or None")
    h, w = img.shape[:2]
    channels = 1 if img.ndim == 2 else img.shape[2]
    if k > h * w:
        raise ParameterError(f"n_colors={k} is larger than the number of pixels ({h * w})")
    pixels = img.reshape(h * w, channels)
    if color_space == "lab":
        if channels != 3:
            raise ParameterError(f"color_space='lab' needs an RGB image; got {channels} channel(s)")
        work = _rgb_to_lab(img).reshape(h * w, 3).astype(np.float32)
    else:
        work = pixels.astype(np.float32)
    if color_space == "rgb" and img.dtype == np.uint8 and histogram_bits is not None:
        points, weights = _histogram_uint8(pixels, histogram_bits)
    else:
        points, weights = _histogram(work, histogram_bits)
    if points.shape[0] < k:  # few distinct colours: cluster every pixel
        points, weights = work, None
    rng = check_random_state(random_state)
    cb = Codebook(k, max_iter=max_iter, tol=tol, n_threads=n_threads, random_state=rng)
    cb.fit(points, sample_weight=weights)
    centers = cb.codebook_.astype(np.float32)
    codes, _ = kernels.assign(work, centers, n_threads=n_threads)
    palette = centers.astype(np.float64)
    if color_space == "lab":
        palette = _lab_to_rgb(palette, img.dtype)
    rebuilt_palette = _to_dtype(palette, img.dtype)
    rebuilt = rebuilt_palette[codes].reshape(img.shape)
    diff = rebuilt.astype(np.float64) - img.astype(np.float64)
    return QuantizedImage(rebuilt, palette, codes.reshape(h, w), float(np.mean(diff * diff)))


def _histogram(work, bits):
    """Exact mean colour and pixel count of every non-empty histogram bin."""
    if bits is None:
        return work, None
    lo = work.min(axis=0)
    span = np.maximum(work.max(axis=0) - lo, 1e-12)
    levels = 1 << bits
    q = np.minimum(((work - lo) / span * levels).astype(np.int64), levels - 1)
    key = np.zeros(work.shape[0], dtype=np.int64)
    for c in range(work.shape[1]):
        key = key * levels + q[:, c]
    n_bins = levels ** work.shape[1]
    if n_bins > 1 << 24:  # many channels: fall back to the occupied bins only
        uniq, key = np.unique(key, return_inverse=True)
        n_bins = uniq.size
    counts = np.bincount(key, minlength=n_bins).astype(np.float64)
    occupied = counts > 0
    sums = np.stack(
        [np.bincount(key, weights=work[:, c], minlength=n_bins)[occupied] for c in range(work.shape[1])],
        axis=1,
    )
    counts = counts[occupied]
    return (sums / counts[:, None]).astype(np.float32), counts


def _histogram_uint8(pixels, bits):
    """:func:`_histogram` for uint8 pixels: bins by bit shifts, no float arithmetic."""
    shift = np.uint8(8 - bits)
    key = np.zeros(pixels.shape[0], dtype=np.int64)
    for c in range(pixels.shape[1]):
        key <<= bits
        key |= pixels[:, c] >> shift
    n_bins = 1 << (bits * pixels.shape[1])
    counts = np.bincount(key, minlength=n_bins)
    occupied = np.flatnonzero(counts)
    sums = np.stack([np.bincount(key, weights=pixels[:, c], minlength=n_bins)[occupied]
                     for c in range(pixels.shape[1])], axis=1)
    counts = counts[occupied].astype(np.float64)
    return (sums / counts[:, None]).astype(np.float32), counts


def _to_dtype(values, dtype):
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return np.clip(np.rint(values), info.min, info.max).astype(dtype)
    return values.astype(dtype)


def _skimage_color():
    try:
        from skimage import color
    except ImportError:  # pragma: no cover - the image extra is installed in tests
        raise ParameterError(
            "color_space='lab' needs scikit-image: pip install 'vqtoolkit[image]'"
        ) from None
    return color


def _rgb_to_lab(img):
    return _skimage_color().rgb2lab(img)


def _lab_to_rgb(lab, dtype):
    rgb = _skimage_color().lab2rgb(lab[None, :, :])[0]
    if np.issubdtype(dtype, np.integer):
        rgb = rgb * 255.0
    return rgb


# ------------------------------------------------------------------ texture segmentation


@dataclass(frozen=True)
class TextureSegmentation:
    """Result of :func:`segment_texture`.

    Attributes
    ----------
    labels : ndarray of shape (height, width), int64
        Segment of every pixel (the code of its texture feature vector).
    codebook : Codebook
        The fitted codebook (codewords = mean texture feature vectors).
    features : ndarray of shape (height * width, n_features), float32
        The per-pixel features that were clustered.
    """

    labels: np.ndarray
    codebook: object
    features: np.ndarray

    @property
    def n_segments(self) -> int:
        """Number of codewords."""
        return int(self.codebook.codebook_.shape[0])


def segment_texture(image, n_segments, *, frequencies=DEFAULT_FREQUENCIES, n_orientations=4,
                    bandwidth=1.0, smoothing=3.0, position=0.0, n_init=3, random_state=None,
                    n_threads=None) -> TextureSegmentation:
    """Segment an image into regions of similar texture.

    Gabor features (:func:`texture_features`) → k-means codebook of
    ``n_segments`` codewords → code of every pixel.

    Parameters
    ----------
    image : ndarray of shape (height, width) or (height, width, channels)
    n_segments : int
    frequencies, n_orientations, bandwidth, smoothing, position
        See :func:`texture_features`.
    n_init : int, default=3
        k-means++ restarts; the lowest distortion wins.
    random_state : None, int or RandomState
    n_threads : int, optional

    Returns
    -------
    TextureSegmentation
    """
    from .codebook import Codebook

    img = check_image(image)
    k = check_positive_int(n_segments, "n_segments")
    feats = texture_features(img, frequencies=frequencies, n_orientations=n_orientations,
                             bandwidth=bandwidth, smoothing=smoothing, position=position,
                             n_threads=n_threads)
    if k > feats.shape[0]:
        raise ParameterError(f"n_segments={k} is larger than the number of pixels ({feats.shape[0]})")
    cb = Codebook(k, n_init=n_init, random_state=check_random_state(random_state),
                  n_threads=n_threads).fit(feats)
    return TextureSegmentation(cb.labels_.reshape(img.shape[:2]), cb, feats)
