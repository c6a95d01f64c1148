"""A drop-in for :mod:`scipy.cluster.vq`: ``whiten``, ``vq``, ``kmeans``, ``kmeans2``.

Change the import, keep the code::

    from scipy.cluster.vq import whiten, vq, kmeans, kmeans2         # before
    from vqtoolkit.compat.scipy import whiten, vq, kmeans, kmeans2   # after

Signatures, argument checks, return values, dtypes (float32 stays float32,
codes are int32) and random streams are scipy's (1.17): the same ``seed`` /
``rng`` draws the same initial codebook (``minit`` 'random', 'points', '++'
and ``kmeans``' random rows), so runs with no empty cluster give scipy's
result up to rounding. Conventions kept from scipy:

- rows are observations; 1-D input is ``n`` observations of one feature;
- ``kmeans`` and ``vq`` report the *non-squared* Euclidean distance
  (``distortion`` = mean distance), unlike the rest of vqtoolkit (mean
  squared distance);
- ``kmeans``' ``iter`` counts restarts and its stop rule is
  ``|previous - current mean distance| <= thresh``; ``kmeans2``'s ``iter``
  counts Lloyd iterations and its ``thresh`` is unused;
- ``kmeans2``'s labels are those of its last assignment pass, made before its
  last centroid update (so after few iterations a label may differ from
  ``vq(data, centroid)``, exactly as in scipy).

The one documented difference: **exactly k codewords, every one in use**. A
codeword that loses all its observations is moved to the observation
farthest from its codeword (``Codebook(empty='relocate')``) and Lloyd goes
on; scipy's ``kmeans`` drops such codewords (it may return fewer than k) and
``kmeans2(missing='warn')`` leaves them where they were. ``missing='warn'``
still warns (scipy's message); ``missing='raise'`` raises
:class:`ClusterError`, which is also a ``scipy.cluster.vq.ClusterError``.
Also accepted where scipy raises: integer data (computed in float64).

Everything runs on vqtoolkit's passes (:mod:`vqtoolkit.kernels` through the
in-memory rows backend, with Hamerly's bounds, on every core), with the mean
update of :mod:`vqtoolkit.lloyd`; only the loop around them follows scipy's
rules. For what scipy cannot do (inverse whitening, canonical numbering,
k-means++ restarts, ``random_state``) use :class:`vqtoolkit.Whitener` and
:class:`vqtoolkit.Codebook` (``docs/migrating_from_scipy.md``).
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from scipy.cluster.vq import ClusterError as _ScipyClusterError

from .. import kernels
from .._validation import check_X
from ..backends import InMemoryRows
from ..errors import EmptyClusterError, ParameterError
from ..lloyd import UPDATES

__all__ = ["whiten", "vq", "kmeans", "kmeans2", "ClusterError"]

_MISSING = "One of the clusters is empty. Re-run kmeans with a different initialization."


class ClusterError(EmptyClusterError, _ScipyClusterError):
    """``kmeans2(missing='raise')`` met an empty cluster (also a ``scipy.cluster.vq.ClusterError``)."""


class _SingularCovarianceError(ParameterError, np.linalg.LinAlgError):
    """``minit='random'`` on data whose covariance is singular (scipy raises ``LinAlgError``)."""


def whiten(obs, check_finite=None):
    """Divide every feature (column) by its standard deviation, as :func:`scipy.cluster.vq.whiten`.

    Parameters
    ----------
    obs : array-like of shape (n_obs, n_features) or (n_obs,)
    check_finite : bool, optional
        Refuse NaN and infinity (the default, ``None``, means True). Columns of
        zero standard deviation are left as they are, with a ``RuntimeWarning``
        when ``check_finite`` is on (as scipy).

    Returns
    -------
    ndarray of the shape of ``obs``
        ``obs / std(obs, axis=0)``; float32 stays float32, integers become float64.
        The scale is not kept: :class:`vqtoolkit.Whitener` (``method='scale'``)
        does the same and maps codewords back with ``inverse_transform``.
    """
    if check_finite is None:
        check_finite = True
    obs = np.asarray(obs)
    if check_finite:
        _check_finite(obs, "whiten: obs")
    std = np.asarray(np.std(obs, axis=0))
    zero = std == 0
    if np.any(zero):
        std = std.copy()
        std[zero] = 1.0
        if check_finite:
            warnings.warn("Some columns have standard deviation zero. The values of these columns "
                          "will not change.", RuntimeWarning, stacklevel=2)
    return obs / std


def vq(obs, code_book, check_finite=True):
    """Code of the nearest codeword of every observation, as :func:`scipy.cluster.vq.vq`.

    Parameters
    ----------
    obs : array-like of shape (n_obs, n_features) or (n_obs,)
    code_book : array-like of shape (k, n_features) or (k,)
        Same number of dimensions as ``obs``.
    check_finite : bool, default=True
        Refuse NaN and infinity.

    Returns
    -------
    code : ndarray of shape (n_obs,), int32
        Index of the nearest codeword (the lowest on ties). int64 when both
        inputs are integer arrays (scipy's ``py_vq`` path).
    dist : ndarray of shape (n_obs,)
        Euclidean (non-squared) distance to it, in the common float dtype of
        the inputs (float32 for float32 inputs; float64 for integers).
    """
    o, c = np.asarray(obs), np.asarray(code_book)
    if o.ndim != c.ndim:
        raise ParameterError(
            f"vq: observation and code should have same number of dimensions: obs has shape "
            f"{o.shape}, code_book has shape {c.shape}"
        )
    X, _ = _as_rows(o, check_finite, "vq: obs")
    C, _ = _as_rows(c, check_finite, "vq: code_book")
    if X.shape[1] != C.shape[1]:
        raise ParameterError(
            f"vq: obs and code should have same number of features (columns): obs has shape "
            f"{o.shape}, code_book has shape {c.shape}"
        )
    common = np.result_type(o.dtype, c.dtype)
    floating = common.kind == "f"
    dtype = common if common in (np.float32, np.float64) else np.dtype(np.float64)
    codes, sq = kernels.assign(X.astype(dtype, copy=False), C.astype(dtype, copy=False))
    return codes.astype(np.int32 if floating else np.int64), np.sqrt(sq, out=sq)


def kmeans(obs, k_or_guess, iter=20, thresh=1e-05, check_finite=True, *, rng=None, seed=None):
    """k-means with restarts and a distortion-change stop, as :func:`scipy.cluster.vq.kmeans`.

    Parameters
    ----------
    obs : array-like of shape (n_obs, n_features) or (n_obs,)
        Usually whitened first (:func:`whiten`).
    k_or_guess : int or array-like of shape (k, n_features) or (k,)
        ``k``: each restart starts from ``k`` distinct observations drawn at
        random. An array is the initial codebook of one run (``iter`` is then
        ignored).
    iter : int, default=20
        Number of restarts (not iterations); the lowest distortion wins.
    thresh : float, default=1e-5
        A run stops when the mean distance changed by at most ``thresh``
        between two passes.
    check_finite : bool, default=True
    rng : None, int or numpy.random.Generator, keyword-only
        Passed to ``numpy.random.default_rng``.
    seed : None, int, RandomState or Generator, keyword-only
        scipy's older name: an int makes a ``RandomState``; ``None`` (and no
        ``rng``) uses NumPy's global ``RandomState``. Give at most one of the two.

    Returns
    -------
    codebook : ndarray of shape (k, n_features) or (k,)
        Exactly ``k`` codewords, dtype of ``obs`` (scipy drops the codewords
        left without observations; here they move to the farthest observation).
    distortion : numpy scalar
        Mean (non-squared) Euclidean distance of the observations to their
        nearest codeword at the last pass of the best run.
    """
    o = np.asarray(obs)
    X, one_d = _as_rows(o, check_finite, "kmeans: obs")
    guess = np.asarray(k_or_guess)
    if iter < 1:
        raise ParameterError(f"iter must be at least 1, got {iter}")
    rows = InMemoryRows(X, what="kmeans: obs")
    if guess.size != 1:
        if guess.size < 1:
            raise ParameterError(f"Asked for 0 clusters. Initial book was {guess}")
        if guess.ndim != o.ndim:
            raise ParameterError(
                f"kmeans: k_or_guess of shape {guess.shape} does not match obs of shape {o.shape}"
            )
        C0, _ = _as_rows(guess, check_finite, "kmeans: k_or_guess")
        if C0.shape[1] != X.shape[1]:
            raise ParameterError(f"kmeans: k_or_guess has shape {guess.shape}; expected "
                                 f"({guess.shape[0]}, {X.shape[1]}) for obs of shape {o.shape}")
        book, dist = _kmeans_run(rows, C0, thresh)
    else:
        k = int(guess.item())
        if k != guess.item():
            raise ParameterError(f"If k_or_guess is a scalar, it must be an integer; got {guess.item()!r}")
        if k < 1:
            raise ParameterError(f"Asked for {k} clusters.")
        gen = _generator(rng, seed)
        book = dist = None
        for _ in range(iter):
            b, dd = _kmeans_run(rows, _init_points(X, k, gen), thresh)
            if book is None or dd < dist:
                book, dist = b, dd
    return (book.ravel() if one_d else book), dist


def kmeans2(data, k, iter=10, thresh=1e-05, minit="random", missing="warn", check_finite=True,
            *, rng=None, seed=None):
    """k-means for a fixed number of iterations, as :func:`scipy.cluster.vq.kmeans2`.

    Parameters
    ----------
    data : array-like of shape (n_obs, n_features) or (n_obs,)
    k : int or array-like of shape (k, n_features) or (k,)
        Number of clusters, or (with ``minit='matrix'``, or any array of more
        than one element) the initial codebook.
    iter : int, default=10
        Lloyd iterations (assignment + update). Stops earlier at a fixed point,
        where further iterations would change nothing.
    thresh : float, default=1e-5
        Unused, as in scipy.
    minit : {'random', 'points', '++', 'matrix'}, default='random'
        'random': ``k`` draws from a Gaussian with the data's mean and
        covariance; 'points': ``k`` distinct observations at random; '++':
        k-means++ (one candidate per step, as scipy); 'matrix': ``k`` is the
        initial codebook.
    missing : {'warn', 'raise'}, default='warn'
        A cluster left empty: 'warn' warns and moves its codeword to the
        observation farthest from its codeword (scipy keeps the stale codeword);
        'raise' raises :class:`ClusterError`.
    check_finite : bool, default=True
    rng, seed : keyword-only
        As in :func:`kmeans`.

    Returns
    -------
    centroid : ndarray of shape (k, n_features) or (k,)
        Codewords after the last update, dtype of ``data``.
    label : ndarray of shape (n_obs,), int32
        Code of every observation at the last assignment pass.
    """
    if int(iter) < 1:
        raise ParameterError(f"Invalid iter ({iter}), must be a positive integer.")
    if missing not in ("warn", "raise"):
        raise ParameterError(f"Unknown missing method {missing!r}; expected 'warn' or 'raise'")
    d_arr = np.asarray(data)
    X, one_d = _as_rows(d_arr, check_finite, "kmeans2: data")
    book = np.array(k, copy=True)
    if book.size < 1:
        raise ParameterError(f"kmeans2: Empty input is not supported (k has shape {book.shape})")
    if minit == "matrix" or book.size > 1:
        if book.ndim != d_arr.ndim:
            raise ParameterError(f"kmeans2: k array doesn't match data rank: k has shape {book.shape}, "
                                 f"data has shape {d_arr.shape}")
        C0, _ = _as_rows(book, check_finite, "kmeans2: k (initial codebook)")
        if C0.shape[1] != X.shape[1]:
            raise ParameterError(f"kmeans2: k array doesn't match data dimension: k has shape "
                                 f"{book.shape}, data has shape {d_arr.shape}")
    else:
        nc = int(book.item())
        if nc < 1:
            raise ParameterError(f"Cannot ask kmeans2 for {nc} clusters (k was {book})")
        if nc != book.item():
            warnings.warn("k was not an integer, was converted.", stacklevel=2)
        if minit not in _INITS:
            raise ParameterError(f"Unknown init method {minit!r}; expected one of "
                                 "'random', 'points', '++', 'matrix'")
        C0 = _INITS[minit](X, nc, _generator(rng, seed))
    centroid, label = _kmeans2_run(InMemoryRows(X, what="kmeans2: data"), C0, int(iter), missing)
    return (centroid.ravel() if one_d else centroid), label


# ---------------------------------------------------------------------- the runs


def _kmeans_run(rows, C, thresh):
    """One run of scipy's ``_kmeans``: passes until the mean distance changes by <= ``thresh``."""
    update = UPDATES["mean"]
    C = np.ascontiguousarray(C, dtype=rows.dtype)
    prev = np.inf
    moved = True
    with rows.passes() as passes:
        while True:
            stats, changed = passes.step(C)
            cur = np.mean(np.sqrt(passes.sq_distances))  # in the data's dtype, as scipy
            if changed == 0 and not moved:
                break  # a fixed point: the next pass would repeat this one (change 0)
            C, moved = _update(rows, passes, stats, C, update, None)
            diff = abs(prev - cur)
            prev = cur
            if not diff > thresh:
                break
    return C, cur


