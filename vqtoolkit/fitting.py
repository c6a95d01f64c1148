"""The fit driver: one written-once path from rows to a fitted codebook, for every backend.

::

    validate ─> training space (whitening + metric, fitted from column moments)
             ─> seed (k-means++ / random rows / LBG / array) ─> Lloyd passes until the stop rule
             ─> empty-codeword policy (inside the passes) ─> best of n_init ─> canonical numbering

Every step talks to a *rows* backend (:mod:`vqtoolkit.backends`): in memory
(NumPy, CSR) or on Dask (:class:`vqtoolkit.distributed.DaskRows`). Nothing here
knows where the rows live, so the same data, seed and settings give the same
codebook and the same numbering on either.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .errors import ParameterError, overflow_error
from .lloyd import LloydResult, lbg, lloyd, minibatch_step
from .seeding import kmeans_plusplus
from .spaces import TrainingSpace

__all__ = ["FitSettings", "FittedCodebook", "fit_rows", "minibatch_rows", "prepare_space",
           "seed_first_batch", "canonical_order", "print_progress", "pass_printer"]


@dataclass(frozen=True)
class FitSettings:
    """What the estimator's parameters ask of one fit (validated by the estimator)."""

    n_codewords: int
    init: object = "k-means++"  # 'k-means++' | 'greedy-k-means++' | 'random' | 'lbg' | ndarray
    n_init: int = 1
    max_iter: int = 300
    tol: float = 1e-4
    empty: str = "split"
    algorithm: str = "auto"
    progress: object = None


@dataclass(frozen=True)
class FittedCodebook:
    """Outcome of :func:`fit_rows`, codewords already in canonical order.

    Attributes
    ----------
    space : TrainingSpace
        Fitted (whitener, metric state, shift).
    whitened : ndarray of shape (n_codewords, n_features), float64
        Codewords in whitened units (training space plus shift).
    original : ndarray of shape (n_codewords, n_features), float64
        Codewords in original units.
    result : LloydResult
        The best run, codewords in the order the run left them.
    order : ndarray of shape (n_codewords,), int64
        Canonical permutation: ``whitened = result.centers[order] + shift``.
    """

    space: TrainingSpace
    whitened: np.ndarray
    original: np.ndarray
    result: LloydResult
    order: np.ndarray

    @property
    def inverse(self):
        """Run index -> canonical index."""
        inv = np.empty_like(self.order)
        inv[self.order] = np.arange(self.order.size)
        return inv


def prepare_space(rows, space):
    """Fit ``space`` from the rows' moments and return the rows in the training space."""
    space.check_input(sparse=rows.sparse, shape=rows.shape)
    order = space.moments_order(dtype=rows.dtype, sparse=rows.sparse)
    moments = rows.moments(order) if order is not None else None
    space.fit(moments, dtype=rows.dtype, sparse=rows.sparse)
    return rows.map(space.to_training)


def fit_rows(rows, space, settings: FitSettings, rng) -> FittedCodebook:
    """Fit a codebook on ``rows`` (raw units) with the unfitted training ``space``.

    Parameters
    ----------
    rows : rows backend (see :mod:`vqtoolkit.backends`)
    space : TrainingSpace, unfitted
    settings : FitSettings
    rng : numpy.random.RandomState

    Returns
    -------
    FittedCodebook
    """
    k = settings.n_codewords
    n, d = rows.shape
    if k > n:
        raise ParameterError(
            f"n_codewords={k} is larger than n_samples={n}, the number of observations (rows of X)"
        )
    trows = prepare_space(rows, space)
    trows.weight  # noqa: B018 - validates the data (NaN, weights) before any seeding
    run = functools.partial(lloyd, trows, max_iter=settings.max_iter, tol=settings.tol,
                            empty=settings.empty, update=space.update,
                            metric=space.assign_metric, rng=rng, algorithm=settings.algorithm)
    init = settings.init
    n_runs = settings.n_init
    seeds = None
    if isinstance(init, str) and init in ("k-means++", "greedy-k-means++"):
        local, whole = trows.seeding_rows(rng)
        if not whole:  # too many rows to seed on: the restarts run on a sample, the best seeds
            seeds = [_best_on_sample(local, k, n_runs, space, settings, rng, init)]
            n_runs = 1
    best = None
    for r in range(n_runs):
        if isinstance(init, str) and init == "lbg":
            res = lbg(trows, k, max_iter=settings.max_iter, tol=settings.tol,
                      empty=settings.empty, update=space.update, metric=space.assign_metric,
                      rng=rng, algorithm=settings.algorithm)
        else:
            if seeds is not None:
                C0 = seeds[r]
            elif not isinstance(init, str):
                C0 = _initial_array(space, init, k, d)
            elif init == "random":
                C0 = trows.take(trows.draw(k, rng))
            else:
                C0 = _kmeans_plusplus(local, k, rng, init)
            C0 = space.metric.project(np.asarray(C0, dtype=trows.dtype))
            res = run(C0, progress=settings.progress)
        if best is None or res.distortion < best.distortion:
            best = res
    return _finish(space, best)


