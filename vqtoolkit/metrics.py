"""Comparing clusterings and codebooks: label matching and Fränti's centroid index."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from . import kernels
from .errors import ParameterError

__all__ = ["match_labels", "centroid_index"]


def match_labels(reference, labels, *, return_mapping=False):
    """Renumber ``labels`` so they agree with ``reference`` as much as possible.

    Solves the assignment problem on the contingency table (Hungarian method,
    :func:`scipy.optimize.linear_sum_assignment`), maximising the number of
    observations whose labels agree. Labels of ``labels`` with no partner keep
    fresh numbers after the largest reference label.

    Parameters
    ----------
    reference : array-like of shape (n_samples,), int
    labels : array-like of shape (n_samples,), int
    return_mapping : bool
        Also return the dict ``{old label: new label}``.

    Returns
    -------
    ndarray of shape (n_samples,), int64
        ``labels`` renumbered.
    """
    a = np.asarray(reference)
    b = np.asarray(labels)
    if a.shape != b.shape or a.ndim != 1:
        raise ParameterError(
            f"reference and labels must be 1-D of equal length; got {a.shape} and {b.shape}"
        )
    ua, ia = np.unique(a, return_inverse=True)
    ub, ib = np.unique(b, return_inverse=True)
    table = np.zeros((ub.size, ua.size), dtype=np.int64)
    np.add.at(table, (ib, ia), 1)
    rows, cols = linear_sum_assignment(table, maximize=True)
    mapping = {}
    for r, c in zip(rows, cols):
        mapping[ub[r].item()] = ua[c].item()
    nxt = int(np.max(ua)) + 1 if np.issubdtype(ua.dtype, np.number) else 0
    for r in range(ub.size):
        if ub[r].item() not in mapping:
            mapping[ub[r].item()] = nxt
            nxt += 1
    out = np.array([mapping[x.item()] for x in ub])[ib].astype(np.int64)
    return (out, mapping) if return_mapping else out


def centroid_index(codebook, reference):
    """Fränti's centroid index: how many clusters are wrongly located.

    ``CI = max(orphans(codebook -> reference), orphans(reference -> codebook))``,
    where ``orphans(A -> B)`` counts the codewords of ``B`` that are the nearest
    neighbour of no codeword of ``A`` (Fränti, Rezaei & Zhao 2014). ``0`` means
    every cluster is found.

    Parameters
    ----------
    codebook : ndarray of shape (k1, n_features)
    reference : ndarray of shape (k2, n_features)

    Returns
    -------
    int
    """
    A = np.asarray(codebook, dtype=np.float64)
    B = np.asarray(reference, dtype=np.float64)
    if A.ndim != 2 or B.ndim != 2 or A.shape[1] != B.shape[1]:
        raise ParameterError(
            f"codebooks must be 2-D with the same number of features; got {A.shape}, {B.shape}"
        )

    def orphans(src, dst):
        nearest, _ = kernels.assign(src, dst)
        return int(dst.shape[0] - np.unique(nearest).size)

    return max(orphans(A, B), orphans(B, A))