def _kmeans2_run(rows, C, n_iter, missing):
    """``n_iter`` scipy ``kmeans2`` iterations; empty clusters per ``missing`` (see the module)."""
    update = UPDATES["mean"]
    C = np.ascontiguousarray(C, dtype=rows.dtype)
    moved, n_moved = True, 0
    with rows.passes() as passes:
        for _ in range(n_iter):
            stats, changed = passes.step(C)
            if changed == 0 and not moved:
                break  # a fixed point: scipy's remaining iterations repeat it
            C, moved = _update(rows, passes, stats, C, update, missing)
            n_moved += int(moved)
        labels = passes.codes_array().astype(np.int32)
    if n_moved:
        warnings.warn(f"{_MISSING} (vqtoolkit moved each empty cluster's codeword to the observation "
                      f"farthest from its codeword, in {n_moved} iteration(s), so k codewords stay in "
                      "use; scipy leaves it where it was)", UserWarning, stacklevel=3)
    return C, labels


def _update(rows, passes, stats, C, update, missing):
    """Mean update; codewords with no observations move to the farthest ones. ``(C, moved)``."""
    newC = update(stats, C, passes)
    empties = np.flatnonzero(stats.counts <= 0)
    if empties.size:
        if missing == "raise":
            raise ClusterError(f"{_MISSING} ({empties.size} of {C.shape[0]} clusters: indices "
                               f"{empties[:10].tolist()})")
        newC[empties] = rows.take(passes.farthest(empties.size))
        passes.reset()  # a jump, not an update: the bounds start afresh
    return np.ascontiguousarray(newC, dtype=rows.dtype), bool(empties.size)


