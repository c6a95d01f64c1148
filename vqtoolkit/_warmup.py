"""Compile the numba kernels once (``python -m vqtoolkit._warmup``), so first real runs are not silent.

numba caches compiled machine code next to the modules; ``make`` runs this
right after installing. Audio kernels (librosa's) are warmed too when the
audio front end is importable.
"""

from __future__ import annotations

import sys
import time

import numpy as np


def warm_up(verbose: bool = True) -> float:
    """Compile and cache every kernel signature; return the seconds it took."""
    t0 = time.perf_counter()
    import scipy.sparse as sp

    from . import kernels

    for dtype in (np.float32, np.float64):
        X = np.random.default_rng(0).normal(size=(64, 3)).astype(dtype)
        C = X[:4].copy()
        kernels.assign_accumulate(X, C, n_threads=1)
        kernels.assign(X, C, n_threads=1)
        kernels.assign_accumulate(X, C, metric="cityblock", n_threads=1)
        kernels.accumulate(X, np.zeros(64, dtype=np.int64), 4)
        # the unrolled search is generated per number of features: MFCC-sized (13) and 2-D too
        for d in (2, 13):
            Xd = np.random.default_rng(0).normal(size=(64, d)).astype(dtype)
            kernels.assign(Xd, Xd[:3].copy(), n_threads=1)
        S = sp.csr_matrix(X)
        kernels.assign_accumulate(S, C, n_threads=1)
        kernels.accumulate(S, np.zeros(64, dtype=np.int64), 4)
    try:
        from .features import audio
    except ImportError:  # the audio front end is optional at this stage
        audio = None
    if audio is not None and hasattr(audio, "warm_up"):
        audio.warm_up()
    elapsed = time.perf_counter() - t0
    if verbose:
        print(f"vqtoolkit: kernels compiled and cached in {elapsed:.1f} s", file=sys.stderr)
    return elapsed


if __name__ == "__main__":
    warm_up()
