"""Growing a codebook by splitting: G-means (Hamerly & Elkan 2003) and X-means (Pelleg & Moore 2000).

Both start from ``k_min`` codewords and repeat one *round*:

1. for every codeword, take its members ``X_j``, put two children at
   ``c ± m`` with ``m = s sqrt(2 λ / π)`` (``s`` the principal direction of
   ``X_j``, ``λ`` its eigenvalue; Hamerly & Elkan, section 2.1), and run
   2-means on ``X_j`` from there;
2. decide whether the children replace the parent:

   * G-means: project ``X_j`` on ``v = c₁ - c₂`` and test the projection for
     normality with the Anderson–Darling test at level ``alpha``; split when
     normality is rejected (``split_test='ad'``, the paper's rule) and, with
     ``split_test='ad+dip'``, only if Hartigan's dip test also rejects
     unimodality of the projection at level ``dip_alpha``: a cluster that is
     merely not Gaussian (heavy tails, skew, flat top) but has one mode is
     kept whole;
   * X-means: split when the Bayesian information criterion of the two
     children on ``X_j`` beats that of the parent;

3. refine all codewords together with Lloyd on the whole data.

Rounds stop when no codeword splits or ``k_max`` is reached. With
``split_test='ad+dip'`` a last *merge* step follows: every codeword and its
nearest neighbour are merged when the members of both, projected on the line
through the two codewords, pass the dip test (one mode), closest pairs first,
then Lloyd again, until no pair merges. It undoes the extra codewords that
splitting many clusters at once leaves in local optima of k-means.

Then (``resplit=True``, the default) a *re-split* pass: the dip test of step
2 sees one cluster's members only, and when k-means has settled in a local
optimum where one codeword sits between two true clusters and its
neighbours hold the rest of them (S4: a sparse cluster shared among three
codewords), that projection is unimodal although the data are not. So every
cluster the Anderson–Darling test still rejects is tried again, strongest
first: its children replace it, all codewords are refined with Lloyd, and
the new configuration is kept if the merge step would merge nothing in it
(every codeword and its nearest neighbour bimodal along the line joining
them) — the same unimodality rule, applied after the global refinement
instead of before. Rounds and the merge step then resume from the kept
configuration, and the pass repeats until it keeps nothing (or the merge
step brings ``k`` back to where the pass last started). All distances go
through :mod:`vqtoolkit.kernels` (via :func:`vqtoolkit.lloyd.lloyd`).

The members of a cluster are never gathered: step 1 runs for all the
clusters of a round at once by passes over the rows
(:mod:`vqtoolkit.selection._children`), the tests read the projections only
(one float per row, for the sorting in the Anderson–Darling and dip tests),
and the BIC the per-cluster sums of squares. So ``X`` may be a rows backend
on a Dask cluster.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .. import kernels
from ..lloyd import as_rows, lloyd
from ..seeding import kmeans_plusplus
from ._children import pair_projections, split_all
from ._normality import _factor, _statistic, ad_critical_value, ad_pvalue
from ._unimodality import dip_pvalue, dip_statistic

__all__ = ["SplitRecord", "gmeans", "xmeans", "bic", "SPLIT_TESTS"]

SPLIT_TESTS = ("ad+dip", "ad")

MIN_SPLIT_SIZE = 8  # smallest cluster that is tested (the A-D formulas start at n = 8)


@dataclass(frozen=True)
class SplitRecord:
    """One split decision.

    Attributes
    ----------
    round : int
        1 for the first round.
    k_before : int
        Codewords at the start of the round.
    cluster : int
        Index of the parent codeword in that round.
    n_members : int
    statistic : float
        G-means: ``A²`` of the projection; X-means: BIC of the parent on its members.
    threshold : float
        G-means: the critical value of ``A²`` at ``alpha`` for ``n_members``;
        X-means: BIC of the two children.
    pvalue : float
        G-means: Anderson–Darling p-value; X-means: NaN.
    split : bool
    dip_pvalue : float
        G-means with ``split_test='ad+dip'``: p-value of the dip test of the
        projection (computed only when the Anderson–Darling test rejects);
        NaN otherwise.
    """

    round: int
    k_before: int
    cluster: int
    n_members: int
    statistic: float
    threshold: float
    pvalue: float
    split: bool
    dip_pvalue: float = np.nan


@dataclass(frozen=True)
class GrowthResult:
    centers: np.ndarray
    history: tuple
    k_per_round: np.ndarray
    score_per_round: np.ndarray


def gmeans(X, *, alpha, k_min, k_max, rng, split_test="ad+dip", dip_alpha=0.05, resplit=True,
           n_threads=None, max_iter=300, tol=1e-4, progress=None, max_splits=None):
    """G-means: split while the projection on the split direction is not normal (and not unimodal).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    alpha : float
        Anderson–Darling level.
    split_test : {'ad+dip', 'ad'}
        ``'ad'`` is Hamerly & Elkan's rule; ``'ad+dip'`` also asks the dip
        test to reject unimodality at ``dip_alpha``, and merges unimodal
        neighbour pairs at the end (see the module docstring).
    resplit : bool
        With ``'ad+dip'``: after the merge step, try again to split each
        cluster the Anderson–Darling test rejects, keeping a split when the
        refined configuration has no unimodal neighbour pair (see the module
        docstring).
    max_splits : int or None
        Clusters split per round (``None``: every one that asks).

    Returns
    -------
    GrowthResult
        ``score_per_round`` holds the number of splits of each round; the
        merge step, if it merged anything, adds an entry with minus the
        number of merges, and each split kept by the re-split pass an entry of 1.
    """
    use_dip = split_test == "ad+dip"

    def decide(X, res, splits, sizes, rnd, k):
        # the projection of every member on its cluster's v = c1 - c2 (scaled by 1 / |v|^2)
        C = res.centers
        dirs = np.zeros(C.shape, dtype=np.float64)
        mask = np.zeros(k, dtype=bool)
        out = {}
        for j, two in splits.items():
            v = two.children[0] - two.children[1]
            vv = float(v @ v)
            if vv <= 0:
                out[j] = SplitRecord(rnd, k, j, int(sizes[j]), 0.0, np.inf, 1.0, False)
            else:
                dirs[j] = v / vv
                mask[j] = True
        if mask.any():
            idx = np.flatnonzero(mask)
            for j, proj in zip(idx.tolist(), X.group_projections(res.codes, dirs, mask)):
                n = proj.shape[0]
                a2 = _statistic(proj)
                crit = ad_critical_value(alpha, n)
                p = ad_pvalue(a2 * _factor(n))
                split = a2 > crit
                p_dip = np.nan
                if split and use_dip:
                    p_dip = dip_pvalue(dip_statistic(proj), n)
                    split = p_dip < dip_alpha
                out[j] = SplitRecord(rnd, k, j, n, a2, crit, p, split, p_dip)
        return out

    merge = (lambda rows, res, common: _merge_unimodal(rows, res, dip_alpha, common)) \
        if use_dip else None
    resplit = (lambda rows, res, tested, common: _resplit_checked(rows, res, tested, dip_alpha, common)) \
        if use_dip and resplit else None
    return _grow(X, decide, k_min=k_min, k_max=k_max, rng=rng, n_threads=n_threads,
                 max_iter=max_iter, tol=tol, progress=progress, score=None,
                 max_splits=max_splits, merge=merge, resplit=resplit)


def xmeans(X, *, k_min, k_max, rng, n_threads=None, max_iter=300, tol=1e-4, progress=None,
           max_splits=None):
    """X-means: split while the children's BIC beats the parent's; keep the round of best global BIC.

    Returns
    -------
    GrowthResult
        ``score_per_round`` holds the global BIC after each round.
    """

    def decide(X, res, splits, sizes, rnd, k):
        # the parent's sum of squares over its members (float64 differences), the children's from 2-means
        C = res.centers.astype(np.float64)
        mask = np.zeros(k, dtype=bool)
        mask[list(splits)] = True
        sse = X.group_sse(res.codes, C, mask) if mask.any() else np.zeros(k)
        d = C.shape[1]
        out = {}
        for j, two in splits.items():
            n = int(sizes[j])
            parent_bic = _bic(np.array([float(n)]), float(sse[j]), d)
            child_bic = _bic(two.counts, float(two.sse.sum()), d)
            out[j] = SplitRecord(rnd, k, j, n, parent_bic, child_bic, np.nan, child_bic > parent_bic)
        return out

    return _grow(X, decide, k_min=k_min, k_max=k_max, rng=rng, n_threads=n_threads,
                 max_iter=max_iter, tol=tol, progress=progress, score="bic",
                 max_splits=max_splits)


def bic(codes, sq_distances, n_features):
    """BIC of a hard clustering under identical spherical Gaussians (Pelleg & Moore 2000).

    Uses the per-dimension variance ``σ² = SSE / (d (R - K))`` (the formula in
    the paper omits ``d``, a known slip) and ``p = K (d + 1)`` free parameters
    (``K - 1`` mixing weights, ``K d`` means, one variance).

    Parameters
    ----------
    codes : ndarray of shape (R,), int
    sq_distances : ndarray of shape (R,)
        Squared distance of each point to its codeword.
    n_features : int

    Returns
    -------
    float
        Higher is better.
    """
    return _bic(np.bincount(codes), float(np.sum(sq_distances, dtype=np.float64)), n_features)


def _bic(counts, sse, d):
    """:func:`bic` from the members of each cluster and the total sum of squares."""
    counts = np.asarray(counts, dtype=np.float64)
    counts = counts[counts > 0]
    R = float(counts.sum())
    K = counts.size
    if R <= K:
        return -np.inf
    var = max(sse / (d * (R - K)), 1e-300)
    loglik = (float(np.sum(counts * np.log(counts / R)))
              - R * d / 2 * np.log(2 * np.pi * var) - d * (R - K) / 2)
    return loglik - K * (d + 1) / 2 * np.log(R)


# ---------------------------------------------------------------------- internals


def _grow(X, decide, *, k_min, k_max, rng, n_threads, max_iter, tol, progress, score,
          max_splits, merge=None, resplit=None):
    # X: an array or a rows backend (Dask): the refinements run where the rows are, through
    # the one Lloyd loop, and so do the split trials (per-code passes, _children.py)
    X = as_rows(X, n_threads=n_threads)
    common = dict(max_iter=max_iter, tol=tol, rng=rng)
    local, _ = X.seeding_rows(rng)
    C0 = kmeans_plusplus(local.X, k_min, rng, sample_weight=local.sample_weight,
                         n_threads=n_threads)
    res = lloyd(X, C0, **common)
    history = []
    ks = [res.centers.shape[0]]
    scores = [_global_score(res, X.shape[1], score)]
    snapshots = [res.centers]
    rnd = 0
    cache = {}  # center bytes + size -> (record, children): unchanged clusters are not retested
    k_tried = -1  # k of the last configuration the re-split pass started from
    while True:
        while res.centers.shape[0] < k_max:
            rnd += 1
            k = res.centers.shape[0]
            candidates = []
            for rec, children in _test_all(X, res, decide, cache, rng, rnd):
                history.append(rec)
                if rec.split:
                    candidates.append((-_strength(rec), rec.cluster, children))
            if not candidates:
                break
            candidates.sort(key=lambda t: (t[0], t[1]))
            limit = k_max - k if max_splits is None else min(max_splits, k_max - k)
            chosen = {j: ch for _, j, ch in candidates[:limit]}
            C = res.centers.astype(np.float64)
            newC = np.vstack([chosen[j] if j in chosen else C[j][None, :] for j in range(k)])
            res = lloyd(X, newC.astype(X.dtype), **common)
            ks.append(res.centers.shape[0])
            scores.append(_global_score(res, X.shape[1], score) if score else float(len(chosen)))
            snapshots.append(res.centers)
            if progress is not None:
                progress(res.centers.shape[0])
        if merge is not None:
            k_grown = res.centers.shape[0]
            res = merge(X, res, common)
            if res.centers.shape[0] < k_grown:
                ks.append(res.centers.shape[0])
                scores.append(float(res.centers.shape[0] - k_grown))
        # the re-split pass; the growth resumes from the configuration it keeps, and stops for good
        # when the merge step brings k back to where the previous pass started (no cycles)
        k = res.centers.shape[0]
        if resplit is None or k >= k_max or k <= k_tried:
            break
        k_tried = k
        new = resplit(X, res, _test_all(X, res, decide, cache, rng, rnd), common)
        if new is None:
            break
        res = new
        ks.append(res.centers.shape[0])
        scores.append(1.0)
        snapshots.append(res.centers)
        if progress is not None:
            progress(res.centers.shape[0])
    if score == "bic":
        best = int(np.argmax(scores))
        centers = snapshots[best]
    else:
        centers = res.centers
    return GrowthResult(np.asarray(centers), tuple(history), np.asarray(ks),
                        np.asarray(scores, dtype=np.float64))


def _test_all(X, res, decide, cache, rng, rnd):
    """The split test of every codeword of ``res`` large enough: a list of ``(record, children)``.

    The clusters not in ``cache`` (center bytes and size) are split and tested
    together: a few passes over the rows for all of them.
    """
    C = res.centers.astype(np.float64)
    k = C.shape[0]
    sizes = np.rint(np.asarray(res.counts, dtype=np.float64)).astype(np.int64)
    tested = [j for j in range(k) if sizes[j] >= MIN_SPLIT_SIZE]
    new = [j for j in tested if (C[j].tobytes(), int(sizes[j])) not in cache]
    if new:
        splits = split_all(X, res.codes, C, sizes, new, rng)
        records = decide(X, res, {j: s for j, s in splits.items() if s is not None}, sizes, rnd, k)
        for j in new:
            two = splits[j]
            cache[(C[j].tobytes(), int(sizes[j]))] = (records.get(j),
                                                      None if two is None else two.children)
    out = []
    for j in tested:
        rec, children = cache[(C[j].tobytes(), int(sizes[j]))]
        if rec is not None:
            out.append((replace(rec, round=rnd, k_before=k, cluster=j), children))
    return out


def _resplit_checked(rows_backend, res, tested, dip_alpha, common):
    """After the merge step: try splitting again each cluster the Anderson–Darling test rejects.

    The clusters whose projection is not normal but was refused by the dip
    guard are tried in turn, strongest ``A²`` first: the parent is replaced
    by its two children, all codewords are refined with Lloyd, and the new
    configuration is kept when the merge step would merge no pair of it (every
    codeword and its nearest neighbour are bimodal along the line joining
    them). Returns the first configuration kept, or ``None``.
    """
    C = res.centers.astype(np.float64)
    k = C.shape[0]
    rejected = sorted(((-_strength(rec), rec.cluster, ch) for rec, ch in tested
                       if rec.statistic > rec.threshold), key=lambda t: (t[0], t[1]))
    for _, j, children in rejected:
        newC = np.vstack([C[:j], children, C[j + 1:]])
        cand = lloyd(rows_backend, newC.astype(rows_backend.dtype), **common)
        if cand.centers.shape[0] > k and not _unimodal_pairs(rows_backend, cand, dip_alpha):
            return cand
    return None


def _unimodal_pairs(rows_backend, res, dip_alpha):
    """Pairs (codeword, nearest codeword), closest first, each codeword once, whose members look unimodal."""
    C = res.centers.astype(np.float64)
    k = C.shape[0]
    if k < 2:
        return []
    D = kernels.pairwise_sq_distances(C, C)
    np.fill_diagonal(D, np.inf)
    nearest = np.argmin(D, axis=1)
    pairs = sorted({(min(i, int(j)), max(i, int(j))) for i, j in enumerate(nearest)},
                   key=lambda t: (D[t], t))
    sizes = np.rint(np.asarray(res.counts, dtype=np.float64)).astype(np.int64)
    pairs = [(i, j) for i, j in pairs if sizes[i] + sizes[j] >= MIN_SPLIT_SIZE]
    projections = pair_projections(rows_backend, res.codes, C, pairs)
    used = set()
    merged = []
    for i, j in pairs:
        if i in used or j in used:
            continue
        proj = projections[(i, j)]  # the dip test ignores the order
        if dip_pvalue(dip_statistic(proj), proj.shape[0]) >= dip_alpha:
            used.update((i, j))
            merged.append((i, j))
    return merged


def _merge_unimodal(rows_backend, res, dip_alpha, common):
    """Merge each codeword with its nearest neighbour while their joint members look unimodal.

    Each pass takes the pairs (codeword, nearest codeword), closest first, each
    codeword in at most one pair; a pair merges when the dip test does not
    reject unimodality of the members of both projected on the line through
    the two codewords. Merged pairs are replaced by their weighted mean and
    every codeword is refined with Lloyd; passes repeat until nothing merges.
    """
    while res.centers.shape[0] >= 2:
        C = res.centers.astype(np.float64)
        k = C.shape[0]
        used = set()
        merged = _unimodal_pairs(rows_backend, res, dip_alpha)
        for pair in merged:
            used.update(pair)
        if not merged:
            break
        w = res.counts
        keep = [C[c] for c in range(k) if c not in used]
        joined = [(C[i] * w[i] + C[j] * w[j]) / max(w[i] + w[j], 1e-300) for i, j in merged]
        res = lloyd(rows_backend, np.vstack(keep + joined).astype(rows_backend.dtype), **common)
    return res


def _strength(rec):
    """How strongly a rejected cluster asks to be split (larger first)."""
    if np.isnan(rec.pvalue):  # X-means: BIC gain
        return rec.threshold - rec.statistic
    return rec.statistic / rec.threshold


def _global_score(res, d, score):
    if score == "bic":  # from the per-codeword totals: the codes stay where the rows are
        return _bic(res.counts, float(np.sum(res.sse, dtype=np.float64)), d)
    return 0.0