def minibatch_rows(rows, space, C, batch_counts, rng, *, first):
    """One mini-batch step on ``rows`` (exact running means); seeds when ``first``.

    Parameters
    ----------
    rows : rows backend, raw units
    space : TrainingSpace
        Unfitted when ``first`` (fitted here on this batch), else fitted.
    C : ndarray of shape (n_codewords, n_features) or callable
        Current training-space codewords, or (first batch) a function of the
        prepared rows that returns them (:func:`seed_first_batch`).
    batch_counts : ndarray of shape (n_codewords,)
        Weight assigned to each codeword by earlier batches.

    Returns
    -------
    new_C : ndarray (training space, float64), counts, distortion : float
    """
    trows = prepare_space(rows, space) if first else rows.map(space.to_training)
    wsum = trows.weight
    if callable(C):  # seeding of the first batch, given the prepared rows
        C = C(trows)
    C = np.ascontiguousarray(C, dtype=trows.dtype)
    with trows.passes(metric=space.assign_metric, update=space.update,
                      algorithm="lloyd") as passes:
        stats, _ = passes.step(C)
        if not np.isfinite(stats.total_sse):
            raise overflow_error(trows.shape)
        newC, counts, never = minibatch_step(C, batch_counts, stats,
                                             spherical=space.update == "spherical")
        if never.size:  # keep exactly k codewords: move unused ones to far observations
            newC[never] = trows.take(passes.farthest(never.size))
    return newC, counts, stats.total_sse / wsum


def seed_first_batch(init, k, space, rng):
    """The seeding function :func:`minibatch_rows` calls on the first batch's prepared rows."""
    def seed(trows):
        if not isinstance(init, str):
            return _initial_array(space, init, k, trows.shape[1])
        local, _ = trows.seeding_rows(rng)
        seeded = _kmeans_plusplus(local, k, rng, init)
        return space.metric.project(np.asarray(seeded, dtype=np.float64))
    return seed


def pass_printer(verbose):
    """The ``progress`` callback for an estimator's ``verbose``: :func:`print_progress` or None.

    ``verbose=None`` prints only when stderr is a terminal (the rule of
    :mod:`vqtoolkit._progress`); true always; false never.
    """
    from ._progress import show_progress

    return print_progress if show_progress(verbose) else None


def print_progress(iteration, distortion):
    """``progress`` callback of ``verbose=True``: one line per Lloyd pass on stderr."""
    import sys

    print(f"iteration {iteration}: distortion {distortion:.6g}", file=sys.stderr)


def canonical_order(codewords):
    """Permutation that sorts codewords lexicographically (first feature first).

    Parameters
    ----------
    codewords : ndarray of shape (n_codewords, n_features)

    Returns
    -------
    ndarray of shape (n_codewords,), int64
    """
    C = np.asarray(codewords)
    if C.shape[1] <= 64:
        return np.lexsort(C.T[::-1]).astype(np.int64)

    # many features (TF-IDF): np.lexsort would copy every column; compare rows instead
    def cmp(i, j):
        diff = np.flatnonzero(C[i] != C[j])
        if diff.size == 0:  # equal rows keep their order, as lexsort (stable) does
            return (i > j) - (i < j)
        return -1 if C[i, diff[0]] < C[j, diff[0]] else 1

    return np.array(sorted(range(C.shape[0]), key=functools.cmp_to_key(cmp)), dtype=np.int64)


# ---------------------------------------------------------------------- internals


def _initial_array(space, init, k, d):
    init = np.asarray(init, dtype=np.float64)
    if init.shape != (k, d):
        raise ParameterError(
            f"init array has shape {init.shape}; expected (n_codewords, n_features) = ({k}, {d})"
        )
    if not np.isfinite(init).all():
        raise ParameterError(f"init array contains {int((~np.isfinite(init)).sum())} NaN or "
                             "infinite value(s)")
    return space.codewords_in(init)


def _best_on_sample(local, k, n_runs, space, settings, rng, init="k-means++"):
    """Best of ``n_runs`` k-means++ + Lloyd runs on an in-memory sample: a seed for the whole data."""
    best = None
    for _ in range(n_runs):
        C0 = space.metric.project(_kmeans_plusplus(local, k, rng, init))
        res = lloyd(local, C0, max_iter=settings.max_iter,
                    tol=settings.tol, empty=settings.empty, update=space.update,
                    metric=space.assign_metric, rng=rng, algorithm=settings.algorithm)
        if best is None or res.distortion < best.distortion:
            best = res
    return best.centers


def _kmeans_plusplus(local, k, rng, init="k-means++"):
    """k-means++ on in-memory rows (the rows a backend seeds on), with their weights and threads.

    ``init='greedy-k-means++'``: greedy k-means++ on all of them; otherwise
    ``method='auto'`` (k-means|| on many dense rows, see :func:`kmeans_plusplus`).
    """
    method = "greedy" if init == "greedy-k-means++" else "auto"
    return kmeans_plusplus(local.X, k, rng, sample_weight=local.sample_weight,
                           n_threads=local.n_threads, method=method)


def _finish(space, res):
    whitened, original = space.codewords_out(res.centers)
    order = canonical_order(whitened)
    return FittedCodebook(space, whitened[order], original[order], res, order)
