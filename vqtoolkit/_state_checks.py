"""Consistency checks of objects rebuilt from files: shapes, dtypes and metadata against each other.

A file can be well-formed (its checksums verify, see :mod:`vqtoolkit.io`) and
still describe an impossible object, for example when it was written by hand.
These checks run after loading, so such a file gives a ``FileFormatError``
naming it instead of an estimator that fails (or silently predicts zeros) later.
"""

from __future__ import annotations

import numpy as np

__all__ = ["codebook_problem"]


def codebook_problem(cb):
    """What is inconsistent in a loaded codebook's arrays and metadata, or None.

    Parameters
    ----------
    cb : Codebook
        Rebuilt from a file, before it is handed to the user.

    Returns
    -------
    str or None
    """
    d = cb.n_features_in_
    C = np.asarray(cb.codebook_)
    if d < 1 or C.ndim != 2 or C.shape[1] != d or C.shape[0] < 1:
        return f"codebook of shape {C.shape} for n_features_in={d}"
    k = C.shape[0]
    if isinstance(cb.n_codewords, str) and cb.n_codewords != "auto" or (
            not isinstance(cb.n_codewords, str) and cb.n_codewords != k):
        return f"n_codewords={cb.n_codewords!r} but the codebook has {k} codewords"
    shapes = {"whitened_codebook": (np.shape(cb.whitened_codebook_), (k, d)),
              "counts": (np.shape(cb.counts_), (k,)),
              "cluster_distortion": (np.shape(cb.cluster_distortion_), (k,))}
    if cb._shift is not None:
        shapes["shift"] = (np.shape(cb._shift), (d,))
    for name, (got, want) in shapes.items():
        if got != want:
            return f"{name} of shape {got}, expected {want}"
    for name in ("codebook_", "whitened_codebook_", "counts_", "cluster_distortion_"):
        arr = np.asarray(getattr(cb, name))
        if arr.dtype.kind != "f" or not np.isfinite(arr).all():
            return f"{name.rstrip('_')} holds non-finite or non-float values"
    if not np.isfinite(cb.distortion_) or cb.distortion_ < 0:
        return f"distortion {cb.distortion_!r}"
    if hasattr(cb, "feature_names_in_") and len(cb.feature_names_in_) != d:
        return f"{len(cb.feature_names_in_)} feature names for {d} features"
    if cb.whitener_ is not None and cb.whitener_.components_.shape != (d, d):
        return f"whitener for {cb.whitener_.components_.shape[0]} features, expected {d}"
    return None
