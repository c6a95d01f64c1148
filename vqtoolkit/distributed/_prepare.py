"""Checks of Dask inputs: the array (rows chunked, one column chunk) and its sample weights."""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["check_dask_X", "check_dask_weight"]


def check_dask_X(X, *, what):
    """A 2-D float Dask array with known row chunks and every feature in one chunk."""
    import dask.array as da

    if not isinstance(X, da.Array):
        raise ParameterError(f"{what}: expected a dask.array.Array, got {type(X).__name__}")
    if X.ndim != 2:
        raise ParameterError(
            f"{what}: expected a 2-D array (n_samples, n_features), got shape {X.shape}"
        )
    if X.dtype.kind in "biu" or (X.dtype.kind == "f" and X.dtype not in (np.float32, np.float64)):
        X = X.astype(np.float64)
    elif X.dtype.kind != "f":
        raise ParameterError(
            f"{what}: dtype {X.dtype} is not numeric; expected float32, float64 or integers"
        )
    if any(np.isnan(c) for c in X.chunks[0]):
        X = X.compute_chunk_sizes()
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ParameterError(f"{what}: got an empty array of shape {X.shape}")
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    return X


def check_dask_weight(sample_weight, X):
    """``None`` or a 1-D float64 Dask array chunked like the rows of ``X`` (checked lazily)."""
    import dask.array as da

    if sample_weight is None:
        return None
    if not isinstance(sample_weight, da.Array):
        w = np.asarray(sample_weight, dtype=np.float64)
        if w.ndim == 0:
            w = np.full(X.shape[0], float(w))
        if w.shape != (X.shape[0],):
            raise ParameterError(f"sample_weight has shape {w.shape}; expected ({X.shape[0]},) to match X")
        sample_weight = da.from_array(w, chunks=(X.chunks[0],))
    if sample_weight.shape != (X.shape[0],):
        raise ParameterError(
            f"sample_weight has shape {sample_weight.shape}; expected ({X.shape[0]},) to match X"
        )
    return sample_weight.astype(np.float64).rechunk((X.chunks[0],))
