"""Hamerly's bounds on Dask: per-chunk codes and lower bounds kept on the workers between passes.

In memory, :class:`~vqtoolkit.kernels.HamerlyState` keeps one code and one
lower bound per row between Lloyd passes and skips the search of the rows
whose bounds prove that their code cannot change. On Dask the same state is
split by chunk: the result of a pass on a chunk is a future held by a worker
(:class:`HamerlyChunk`: codes, lower bounds, and the small per-codeword
totals), and the next pass's task on that chunk takes that future and the new
codebook. What depends on the whole codebook (half the distance of every
codeword to its nearest other one, the largest shifts) is computed once per
pass on the client (:func:`~vqtoolkit.kernels._hamerly.hamerly_bounds`) and
travels with the codebook. Only the per-codeword totals come back, added in
chunk order as for plain passes, so the codes, codebooks and number of
iterations are the in-memory fit's whatever the number of workers.

The state is a few bytes a row (codes in the smallest integer type, one lower
bound in the rows' dtype), so it stays on the workers even when the rows do
not fit and every pass reads them again from a zarr store or an ``.npy`` file.

If a chunk's state is lost (a worker restarted between passes), that chunk's
task rebuilds it: one full search against the previous codebook (the codes
whose changes the pass counts, and fresh bounds), then the bounded step. If a
worker is lost during a pass, Dask recomputes the lost states from their
lineage; either way the result does not change.
"""

from __future__ import annotations

import numpy as np

from .. import kernels
from ..kernels._hamerly import HamerlyBounds, hamerly_bounds, hamerly_chunk_step

__all__ = ["HamerlyChunks", "HamerlyChunk", "hamerly_chunks"]


def hamerly_chunks(rows, metric, update, algorithm):
    """Hamerly's bounds for these Dask rows, or None where they do not apply.

    They apply as in memory (:class:`vqtoolkit.backends.MemoryPasses`): dense
    float32/float64 rows, squared Euclidean assignment, the ``'mean'`` or
    ``'spherical'`` update, and ``algorithm`` other than ``'lloyd'``.
    """
    if (algorithm != "lloyd" and not rows.sparse and metric == "sqeuclidean"
            and update in ("mean", "spherical") and rows.dtype in (np.float32, np.float64)):
        return HamerlyChunks(rows)
    return None


class HamerlyChunks:
    """Client side of Hamerly's bounds on Dask: the bounds of each pass and its per-chunk tasks.

    Parameters
    ----------
    rows : DaskRows

    Attributes
    ----------
    log : list of dict
        One entry per pass: ``recomputed`` (rows whose distances to every
        codeword were computed), ``rebuilt`` (chunks whose state was lost and
        rebuilt) and ``fresh`` (no bounds: first pass or after a reset).
    """

    def __init__(self, rows):
        self.rows = rows
        self._fresh = True
        self.log = []

    def reset(self):
        """The codewords moved by more than an update (empties): the next pass starts afresh."""
        self._fresh = True

    def run(self, C, C_prev, prev, tree_reduce):
        """The pass against ``C`` on every chunk.

        Parameters
        ----------
        C : ndarray of shape (n_codewords, n_features), the rows' dtype
        C_prev : ndarray of shape (n_codewords', n_features) or None
            The codebook of the previous pass (None on the first pass).
        prev : list of Future or None
            The previous pass's state of every chunk (None on the first pass).
        tree_reduce : callable
            :func:`vqtoolkit.distributed._backend.tree_reduce` (adds in chunk order).

        Returns
        -------
        states : list of Future
            Every chunk's :class:`HamerlyChunk`, kept on its worker for the next pass.
        total : HamerlyChunk
            The added totals (``stats``, ``changed``, ``recomputed``, ``rebuilt``).
        """
        import dask

        rows = self.rows
        client = rows.client
        C = np.ascontiguousarray(C, dtype=rows.dtype)
        fresh = self._fresh or C_prev is None or C_prev.shape != C.shape
        with kernels.single_threaded_blas():
            bounds = hamerly_bounds(C, None if fresh else C_prev, n_threads=rows.n_threads)
        self._fresh = False
        # literals of the graph (not scattered): a restarted worker gets them again
        Cf = dask.delayed(C, pure=True)
        Pf = dask.delayed(None if C_prev is None else np.ascontiguousarray(C_prev), pure=True)
        Bf = dask.delayed(bounds, pure=True)
        # a state that is not in memory any more (its worker left) is rebuilt by its chunk's task
        live = [p if p is not None and p.status == "finished" else None for p in prev]
        tasks = [dask.delayed(_chunk_step, pure=False)(x, w, p, Cf, Pf, Bf, rows.n_threads)
                 for x, w, p in zip(rows._chunks(), rows._weight_chunks(), live)]
        states = client.compute(tasks)
        # only the totals go to the reduction (a task next to each state extracts them); a state
        # moves only if the scheduler runs its chunk's next task on another worker
        small = [client.submit(_totals, s, pure=False) for s in states]
        total = tree_reduce(small, _combine, lambda f, *a: client.submit(f, *a, pure=False)).result()
        self.log.append({"fresh": fresh, "rebuilt": total.rebuilt, "recomputed": total.recomputed})
        return states, total

    def codes_array(self, states):
        """The chunks' codes as a lazy Dask array (int64) over futures of the codes alone.

        What a fit's labels keep on the workers: the codes, not the bounds.
        """
        import dask
        import dask.array as da

        client = self.rows.client
        offsets = self.rows.offsets
        parts = [da.from_delayed(dask.delayed(_codes_of)(client.submit(_codes_only, s, pure=False)),
                                 shape=(int(b - a),), dtype=np.int64)
                 for s, a, b in zip(states, offsets[:-1], offsets[1:])]
        return da.concatenate(parts)


