"""Gabor texture features: scikit-image oracles."""

from __future__ import annotations

import numpy as np
import pytest

from vqtoolkit import ParameterError
from vqtoolkit.features import image as vim


def test_gabor_bank_matches_skimage_kernel_width():
    from skimage.filters import gabor_kernel

    bank = vim.gabor_bank(frequencies=[0.1], n_orientations=1, bandwidth=1.0)
    f, theta, sigma = bank[0]
    k = gabor_kernel(f, theta=theta, bandwidth=1.0)
    r = k.shape[0] // 2
    y, x = np.mgrid[-r : r + 1, -r : r + 1]
    envelope = np.exp(-(x**2 + y**2) / (2 * sigma**2)) / (2 * np.pi * sigma**2)
    assert np.allclose(np.abs(k), envelope, rtol=1e-9, atol=1e-12)
    assert vim.gabor_bank(n_orientations=6).shape == (5 * 6, 3)
    with pytest.raises(ParameterError, match=r"must be non-empty and in \(0, 0.5\]"):
        vim.gabor_bank(frequencies=[0.7])
    with pytest.raises(ParameterError, match="bandwidth=0 must be a positive"):
        vim.gabor_bank(bandwidth=0)


def test_texture_features_equal_skimage_gabor_energy_in_the_interior():
    from scipy.signal import fftconvolve
    from skimage.filters import gabor_kernel

    rng = np.random.default_rng(2)
    img = rng.normal(size=(96, 96))
    feats = vim.texture_features(img, frequencies=[0.2], n_orientations=2, smoothing=0)
    z = (img - img.mean()) / img.std()
    m = 20  # pixels away from the border, where padding does not matter
    for j, theta in enumerate([0.0, np.pi / 2]):
        energy = np.abs(fftconvolve(z, gabor_kernel(0.2, theta=theta), mode="same"))
        expect = np.log1p(energy)[m:-m, m:-m].ravel()
        got = feats[:, j].reshape(96, 96)[m:-m, m:-m].ravel()
        slope, icpt = np.polyfit(expect, got, 1)  # features are standardized: an affine map
        # skimage truncates its kernel at 3 sigma; ours is exact: agreement to ~1e-3 of the spread
        assert np.allclose(got, slope * expect + icpt, atol=0.03)
        assert np.corrcoef(got, expect)[0, 1] > 0.99999


def test_texture_features_shape_position_and_errors():
    img = np.random.default_rng(3).integers(0, 255, size=(32, 40, 3), dtype=np.uint8)
    f = vim.texture_features(img, frequencies=[0.1, 0.3], n_orientations=3, position=2.0)
    assert f.shape == (32 * 40, 8) and f.dtype == np.float32
    assert np.allclose(f[:, :6].mean(0), 0, atol=1e-4) and np.allclose(f[:, :6].std(0), 1, atol=1e-3)
    assert np.allclose(f[:, -2:].std(0), 2.0, atol=1e-3)
    with pytest.raises(ParameterError, match="smoothing=-1 must be a non-negative number"):
        vim.texture_features(img, smoothing=-1)
    with pytest.raises(ParameterError, match="position=-1 must be a non-negative number"):
        vim.texture_features(img, position=-1)
