"""Loaders for the evaluation data sets, read in place from the data home, and their fetcher.

The data home is ``$VQTOOLKIT_DATA``, falling back to ``../shared/data`` and
then to the user cache folder (see :func:`data_home`). :func:`fetch` downloads
a data set there (every file checked by SHA-256; ``$VQTOOLKIT_DATA_MIRROR``
replaces the upstream URLs), and the loaders do so themselves when the data is
missing (``download_if_missing=True``). When it cannot be had they raise
:class:`vqtoolkit.DataNotFoundError` naming the URL or every folder they looked in.
"""

from __future__ import annotations

from .._lazy import lazy_attributes
from ._home import data_home, download_home, find_dataset

_LAZY = {
    # fetching (pooch, SHA-256 registry)
    "fetch": "_fetch",
    "status": "_fetch",
    "FetchResult": "_fetch",
    "DatasetStatus": "_fetch",
    "describe": "_registry",
    "dataset_names": "_registry",
    "DatasetInfo": "_registry",
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

__all__ = ["data_home", "download_home", "find_dataset", *_LAZY]


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals())
