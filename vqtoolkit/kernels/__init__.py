"""The hot loops: assignment of observations to codewords and per-codeword accumulation.

Every algorithm in vqtoolkit (Lloyd, LBG, k-means++, mini-batch, spherical
k-means, G-means …) and the Dask engine compute distances here and nowhere
else.

How it works
------------
The rows of ``X`` are cut into *blocks* of ``BLOCK_ROWS`` rows. Blocks are
processed by a pool of Python threads, each running single-threaded BLAS and
numba functions that release the GIL. Dense squared Euclidean, per block:

1. the nearest codeword of every row, as the argmin over ``j`` of
   ``|c_j|^2 / 2 - x_i . c_j`` (half the squared distance minus
   ``|x_i|^2 / 2``; first index on ties, and when the codebook repeats a row
   the winner is mapped to the first equal codeword, since BLAS may round
   equal rows differently), ``chunk_rows`` rows at a time, by one of two
   searches with the same results up to rounding:

   - few features (``d <= 16`` where numba compiles AVX-512 code, ``d <= 8``
     otherwise): a numba loop with the feature loop unrolled for this ``d``,
     two codewords per sweep over the (transposed) rows, vectorized over rows
     (:mod:`vqtoolkit._unrolled`; ``d = 13, k = 256``: 47 ns/row against 88);
   - otherwise one GEMM, ``(-C) @ X_chunk.T`` (``k x chunk``, in the dtype of
     ``X``; BLAS reads the rows transposed, no copy), then a numba column
     argmin that runs down the codewords and across the rows, so it
     vectorizes over rows (a per-row argmin over ``k`` values does not; at
     ``d = 13, k = 64`` NumPy's took 9 ms of a 16 ms pass, this 1 ms);

2. one numba pass per row: the exact squared distance to the chosen
   codeword (computed from the difference in float64, not from the expansion,
   so it never goes negative or loses digits), and the weighted per-codeword
   sums, counts and distortion.

CSR input uses a fused numba sparse-dense product + argmin per row; L1
(``metric='cityblock'``) a direct numba distance loop.

:class:`HamerlyState` runs the same dense pass with Hamerly's bounds (one
lower bound per row): rows whose bounds prove their code cannot change skip
the search; the others are gathered and go through the search above, which
also gives their second smallest value (the new lower bound).

Memory stays bounded by ``n_threads * chunk_rows * (k + d)`` plus a few
numbers per row of a block (never an ``n x k`` matrix). Partial sums are
float64 and are added block by block *in block order*, and a row's code never
depends on which chunk or thread it was in, so the result is bit-identical
whatever the number of threads.

Shapes: ``X`` is ``(n_samples, n_features)``, float32 or float64, dense
C-contiguous or ``scipy.sparse`` CSR; ``codebook`` is ``(n_codewords,
n_features)`` of the same dtype.

Layout
------
- ``_passes.py``: the public passes (:func:`assign`, :func:`assign_accumulate`,
  :func:`accumulate`, :func:`pairwise_sq_distances`, :func:`min_sq_distances`,
  :func:`column_moments`, :func:`all_finite`, :func:`finite_peak`) and ``_run``, which checks the
  arguments of a pass and dispatches its blocks to the kernels below;
- ``_pool.py``: the worker pool, :func:`single_threaded_blas`, per-thread
  scratch buffers, ``BLOCK_ROWS`` and :func:`default_n_threads`;
- ``_dense.py``: dense squared Euclidean search (GEMM + column argmin, or the
  unrolled loop), its chunk size, and the exact distances and totals (step 2);
- ``_sparse.py``: CSR kernels; ``_l1.py``: city-block kernels;
- ``_hamerly.py``: :class:`HamerlyState` and its numba helpers.

numba caches the machine code of each file keyed on that file alone, so the
cached kernels of ``_hamerly.py`` (which inline ``_row_sq_dist`` and
``_add_row`` from ``_dense.py``) do not notice edits to ``_dense.py``: clear
the numba cache (``vqtoolkit/kernels/__pycache__/*.nb?``) after changing those
helpers. The generated unrolled searches carry a hash of every file of this
package in their name (:mod:`vqtoolkit._unrolled`).
"""

from __future__ import annotations

from ._dense import (  # noqa: F401  private, reached as kernels.<name> by the tests
    _NO_ROWS,
    _default_chunk_rows,
    _dense_search,
    _gemm_argmin,
    _gemm_operands,
    _index_dtype,
)
from ._hamerly import HamerlyState
from ._passes import (
    AssignStats,
    accumulate,
    all_finite,
    assign,
    assign_accumulate,
    column_moments,
    finite_peak,
    min_sq_distances,
    pairwise_sq_distances,
)
from ._pool import BLOCK_ROWS, default_n_threads, single_threaded_blas
from ._seeding import SeedingState

__all__ = [
    "SeedingState",
    "AssignStats",
    "HamerlyState",
    "assign",
    "assign_accumulate",
    "accumulate",
    "pairwise_sq_distances",
    "min_sq_distances",
    "default_n_threads",
    "single_threaded_blas",
    "column_moments",
    "all_finite",
    "finite_peak",
    "BLOCK_ROWS",
]
