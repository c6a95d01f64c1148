"""Lloyd iterations and LBG splitting on top of the shared kernels.

One iteration = one :func:`vqtoolkit.kernels.assign_accumulate` pass (codes,
per-codeword sums, counts and squared-distance totals) followed by an update
rule that turns the totals into new codewords. The update rules:

``'mean'``
    ``c_j = sums_j / counts_j``: the exact minimiser of squared Euclidean
    distortion for fixed codes (plain k-means).
``'spherical'``
    ``c_j = sums_j / ||sums_j||``: the exact maximiser of total cosine
    similarity among unit vectors, for unit-length observations (spherical
    k-means).
``'median'``
    ``c_j`` = coordinate-wise weighted median of the members: the exact
    minimiser of the total L1 (city-block) distance for fixed codes
    (k-medians); used with ``metric='cityblock'``.

With ``algorithm='hamerly'`` (the default ``'auto'`` where supported: dense
input, squared Euclidean assignment, the ``'mean'`` or ``'spherical'``
update) the passes go through :class:`vqtoolkit.kernels.HamerlyState`, which
skips the rows whose distance bounds prove their code cannot change; the
iterates are the same as plain Lloyd's up to floating-point near-ties.

Iteration stops when the codes no longer change, when the relative decrease
of distortion falls to ``tol`` or below, or after ``max_iter`` passes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .backends import InMemoryRows, weighted_median
from .errors import EmptyClusterError, ParameterError, overflow_error
from .seeding import split_codewords

__all__ = [
    "LloydResult",
    "lloyd",
    "lbg",
    "minibatch_step",
    "weighted_median",
    "UPDATES",
    "EMPTY_POLICIES",
    "ALGORITHMS",
]

EMPTY_POLICIES = ("split", "relocate", "error")
ALGORITHMS = ("auto", "lloyd", "hamerly")


def _mean_update(stats, centers, passes):
    # in place on the float64 sums (no k x d temporaries: codebooks of text are wide)
    out = stats.sums
    nz = stats.counts > 0
    np.divide(out, stats.counts[:, None], out=out, where=nz[:, None])
    out[~nz] = centers[~nz]
    return out


def _spherical_update(stats, centers, passes):
    out = stats.sums
    norms = np.sqrt(np.einsum("ij,ij->i", out, out))
    nz = (stats.counts > 0) & (norms > 0)
    np.divide(out, norms[:, None], out=out, where=nz[:, None])
    out[~nz] = centers[~nz]
    return out


def _median_update(stats, centers, passes):
    return passes.medians(centers)


UPDATES = {"mean": _mean_update, "spherical": _spherical_update, "median": _median_update}


@dataclass(frozen=True)
class LloydResult:
    """Outcome of :func:`lloyd` (codewords in the space of ``X``).

    Attributes
    ----------
    centers : ndarray of shape (n_codewords, n_features), dtype of X
    codes : ndarray of shape (n_samples,), int64
        (a lazy Dask array when the rows are on a cluster)
    sq_distances : ndarray of shape (n_samples,)
        (a lazy Dask array when the rows are on a cluster)
    distortion : float
        Weighted mean squared distance to the nearest codeword.
    counts : ndarray of shape (n_codewords,)
        Weight assigned to each codeword.
    sse : ndarray of shape (n_codewords,)
        Weighted sum of squared distances per codeword.
    n_iter : int
    history : ndarray of shape (n_iter,)
        Distortion before each update.
    """

    centers: np.ndarray
    codes: np.ndarray
    sq_distances: np.ndarray
    distortion: float
    counts: np.ndarray
    sse: np.ndarray
    n_iter: int
    history: np.ndarray


def as_rows(X, sample_weight=None, *, n_threads=None, chunk_rows=None):
    """``X`` as a rows backend: a backend is returned as is, an array is wrapped in memory."""
    if hasattr(X, "passes") and hasattr(X, "moments"):
        return X
    return InMemoryRows(X, sample_weight, n_threads=n_threads, chunk_rows=chunk_rows)


def lloyd(X, centers, *, sample_weight=None, max_iter=300, tol=1e-4, empty="split",
          update="mean", metric="sqeuclidean", rng=None, n_threads=None, chunk_rows=None,
          progress=None, algorithm="auto"):
    """Run Lloyd's algorithm from ``centers``: the one loop every fit uses.

    Parameters
    ----------
    X : ndarray, CSR matrix or rows backend of shape (n_samples, n_features)
        A backend (:mod:`vqtoolkit.backends`, e.g. Dask rows) carries its own
        weights; ``sample_weight``, ``n_threads`` and ``chunk_rows`` are then ignored.
    centers : ndarray of shape (n_codewords, n_features)
        Initial codewords.
    sample_weight : ndarray of shape (n_samples,), optional
    max_iter : int
    tol : float
        Stop when ``(previous - current) <= tol * current`` distortion.
    empty : {'split', 'relocate', 'error'}
        What to do with a codeword that lost all its observations.
    update : {'mean', 'spherical', 'median'}
        The update rule (see the module docstring).
    metric : {'sqeuclidean', 'cityblock'}
        Assignment distance passed to the kernels.
    rng : numpy.random.RandomState
        Used by ``empty='split'``.
    progress : callable, optional
        Called with ``(iteration, distortion)`` after each pass.
    algorithm : {'auto', 'lloyd', 'hamerly'}
        ``'hamerly'`` skips distance computations with Hamerly's bounds (same
        iterates); it applies to dense in-memory input with
        ``metric='sqeuclidean'`` and the ``'mean'`` or ``'spherical'`` update,
        and falls back to plain passes (``'lloyd'``) otherwise. ``'auto'`` is
        ``'hamerly'``.

    Returns
    -------
    LloydResult
    """
    if empty not in EMPTY_POLICIES:
        raise ParameterError(f"empty={empty!r} is not one of {EMPTY_POLICIES}")
    if algorithm not in ALGORITHMS:
        raise ParameterError(f"algorithm={algorithm!r} is not one of {ALGORITHMS}")
    rows = as_rows(X, sample_weight, n_threads=n_threads, chunk_rows=chunk_rows)
    upd = UPDATES[update]
    rng = rng if rng is not None else np.random.RandomState(0)
    wsum = rows.weight
    C = np.ascontiguousarray(centers, dtype=rows.dtype)
    k = C.shape[0]
    history = []
    strict = False
    with rows.passes(metric=metric, update=update, algorithm=algorithm) as passes:
        for it in range(1, max_iter + 1):
            stats, changed = passes.step(C)
            J = stats.total_sse / wsum
            if not np.isfinite(J):
                raise overflow_error(rows.shape)
            history.append(J)
            if progress is not None:
                progress(it, J)
            if it > 1 and changed == 0:
                strict = True
                break
            newC = upd(stats, C, passes)
            empties = np.flatnonzero(stats.counts <= 0)
            if empties.size:
                newC = _fix_empty(rows, passes, newC, empties, stats, empty, rng, it, k)
                passes.reset()  # a moved codeword: bounds start afresh
            C = np.ascontiguousarray(newC, dtype=rows.dtype)
            if len(history) > 1 and (history[-2] - J) <= tol * J:
                break
        if not strict:
            stats, _ = passes.step(C)
        codes, dist = passes.codes_array(), passes.distances_array()
    return LloydResult(
        centers=np.ascontiguousarray(C),
        codes=codes,
        sq_distances=dist,
        distortion=stats.total_sse / wsum,
        counts=stats.counts,
        sse=stats.sse,
        n_iter=len(history),
        history=np.asarray(history),
    )


def lbg(X, n_codewords, *, sample_weight=None, epsilon=1e-3, max_iter=300, tol=1e-4,
        empty="split", update="mean", metric="sqeuclidean", rng=None, n_threads=None,
        chunk_rows=None, algorithm="auto"):
    """Linde–Buzo–Gray design: start from the mean, split every codeword, refine, repeat.

    While doubling would not overshoot ``n_codewords`` every codeword is split
    (``c ± epsilon * rms * u`` with a random unit ``u``); the last round splits
    only the heaviest codewords (largest total weight), so any ``n_codewords``
    is reached. Each round is refined with :func:`lloyd` (``algorithm`` is
    passed on).

    Parameters
    ----------
    X : ndarray, CSR matrix or rows backend of shape (n_samples, n_features)

    Returns
    -------
    LloydResult
        For the final ``n_codewords`` codewords.
    """
    rng = rng if rng is not None else np.random.RandomState(0)
    rows = as_rows(X, sample_weight, n_threads=n_threads, chunk_rows=chunk_rows)
    mean = rows.moments("mean").mean
    if update == "spherical":
        mean = mean / (np.linalg.norm(mean) or 1.0)
    C = mean[None, :]
    common = dict(tol=tol, empty=empty, update=update, metric=metric, rng=rng,
                  algorithm=algorithm)
    res = lloyd(rows, C, max_iter=1, **common)
    while res.centers.shape[0] < n_codewords:
        k = res.centers.shape[0]
        n_split = min(k, n_codewords - k)
        order = np.lexsort((np.arange(k), -res.counts))  # heaviest first, ties by index
        spread = np.sqrt(res.sse / np.maximum(res.counts, 1e-300))
        C = split_codewords(res.centers, spread, order[:n_split], rng, epsilon=epsilon)
        res = lloyd(rows, C, max_iter=max_iter, **common)
    return res


def _fix_empty(rows, passes, C, empties, stats, policy, rng, it, k):
    if policy == "error":
        raise EmptyClusterError(
            f"{empties.size} of {k} codewords (indices {empties[:10].tolist()}) have no "
            f"observations after iteration {it}; use empty='split' or 'relocate', or fewer "
            "codewords"
        )
    C = np.array(C, copy=True)
    if policy == "relocate":
        C[empties] = rows.take(passes.farthest(empties.size))
        return C
    sse = stats.sse.copy()
    counts = stats.counts.copy()
    for j in empties:
        big = int(np.argmax(sse))
        if counts[big] <= 0 or sse[big] <= 0:  # nothing left to split: duplicate points
            C[j] = C[big]
            continue
        spread = np.sqrt(sse[big] / counts[big])
        both = split_codewords(C[[big]], np.array([spread]), [0], rng, epsilon=1e-3)
        C[big], C[j] = both[0], both[1]
        sse[big] /= 2
        sse[j] = sse[big]
        counts[j] = counts[big] = counts[big] / 2
    return C


def minibatch_step(C, batch_counts, stats, *, spherical=False):
    """One mini-batch update with exact running means (Sculley 2010, rate ``1 / count``).

    Parameters
    ----------
    C : ndarray of shape (n_codewords, n_features)
        Current codewords.
    batch_counts : ndarray of shape (n_codewords,)
        Weight assigned to each codeword by all earlier batches.
    stats : AssignStats
        Sums and counts of this batch against ``C``.
    spherical : bool
        Project the codewords back to unit length (spherical k-means).

    Returns
    -------
    new_C : ndarray of shape (n_codewords, n_features), float64
        Each codeword the mean of every observation ever assigned to it.
    counts : ndarray of shape (n_codewords,)
        Updated total weights.
    never : ndarray of int
        Codewords that have never had an observation (the caller moves them).
    """
    counts = batch_counts + stats.counts
    new_C = np.array(C, dtype=np.float64)
    hit = stats.counts > 0
    new_C[hit] += (stats.sums[hit] - stats.counts[hit, None] * new_C[hit]) / counts[hit, None]
    if spherical:
        norms = np.linalg.norm(new_C, axis=1)
        new_C = np.divide(new_C, norms[:, None], out=new_C, where=norms[:, None] > 0)
    return new_C, counts, np.flatnonzero(counts <= 0)
