"""k selection on Dask: the per-code operations of G-means / X-means over the chunks.

:class:`DaskGroups` gives :class:`~vqtoolkit.distributed.DaskRows` the per-code
operations that :mod:`vqtoolkit.selection` asks a backend for (see
:mod:`vqtoolkit.backends`): scatter matrices, power-iteration products, the
farthest member, sums of squares, the 2-means passes of every cluster's two
children at once, and the projections of the rows on their cluster's
direction. Each runs a kernel of :mod:`vqtoolkit.kernels._groups` per chunk,
with the codes of the last pass (a Dask array chunked like the rows), and
adds the per-chunk totals in a fixed tree in chunk order on the workers. The
rows never leave the workers; the projections (one float per row of the
clusters tested, with its code) are the only per-row values brought to the
client, because the Anderson–Darling and dip tests sort them.
"""

from __future__ import annotations

import numpy as np

from ..backends import split_values
from ..kernels import _groups

__all__ = ["DaskGroups", "DaskChildren"]

FAN_IN = 8  # per-chunk totals added per reduction task


class DaskGroups:
    """Per-code operations for k selection, mixed into ``DaskRows`` (``client``, ``_chunks``, ``offsets``)."""

    def group_scatter(self, codes, centers, select):
        """``sum (x - c)(x - c)^T`` of every selected code; shape (n_selected, d, d), float64."""
        return self._total(_groups.group_scatter, codes, centers, select)

    def group_power(self, codes, centers, V, select):
        """``sum ((x - c) . v) (x - c)`` of every selected code; shape (k, d), float64."""
        return self._total(_groups.group_power, codes, centers, V, select)

    def group_sse(self, codes, centers, select):
        """Sum of squared distances of every selected code's rows to its center; shape (k,)."""
        return self._total(_groups.group_sse, codes, centers, select)

    def group_farthest(self, codes, centers, select):
        """Global row number of the member farthest from its center, per code (-1: none); shape (k,)."""
        import dask

        C, S = _literal(centers), _literal(select)
        tasks = [dask.delayed(_groups.group_farthest, pure=True)(x, c, C, S, int(off))
                 for x, c, off in zip(self._chunks(), _code_chunks(codes), self.offsets[:-1])]
        return _reduce(self.client, self.client.compute(tasks), _farther)[1]

    def group_projections(self, codes, directions, select):
        """``x . directions[code]`` of the rows of every selected code: one array per code, row order.

        The one per-row result brought to the client: a float64 and a small
        integer per row of the selected codes.
        """
        import dask

        D, S = _literal(directions), _literal(select)
        tasks = [dask.delayed(_project, pure=True)(x, c, D, S)
                 for x, c in zip(self._chunks(), _code_chunks(codes))]
        parts = self.client.gather(self.client.compute(tasks))
        values = np.concatenate([p[0] for p in parts])
        which = np.concatenate([p[1] for p in parts])  # the smallest integer type that holds k
        return split_values(values, which, select)

    def children(self, codes):
        """A runner of 2-means passes of every parent's two children (see :class:`DaskChildren`)."""
        return DaskChildren(self, codes)

    def _total(self, fn, codes, *args):
        """``fn(x, codes, *args)`` on every chunk, the results added in chunk order."""
        import dask

        A = [_literal(a) for a in args]
        tasks = [dask.delayed(fn, pure=True)(x, c, *A) for x, c in zip(self._chunks(), _code_chunks(codes))]
        return _reduce(self.client, self.client.compute(tasks), _add)


class DaskChildren:
    """2-means passes of all parents' children over the chunks; each chunk keeps its child codes.

    ``step(children, todo)`` returns the totals (a
    :class:`~vqtoolkit.kernels._groups.ChildStep` without codes), added in chunk order.
    """

    def __init__(self, rows, codes):
        self.rows = rows
        # the codes of each chunk computed once, kept on the workers for all the passes
        self.codes = rows.client.compute(_code_chunks(codes))
        self._steps = None

    def step(self, children, todo):
        """Assign the rows of the ``todo`` parents to their nearer child; totals of the pass."""
        import dask

        rows = self.rows
        Ch, T = _literal(children), _literal(todo)
        prev = self._steps or [None] * len(self.codes)
        tasks = [dask.delayed(_children, pure=False)(x, c, Ch, T, p)
                 for x, c, p in zip(rows._chunks(), self.codes, prev)]
        steps = rows.client.compute(tasks)
        total = _reduce(rows.client, steps, _add_steps)
        self._steps = steps
        return total


def _reduce(client, futures, fn, fan_in=FAN_IN):
    """``fn`` over groups of ``fan_in`` consecutive futures until one is left (a fixed order)."""
    level = list(futures)
    while True:
        level = [client.submit(fn, *level[i:i + fan_in], pure=False) for i in range(0, len(level), fan_in)]
        if len(level) == 1:
            return level[0].result()


def _literal(a):
    """An array as one literal of the graph: a copy (the caller may change ``a`` afterwards, and an
    in-process worker would otherwise hold the very same object under the same key)."""
    import dask

    return dask.delayed(np.array(a, copy=True), pure=True)


def _code_chunks(codes):
    return list(codes.to_delayed().ravel())


# ------------------------------------------------------- chunk functions (run on the workers)


def _project(x, codes, directions, select):
    values, which = _groups.group_project(x, codes, directions, select)
    return values, which.astype(np.min_scalar_type(max(select.shape[0] - 1, 0)))


def _children(x, codes, children, todo, prev):
    return _groups.children_step(x, codes, children, todo, None if prev is None else prev.codes)


def _add_steps(*parts):
    total = parts[0].totals()
    for p in parts[1:]:
        total = total + p
    return total


def _add(*parts):
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total


def _farther(*parts):
    sq, rows = parts[0]
    sq, rows = sq.copy(), rows.copy()
    for s, r in parts[1:]:
        better = s > sq  # later chunks hold later rows: a tie keeps the first row
        sq[better], rows[better] = s[better], r[better]
    return sq, rows
