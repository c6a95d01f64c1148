"""Choosing k from a curve over a range of k: elbow, silhouette, gap, Calinski–Harabasz, Davies–Bouldin.

Every criterion is computed from one k-means fit per ``k`` (k-means++ seeding
+ Lloyd, through :mod:`vqtoolkit.kernels`):

``'elbow'``
    Distortion ``J(k)``; the knee is the ``k`` farthest below the chord joining
    the first and last points of the curve, both axes scaled to ``[0, 1]``
    (the "kneedle" construction of Satopää et al. 2011).
``'silhouette'``
    Mean silhouette (Rousseeuw 1987) of a random sample of at most
    ``sample_size`` rows (all rows when ``n`` is small), on Euclidean distances;
    the largest wins.
``'calinski_harabasz'``
    ``(B / (k - 1)) / (W / (n - k))`` with between- and within-cluster sums of
    squares; the largest wins.
``'davies_bouldin'``
    Mean over clusters of ``max_j (s_i + s_j) / ||c_i - c_j||`` with ``s_i`` the
    mean distance of members to their codeword; the smallest wins.
``'gap'``
    Gap statistic (Tibshirani, Walther & Hastie 2001): ``E*[log W*_k] - log W_k``
    over ``n_refs`` reference sets drawn uniformly in the bounding box of the
    principal-component-rotated data; the smallest ``k`` with
    ``gap(k) >= gap(k+1) - s_{k+1}``. ``W_k`` is the mean squared distance to the
    codeword, so reference sets may have fewer rows (at most ``ref_size``).
"""

from __future__ import annotations

import numpy as np

from .. import kernels
from ..lloyd import lloyd
from ..seeding import kmeans_plusplus

__all__ = ["sweep", "CURVE_METHODS", "elbow_knee", "silhouette", "calinski_harabasz",
           "davies_bouldin", "gap_statistic"]

CURVE_METHODS = ("elbow", "silhouette", "gap", "calinski_harabasz", "davies_bouldin")


def sweep(X, k_values, rng, *, n_threads=None, max_iter=300, tol=1e-4, progress=None):
    """One k-means fit per ``k``; returns a list of :class:`~vqtoolkit.lloyd.LloydResult`."""
    out = []
    for k in k_values:
        C0 = kmeans_plusplus(X, int(k), rng, n_threads=n_threads)
        out.append(lloyd(X, C0, max_iter=max_iter, tol=tol, rng=rng, n_threads=n_threads))
        if progress is not None:
            progress(1)
    return out


def elbow_knee(k_values, distortions):
    """Index of the knee of a decreasing curve (largest distance below the normalised chord)."""
    k = np.asarray(k_values, dtype=np.float64)
    J = np.asarray(distortions, dtype=np.float64)
    if k.size < 3:
        return int(np.argmin(J))
    x = (k - k[0]) / (k[-1] - k[0])
    span = J[0] - J[-1]
    y = (J - J[-1]) / span if span > 0 else np.zeros_like(J)
    below = (1 - x) - y  # chord from (0, 1) to (1, 0)
    return int(np.argmax(below))


def silhouette(X, codes, sample, *, n_threads=None):
    """Mean silhouette of the rows ``sample`` (indices) against the same sample.

    Returns NaN for fewer than two clusters in the sample.
    """
    Xs = np.ascontiguousarray(X[sample])
    lab = np.unique(codes[sample], return_inverse=True)[1]
    k = int(lab.max()) + 1 if lab.size else 0
    if k < 2:
        return np.nan
    D = np.sqrt(kernels.pairwise_sq_distances(Xs, Xs, n_threads=n_threads).astype(np.float64))
    counts = np.bincount(lab, minlength=k).astype(np.float64)
    sums = np.zeros((Xs.shape[0], k))
    for j in range(k):
        sums[:, j] = D[:, lab == j].sum(axis=1)
    own = counts[lab]
    a = np.where(own > 1, sums[np.arange(lab.size), lab] / np.maximum(own - 1, 1), 0.0)
    means = sums / counts[None, :]
    means[np.arange(lab.size), lab] = np.inf
    b = means.min(axis=1)
    s = np.where(own > 1, (b - a) / np.maximum(np.maximum(a, b), 1e-300), 0.0)
    return float(s.mean())


def calinski_harabasz(X, res):
    """Calinski–Harabasz index of a Lloyd result (NaN for k = 1)."""
    n = X.shape[0]
    nz = res.counts > 0
    k = int(nz.sum())
    if k < 2 or n <= k:
        return np.nan
    mean = np.asarray(X, dtype=np.float64).mean(axis=0)
    centers = res.centers.astype(np.float64)[nz]
    between = float(res.counts[nz] @ np.einsum("ij,ij->i", centers - mean, centers - mean))
    within = float(res.sse.sum())
    if within <= 0:
        return np.inf
    return (between / (k - 1)) / (within / (n - k))


def davies_bouldin(X, res, *, n_threads=None):
    """Davies–Bouldin index of a Lloyd result (NaN for k = 1)."""
    nz = np.flatnonzero(res.counts > 0)
    if nz.size < 2:
        return np.nan
    k = res.centers.shape[0]
    dist = np.sqrt(np.asarray(res.sq_distances, dtype=np.float64))
    spread = np.bincount(res.codes, weights=dist, minlength=k) / np.maximum(res.counts, 1)
    C = res.centers.astype(np.float64)[nz]
    s = spread[nz]
    M = np.sqrt(kernels.pairwise_sq_distances(C, C, n_threads=n_threads))
    np.fill_diagonal(M, np.inf)
    with np.errstate(divide="ignore"):
        ratio = (s[:, None] + s[None, :]) / M
    return float(ratio.max(axis=1).mean())


def gap_statistic(X, k_values, fits, rng, *, n_refs=10, ref_size=5000, n_threads=None,
                  max_iter=300, tol=1e-4, progress=None):
    """Gap values, their standard errors ``s_k`` and the chosen index.

    Returns
    -------
    gap : ndarray of shape (len(k_values),)
    s : ndarray of shape (len(k_values),)
    index : int
        Position in ``k_values`` of the chosen ``k``.
    """
    Xf = np.asarray(X, dtype=np.float64)
    mean = Xf.mean(axis=0)
    _, _, Vt = np.linalg.svd(Xf - mean, full_matrices=False)
    Z = (Xf - mean) @ Vt.T
    lo, hi = Z.min(axis=0), Z.max(axis=0)
    m = min(X.shape[0], ref_size)
    logW = np.log(np.maximum([f.distortion for f in fits], 1e-300))
    ref = np.empty((n_refs, len(k_values)))
    for b in range(n_refs):
        R = (rng.uniform(lo, hi, size=(m, Z.shape[1])) @ Vt + mean).astype(X.dtype)
        for i, f in enumerate(sweep(R, k_values, rng, n_threads=n_threads, max_iter=max_iter,
                                    tol=tol)):
            ref[b, i] = np.log(max(f.distortion, 1e-300))
        if progress is not None:
            progress(1)
    gap = ref.mean(axis=0) - logW
    s = ref.std(axis=0) * np.sqrt(1 + 1 / n_refs)
    for i in range(len(k_values) - 1):
        if gap[i] >= gap[i + 1] - s[i + 1]:
            return gap, s, i
    return gap, s, int(np.argmax(gap))