# ---------------------------------------------------------------------- seeding (scipy's draws)


def _init_points(X, k, gen):
    """scipy's ``_kpoints``: ``k`` distinct rows drawn at random."""
    if k > X.shape[0]:
        raise ParameterError(f"k={k} is larger than the number of observations ({X.shape[0]}); "
                             "at most one codeword per observation can be drawn")
    return X[gen.choice(X.shape[0], size=int(k), replace=False)]


def _init_random(X, k, gen):
    """scipy's ``_krandinit``: ``k`` draws from a Gaussian with the data's mean and covariance."""
    n, d = X.shape
    if n < 2:
        raise ParameterError(f"minit='random' needs at least 2 observations to estimate a "
                             f"covariance; data has {n}")
    mu = X.mean(axis=0)
    if d > n:  # rank-deficient covariance: draw in the span of the data
        _, s, vh = np.linalg.svd(X - mu, full_matrices=False)
        x = gen.standard_normal(size=(k, s.size)) @ (s[:, None] * vh / np.sqrt(n - 1.0))
    else:
        cov = np.atleast_2d(np.cov(X.T))
        try:
            L = np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:
            raise _SingularCovarianceError(
                f"minit='random': the covariance of data (shape {X.shape}) is singular (a constant "
                "or linearly dependent feature), so no Gaussian can be drawn from it; use "
                "minit='points' or '++'"
            ) from None
        x = gen.standard_normal(size=(k, d)) @ L.T
    x += mu
    return x


