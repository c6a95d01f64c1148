"""Quantize observations against a codebook: codes, distances and distortion."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import kernels
from ._validation import check_X
from .errors import ParameterError

__all__ = ["QuantizeResult", "quantize"]


@dataclass(frozen=True)
class QuantizeResult:
    """Result of :func:`quantize`.

    Attributes
    ----------
    codes : ndarray of shape (n_samples,), int64
        Index of the nearest codeword (as :func:`scipy.cluster.vq.vq`).
    distances : ndarray of shape (n_samples,), float64
        Euclidean (non-squared) distance to that codeword (as scipy's ``vq``).
    distortion : float
        Mean *squared* distance, ``mean(distances ** 2)``. scipy's ``kmeans``
        reports ``mean(distances)`` instead.

    Like the ``(code, dist)`` pair of :func:`scipy.cluster.vq.vq`, it unpacks
    into and indexes as ``(codes, distances)``: ``code, dist = quantize(X, C)``,
    ``quantize(X, C)[0]``.
    """

    codes: np.ndarray
    distances: np.ndarray
    distortion: float

    def __iter__(self):
        return iter((self.codes, self.distances))

    def __len__(self):
        return 2

    def __getitem__(self, index):
        return (self.codes, self.distances)[index]


def quantize(X, codebook, *, n_threads=None) -> QuantizeResult:
    """Assign every observation to its nearest codeword.

    Parameters
    ----------
    X : array-like or CSR matrix of shape (n_samples, n_features)
    codebook : ndarray of shape (n_codewords, n_features) or fitted Codebook
        A plain array is used as is (no whitening); a :class:`Codebook`
        applies its whitening and metric first, so distances are measured in
        its training space.
    n_threads : int, optional

    Returns
    -------
    QuantizeResult

    Examples
    --------
    >>> import numpy as np
    >>> from vqtoolkit import quantize
    >>> res = quantize(np.array([[0.0, 0.0], [4.0, 3.0]]), np.array([[0.0, 0.0], [4.0, 0.0]]))
    >>> res.codes.tolist(), res.distances.tolist(), res.distortion
    ([0, 1], [0.0, 3.0], 4.5)
    """
    if hasattr(codebook, "quantize") and hasattr(codebook, "get_params"):
        return codebook.quantize(X)
    X = check_X(X, accept_sparse=True, what="quantize").X
    C = np.asarray(codebook)
    if C.ndim != 2 or C.shape[1] != X.shape[1] or C.shape[0] == 0:
        raise ParameterError(
            f"codebook has shape {C.shape}; expected (n_codewords >= 1, {X.shape[1]}) "
            f"for X of shape {X.shape}"
        )
    if not np.isfinite(C).all():
        raise ParameterError("codebook contains NaN or infinite values")
    codes, sq = kernels.assign(X, C.astype(X.dtype, copy=False), n_threads=n_threads)
    sq = sq.astype(np.float64)
    return QuantizeResult(codes, np.sqrt(sq), float(sq.mean()))
