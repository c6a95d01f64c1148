"""Pictures of clusters and codebooks (matplotlib; works without a display).

Every function returns a :class:`matplotlib.figure.Figure` and saves it when
given ``path=``; the suffix picks the format, any that matplotlib writes
(``.png``, ``.pdf``, ``.svg``, ``.eps``, ``.jpg`` …: :data:`SAVE_FORMATS`).
Without ``ax=`` / ``fig=`` the figure is new and attached to the Agg canvas
(no pyplot state, no GUI).

Where to draw:

* one-axes pictures (:func:`plot_clusters`, :func:`plot_codebook`,
  :func:`plot_confusion`, :func:`plot_det` / :func:`plot_roc`,
  :func:`plot_k_selection` with one curve per given axes,
  :func:`plot_segmentation` for the overlay alone) take ``ax=`` and return
  ``ax.figure``;
* several-axes pictures (:func:`plot_code_sequence`,
  :func:`plot_quantized_image`) take ``fig=``, an empty Figure or a
  SubFigure (``Figure.subfigures``), and return it.

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