def _init_kpp(X, k, gen):
    """scipy's ``_kpp``: k-means++ with one candidate per step; distances kept by the kernels."""
    n = X.shape[0]
    state = kernels.SeedingState(X, n_centers=k)
    C = np.empty((k, X.shape[1]))
    for i in range(k):
        if i == 0:
            if isinstance(gen, np.random.Generator):
                idx = int(gen.integers(n, high=None, size=None, dtype="int64", endpoint=False))
            else:
                idx = int(gen.randint(n, high=None, size=None, dtype="int64"))
        else:
            cum = np.cumsum(state.closest)
            idx = min(int(np.searchsorted(cum, gen.uniform() * cum[-1])), n - 1)
        C[i] = X[idx]
        state.add(C[i])
    return C


_INITS = {"random": _init_random, "points": _init_points, "++": _init_kpp}


# ---------------------------------------------------------------------- inputs


def _generator(rng, seed):
    """scipy's rule: ``rng`` through ``default_rng``; else ``seed`` through ``check_random_state``."""
    if rng is not None and seed is not None:
        raise TypeError("got multiple values for argument now known as `rng`. Specify one of "
                        "`rng` or `seed`.")
    if rng is not None:
        return np.random.default_rng(rng)
    if seed is None or seed is np.random:
        return np.random.mtrand._rand
    if isinstance(seed, (numbers.Integral, np.integer)):
        return np.random.RandomState(seed)
    if isinstance(seed, (np.random.RandomState, np.random.Generator)):
        return seed
    raise ParameterError(f"seed={seed!r} cannot be used to seed a numpy.random.RandomState instance; "
                         "pass None, an int, a RandomState or a Generator")


def _as_rows(a, check_finite, what):
    """``(X, one_d)``: 1-D or 2-D input as C-contiguous float32/float64 rows of shape (n, d)."""
    a = np.asarray(a)
    if a.ndim not in (1, 2):
        raise ParameterError(f"{what}: expected a 2-D array (n_obs, n_features) or a 1-D array of "
                             f"n_obs values; got shape {a.shape}")
    X = a.reshape(-1, 1) if a.ndim == 1 else a
    if check_finite:
        X = check_X(X, what=what).X
    else:
        if X.dtype.kind not in "biuf":
            raise ParameterError(f"{what}: dtype {X.dtype} is not a real number type")
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        if X.size == 0:
            raise ParameterError(f"{what}: Empty input is not supported (shape {a.shape})")
    return np.ascontiguousarray(X), a.ndim == 1


def _check_finite(a, what):
    if a.dtype.kind == "f":
        ok = kernels.all_finite(a)
    else:
        ok = a.dtype.kind != "c" or bool(np.isfinite(a).all())
    if not ok:
        bad = int(a.size - np.count_nonzero(np.isfinite(a)))
        raise ParameterError(f"{what}: array of shape {a.shape} contains {bad} NaN or infinite "
                             "value(s) (check_finite=True)")
