"""Pictures of clusters and codebooks (matplotlib; works without a display).

Every function draws on a new :class:`matplotlib.figure.Figure` attached to
the Agg canvas (no pyplot state, no GUI), returns it, and saves it when given
``path=`` ending in ``.png`` or ``.svg``. Functions with one axes also accept
``ax=`` to draw into an existing axes.

Colours: cluster (codeword) ``i`` is always drawn in colour ``i`` of
:func:`cluster_colors`, a palette that stays distinguishable for hundreds of
clusters. With the canonical numbering of :class:`vqtoolkit.Codebook`, the same
cluster gets the same colour on every run and in every picture.

======================================  ================================================
:func:`plot_clusters`                   observations by cluster, codewords marked (2-D,
                                        3-D, or PCA / Isomap / t-SNE projection)
:func:`plot_codebook`                   heatmap codewords × features, original units
:func:`plot_code_sequence`              an utterance's MFCC matrix with its code sequence
:func:`plot_k_selection`                criterion curves with the chosen k marked
:func:`plot_confusion`                  a matcher's confusion matrix
:func:`plot_det`, :func:`plot_roc`      DET / ROC curves with EER / AUC
:func:`plot_quantized_image`            an image beside its colour-quantized version
:func:`plot_segmentation`               a texture segmentation overlay
======================================  ================================================
"""

from ._clusters import PROJECTIONS, plot_clusters
from ._codebooks import plot_code_sequence, plot_codebook
from ._common import SAVE_FORMATS
from ._evaluation import equal_error_rate, plot_confusion, plot_det, plot_k_selection, plot_roc
from ._images import plot_quantized_image, plot_segmentation
from ._palette import NOISE_COLOR, cluster_colors, label_colors

__all__ = [
    "plot_clusters",
    "plot_codebook",
    "plot_code_sequence",
    "plot_k_selection",
    "plot_confusion",
    "plot_det",
    "plot_roc",
    "plot_quantized_image",
    "plot_segmentation",
    "cluster_colors",
    "label_colors",
    "equal_error_rate",
    "NOISE_COLOR",
    "PROJECTIONS",
    "SAVE_FORMATS",
]
