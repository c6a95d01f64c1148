"""Where the rows of a fit live: the backend interface, and the in-memory backend.

The fit driver (:mod:`vqtoolkit.fitting`, :mod:`vqtoolkit.lloyd`) never looks
at the rows themselves. It asks a *rows* object for a few operations:

``shape``, ``dtype``, ``sparse``, ``weight``
    what the rows are, and their total sample weight;
``moments(order)``
    weighted column moments (:class:`~vqtoolkit.moments.Moments`); raises on
    NaN, infinity or bad weights, naming the input;
``map(fn)``
    the rows after a row-wise map (into the training space);
``passes(...)``
    a pass runner: ``step(C)`` assigns every row to the codewords ``C`` and
    returns the per-codeword totals (:class:`~vqtoolkit.kernels.AssignStats`)
    and how many codes changed; ``reset()``, ``farthest(m)``,
    ``medians(C)``, and the codes and distances of the last pass;
``take(rows)``, ``draw(k, rng)``
    rows by number (dense, in the rows' dtype) and distinct row numbers drawn by weight;
``seeding_rows(rng)``
    the rows k-means++ seeds on: all of them here; a sample on a cluster.

For k selection (G-means / X-means, :mod:`vqtoolkit.selection`) a backend
also gives per-code results for the codes of a pass, all small except the
projections (one float per row): ``group_scatter``, ``group_power``,
``group_farthest``, ``group_sse``, ``group_projections`` and ``children``
(the 2-means passes of every parent's two children at once). They run the
kernels of :mod:`vqtoolkit.kernels._groups`; no backend gathers the rows.

:class:`InMemoryRows` implements it for a NumPy array or a CSR matrix with
the kernels of :mod:`vqtoolkit.kernels` (threads, Hamerly's bounds);
:class:`vqtoolkit.distributed.DaskRows` for a Dask array, with the same
kernels per chunk.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from . import kernels
from .errors import ParameterError
from .kernels import _groups
from .moments import Moments, block_moments
from .seeding import random_row_numbers

__all__ = ["Rows", "InMemoryRows", "check_moments", "weighted_median", "midpoint", "group_medians",
           "split_values"]


def check_moments(mom: Moments, *, what, shape) -> Moments:
    """Raise the user-facing error for non-finite data or bad weights counted in ``mom``."""
    if mom.n_bad:
        raise ParameterError(f"{what}: X of shape {shape} contains {mom.n_bad} NaN or infinite value(s)")
    if mom.n_bad_weights:
        raise ParameterError("sample_weight must be finite and non-negative")
    if mom.weight <= 0:
        raise ParameterError("sample_weight sums to zero; at least one weight must be positive")
    return mom


class Rows:
    """What every rows backend shares: ``X`` (ndarray, CSR matrix or Dask array) and its shape."""

    X = None

    @property
    def shape(self):
        """``(n_samples, n_features)``."""
        return self.X.shape

    @property
    def dtype(self):
        """float32 or float64."""
        return self.X.dtype

    @property
    def sparse(self):
        """True for CSR rows (a Dask array's blocks: its ``_meta``)."""
        return sp.issparse(getattr(self.X, "_meta", self.X))


class InMemoryRows(Rows):
    """Rows held in memory: a NumPy array or a CSR matrix (already validated).

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features), float32 or float64
    sample_weight : ndarray of shape (n_samples,), optional
        None means unit weights (the kernels then skip the weight array).
    n_threads : int, optional
        Threads of the kernels; results do not depend on it.
    chunk_rows : int, optional
        Rows per search step of the kernels.
    what : str
        Names the input in error messages.
    """

    def __init__(self, X, sample_weight=None, *, n_threads=None, chunk_rows=None, what="X"):
        self.X = X
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight,
                                                                           dtype=np.float64)
        self.n_threads = n_threads
        self.chunk_rows = chunk_rows
        self.what = what

    @property
    def weight(self) -> float:
        """Total sample weight."""
        return float(self.X.shape[0] if self.sample_weight is None else self.sample_weight.sum())

    def moments(self, order="mean") -> Moments:
        """Weighted column moments (``'mean'``, ``'var'`` or ``'cov'``), float64."""
        # the rows were validated (check_X read them once for NaN): no second finiteness pass
        mom = block_moments(self.X, self.sample_weight, order, check_finite=False)
        return check_moments(mom, what=self.what, shape=self.shape)

    def map(self, fn):
        """The rows after ``fn`` (row-wise; keeps the number of rows)."""
        return InMemoryRows(fn(self.X), self.sample_weight, n_threads=self.n_threads,
                            chunk_rows=self.chunk_rows, what=self.what)

    def passes(self, *, metric="sqeuclidean", update="mean", algorithm="auto"):
        """A pass runner over these rows (see :class:`MemoryPasses`)."""
        return MemoryPasses(self, metric=metric, update=update, algorithm=algorithm)

    def take(self, rows):
        """Rows by number, dense, in the rows' dtype; shape (len(rows), n_features)."""
        rows = np.asarray(rows, dtype=np.int64)
        if sp.issparse(self.X):
            return self.X[rows].toarray()
        return np.asarray(self.X[rows])

    def draw(self, k, rng):
        """``k`` distinct row numbers drawn with probability proportional to weight."""
        w = np.ones(self.X.shape[0]) if self.sample_weight is None else self.sample_weight
        return random_row_numbers(w, k, rng)

    def seeding_rows(self, rng):
        """``(rows, whole)``: k-means++ seeds on all the rows."""
        return self, True

    # -- per-code results for k selection (codes: of a pass over these rows; select: bool (k,))

    def group_scatter(self, codes, centers, select):
        """``sum (x - c)(x - c)^T`` of every selected code; shape (n_selected, d, d), float64."""
        return _groups.group_scatter(self.X, codes, centers, select)

    def group_power(self, codes, centers, V, select):
        """``sum ((x - c) . v) (x - c)`` of every selected code; shape (k, d), float64."""
        return _groups.group_power(self.X, codes, centers, V, select)

    def group_farthest(self, codes, centers, select):
        """Row number of the member farthest from its center, per code (-1: none); shape (k,)."""
        return _groups.group_farthest(self.X, codes, centers, select)[1]

    def group_sse(self, codes, centers, select):
        """Sum of squared distances of every selected code's rows to its center; shape (k,)."""
        return _groups.group_sse(self.X, codes, centers, select)

    def group_projections(self, codes, directions, select):
        """``x . directions[code]`` of the rows of every selected code: one array per code, row order."""
        values, which = _groups.group_project(self.X, codes, directions, select)
        return split_values(values, which, select)

    def children(self, codes):
        """A runner of 2-means passes of every parent's two children (see :class:`MemoryChildren`)."""
        return MemoryChildren(self.X, codes)

    def sample_ids(self):
        """Row positions, shape (n_samples,)."""
        return np.arange(self.X.shape[0])

    def labels(self, codes, inverse):
        """Codes of the final pass renumbered by ``inverse`` (an ndarray)."""
        return inverse[codes]


