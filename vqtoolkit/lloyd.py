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
import scipy.sparse as sp

from . import kernels
from .errors import EmptyClusterError, ParameterError
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


def _mean_update(stats, centers, X, codes, w):
    # in place on the float64 sums (no k x d temporaries: codebooks of text are wide)
    out = stats.sums
    nz = stats.counts > 0
    np.divide(out, stats.counts[:, None], out=out, where=nz[:, None])
    out[~nz] = centers[~nz]
    return out


def _spherical_update(stats, centers, X, codes, w):
    out = stats.sums
    norms = np.sqrt(np.einsum("ij,ij->i", out, out))
    nz = (stats.counts > 0) & (norms > 0)
    np.divide(out, norms[:, None], out=out, where=nz[:, None])
    out[~nz] = centers[~nz]
    return out


def _median_update(stats, centers, X, codes, w):
    out = centers.astype(np.float64, copy=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(centers.shape[0] + 1))
    for j in range(centers.shape[0]):
        rows = order[bounds[j] : bounds[j + 1]]
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
    return np.where(exact, (med + v[hi, cols]) / 2.0, med)


UPDATES = {"mean": _mean_update, "spherical": _spherical_update, "median": _median_update}


@dataclass(frozen=True)
class LloydResult:
    """Outcome of :func:`lloyd` (codewords in the space of ``X``).

    Attributes
    ----------
    centers : ndarray of shape (n_codewords, n_features), dtype of X
    codes : ndarray of shape (n_samples,), int64
    sq_distances : ndarray of shape (n_samples,)
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


def lloyd(X, centers, *, sample_weight=None, max_iter=300, tol=1e-4, empty="split",
          update="mean", metric="sqeuclidean", rng=None, n_threads=None, chunk_rows=None,
          progress=None, algorithm="auto"):
    """Run Lloyd's algorithm from ``centers``.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
    centers : ndarray of shape (n_codewords, n_features)
        Initial codewords.
    sample_weight : ndarray of shape (n_samples,), optional
    max_iter : int
    tol : float
        Stop when ``(previous - current) <= tol * current`` distortion.
    empty : {'split', 'relocate', 'error'}
        What to do with a codeword that lost all its observations.
    update : {'mean', 'spherical', 'median'} or callable
        ``(AssignStats, centers, X, codes, weights) -> centers``.
    metric : {'sqeuclidean', 'cityblock'}
        Assignment distance passed to the kernels.
    rng : numpy.random.RandomState
        Used by ``empty='split'``.
    progress : callable, optional
        Called with ``(iteration, distortion)`` after each pass.
    algorithm : {'auto', 'lloyd', 'hamerly'}
        ``'hamerly'`` skips distance computations with Hamerly's bounds (same
        iterates); it applies to dense input with ``metric='sqeuclidean'`` and
        the ``'mean'`` or ``'spherical'`` update, and falls back to plain
        passes (``'lloyd'``) otherwise. ``'auto'`` is ``'hamerly'``.

    Returns
    -------
    LloydResult
    """
    if empty not in EMPTY_POLICIES:
        raise ParameterError(f"empty={empty!r} is not one of {EMPTY_POLICIES}")
    if algorithm not in ALGORITHMS:
        raise ParameterError(f"algorithm={algorithm!r} is not one of {ALGORITHMS}")
    upd = UPDATES[update] if isinstance(update, str) else update
    rng = rng if rng is not None else np.random.RandomState(0)
    n = X.shape[0]
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    wsum = float(w.sum())
    C = np.ascontiguousarray(centers, dtype=X.dtype)
    k = C.shape[0]
    history = []
    prev_codes = None
    strict = False
    bounds = None
    if (algorithm != "lloyd" and not sp.issparse(X) and metric == "sqeuclidean"
            and update in ("mean", "spherical") and X.dtype in (np.float32, np.float64)):
        bounds = kernels.HamerlyState(X, sample_weight=sample_weight, chunk_rows=chunk_rows,
                                      n_threads=n_threads)

    def one_pass(C):
        if bounds is not None:
            return bounds.step(C)
        return kernels.assign_accumulate(
            X, C, sample_weight=sample_weight, metric=metric, n_threads=n_threads,
            chunk_rows=chunk_rows,
        )

    # one BLAS limit for the whole run: restoring it between passes wakes spinning BLAS threads
    with kernels.single_threaded_blas():
        for it in range(1, max_iter + 1):
            codes, dist, stats = one_pass(C)
            J = stats.total_sse / wsum
            history.append(J)
            if progress is not None:
                progress(it, J)
            if bounds is not None:
                unchanged = it > 1 and bounds.n_changed == 0
            else:
                unchanged = prev_codes is not None and np.array_equal(codes, prev_codes)
            if unchanged:
                strict = True
                break
            newC = upd(stats, C, X, codes, w)
            empties = np.flatnonzero(stats.counts <= 0)
            if empties.size:
                newC = _fix_empty(X, newC, empties, stats, dist, codes, empty, rng, it, k)
                if bounds is not None:  # a moved codeword: start the bounds afresh
                    bounds.reset()
            C = newC.astype(X.dtype, copy=False)
            prev_codes = codes if bounds is None else None
            if len(history) > 1 and (history[-2] - J) <= tol * J:
                break
        if not strict:
            codes, dist, stats = one_pass(C)
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

    Returns
    -------
    LloydResult
        For the final ``n_codewords`` codewords.
    """
    rng = rng if rng is not None else np.random.RandomState(0)
    w = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
    if sp.issparse(X):
        mean = np.asarray(X.T @ w).ravel() / w.sum()
    else:
        mean = (w @ np.asarray(X, dtype=np.float64)) / w.sum()
    if update == "spherical":
        mean = mean / (np.linalg.norm(mean) or 1.0)
    C = mean[None, :]
    common = dict(sample_weight=sample_weight, tol=tol, empty=empty, update=update,
                  metric=metric, rng=rng, n_threads=n_threads, chunk_rows=chunk_rows,
                  algorithm=algorithm)
    res = lloyd(X, C, max_iter=1, **common)
    while res.centers.shape[0] < n_codewords:
        k = res.centers.shape[0]
        n_split = min(k, n_codewords - k)
        order = np.lexsort((np.arange(k), -res.counts))  # heaviest first, ties by index
        spread = np.sqrt(res.sse / np.maximum(res.counts, 1e-300))
        C = split_codewords(res.centers, spread, order[:n_split], rng, epsilon=epsilon)
        res = lloyd(X, C, max_iter=max_iter, **common)
    return res


def _fix_empty(X, C, empties, stats, dist, codes, policy, rng, it, k):
    if policy == "error":
        raise EmptyClusterError(
            f"{empties.size} of {k} codewords (indices {empties[:10].tolist()}) have no "
            f"observations after iteration {it}; use empty='split' or 'relocate', or fewer "
            "codewords"
        )
    C = C.copy()
    if policy == "relocate":
        far = np.argsort(-np.asarray(dist, dtype=np.float64), kind="stable")[: empties.size]
        for j, i in zip(empties, far):
            C[j] = X[int(i)].toarray().ravel() if sp.issparse(X) else X[int(i)]
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
