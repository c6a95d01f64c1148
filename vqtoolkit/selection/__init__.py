"""Choosing the number of codewords ``k``: G-means, X-means and the usual curves.

:func:`choose_k` runs one method and returns a :class:`SelectionResult` with
the chosen ``k``, its codewords (in original units) and everything the
choice was made from: the per-``k`` curve (elbow, silhouette, gap,
Calinski–Harabasz, Davies–Bouldin) or the split history (G-means, X-means).

``'gmeans'``
    Hamerly & Elkan, "Learning the k in k-means" (NIPS 2003): a cluster is
    split while the projection of its members on the direction between its
    two 2-means children fails an Anderson–Darling normality test at level
    ``alpha`` (critical value computed for any ``alpha``; see
    :mod:`vqtoolkit.selection._normality`). By default
    (``split_test='ad+dip'``) a split must also be *real*: Hartigan's dip
    test must reject unimodality of the same projection at level
    ``dip_alpha`` (as dip-means, Kalogeratos & Likas 2012, uses the dip), and
    neighbouring codewords whose joint members are unimodal are merged at the
    end; then (``resplit=True``) each cluster the Anderson–Darling test still
    rejects is tried once more, and a split is kept when no neighbour pair
    of the refined codewords looks unimodal. ``split_test='ad'`` is the
    paper's rule.
``'xmeans'``
    Pelleg & Moore, "X-means" (ICML 2000): a cluster is split while the BIC of
    its two children beats its own; the round with the best global BIC wins.
``'elbow'``, ``'silhouette'``, ``'gap'``, ``'calinski_harabasz'``, ``'davies_bouldin'``
    One k-means fit per ``k`` in ``k_range``; see :mod:`vqtoolkit.selection._curves`.

``max_splits='auto'`` splits every cluster that asks in each round for
``split_test='ad+dip'`` (the merge step cleans up), and one cluster per round,
the one that asks most strongly (largest ``A²`` over its critical value,
largest BIC gain), for ``split_test='ad'`` and X-means: without the dip guard
and the merge, splitting every rejected cluster at once (the papers' way,
``max_splits=None``) leaves k-means in local optima with extra codewords.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass

import numpy as np

from .._progress import DEPRECATED, function_verbose, progress_bar
from .._validation import check_positive_int, check_random_state, check_X
from ..backends import InMemoryRows
from ..errors import ParameterError
from ..fitting import prepare_space
from ..spaces import EuclideanSpace, TrainingSpace
from ..whitening import resolve_whitener
from ._curves import (
    CURVE_METHODS,
    calinski_harabasz,
    davies_bouldin,
    elbow_knee,
    gap_statistic,
    silhouette,
    sweep,
)
from ._normality import NormalityTest, ad_critical_value, ad_pvalue, anderson_darling_normal
from ._splitting import SPLIT_TESTS, SplitRecord, bic, gmeans, xmeans
from ._unimodality import DipTest, dip_pvalue, dip_statistic, dip_test

__all__ = [
    "choose_k",
    "SelectionResult",
    "SplitRecord",
    "METHODS",
    "anderson_darling_normal",
    "ad_pvalue",
    "ad_critical_value",
    "NormalityTest",
    "dip_test",
    "dip_statistic",
    "dip_pvalue",
    "DipTest",
    "bic",
]

METHODS = ("gmeans", "xmeans", *CURVE_METHODS)

_CRITERION = {
    "gmeans": "splits",
    "xmeans": "bic",
    "elbow": "distortion",
    "silhouette": "silhouette",
    "gap": "gap",
    "calinski_harabasz": "calinski_harabasz",
    "davies_bouldin": "davies_bouldin",
}


@dataclass(frozen=True)
class SelectionResult:
    """Outcome of :func:`choose_k`.

    Attributes
    ----------
    method : str
    k : int
        The chosen number of codewords.
    codewords : ndarray of shape (k, n_features), float64
        The chosen codewords in original units; ``Codebook(k, init=codewords,
        whiten=...).fit(X)`` refines them into a fitted codebook (what
        ``Codebook(n_codewords='auto')`` does).
    k_values : ndarray of shape (n_points,), int
        Curves: the ``k`` tried. G-means / X-means: ``k`` after each round.
    scores : ndarray of shape (n_points,)
        The criterion at each ``k_values`` entry (see ``criterion``).
    criterion : str
        ``'distortion'``, ``'silhouette'``, ``'gap'``, ``'calinski_harabasz'``,
        ``'davies_bouldin'``, ``'bic'`` (global BIC after each X-means round)
        or ``'splits'`` (clusters split in each G-means round; a last
        negative entry counts the codewords removed by the merge step).
    history : tuple of SplitRecord
        Every split test made (G-means / X-means); empty for curves.
    errors : ndarray of shape (n_points,) or None
        Gap statistic: the standard error ``s_k``.
    """

    method: str
    k: int
    codewords: np.ndarray
    k_values: np.ndarray
    scores: np.ndarray
    criterion: str
    history: tuple = ()
    errors: np.ndarray | None = None

    def table(self) -> str:
        """The curve (or the rounds) as a plain-text table, the chosen ``k`` marked with ``*``."""
        lines = [f"{'k':>6}  {self.criterion:>18}" + ("  s_k" if self.errors is not None else "")]
        for i, (k, s) in enumerate(zip(self.k_values, self.scores)):
            mark = " *" if int(k) == self.k else ""
            extra = f"  {self.errors[i]:.4g}" if self.errors is not None else ""
            lines.append(f"{int(k):>6}  {s:>18.6g}{extra}{mark}")
        lines.append(f"method={self.method}: k = {self.k}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """Plain JSON-ready dictionary (NaN becomes ``None``).

        Keys: ``k``, ``method``, ``criterion``, ``codewords`` (k lists of
        n_features numbers, original units), then for the curves ``curve``: a
        list of ``{"k", "score"}`` (plus ``"s_k"`` for the gap statistic), one
        per ``k`` tried; for G-means / X-means ``rounds``: a list of ``{"k",
        "score"}`` (``k`` after each round, ``score`` as ``criterion`` says)
        and ``history``: every split test (:class:`SplitRecord` fields).
        """
        out = {"k": int(self.k), "method": self.method, "criterion": self.criterion,
               "codewords": np.asarray(self.codewords, dtype=np.float64).tolist()}
        points = [{"k": int(k), "score": _number(s)} for k, s in zip(self.k_values, self.scores)]
        if self.errors is not None:
            for point, e in zip(points, self.errors):
                point["s_k"] = _number(e)
        if self.method in ("gmeans", "xmeans"):
            out["rounds"] = points
            out["history"] = [{key: _plain(v) for key, v in dataclasses.asdict(r).items()}
                              for r in self.history]
        else:
            out["curve"] = points
        return out


def choose_k(X, *, method="gmeans", k_range=None, alpha=1e-4, split_test="ad+dip", dip_alpha=0.05,
             resplit=True, max_splits="auto", sample_size=2000, n_refs=10, whiten=None, n_threads=None,
             random_state=None, verbose=False, progress=DEPRECATED):
    """Choose the number of codewords for ``X`` (and the codewords themselves).

    Parameters
    ----------
    X : array-like or dask.array.Array of shape (n_samples, n_features)
        Dense observations (rows); float32 stays float32. A Dask array is
        fitted on its cluster for ``'gmeans'`` and ``'xmeans'`` (the rows are
        never gathered; G-means brings one projected value per row to the
        client: see ``docs/dask.md``).
    method : {'gmeans', 'xmeans', 'elbow', 'silhouette', 'gap', 'calinski_harabasz', 'davies_bouldin'}
    k_range : range, sequence of int or (k_min, k_max), optional
        Curves: every ``k`` to try (default ``1 … min(30, n_samples - 1)``).
        G-means / X-means: start at ``min(k_range)`` and never exceed
        ``max(k_range)`` (default ``1 … n_samples // 8``; X-means starts at 2:
        from one cluster its BIC rarely splits a 2-D layout of many clusters,
        since halving a uniform-looking cloud does not halve its variance).
    alpha : float in (0, 1), default=1e-4
        G-means: Anderson–Darling significance level (Hamerly & Elkan use 1e-4).
    split_test : {'ad+dip', 'ad'}, default='ad+dip'
        G-means: ``'ad'`` splits when the Anderson–Darling test rejects
        normality (the paper); ``'ad+dip'`` also needs the dip test to reject
        unimodality at ``dip_alpha`` and merges unimodal neighbours at the end.
    dip_alpha : float in (0, 1), default=0.05
        G-means with ``split_test='ad+dip'``: dip test level.
    resplit : bool, default=True
        G-means with ``split_test='ad+dip'``: after the merge step, try again
        to split each cluster the Anderson–Darling test rejects, and keep a
        split when, after Lloyd on all codewords, no codeword and its nearest
        neighbour look unimodal together (the merge rule); this gets k-means
        out of local optima where one codeword straddles two clusters.
        ``False`` skips the pass (then S4 gives 14 clusters for 15).
    max_splits : 'auto', int or None, default='auto'
        G-means / X-means: clusters split per round (``None``: every one that
        asks, as in the papers; ``'auto'``: ``None`` for G-means with
        ``'ad+dip'``, 1 otherwise).
    sample_size : int, default=2000
        Silhouette: rows sampled when ``n_samples`` is larger.
    n_refs : int, default=10
        Gap statistic: reference data sets.
    whiten : None, str or Whitener
        Whitening applied before choosing (and kept in the codebook).
    n_threads : int, optional
    random_state : None, int or RandomState
    verbose : bool or None, default=False
        Progress bar on stderr, advancing by one per ``k`` fitted (curves; the
        gap statistic also counts its reference sets) or per codeword added
        (G-means / X-means). ``None`` shows it only when stderr is a
        terminal; see :mod:`vqtoolkit._progress`.
    progress : bool
        Deprecated alias of ``verbose`` (FutureWarning); removed in the next release.

    Returns
    -------
    SelectionResult
    """
    if method not in METHODS:
        raise ParameterError(f"method={method!r} is not one of {METHODS}")
    rows = _rows(X, method, n_threads)
    n = rows.shape[0]
    if n < 2:
        raise ParameterError(f"choose_k needs at least 2 observations; X has shape {rows.shape}")
    rng = check_random_state(random_state)
    ks = _k_values(k_range, method, n)
    space = TrainingSpace(resolve_whitener(whiten), EuclideanSpace())
    Xw = prepare_space(rows, space)  # the whitened rows (centred if float32 far from 0)
    verbose = function_verbose(verbose, progress, "choose_k")
    splitting = method in ("gmeans", "xmeans")
    if splitting:  # counts codewords: starts at k_min, one more per split
        bar = progress_bar(desc=f"choose_k({method})", unit=" codewords", initial=int(ks[0]),
                           verbose=verbose)
    else:  # counts fits: one per k, and one per reference set of the gap statistic
        bar = progress_bar(desc=f"choose_k({method})", unit=" fits", verbose=verbose,
                           total=int(ks.size) + (n_refs if method == "gap" and _is_int(n_refs) else 0))
    tick = bar.update
    try:
        if splitting:
            if method == "gmeans":
                _check_split_test(split_test)
            auto = None if method == "gmeans" and split_test == "ad+dip" else 1
            kwargs = dict(k_min=int(ks[0]), k_max=int(ks[-1]), rng=rng, n_threads=n_threads,
                          max_splits=_check_max_splits(max_splits, auto),
                          progress=lambda k: tick(max(k - bar.n, 0)))
            if method == "gmeans":
                _check_alpha(alpha)
                _check_alpha(dip_alpha, "dip_alpha")
                if not isinstance(resplit, (bool, np.bool_)):
                    raise ParameterError(f"resplit={resplit!r} must be True or False")
                grown = gmeans(Xw, alpha=float(alpha), split_test=split_test,
                               dip_alpha=float(dip_alpha), resplit=bool(resplit), **kwargs)
            else:
                grown = xmeans(Xw, **kwargs)
            centers = grown.centers
            k_values, scores, history, errors = (grown.k_per_round, grown.score_per_round,
                                                 grown.history, None)
        else:
            centers, k_values, scores, errors = _curve(np.ascontiguousarray(Xw.X), method, ks, rng,
                                                       sample_size, n_refs, n_threads, tick)
            history = ()
    finally:
        bar.close()
    codewords = space.codewords_out(centers)[1]
    return SelectionResult(method, int(centers.shape[0]), codewords, np.asarray(k_values),
                           np.asarray(scores, dtype=np.float64), _CRITERION[method],
                           tuple(history), errors)


# ---------------------------------------------------------------------- internals


def _curve(X, method, ks, rng, sample_size, n_refs, n_threads, tick):
    if method in ("silhouette", "calinski_harabasz", "davies_bouldin") and ks.max() < 2:
        raise ParameterError(f"method={method!r} needs some k >= 2 in k_range; got {ks.tolist()}")
    if method == "gap" and ks.size < 2:
        raise ParameterError(f"method='gap' needs at least two values in k_range; got {ks.tolist()}")
    sample_size = check_positive_int(sample_size, "sample_size", minimum=2)
    n_refs = check_positive_int(n_refs, "n_refs", minimum=2)
    fits = sweep(X, ks, rng, n_threads=n_threads, progress=tick)
    errors = None
    if method == "elbow":
        scores = np.array([f.distortion for f in fits])
        best = elbow_knee(ks, scores)
    elif method == "silhouette":
        n = X.shape[0]
        sample = np.sort(rng.choice(n, sample_size, replace=False)) if n > sample_size \
            else np.arange(n)
        scores = np.array([silhouette(X, f.codes, sample, n_threads=n_threads) if k >= 2
                           else np.nan for k, f in zip(ks, fits)])
        best = int(np.nanargmax(scores))
    elif method == "calinski_harabasz":
        scores = np.array([calinski_harabasz(X, f) for f in fits])
        best = int(np.nanargmax(scores))
    elif method == "davies_bouldin":
        scores = np.array([davies_bouldin(X, f, n_threads=n_threads) for f in fits])
        best = int(np.nanargmin(scores))
    else:
        scores, errors, best = gap_statistic(X, ks, fits, rng, n_refs=n_refs,
                                             n_threads=n_threads, progress=tick)
    return fits[best].centers, ks, scores, errors


def _rows(X, method, n_threads):
    """The rows backend of ``X``: in memory, or on Dask for G-means / X-means."""
    if type(X).__module__.split(".")[0] == "dask":
        if method not in ("gmeans", "xmeans"):
            raise ParameterError(
                f"method={method!r} needs the rows in memory; for a Dask array use 'gmeans' or "
                "'xmeans', or pass X.compute()"
            )
        from ..distributed import DaskRows

        return DaskRows.from_input(X, n_threads=n_threads, what="choose_k")
    return InMemoryRows(check_X(X, what="choose_k").X, n_threads=n_threads, what="choose_k")


def _k_values(k_range, method, n):
    curve = method in CURVE_METHODS
    if k_range is None:
        k_min = 2 if method == "xmeans" else 1
        ks = np.arange(1, min(30, n - 1) + 1) if curve else np.array([k_min, max(k_min, n // 8)])
    else:
        try:
            ks = np.asarray(list(k_range))
        except TypeError:
            raise ParameterError(
                f"k_range={k_range!r} must be a range or a sequence of integers"
            ) from None
        if ks.ndim != 1 or ks.size == 0 or ks.dtype.kind not in "iu":
            raise ParameterError(
                f"k_range={k_range!r} must be a non-empty range or sequence of integers"
            )
        ks = np.unique(ks)
        if ks[0] < 1 or ks[-1] > n:
            raise ParameterError(
                f"k_range={k_range!r} must lie in [1, {n}] (X has {n} rows)"
            )
    return ks.astype(np.int64)


def _number(value):
    """A float for JSON: NaN and infinities become None."""
    value = float(value)
    return value if math.isfinite(value) else None


def _plain(value):
    """bool, int or float (NaN: None) from a NumPy or Python scalar."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    return int(value) if isinstance(value, numbers.Integral) else _number(value)


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_alpha(alpha, name="alpha"):
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0 < alpha < 1:
        raise ParameterError(f"{name}={alpha!r} must be a number strictly between 0 and 1")


def _check_split_test(split_test):
    if split_test not in SPLIT_TESTS:
        raise ParameterError(f"split_test={split_test!r} is not one of {SPLIT_TESTS}")


def _check_max_splits(value, auto):
    if isinstance(value, str) and value == "auto":
        return auto
    if value is None:
        return None
    return check_positive_int(value, "max_splits")