class MemoryPasses:
    """Assignment passes over in-memory rows: plain kernels, or Hamerly's bounds where they apply.

    ``algorithm='hamerly'`` (and ``'auto'``) uses :class:`~vqtoolkit.kernels.HamerlyState`
    for dense rows with squared-Euclidean assignment and the ``'mean'`` or
    ``'spherical'`` update; otherwise every pass computes every distance.
    """

    def __init__(self, rows, *, metric, update, algorithm):
        X = rows.X
        self.rows = rows
        self.metric = metric
        self._bounds = None
        if (algorithm != "lloyd" and not sp.issparse(X) and metric == "sqeuclidean"
                and update in ("mean", "spherical") and X.dtype in (np.float32, np.float64)):
            self._bounds = kernels.HamerlyState(X, sample_weight=rows.sample_weight,
                                                chunk_rows=rows.chunk_rows,
                                                n_threads=rows.n_threads)
        self.codes = None
        self.sq_distances = None

    def __enter__(self):
        # one BLAS limit for the whole run: restoring it between passes wakes spinning BLAS threads
        self._blas = kernels.single_threaded_blas()
        self._blas.__enter__()
        return self

    def __exit__(self, *exc):
        self._blas.__exit__(*exc)

    def step(self, C):
        """Assign every row to ``C``; returns ``(stats, n_changed)`` (all rows on the first pass)."""
        rows = self.rows
        if self._bounds is not None:
            codes, dist, stats = self._bounds.step(C)
            changed = self._bounds.n_changed if self.codes is not None else rows.shape[0]
        else:
            codes, dist, stats = kernels.assign_accumulate(
                rows.X, C, sample_weight=rows.sample_weight, metric=self.metric,
                n_threads=rows.n_threads, chunk_rows=rows.chunk_rows)
            changed = rows.shape[0] if self.codes is None else int(np.count_nonzero(codes != self.codes))
        self.codes, self.sq_distances = codes, dist
        return stats, changed

    def reset(self):
        """Codewords moved by more than an update (empties): forget the bounds."""
        if self._bounds is not None:
            self._bounds.reset()

    def farthest(self, m):
        """Numbers of the ``m`` rows farthest from their codeword (ties: lowest row)."""
        return np.argsort(-np.asarray(self.sq_distances, dtype=np.float64), kind="stable")[:m]

    def medians(self, C):
        """Coordinate-wise weighted median of every codeword's rows (``C`` where it has none)."""
        X = self.rows.X
        w = self.rows.sample_weight
        w = np.ones(X.shape[0]) if w is None else w
        return group_medians(X, w, self.codes, C)

    def codes_array(self):
        """Codes of the last pass, shape (n_samples,), int64 (a copy)."""
        return np.array(self.codes)

    def distances_array(self):
        """Squared (L1 for city-block) distances of the last pass, shape (n_samples,)."""
        return np.array(self.sq_distances)


