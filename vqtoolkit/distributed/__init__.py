"""Scale-out on Dask: the same kernels, run per chunk of a Dask array.

When the data no longer fit one machine, a :class:`~vqtoolkit.Codebook` is
trained on a ``dask.array.Array`` (rows chunked, all features in one chunk):
``Codebook.fit``, ``partial_fit``, ``predict`` and ``quantize`` see a Dask
array and come here.

One Lloyd iteration on Dask::

    chunk 0 ── assign_accumulate ─┐
    chunk 1 ── assign_accumulate ─┼─ add in chunk order (tree) ─> sums, counts, distortion ─> client:
    …                             │                                 new codewords (update rule of lloyd)
    chunk m ── assign_accumulate ─┘

- the kernel is :func:`vqtoolkit.kernels.assign_accumulate`, the one the
  in-memory engine uses; the codes stay on the workers, only ``k x d``
  totals travel;
- whitening and centring come from moments computed on the cluster (mean,
  variances or covariance), so the training space is the in-memory one;
- seeding: k-means++ on the whole data when it has at most
  ``vqtoolkit.init-sample-size`` rows (dask config, default 100,000), else on
  a uniform sample of that many rows; ``init='random'``, ``'lbg'`` and arrays
  work as in memory;
- stopping, empty-codeword handling, canonical numbering and the fitted
  attributes are those of the in-memory fit; ``labels_`` and ``sample_ids_``
  are lazy Dask arrays.

With the same data, chunks, seed and initial codebook the result equals the
in-memory fit (codewords to rounding, identical labels).

Clusters: :func:`get_client` uses the current Dask client, or a scheduler
address; without either it starts a :func:`local_cluster` bound to 127.0.0.1.
Only this package imports Dask; install it with ``pip install vqtoolkit[distributed]``.
"""

from ._audio import DistributedFeatures, extract_mfcc, score_collection
from ._cluster import get_client, local_cluster
from ._codebook import INIT_SAMPLE_SIZE, fit, partial_fit, predict, quantize

__all__ = [
    "fit",
    "partial_fit",
    "predict",
    "quantize",
    "get_client",
    "local_cluster",
    "extract_mfcc",
    "score_collection",
    "DistributedFeatures",
    "INIT_SAMPLE_SIZE",
]
