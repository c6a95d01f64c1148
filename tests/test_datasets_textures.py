"""Texture mosaics: regions known by construction."""

from __future__ import annotations

import numpy as np
import pytest

from vqtoolkit import ParameterError
from vqtoolkit.datasets import textures


def test_texture_mosaic_regions():
    a, b, c = (np.full((50, 60), v, np.uint8) for v in (10, 20, 30))
    mos = textures.texture_mosaic([a, b, c], shape=(40, 50))
    assert mos.image.shape == (40, 50) and set(np.unique(mos.truth)) == {0, 1, 2}
    assert np.array_equal(mos.image, np.choose(mos.truth, [10, 20, 30]))
    with pytest.raises(ParameterError, match="needs at least 2 textures"):
        textures.texture_mosaic([a])
    with pytest.raises(ParameterError, match=r"textures\[1\] has shape \(5, 5\)"):
        textures.texture_mosaic([a, a[:5, :5]], shape=(40, 50))
    with pytest.raises(ParameterError, match="'nope' is not an image of skimage.data"):
        textures.load_texture_mosaic(["brick", "nope"])
