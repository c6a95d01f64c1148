"""Colour quantization and texture segmentation: brute-force and scikit-learn oracles."""

from __future__ import annotations

import numpy as np
import pytest

from vqtoolkit import ParameterError, match_labels
from vqtoolkit import images as vim
from vqtoolkit.datasets.textures import load_texture_mosaic


@pytest.fixture(scope="module")
def china():
    from sklearn.datasets import load_sample_image

    return load_sample_image("china.jpg")


def test_quantize_image_few_colours_is_exact():
    img = np.zeros((6, 8, 3), np.uint8)
    img[:, 4:] = [200, 10, 30]
    img[3:, :2] = [5, 250, 5]
    res = vim.quantize_image(img, 3, random_state=0)
    assert res.mse == 0.0
    assert np.array_equal(res.image, img)
    assert sorted(map(tuple, res.codebook.astype(int))) == [(0, 0, 0), (5, 250, 5), (200, 10, 30)]
    assert res.n_colors == 3


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_quantize_image_brute_force_oracle(dtype):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, size=(30, 40, 3)).astype(dtype)
    if dtype != np.uint8:
        img = img / 255
    res = vim.quantize_image(img, 7, random_state=0)
    assert res.image.shape == img.shape and res.image.dtype == img.dtype
    px = img.reshape(-1, 3).astype(np.float64)
    d = ((px[:, None, :] - res.codebook[None].astype(np.float32).astype(np.float64)) ** 2).sum(-1)
    best = d.min(1)
    chosen = d[np.arange(px.shape[0]), res.codes.ravel()]
    assert np.allclose(chosen, best, rtol=1e-5, atol=1e-6)  # every pixel gets its nearest colour
    expect = res.codebook[res.codes.ravel()]
    if dtype == np.uint8:
        expect = np.clip(np.rint(expect), 0, 255)
    assert np.allclose(res.image.reshape(-1, 3), expect, atol=1e-6)
    assert res.mse == pytest.approx(np.mean((res.image.astype(float) - img.astype(float)) ** 2))


def test_quantize_image_grey_and_lab():
    rng = np.random.default_rng(1)
    grey = rng.integers(0, 256, size=(20, 20)).astype(np.uint16) * 100
    res = vim.quantize_image(grey, 4, random_state=0)
    assert res.image.shape == grey.shape and res.image.dtype == np.uint16 and res.codebook.shape == (4, 1)
    rgb = rng.integers(0, 256, size=(20, 30, 3), dtype=np.uint8)
    lab8 = vim.quantize_image(rgb, 8, color_space="lab", random_state=0)
    lab32 = vim.quantize_image(rgb, 32, color_space="lab", random_state=0)
    assert lab8.image.dtype == np.uint8 and lab32.mse < lab8.mse
    assert lab8.codebook.max() <= 255.5  # palette reported in RGB units, not Lab


def test_quantize_china_64_colours_beats_sklearn_example_approach(china):
    """The scikit-learn colour-quantization example: k-means on 1,000 random pixels, then predict."""
    from sklearn.cluster import KMeans
    from sklearn.utils import shuffle

    px = china.reshape(-1, 3).astype(np.float64) / 255
    sample = shuffle(px, random_state=0, n_samples=1_000)
    km = KMeans(n_clusters=64, random_state=0).fit(sample)
    rebuilt = np.clip(np.rint(km.cluster_centers_[km.predict(px)] * 255), 0, 255)
    sk_mse = np.mean((rebuilt - china.reshape(-1, 3)) ** 2)
    ours = vim.quantize_image(china, 64, random_state=0)
    assert ours.mse <= sk_mse
    full = vim.quantize_image(china[::4, ::4], 16, histogram_bits=None, random_state=0)
    hist = vim.quantize_image(china[::4, ::4], 16, random_state=0)
    assert hist.mse <= 1.05 * full.mse  # the histogram loses (almost) nothing


def test_quantize_image_errors():
    img = np.zeros((2, 2, 3), np.uint8)
    with pytest.raises(ParameterError, match=r"n_colors=5 is larger than the number of pixels \(4\)"):
        vim.quantize_image(img, 5)
    with pytest.raises(ParameterError, match="color_space='hsv' is not one of"):
        vim.quantize_image(img, 2, color_space="hsv")
    with pytest.raises(ParameterError, match=r"histogram_bits=9 must be in \[1, 8\]"):
        vim.quantize_image(img, 2, histogram_bits=9)
    with pytest.raises(ParameterError, match=r"image has shape \(2, 2, 3, 1\)"):
        vim.quantize_image(img[..., None], 2)
    with pytest.raises(ParameterError, match="NaN or infinite"):
        vim.quantize_image(np.full((2, 2), np.nan), 1)
    with pytest.raises(ParameterError, match="color_space='lab' needs an RGB image"):
        vim.quantize_image(np.zeros((3, 3)), 2, color_space="lab")


def test_segment_brick_grass_gravel_mosaic_accuracy():
    mos = load_texture_mosaic(("brick", "grass", "gravel"), shape=(256, 256))
    seg = vim.segment_texture(mos.image, 3, random_state=0)
    matched = match_labels(mos.truth.ravel(), seg.labels.ravel())
    accuracy = np.mean(matched == mos.truth.ravel())
    assert accuracy >= 0.85
    assert seg.labels.shape == (256, 256) and seg.n_segments == 3
    with pytest.raises(ParameterError, match="n_segments=0 must be an integer >= 1"):
        vim.segment_texture(mos.image, 0)


def test_uint8_histogram_equals_general_histogram_and_brute_force(china):
    px = china[::3, ::3].reshape(-1, 3)
    fast, wf = vim._histogram_uint8(px, 4)
    slow, ws = vim._histogram(px.astype(np.float32), 4)
    assert np.array_equal(fast, slow) and np.array_equal(wf, ws)
    key = [tuple(k) for k in (px >> 4)]
    bins = {k: [] for k in key}
    for k, p in zip(key, px):
        bins[k].append(p)
    assert wf.sum() == px.shape[0] and len(bins) == fast.shape[0]
    means = sorted(tuple(np.mean(v, axis=0).round(3)) for v in bins.values())
    assert np.allclose(sorted(map(tuple, fast.round(3))), means, atol=2e-3)


def test_top_level_names_are_the_images_module_functions():
    import vqtoolkit
    from vqtoolkit import datasets

    assert vqtoolkit.quantize_image is vim.quantize_image
    assert vqtoolkit.segment_texture is vim.segment_texture
    assert datasets.load_texture_mosaic is load_texture_mosaic