class MemoryChildren:
    """2-means passes over in-memory rows: ``step(children, todo)`` returns the totals (a ``ChildStep``).

    The child of every row is kept between passes (to count the changes per
    parent). The first pass takes the rows of its ``todo`` parents (in row
    order) and the later passes read only those: ``todo`` never grows.
    """

    def __init__(self, X, codes):
        self.X = X
        self.codes = np.asarray(codes)
        self._prev = None
        self._part = None

    def step(self, children, todo):
        """Assign the rows of the ``todo`` parents to their nearer child; totals of the pass."""
        if self._part is None:
            rows = np.flatnonzero(np.asarray(todo)[self.codes])
            self._part = (self.X[rows], self.codes[rows])
        X, codes = self._part
        s = _groups.children_step(X, codes, children, todo, self._prev)
        self._prev = s.codes
        return s.totals()


def split_values(values, which, select):
    """The ``values`` of every selected code, in their order: a list over ``numpy.flatnonzero(select)``."""
    return [values[m] for m in _groups._members(which, np.flatnonzero(select))]


def group_medians(X, w, codes, C):
    """Weighted median of the rows of every code; rows ``C[j]`` kept for codes with no rows.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    w : ndarray of shape (n_samples,)
    codes : ndarray of shape (n_samples,), int
    C : ndarray of shape (n_codewords, n_features)

    Returns
    -------
    ndarray of shape (n_codewords, n_features), float64
    """
    out = np.array(C, dtype=np.float64, copy=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(C.shape[0] + 1))
    for j in range(C.shape[0]):
        rows = order[bounds[j]: bounds[j + 1]]
        if rows.size:
            out[j] = weighted_median(np.asarray(X[rows], dtype=np.float64), w[rows])
    return out


def weighted_median(values, weights):
    """Column-wise weighted median (the average of the two middle values on an exact tie).

    Parameters
    ----------
    values : ndarray of shape (n, d)
    weights : ndarray of shape (n,), non-negative

    Returns
    -------
    ndarray of shape (d,)
        With unit weights this equals ``numpy.median(values, axis=0)``.
    """
    idx = np.argsort(values, axis=0, kind="stable")
    v = np.take_along_axis(values, idx, axis=0)
    cw = np.cumsum(weights[idx], axis=0)
    half = cw[-1] / 2.0
    tol = 1e-12 * cw[-1]
    lo = np.argmax(cw >= half - tol, axis=0)
    cols = np.arange(values.shape[1])
    med = v[lo, cols]
    exact = np.abs(cw[lo, cols] - half) <= tol
    hi = np.minimum(lo + 1, values.shape[0] - 1)
    return np.where(exact, midpoint(med, v[hi, cols]), med)


def midpoint(a, b):
    """``(a + b) / 2`` without overflow: the same bits wherever ``a + b`` is finite.

    The weighted median averages the two middle values on an exact tie; for
    values beyond half the largest float, ``a / 2 + b / 2`` replaces the sum
    that would overflow to infinity. Keeps the dtype of ``a + b``.
    """
    a = np.asarray(a)
    b = np.asarray(b)
    with np.errstate(over="ignore"):
        m = (a + b) / 2.0
    return np.where(np.isinf(m), a / 2.0 + b / 2.0, m)
