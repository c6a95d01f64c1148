"""Lloyd iterations over the chunks of a Dask array, with the shared kernels.

Every pass submits one task per chunk: :func:`vqtoolkit.kernels.assign_accumulate`
gives the chunk's codes, squared distances and per-codeword sums, counts and
distortion (:class:`~vqtoolkit.kernels.AssignStats`). The codes stay on the
workers; the statistics are added in a fixed tree over the chunks *in chunk
order* (so the result does not depend on which worker finished first), and
only the ``k x d`` totals reach the client, where the update rules of
:mod:`vqtoolkit.lloyd` make the new codewords.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import kernels
from ..lloyd import UPDATES, LloydResult, _fix_empty
from ..seeding import split_codewords

__all__ = ["Blocks", "dask_lloyd", "dask_lbg", "tree_reduce", "FAN_IN"]

FAN_IN = 8  # partial results added per reduction task


@dataclass(frozen=True)
class _Partial:
    stats: kernels.AssignStats
    changed: int


@dataclass(frozen=True)
class _Step(_Partial):
    codes: np.ndarray
    dist: np.ndarray


def _step(x, C, w, prev, metric, n_threads):
    """Worker: one assignment pass over one chunk."""
    codes, dist, stats = kernels.assign_accumulate(x, C, sample_weight=w, metric=metric,
                                                   n_threads=n_threads)
    changed = 0 if prev is None else int(np.count_nonzero(codes != prev.codes))
    return _Step(stats, changed, codes, dist)


def _combine(*parts):
    """Worker: add partial results in the order given."""
    stats = parts[0].stats
    changed = parts[0].changed
    for p in parts[1:]:
        stats = stats + p.stats
        changed += p.changed
    return _Partial(stats, changed)


def _farthest(step, m, offset):
    """Worker: the ``m`` largest distances of a chunk (ties: lowest row), as global rows."""
    d = step.dist.astype(np.float64)
    order = np.argsort(-d, kind="stable")[:m]
    return d[order], order + offset


def _rows(x, idx):
    return np.asarray(x[idx])


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


class Blocks:
    """The row chunks of a persisted Dask array (and its weights), as futures.

    Parameters
    ----------
    client : distributed.Client
    X : dask.array.Array of shape (n_samples, n_features), persisted
    w : dask.array.Array of shape (n_samples,), persisted, or None
    """

    def __init__(self, client, X, w=None):
        from distributed import futures_of

        self.client = client
        self.dtype = X.dtype
        self.shape = X.shape
        by_key = {f.key: f for f in futures_of(X)}
        self.x = [by_key[key[0]] for key in X.__dask_keys__()]
        if w is None:
            self.w = [None] * len(self.x)
        else:
            wk = {f.key: f for f in futures_of(w)}
            self.w = [wk[key] for key in w.__dask_keys__()]
        self.offsets = np.concatenate([[0], np.cumsum(X.chunks[0])]).astype(np.int64)

    def run(self, C, metric, n_threads, prev=None):
        """One pass: per-chunk step futures and the reduced :class:`_Partial`."""
        submit = self.client.submit
        prev = prev or [None] * len(self.x)
        steps = [submit(_step, x, C, w, p, metric, n_threads, pure=False)
                 for x, w, p in zip(self.x, self.w, prev)]
        total = tree_reduce(steps, _combine, lambda f, *a: submit(f, *a, pure=False)).result()
        return steps, total

    def farthest(self, steps, m):
        """Global row numbers of the ``m`` observations farthest from their codeword."""
        parts = self.client.gather([
            self.client.submit(_farthest, s, m, int(off), pure=False)
            for s, off in zip(steps, self.offsets[:-1])
        ])
        d = np.concatenate([p[0] for p in parts])
        rows = np.concatenate([p[1] for p in parts])
        order = np.lexsort((rows, -d))[:m]
        return rows[order]

    def take(self, rows):
        """Rows (global numbers, any order) of the persisted array, as an ndarray."""
        rows = np.asarray(rows, dtype=np.int64)
        chunk = np.searchsorted(self.offsets, rows, side="right") - 1
        out = np.empty((rows.size, self.shape[1]), dtype=self.dtype)
        futs = {}
        for c in np.unique(chunk):
            sel = np.flatnonzero(chunk == c)
            futs[int(c)] = (sel, self.client.submit(_rows, self.x[c], rows[sel] - self.offsets[c],
                                                   pure=False))
        for sel, fut in futs.values():
            out[sel] = fut.result()
        return out


def dask_lloyd(blocks, centers, *, wsum, max_iter=300, tol=1e-4, empty="split", update="mean",
               metric="sqeuclidean", rng=None, n_threads=1, progress=None):
    """:func:`vqtoolkit.lloyd.lloyd` over the chunks of a Dask array (same rules, same stops).

    Parameters
    ----------
    blocks : Blocks
    centers : ndarray of shape (n_codewords, n_features)
    wsum : float
        Total sample weight.

    Returns
    -------
    LloydResult
        ``codes`` and ``sq_distances`` are None (they stay on the cluster).
    """
    upd = UPDATES[update]
    rng = rng if rng is not None else np.random.RandomState(0)
    C = np.ascontiguousarray(centers, dtype=blocks.dtype)
    k = C.shape[0]
    history = []
    prev = None
    strict = False
    for it in range(1, max_iter + 1):
        steps, total = blocks.run(C, metric, n_threads, prev)
        stats = total.stats
        J = stats.total_sse / wsum
        history.append(J)
        if progress is not None:
            progress(it, J)
        if prev is not None and total.changed == 0:
            strict = True
            break
        newC = upd(stats, C, None, None, None)
        empties = np.flatnonzero(stats.counts <= 0)
        if empties.size:
            if empty == "relocate":
                newC = newC.copy()
                newC[empties] = blocks.take(blocks.farthest(steps, empties.size))
            else:
                newC = _fix_empty(None, newC, empties, stats, None, None, empty, rng, it, k)
        C = newC.astype(blocks.dtype, copy=False)
        prev = steps
        if len(history) > 1 and (history[-2] - J) <= tol * J:
            break
    if not strict:
        steps, total = blocks.run(C, metric, n_threads)
    del steps, prev
    return LloydResult(
        centers=np.ascontiguousarray(C), codes=None, sq_distances=None,
        distortion=total.stats.total_sse / wsum, counts=total.stats.counts,
        sse=total.stats.sse, n_iter=len(history), history=np.asarray(history),
    )


def dask_lbg(blocks, n_codewords, mean, *, wsum, epsilon=1e-3, rng=None, **common):
    """:func:`vqtoolkit.lloyd.lbg` over a Dask array; ``mean`` is the weighted mean of the data."""
    rng = rng if rng is not None else np.random.RandomState(0)
    if common.get("update") == "spherical":
        mean = mean / (np.linalg.norm(mean) or 1.0)
    common = dict(common, wsum=wsum, rng=rng)
    max_iter = common.pop("max_iter", 300)
    res = dask_lloyd(blocks, mean[None, :], max_iter=1, **common)
    while res.centers.shape[0] < n_codewords:
        k = res.centers.shape[0]
        n_split = min(k, n_codewords - k)
        order = np.lexsort((np.arange(k), -res.counts))
        spread = np.sqrt(res.sse / np.maximum(res.counts, 1e-300))
        C = split_codewords(res.centers, spread, order[:n_split], rng, epsilon=epsilon)
        res = dask_lloyd(blocks, C, max_iter=max_iter, **common)
    return res
