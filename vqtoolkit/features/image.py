"""Image features: colour quantization and texture segmentation by vector quantization.

Colour quantization
    Every pixel is an observation (its RGB or CIELAB colour); a codebook of
    ``n_colors`` codewords is the palette, and the image is rebuilt by
    replacing each pixel with its codeword (:func:`quantize_image`).
Texture segmentation
    A bank of Gabor filters (several frequencies × orientations) gives every
    pixel a vector of local texture energies; a codebook of ``n_segments``
    codewords clusters them and the codes, reshaped to the image, are the
    segment map (:func:`texture_features`, :func:`segment_texture`).

Images are arrays of shape ``(height, width)`` (grey) or ``(height, width,
channels)``, of any integer or float dtype; the sample images that
scikit-learn (``china.jpg``, ``flower.jpg``) and scikit-image (astronaut,
coffee, brick, grass, gravel …) ship work as they are. CIELAB needs
scikit-image (``pip install vqtoolkit[image]``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.fft

from .. import kernels
from .._validation import check_positive_int, check_random_state
from ..errors import ParameterError

__all__ = [
    "QuantizedImage",
    "quantize_image",
    "gabor_bank",
    "texture_features",
    "TextureSegmentation",
    "segment_texture",
    "TextureMosaic",
    "texture_mosaic",
    "load_texture_mosaic",
]

COLOR_SPACES = ("rgb", "lab")
DEFAULT_FREQUENCIES = (0.025, 0.05, 0.1, 0.2, 0.4)


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
    >>> from vqtoolkit.features.image import quantize_image
    >>> img = np.zeros((4, 4, 3), np.uint8); img[:, 2:] = 200
    >>> res = quantize_image(img, 2, random_state=0)
    >>> res.codebook.tolist(), res.mse
    ([[0.0, 0.0, 0.0], [200.0, 200.0, 200.0]], 0.0)
    """
    from ..codebook import Codebook

    img = _check_image(image)
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


def _check_image(image, *, what="image"):
    try:
        img = np.asarray(image)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{what}: cannot be read as an array ({exc})") from None
    if img.ndim not in (2, 3) or img.shape[0] == 0 or img.shape[1] == 0:
        raise ParameterError(
            f"{what} has shape {img.shape}; expected (height, width) or (height, width, channels)"
        )
    if img.dtype.kind not in "uif" and img.dtype != bool:
        raise ParameterError(f"{what} has dtype {img.dtype}; expected integer or float pixels")
    if img.dtype == bool:
        img = img.astype(np.uint8)
    if img.dtype.kind == "f" and not np.isfinite(img).all():
        raise ParameterError(f"{what} contains NaN or infinite values")
    return img


# ------------------------------------------------------------------ texture features


def gabor_bank(*, frequencies=DEFAULT_FREQUENCIES, n_orientations=4, bandwidth=1.0):
    """The (frequency, orientation, sigma) triples of a Gabor filter bank.

    Parameters
    ----------
    frequencies : sequence of float in (0, 0.5]
        Centre frequencies in cycles per pixel.
    n_orientations : int
        Orientations evenly spaced in [0, pi).
    bandwidth : float
        Frequency bandwidth in octaves; sets the Gaussian envelope
        ``sigma = c / f`` as :func:`skimage.filters.gabor_kernel` does.

    Returns
    -------
    ndarray of shape (n_filters, 3), float64
        Columns: frequency, orientation (radians), sigma (pixels).
    """
    freqs = np.asarray(frequencies, dtype=np.float64).ravel()
    if freqs.size == 0 or not np.all((freqs > 0) & (freqs <= 0.5)):
        raise ParameterError(f"frequencies={list(freqs)} must be non-empty and in (0, 0.5] cycles/pixel")
    n_orientations = check_positive_int(n_orientations, "n_orientations")
    if not (np.isfinite(bandwidth) and bandwidth > 0):
        raise ParameterError(f"bandwidth={bandwidth!r} must be a positive number of octaves")
    c = np.sqrt(np.log(2) / 2) / np.pi * (2.0**bandwidth + 1) / (2.0**bandwidth - 1)
    thetas = np.arange(n_orientations) * np.pi / n_orientations
    return np.array([(f, t, c / f) for f in freqs for t in thetas])


