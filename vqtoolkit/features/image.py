"""Image features: one row per pixel, for clustering with a codebook.

A bank of Gabor filters (several frequencies × orientations) gives every pixel
a vector of local texture energies (:func:`gabor_bank`,
:func:`texture_features`). A pixel's colour feature is its value itself
(``image.reshape(-1, channels)``). What is built on these rows lives in
:mod:`vqtoolkit.images`: colour quantization (:func:`~vqtoolkit.images.quantize_image`)
and texture segmentation (:func:`~vqtoolkit.images.segment_texture`).

Images are arrays of shape ``(height, width)`` (grey) or ``(height, width,
channels)``, of any integer or float dtype.
"""

from __future__ import annotations

import numpy as np
import scipy.fft

from .. import kernels
from .._validation import check_image, check_positive_int
from ..errors import ParameterError

__all__ = ["gabor_bank", "texture_features", "DEFAULT_FREQUENCIES"]

DEFAULT_FREQUENCIES = (0.025, 0.05, 0.1, 0.2, 0.4)


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
    img = check_image(image).astype(np.float64)
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
