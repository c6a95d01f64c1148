"""Scale-out on Dask: the same kernels, run per chunk of a Dask array.

When the data no longer fit one machine, a :class:`~vqtoolkit.Codebook` is
trained on a ``dask.array.Array`` (rows chunked, all features in one chunk;
dense or ``scipy.sparse`` CSR blocks). ``Codebook.fit`` and ``partial_fit``
run the one fit driver of :mod:`vqtoolkit.fitting` over :class:`DaskRows`,
the Dask implementation of the backend interface (:mod:`vqtoolkit.backends`);
``predict``, ``transform``, ``score`` and ``quantize`` return lazy Dask arrays.

One Lloyd iteration on Dask::

    chunk 0 ── assign_accumulate ─┐
    chunk 1 ── assign_accumulate ─┼─ add in chunk order (tree) ─> sums, counts, distortion ─> client:
    …                             │                                 new codewords (update rule of lloyd)
    chunk m ── assign_accumulate ─┘

- the kernel is :func:`vqtoolkit.kernels.assign_accumulate`, the one the
  in-memory backend uses; the codes stay on the workers, only ``k x d``
  totals travel;
- the whitener and every metric space are fitted from column moments
  computed per chunk (:mod:`vqtoolkit.moments`), exactly as in memory;
- seeding: k-means++ on the whole data when it has at most
  ``vqtoolkit.init-sample-size`` rows (dask config, default 100,000); above
  that, the ``n_init`` restarts run in memory on a uniform sample of that
  many rows and the best seeds one run on the cluster; ``init='random'``,
  ``'lbg'`` and arrays work as in memory;
- the training rows are persisted when they take at most half of the
  workers' memory limit, else every pass streams them from the source
  (zarr, ``.npy``): data larger than the cluster's memory can be fitted;
- ``metric='cityblock'`` (k-medians): the exact weighted medians come from
  histogram passes over the chunks (:mod:`._medians`); only the few values
  left in a bracket around each median travel to the client;
- stopping, empty-codeword handling, canonical numbering and the fitted
  attributes are those of the in-memory fit; ``labels_`` and ``sample_ids_``
  are lazy Dask arrays.

With the same data, seed and initial codebook the result equals the
in-memory fit (codewords to rounding, identical labels), whatever the chunks
and the number of workers.

Clusters: :func:`get_client` uses the current Dask client, or a scheduler
address; without either it starts a :func:`local_cluster` bound to 127.0.0.1.
Only this package imports Dask; install it with ``pip install vqtoolkit[distributed]``.
"""

from ._audio import DistributedFeatures, extract_mfcc, score_collection
from ._backend import INIT_SAMPLE_SIZE, DaskRows, lazy_weighted_mean, map_rows
from ._cluster import get_client, local_cluster
from ._prepare import check_dask_X, read_rows

__all__ = [
    "DaskRows",
    "read_rows",
    "get_client",
    "local_cluster",
    "extract_mfcc",
    "score_collection",
    "DistributedFeatures",
    "INIT_SAMPLE_SIZE",
    "check_dask_X",
    "map_rows",
    "lazy_weighted_mean",
]
