"""vqtoolkit: vector quantization of signal and document features.

Vocabulary (as in :mod:`scipy.cluster.vq`)
-------------------------------------------
observation
    One row of a feature matrix ``X`` of shape ``(n_samples, n_features)``:
    an MFCC frame, a TF-IDF document vector, a pixel. Rows are observations
    everywhere in vqtoolkit.
codeword, codebook
    A codeword is a representative vector; a codebook is the ``(k, n_features)``
    array of all ``k`` codewords.
code
    The index of the codeword nearest to an observation.
distortion
    Mean *squared* Euclidean distance from each observation to its nearest
    codeword, in the space the codebook was trained in (after whitening).
    scipy's ``kmeans`` reports the mean *non-squared* distance instead.

Data flow
---------
::

    audio ─┐                      ┌─ Codebook (k-means family) ─┬─ quantize: codes, distortion
    text ──┼─ features ─ Whitener ┤                             ├─ Matcher: a codebook per class
    images ┘  (rows = obs.)       └─ choose_k (G-means, …)      └─ plots, reports, saved files

Each stage lives in the module of that name: :mod:`vqtoolkit.features`,
:mod:`vqtoolkit.whitening`, :mod:`vqtoolkit.codebook`, :mod:`vqtoolkit.quantization`,
:mod:`vqtoolkit.matcher`, :mod:`vqtoolkit.selection`, :mod:`vqtoolkit.plotting`,
:mod:`vqtoolkit.io`; images (colour quantization, texture segmentation) in
:mod:`vqtoolkit.images`.

Every fit goes through one driver::

    Codebook / Matcher / choose_k / DocumentClusterer
        └─ fitting (training space, seeding, runs, canonical numbering) ─ lloyd (the one loop)
            └─ spaces (whitener + metric space, fitted from column moments)
                └─ backends: in memory (NumPy, CSR) | distributed.DaskRows (per chunk)
                    └─ kernels (numba + BLAS): the only distance loops

Heavy modules are imported lazily, so ``import vqtoolkit`` stays fast.
"""

from __future__ import annotations

from ._lazy import lazy_attributes
from ._version import __version__
from .errors import (
    DataNotFoundError,
    EmptyClusterError,
    FileFormatError,
    InfeasibleError,
    ParameterError,
    VQError,
)

# public name -> module that defines it (imported on first access)
_LAZY = {
    "NotFittedError": "errors",
    "Whitener": "whitening",
    "Codebook": "codebook",
    "quantize": "quantization",
    "QuantizeResult": "quantization",
    "load": "io",
    "match_labels": "metrics",
    "centroid_index": "metrics",
    "Matcher": "matcher",
    "DocumentClusterer": "documents",
    "choose_k": "selection",
    "KMedoids": "kmedoids",
    "CapacitatedCodebook": "capacity",
    "quantize_image": "images",
    "segment_texture": "images",
}

__all__ = [
    "__version__",
    "VQError",
    "ParameterError",
    "EmptyClusterError",
    "InfeasibleError",
    "FileFormatError",
    "DataNotFoundError",
    *_LAZY,
]


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals())