def texture_features(image, *, frequencies=DEFAULT_FREQUENCIES, n_orientations=4, bandwidth=1.0,
                     smoothing=3.0, position=0.0, n_threads=None):
    """Per-pixel texture features from a Gabor filter bank.

    For every filter the local energy ``|I * g|`` (modulus of the complex
    Gabor response, computed in the Fourier domain on a reflect-padded image)
    is smoothed by a Gaussian of ``smoothing`` times the filter's envelope
    width and log-compressed. Features are standardized to zero mean and
    unit variance.

    Parameters
    ----------
    image : ndarray of shape (height, width) or (height, width, channels)
        Colour images are converted to grey (mean of the channels).
    frequencies, n_orientations, bandwidth
        The filter bank; see :func:`gabor_bank`.
    smoothing : float, default=3.0
        Width of the energy smoothing relative to each filter's sigma; 0 turns
        it off.
    position : float, default=0.0
        Weight of two extra standardized columns with each pixel's row and
        column; larger values favour compact segments.
    n_threads : int, optional
        Workers for the FFTs.

    Returns
    -------
    ndarray of shape (height * width, n_filters [+ 2]), float32
        One row per pixel, in row-major order.
    """
    img = _check_image(image).astype(np.float64)
    if img.ndim == 3:
        img = img.mean(axis=2)
    if not (np.isfinite(smoothing) and smoothing >= 0):
        raise ParameterError(f"smoothing={smoothing!r} must be a non-negative number")
    if not (np.isfinite(position) and position >= 0):
        raise ParameterError(f"position={position!r} must be a non-negative number")
    bank = gabor_bank(frequencies=frequencies, n_orientations=n_orientations, bandwidth=bandwidth)
    h, w = img.shape
    img = (img - img.mean()) / (img.std() or 1.0)
    pad = int(np.ceil(3 * bank[:, 2].max()))
    pad = min(pad, 4 * max(h, w))
    padded = np.pad(img, pad, mode="symmetric") if pad else img
    workers = n_threads or kernels.default_n_threads()
    spectrum = scipy.fft.fft2(padded, workers=workers)
    fy = scipy.fft.fftfreq(padded.shape[0])[:, None]
    fx = scipy.fft.fftfreq(padded.shape[1])[None, :]
    rfx = scipy.fft.rfftfreq(padded.shape[1])[None, :]
    feats = np.empty((h * w, bank.shape[0] + (2 if position > 0 else 0)), dtype=np.float32)
    for j, (f, theta, sigma) in enumerate(bank):
        u0, v0 = f * np.cos(theta), f * np.sin(theta)
        transfer = np.exp(-2 * np.pi**2 * sigma**2 * ((fx - u0) ** 2 + (fy - v0) ** 2))
        energy = np.abs(scipy.fft.ifft2(spectrum * transfer, workers=workers))
        if smoothing > 0:  # Gaussian smoothing, also in the Fourier domain
            s = smoothing * sigma
            smooth = np.exp(-2 * np.pi**2 * s**2 * (rfx**2 + fy**2))
            energy = scipy.fft.irfft2(scipy.fft.rfft2(energy, workers=workers) * smooth,
                                      s=energy.shape, workers=workers)
        feats[:, j] = np.log1p(np.maximum(energy[pad : pad + h, pad : pad + w], 0)).ravel()
    if position > 0:
        rows, cols = np.mgrid[0:h, 0:w]
        feats[:, -2] = rows.ravel()
        feats[:, -1] = cols.ravel()
    mean = feats.mean(axis=0, dtype=np.float64)
    std = feats.std(axis=0, dtype=np.float64)
    std[std == 0] = 1.0
    feats -= mean.astype(np.float32)
    feats /= std.astype(np.float32)
    if position > 0:
        feats[:, -2:] *= np.float32(position)
    return feats


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
    from ..codebook import Codebook

    img = _check_image(image)
    k = check_positive_int(n_segments, "n_segments")
    feats = texture_features(img, frequencies=frequencies, n_orientations=n_orientations,
                             bandwidth=bandwidth, smoothing=smoothing, position=position,
                             n_threads=n_threads)
    if k > feats.shape[0]:
        raise ParameterError(f"n_segments={k} is larger than the number of pixels ({feats.shape[0]})")
    cb = Codebook(k, n_init=n_init, random_state=check_random_state(random_state),
                  n_threads=n_threads).fit(feats)
    return TextureSegmentation(cb.labels_.reshape(img.shape[:2]), cb, feats)


# ------------------------------------------------------------------ texture mosaics


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
    textures = [_check_image(t, what=f"textures[{i}]") for i, t in enumerate(textures)]
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