class HamerlyChunk:
    """One chunk after a pass (kept on its worker), or the added totals of several (sent back).

    Attributes
    ----------
    stats : AssignStats
    changed : int
        Rows whose code changed (all rows on the first pass).
    codes : ndarray of shape (n_rows,), smallest unsigned integer type, or None
    lower : ndarray of shape (n_rows,), the rows' dtype, or None
        Lower bound on the distance of every row to every codeword but its own.
    recomputed : int
        Rows whose distances to every codeword were computed in this pass.
    rebuilt : int
        1 when the previous state of the chunk was lost and rebuilt (summed over chunks).
    ranges : None
        (what plain passes bring for the median update)
    """

    __slots__ = ("stats", "changed", "codes", "lower", "recomputed", "rebuilt", "ranges")

    def __init__(self, stats, changed, codes=None, lower=None, recomputed=0, rebuilt=0):
        self.stats, self.changed, self.codes, self.lower = stats, changed, codes, lower
        self.recomputed, self.rebuilt, self.ranges = recomputed, rebuilt, None

    def __sizeof__(self):
        # what Dask counts against the worker's memory limit (it calls sys.getsizeof)
        arrays = [self.codes, self.lower, self.stats.sums, self.stats.counts, self.stats.sse]
        return 200 + sum(a.nbytes for a in arrays if a is not None)


def _codes_only(state):
    return state.codes


def _codes_of(codes):
    return codes.astype(np.int64)


def _totals(state):
    """A chunk's totals without its codes and bounds (what travels to the reduction)."""
    return HamerlyChunk(state.stats, state.changed, recomputed=state.recomputed, rebuilt=state.rebuilt)


def _combine(*parts):
    """Add chunk totals in the given order (the groups of a fixed tree: see ``tree_reduce``)."""
    stats = parts[0].stats
    changed, recomputed, rebuilt = parts[0].changed, parts[0].recomputed, parts[0].rebuilt
    for p in parts[1:]:
        stats = stats + p.stats
        changed += p.changed
        recomputed += p.recomputed
        rebuilt += p.rebuilt
    return HamerlyChunk(stats, changed, recomputed=recomputed, rebuilt=rebuilt)


def _chunk_step(x, w, prev, C, C_prev, bounds, n_threads):
    """The pass on one chunk (runs on a worker): the bounded step from the chunk's previous state."""
    x = np.ascontiguousarray(x)
    recomputed = rebuilt = 0
    codes = lower = None
    if prev is not None:
        codes, lower = prev.codes, prev.lower
    elif C_prev is not None:  # the state was lost: rebuild it against the previous codebook
        state = hamerly_chunk_step(x, C_prev, _fresh_bounds(C_prev), sample_weight=w, n_threads=n_threads)
        codes, lower = state.codes, state.lower
        recomputed, rebuilt = x.shape[0], 1
    state = hamerly_chunk_step(x, C, bounds, codes=codes, lower=lower, sample_weight=w,
                               n_threads=n_threads)
    # the state waits on the worker for the next pass: codes in the smallest integer type
    small = state.codes.astype(np.min_scalar_type(max(C.shape[0] - 1, 0)))
    return HamerlyChunk(state.stats, state.n_changed, small, state.lower,
                        recomputed=recomputed + state.n_recomputed, rebuilt=rebuilt)


def _fresh_bounds(C):
    """Bounds of a first step (no previous codebook): every row is searched."""
    return HamerlyBounds(True, np.full(C.shape[0], np.inf), 0.0, 0.0, -1)
