"""Rows on a Dask cluster: the fit driver's backend interface over the chunks of a Dask array.

Every operation runs the shared kernels per chunk and brings back only small
results: a pass returns per-codeword sums, counts and distortion
(:class:`~vqtoolkit.kernels.AssignStats`), moments return a
:class:`~vqtoolkit.moments.Moments`, added in a fixed tree *in chunk order*
(so the result does not depend on which worker finished first). Codes and
distances stay on the workers.

Memory: the training-space rows are persisted on the workers when they take
at most half of the workers' total memory limit; otherwise every pass reads
the source again (a zarr store, an ``.npy`` file …), chunk by chunk, so data
larger than the cluster's memory can be fitted.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .. import kernels
from ..backends import InMemoryRows, Rows, check_moments
from ..moments import block_moments
from ..seeding import random_row_numbers
from ._cluster import _client
from ._hamerly import hamerly_chunks
from ._medians import code_ranges, dask_medians
from ._prepare import check_dask_weight, check_dask_X
from ._selection import DaskGroups

__all__ = ["DaskRows", "DaskPasses", "tree_reduce", "map_rows", "lazy_weighted_mean",
           "INIT_SAMPLE_SIZE", "FAN_IN"]

#: Rows drawn for k-means++ seeding (dask config ``vqtoolkit.init-sample-size``).
INIT_SAMPLE_SIZE = 100_000
FAN_IN = 8  # partial results added per reduction task
#: Persist the training rows when they take at most this share of the workers' memory limit.
PERSIST_SHARE = 0.5


class DaskRows(DaskGroups, Rows):
    """Rows of a Dask array (dense or ``scipy.sparse`` CSR blocks), for the fit driver.

    Parameters
    ----------
    X : dask.array.Array of shape (n_samples, n_features)
        Checked (:func:`check_dask_X`): known row chunks, one column chunk.
    w : dask.array.Array of shape (n_samples,) or None
        Chunked like the rows of ``X``.
    client : distributed.Client
    n_threads : int
        Kernel threads per task (Dask runs the tasks in parallel).
    what : str
        Names the input in error messages.
    """

    def __init__(self, X, w, *, client, n_threads=1, what="X", weight=None):
        self.X = X
        self.w = w
        self.client = client
        self.n_threads = n_threads
        self.what = what
        self._weight = weight
        self._moments = {}
        self.offsets = np.concatenate([[0], np.cumsum(X.chunks[0])]).astype(np.int64)

    @classmethod
    def from_input(cls, X, sample_weight=None, *, n_threads=None, what="X", client=None):
        """Check a user's Dask array and weights and wrap them."""
        X = check_dask_X(X, what=what)
        w = check_dask_weight(sample_weight, X)
        return cls(X, w, client=_client(client), n_threads=n_threads or 1, what=what)

    # -- what the rows are

    @property
    def weight(self) -> float:
        """Total sample weight (one pass over the data the first time; checks NaN and weights)."""
        if self._weight is None:
            self._weight = self.moments("mean").weight
        return self._weight

    def moments(self, order="mean"):
        """Weighted column moments, one task per chunk, added in chunk order."""
        if order not in self._moments:
            import dask

            parts = [dask.delayed(block_moments, pure=True)(x, w, order)
                     for x, w in zip(self._chunks(), self._weight_chunks())]
            root = tree_reduce(parts, _add, lambda f, *a: dask.delayed(f, pure=True)(*a))
            mom = self.client.compute(root).result()
            self._moments[order] = check_moments(mom, what=self.what, shape=self.shape)
        return self._moments[order]

    # -- derived rows

    def map(self, fn):
        """The rows after the row-wise ``fn`` (lazy); persisted when they fit the workers' memory."""
        X = self.X.map_blocks(fn, dtype=self.X.dtype, meta=self.X._meta)
        weight = self._weight if self._weight is not None else (
            next(iter(self._moments.values())).weight if self._moments else None)
        w = self.w
        if self._fits_in_memory():
            X, w = (self.client.persist(X), None if w is None else self.client.persist(w))
        return DaskRows(X, w, client=self.client, n_threads=self.n_threads, what=self.what,
                        weight=weight)

    # -- passes and rows

    def passes(self, *, metric="sqeuclidean", update="mean", algorithm="auto"):
        """A pass runner: per chunk, with Hamerly's bounds where they apply (as in memory)."""
        return DaskPasses(self, metric, update, algorithm)

    def take(self, rows):
        """Rows by global number (any order), dense, in the rows' dtype."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty((rows.size, self.shape[1]), dtype=self.dtype)
        chunk = np.searchsorted(self.offsets, rows, side="right") - 1
        chunks = self._chunks()
        import dask

        jobs = []
        for c in np.unique(chunk):
            sel = np.flatnonzero(chunk == c)
            jobs.append((sel, dask.delayed(_dense_rows)(chunks[c], rows[sel] - self.offsets[c])))
        for (sel, _), got in zip(jobs, self.client.gather(self.client.compute([j for _, j in jobs]))):
            out[sel] = got
        return out

    def draw(self, k, rng):
        """``k`` distinct row numbers drawn with probability proportional to weight."""
        w = np.ones(self.shape[0]) if self.w is None else self._weights()
        return random_row_numbers(w, k, rng)

    def seeding_rows(self, rng):
        """``(in-memory rows, whole)``: all rows up to ``vqtoolkit.init-sample-size``, else a sample."""
        import dask

        n = self.shape[0]
        m = int(dask.config.get("vqtoolkit.init-sample-size", INIT_SAMPLE_SIZE))
        whole = m >= n
        rows = np.arange(n) if whole else np.sort(rng.choice(n, size=m, replace=False))
        X = self._gather_rows(rows)
        w = None if self.w is None else self._weights()[rows]
        return InMemoryRows(X, w, n_threads=self.n_threads, what=self.what), whole

    def sample_ids(self):
        """Row positions as a lazy Dask array chunked like the rows."""
        import dask.array as da

        return da.arange(self.shape[0], chunks=(self.X.chunks[0],))

    def labels(self, codes, inverse):
        """Lazy codes renumbered by ``inverse``."""
        import numpy as _np

        return codes.map_blocks(_renumber, _np.asarray(inverse), dtype=np.int64)

    # -- internals

    def _chunks(self):
        return list(self.X.to_delayed().ravel())

    def _weight_chunks(self):
        return [None] * len(self.X.chunks[0]) if self.w is None else list(self.w.to_delayed().ravel())

    def _weights(self):
        """The sample weights gathered to the client, float64 (``w`` must not be None)."""
        return np.asarray(self.client.compute(self.w).result(), dtype=np.float64)

    def _fits_in_memory(self):
        info = self.client.scheduler_info().get("workers", {})
        limits = [int(v.get("memory_limit") or 0) for v in info.values()]
        if not limits or any(lim == 0 for lim in limits):
            return True  # no limit set
        nbytes = self.shape[0] * self.shape[1] * self.dtype.itemsize
        return nbytes <= PERSIST_SHARE * sum(limits)

    def _gather_rows(self, rows):
        """Rows by global number, sorted, keeping CSR as CSR."""
        import dask

        chunk = np.searchsorted(self.offsets, rows, side="right") - 1
        chunks = self._chunks()
        jobs = [dask.delayed(_rows)(chunks[c], rows[chunk == c] - self.offsets[c])
                for c in np.unique(chunk)]
        parts = self.client.gather(self.client.compute(jobs))
        if self.sparse:
            return sp.vstack([sp.csr_matrix(p) for p in parts], format="csr")
        return np.concatenate(parts)


class DaskPasses:
    """Assignment passes over the chunks: one task per chunk, totals reduced in chunk order."""

    def __init__(self, rows, metric, update="mean", algorithm="lloyd"):
        self.rows = rows
        self.metric = metric
        self.update = update
        #: Hamerly's bounds (:mod:`vqtoolkit.distributed._hamerly`), or None for plain passes
        self.hamerly = hamerly_chunks(rows, metric, update, algorithm)
        self._steps = None
        self._C = None
        self._ranges = None
        #: one dict per :meth:`medians` call: refinement passes and values gathered to the client
        self.median_log = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def step(self, C):
        """Assign every row to ``C``; returns ``(stats, n_changed)`` (all rows on the first pass)."""
        import dask

        rows = self.rows
        client = rows.client
        # the codebook is one literal of the graph (not scattered): a restarted worker recomputes
        Cf = dask.delayed(np.ascontiguousarray(C), pure=True)
        prev = self._steps or [None] * len(rows.X.chunks[0])
        if self.hamerly is not None:  # each chunk's task starts from that chunk's previous state
            steps, total = self.hamerly.run(C, self._C, prev, tree_reduce)
        else:
            tasks = [dask.delayed(_step, pure=False)(x, Cf, w, p, self.metric, rows.n_threads,
                                                      self.update == "median")
                     for x, w, p in zip(rows._chunks(), rows._weight_chunks(), prev)]
            steps = client.compute(tasks)
            total = tree_reduce(steps, _combine, lambda f, *a: client.submit(f, *a, pure=False)).result()
        first = self._steps is None
        self._steps = steps
        self._C = np.ascontiguousarray(C)
        self._ranges = total.ranges
        return total.stats, rows.shape[0] if first else total.changed

    def reset(self):
        """Codewords moved by more than an update (empties): forget the bounds."""
        if self.hamerly is not None:
            self.hamerly.reset()

    def farthest(self, m):
        """Global numbers of the ``m`` rows farthest from their codeword (ties: lowest row)."""
        import dask

        rows = self.rows
        tasks = [dask.delayed(_farthest)(x, self._C, m, int(off), self.metric)
                 for x, off in zip(rows._chunks(), rows.offsets[:-1])]
        parts = rows.client.gather(rows.client.compute(tasks))
        d = np.concatenate([p[0] for p in parts])
        rows = np.concatenate([p[1] for p in parts])
        return rows[np.lexsort((rows, -d))[:m]]

    def medians(self, C):
        """Weighted medians of every codeword's rows, exact, by histogram passes over the chunks.

        The rows and codes stay on the workers: see :mod:`vqtoolkit.distributed._medians`
        (``C[j]`` is kept for a codeword with no rows, as in memory).
        """
        log = {}
        out = dask_medians(self._run, C, self._ranges, log=log)
        self.median_log.append(log)
        return out

    def _run(self, fn, plan):
        """``fn(x, w, step, plan)`` on every chunk (with the last pass's codes), added in chunk order."""
        import dask

        rows = self.rows
        client = rows.client
        P = dask.delayed(plan, pure=True)
        tasks = [dask.delayed(fn, pure=False)(x, w, s, P)
                 for x, w, s in zip(rows._chunks(), rows._weight_chunks(), self._steps)]
        parts = client.compute(tasks)
        return tree_reduce(parts, _add, lambda f, *a: client.submit(f, *a, pure=False)).result()

    def codes_array(self):
        """Codes of the last pass: a lazy Dask array over the workers' results."""
        if self.hamerly is not None:  # the result keeps the codes, not the bounds, on the workers
            return self.hamerly.codes_array(self._steps)
        return self._lazy(_codes_of, np.int64)

    def distances_array(self):
        """Distances of the last pass: a lazy Dask array (recomputed from the rows when asked for)."""
        return map_rows(self.rows.X, _distances, dtype=self.rows.dtype, C=self._C,
                        metric=self.metric)

    def _lazy(self, fn, dtype):
        import dask
        import dask.array as da

        parts = [da.from_delayed(dask.delayed(fn)(s), shape=(int(b - a),), dtype=dtype)
                 for s, a, b in zip(self._steps, self.rows.offsets[:-1], self.rows.offsets[1:])]
        return da.concatenate(parts)


def map_rows(X, fn, *, dtype=None, n_out=None, **kwargs):
    """Lazy ``fn(chunk, **kwargs)`` over the row chunks of ``X``: 1-D output or ``n_out`` columns."""
    if n_out is None:
        return X.map_blocks(fn, dtype=dtype, drop_axis=1, **kwargs)
    return X.map_blocks(fn, dtype=dtype, chunks=(X.chunks[0], (n_out,)), **kwargs)


def lazy_weighted_mean(values, sample_weight=None):
    """Lazy (0-d Dask array) weighted mean of a 1-D Dask array."""
    if sample_weight is None:
        return values.mean()
    w = check_dask_weight(sample_weight, values[:, None])
    return (values * w).sum() / w.sum()


def tree_reduce(items, fn, submit, *, fan_in=FAN_IN):
    """Apply ``fn`` to groups of ``fan_in`` consecutive items until one result is left.

    The grouping depends only on the number of items, so the order of the
    additions (and the floating-point result) is fixed.
    """
    level = list(items)
    while True:
        level = [submit(fn, *level[i:i + fan_in]) for i in range(0, len(level), fan_in)]
        if len(level) == 1:
            return level[0]


# ------------------------------------------------------- chunk functions (run on the workers)


class _Step:
    """One chunk's pass: the codes stay on the worker (for the next pass); ``stats`` travels.

    The distances are not kept (4 bytes a row, where codes take 1 or 2): what needs them
    (relocating empty codewords, ``sq_distances``) recomputes them from the rows.
    """

    __slots__ = ("stats", "changed", "codes", "ranges")

    def __init__(self, stats, changed, codes=None, ranges=None):
        self.stats, self.changed, self.codes, self.ranges = stats, changed, codes, ranges


def _step(x, C, w, prev, metric, n_threads, ranges=False):
    codes, dist, stats = kernels.assign_accumulate(x, C, sample_weight=w, metric=metric,
                                                   n_threads=n_threads)
    # the codes wait on the worker for the next pass: the smallest integer type that holds them
    codes = codes.astype(np.min_scalar_type(max(C.shape[0] - 1, 0)), copy=False)
    changed = 0 if prev is None else int(np.count_nonzero(codes != prev.codes))
    # k-medians: the first bracket of the medians comes with the pass (no extra read of the rows)
    ranges = code_ranges(x, codes, w, C.shape[0]) if ranges else None
    return _Step(stats, changed, codes, ranges)


def _combine(*parts):
    stats = parts[0].stats
    changed = parts[0].changed
    ranges = parts[0].ranges
    for p in parts[1:]:
        stats = stats + p.stats
        changed += p.changed
        ranges = None if ranges is None else ranges + p.ranges
    return _Step(stats, changed, ranges=ranges)


def _add(*parts):
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total


def _farthest(x, C, m, offset, metric):
    d = _distances(x, C=C, metric=metric).astype(np.float64)
    order = np.argsort(-d, kind="stable")[:m]
    return d[order], order + offset


def _distances(x, *, C, metric):
    return kernels.assign(x, C, metric=metric, n_threads=1)[1]


def _rows(x, idx):
    return x[idx]


def _dense_rows(x, idx):
    part = x[idx]
    return part.toarray() if sp.issparse(part) else np.asarray(part)


def _codes_of(step):
    return step.codes.astype(np.int64)


def _renumber(codes, inverse):
    return inverse[codes]
