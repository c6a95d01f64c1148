"""Per-code kernels of k selection (G-means / X-means): moments, 2-means children, projections.

Each function reads one block of rows ``x`` with the code of every row
(``codes``, from the last assignment pass) and returns small per-code totals,
so a backend runs it on all the rows at once (in memory) or once per chunk and
adds the results in chunk order (Dask). Only :func:`group_project` returns
one number per row: the projection of the row on its code's direction, which
the Anderson–Darling and dip tests sort.

Shapes: ``x`` is ``(n, d)``, float32 or float64 (dense); ``codes`` is
``(n,)``, int, in ``[0, k)``; ``centers`` ``(k, d)`` float64; ``select`` a
boolean mask ``(k,)`` of the codes to compute (the others cost one test per
row). Rows have unit weight (:func:`vqtoolkit.choose_k` takes no weights).
Sums are float64, accumulated in row order.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["ChildStep", "children_step", "group_scatter", "group_power", "group_farthest",
           "group_sse", "group_project"]


class ChildStep:
    """One pass of the children of every parent code over a block of rows.

    Attributes
    ----------
    codes : ndarray of shape (n,), uint8
        Child (0 or 1) of every row (kept by the backend for the next pass).
    sums : ndarray of shape (k, 2, n_features), float64
    counts : ndarray of shape (k, 2), float64
    sse : ndarray of shape (k, 2), float64
        Sum of squared distances of each child's rows to that child.
    changed : ndarray of shape (k,), int64
        Rows of each parent whose child differs from the previous pass.
    """

    __slots__ = ("codes", "sums", "counts", "sse", "changed")

    def __init__(self, codes, sums, counts, sse, changed):
        self.codes, self.sums, self.counts, self.sse, self.changed = codes, sums, counts, sse, changed

    def totals(self):
        """The same totals without the per-row codes (what travels to the client)."""
        return ChildStep(None, self.sums, self.counts, self.sse, self.changed)

    def __add__(self, other):
        return ChildStep(None, self.sums + other.sums, self.counts + other.counts,
                         self.sse + other.sse, self.changed + other.changed)


def children_step(x, codes, children, todo, prev=None):
    """Assign every row of a ``todo`` parent to the nearer of its parent's two children.

    Parameters
    ----------
    x : ndarray of shape (n, d)
    codes : ndarray of shape (n,), int
        Parent code of every row.
    children : ndarray of shape (k, 2, d), float64
    todo : ndarray of shape (k,), bool
        Parents assigned in this pass; the rows of the others keep ``prev``.
    prev : ndarray of shape (n,), uint8, optional
        Child codes of the previous pass.

    Returns
    -------
    ChildStep
        Ties go to child 0 (as the first index in :func:`vqtoolkit.kernels.assign`).
    """
    k, _, d = children.shape
    x = _dense(x)
    out = np.zeros(x.shape[0], dtype=np.uint8)
    sums = np.zeros((k, 2, d))
    counts = np.zeros((k, 2))
    sse = np.zeros((k, 2))
    changed = np.zeros(k, dtype=np.int64)
    prev = np.zeros(0, dtype=np.uint8) if prev is None else prev
    _children_chunk(x, np.asarray(codes, dtype=np.int64), np.ascontiguousarray(children, dtype=np.float64),
                    np.asarray(todo, dtype=np.bool_), prev, out, sums, counts, sse, changed)
    return ChildStep(out, sums, counts, sse, changed)


def group_scatter(x, codes, centers, select):
    """Scatter matrix about its center of every selected code: ``sum (x - c)(x - c)^T``.

    Returns
    -------
    ndarray of shape (n_selected, d, d), float64
        In the order of ``numpy.flatnonzero(select)``.
    """
    x = _dense(x)
    idx = np.flatnonzero(select)
    out = np.zeros((idx.size, x.shape[1], x.shape[1]))
    for i, rows in enumerate(_members(codes, idx)):
        if rows.size:
            Z = np.asarray(x[rows], dtype=np.float64) - centers[idx[i]]
            out[i] = Z.T @ Z
    return out


def group_power(x, codes, centers, V, select):
    """One power-iteration product per selected code: ``sum ((x - c) . v) (x - c)``.

    Returns
    -------
    ndarray of shape (k, d), float64
        Zero for codes not selected.
    """
    out = np.zeros(centers.shape)
    _power_chunk(_dense(x), np.asarray(codes, dtype=np.int64), centers, V,
                 np.asarray(select, dtype=np.bool_), out)
    return out


def group_farthest(x, codes, centers, select, offset=0):
    """The member farthest from its center of every selected code (first such row on ties).

    Returns
    -------
    sq : ndarray of shape (k,), float64
        Its squared distance (-1 where the code has no rows here).
    rows : ndarray of shape (k,), int64
        Its row number plus ``offset`` (-1 where none).
    """
    k = centers.shape[0]
    sq = np.full(k, -1.0)
    rows = np.full(k, -1, dtype=np.int64)
    _farthest_chunk(_dense(x), np.asarray(codes, dtype=np.int64), centers,
                    np.asarray(select, dtype=np.bool_), sq, rows)
    rows[rows >= 0] += offset
    return sq, rows


def group_sse(x, codes, centers, select):
    """Sum of squared distances of the rows of every selected code to its center; shape (k,)."""
    out = np.zeros(centers.shape[0])
    _sse_chunk(_dense(x), np.asarray(codes, dtype=np.int64), centers,
               np.asarray(select, dtype=np.bool_), out)
    return out


def group_project(x, codes, directions, select):
    """``x . directions[code]`` for every row whose code is selected, in row order.

    Returns
    -------
    values : ndarray of shape (m,), float64
    codes : ndarray of shape (m,), int64
        The code of each value.
    """
    x = _dense(x)
    codes = np.asarray(codes, dtype=np.int64)
    select = np.asarray(select, dtype=np.bool_)
    m = int(np.count_nonzero(select[codes])) if codes.size else 0
    values = np.empty(m)
    which = np.empty(m, dtype=np.int64)
    _project_chunk(x, codes, np.ascontiguousarray(directions, dtype=np.float64), select, values, which)
    return values, which


# ---------------------------------------------------------------------- internals


def _dense(x):
    return x.toarray() if hasattr(x, "toarray") else np.ascontiguousarray(x)


def _members(codes, idx):
    """Row numbers of every code of ``idx`` (in row order), from one stable sort."""
    codes = np.asarray(codes)
    order = np.argsort(codes, kind="stable")
    sc = codes[order]
    lo = np.searchsorted(sc, idx, side="left")
    hi = np.searchsorted(sc, idx, side="right")
    return [order[a:b] for a, b in zip(lo, hi)]


@numba.njit(nogil=True, cache=True, inline="always")
def _sq_to_center(x, i, centers, p):
    """Squared distance of row ``i`` to ``centers[p]``, in float64, summed in feature order."""
    s = 0.0
    for t in range(x.shape[1]):
        a = np.float64(x[i, t]) - centers[p, t]
        s += a * a
    return s


@numba.njit(nogil=True, cache=True)
def _children_chunk(x, codes, children, todo, prev, out, sums, counts, sse, changed):
    n, d = x.shape
    has_prev = prev.shape[0] > 0
    for i in range(n):
        p = codes[i]
        if not todo[p]:
            out[i] = prev[i] if has_prev else 0
            continue
        d0 = 0.0
        d1 = 0.0
        for t in range(d):
            v = np.float64(x[i, t])
            a = v - children[p, 0, t]
            b = v - children[p, 1, t]
            d0 += a * a
            d1 += b * b
        c = 0 if d0 <= d1 else 1
        out[i] = c
        if has_prev and prev[i] != c:
            changed[p] += 1
        counts[p, c] += 1.0
        sse[p, c] += d0 if c == 0 else d1
        for t in range(d):
            sums[p, c, t] += x[i, t]


@numba.njit(nogil=True, cache=True)
def _power_chunk(x, codes, centers, V, select, out):
    n, d = x.shape
    for i in range(n):
        p = codes[i]
        if not select[p]:
            continue
        s = 0.0
        for t in range(d):
            s += (np.float64(x[i, t]) - centers[p, t]) * V[p, t]
        for t in range(d):
            out[p, t] += s * (np.float64(x[i, t]) - centers[p, t])


@numba.njit(nogil=True, cache=True)
def _farthest_chunk(x, codes, centers, select, sq, rows):
    n = x.shape[0]
    for i in range(n):
        p = codes[i]
        if not select[p]:
            continue
        s = _sq_to_center(x, i, centers, p)
        if s > sq[p]:
            sq[p] = s
            rows[p] = i


@numba.njit(nogil=True, cache=True)
def _sse_chunk(x, codes, centers, select, out):
    n = x.shape[0]
    for i in range(n):
        p = codes[i]
        if not select[p]:
            continue
        out[p] += _sq_to_center(x, i, centers, p)


@numba.njit(nogil=True, cache=True)
def _project_chunk(x, codes, directions, select, values, which):
    n, d = x.shape
    m = 0
    for i in range(n):
        p = codes[i]
        if not select[p]:
            continue
        s = 0.0
        for t in range(d):
            s += np.float64(x[i, t]) * directions[p, t]
        values[m] = s
        which[m] = p
        m += 1
