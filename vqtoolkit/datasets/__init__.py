"""Loaders for the evaluation data sets, read in place from the data home.

The data home is ``$VQTOOLKIT_DATA``, falling back to ``../shared/data``
(see :func:`data_home`). Loaders raise :class:`vqtoolkit.DataNotFoundError`
naming every folder they looked in and where the data set can be obtained.
"""

from __future__ import annotations

from .._lazy import lazy_attributes
from ._home import data_home, find_dataset

_LAZY = {
    # clustering benchmarks (codebook core)
    "load_clustering": "clustering",
    "load_s_set_codebook": "clustering",
    "list_clustering": "clustering",
    # audio (audio front end)
    "load_fsdd": "audio",
    "load_japanese_vowels": "audio",
    # text (documents)
    "load_bbc": "text",
    "load_reuters": "text",
    "load_ag_news": "text",
    # images (texture segmentation)
    "TextureMosaic": "textures",
    "texture_mosaic": "textures",
    "load_texture_mosaic": "textures",
}

__all__ = ["data_home", "find_dataset", *_LAZY]


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals())
