"""Worker threads, the BLAS limit and per-thread scratch buffers of the kernels.

Rows are cut into blocks of ``BLOCK_ROWS`` rows; :func:`_map_ordered` (and
:func:`_map_blocks`) run a function over the block starts on a persistent pool
of Python threads and return the results in block order. Each thread calls
single-threaded BLAS (:func:`single_threaded_blas`) and numba functions that
release the GIL, with work buffers reused across calls (:func:`_scratch`). A
forked child starts with a fresh lock, pool and buffers.
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np
import scipy.linalg.cython_blas  # noqa: F401  the BLAS numba's np.dot calls: loaded before threadpoolctl looks
from threadpoolctl import ThreadpoolController

from ..errors import ParameterError

BLOCK_ROWS = 8192

_LOCK = threading.Lock()
_CONTROLLER = None
_BLAS_DEPTH = 0
_BLAS_LIMITER = None
_POOL = None
_POOL_SIZE = 0
_SCRATCH = threading.local()
_SCRATCH_MAX_BYTES = 64 << 20


def default_n_threads() -> int:
    """Number of threads used when ``n_threads=None``: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def _check_threads(n_threads):
    if n_threads is None:
        return default_n_threads()
    if int(n_threads) < 1:
        raise ParameterError(f"n_threads={n_threads} must be a positive integer or None")
    return int(n_threads)


@contextmanager
def single_threaded_blas():
    """Single-threaded BLAS while at least one kernel call is running (re-entrant, thread-safe).

    The kernels parallelise over row blocks with their own threads, each
    calling single-threaded BLAS. The limit is process-wide in OpenBLAS, so
    concurrent callers share one limiter: the first one in sets it, the last
    one out restores it. Hold it around a whole loop of kernel calls (as
    :func:`vqtoolkit.lloyd.lloyd` does): restoring the limit between passes
    wakes BLAS's own threads, which then spin and take the cores from the
    kernel threads (measured: the next pass took twice its CPU time).
    """
    global _CONTROLLER, _BLAS_DEPTH, _BLAS_LIMITER
    with _LOCK:
        if _BLAS_DEPTH == 0:
            if _CONTROLLER is None:
                _CONTROLLER = ThreadpoolController()
            _BLAS_LIMITER = _CONTROLLER.limit(limits=1, user_api="blas")
        _BLAS_DEPTH += 1
    try:
        yield
    finally:
        with _LOCK:
            _BLAS_DEPTH -= 1
            if _BLAS_DEPTH == 0 and _BLAS_LIMITER is not None:
                _BLAS_LIMITER.restore_original_limits()
                _BLAS_LIMITER = None


def _pool(n_threads):
    """A persistent worker pool (creating threads on every call costs ~0.1 ms)."""
    global _POOL, _POOL_SIZE
    with _LOCK:
        if _POOL is None or _POOL_SIZE != n_threads:
            old = _POOL
            _POOL = ThreadPoolExecutor(n_threads, thread_name_prefix="vqtoolkit-kernels")
            _POOL_SIZE = n_threads
            if old is not None:
                old.shutdown(wait=False)
        return _POOL


def _reset_after_fork():  # pragma: no cover - runs in forked children
    global _LOCK, _POOL, _POOL_SIZE, _BLAS_DEPTH, _BLAS_LIMITER, _SCRATCH
    _LOCK = threading.Lock()
    _POOL, _POOL_SIZE = None, 0
    _BLAS_DEPTH, _BLAS_LIMITER = 0, None
    _SCRATCH = threading.local()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def _scratch(name, shape, dtype):
    """A per-thread work buffer, reused across chunks and calls (kept when small).

    Called several times per block of every pass, so it is kept short (1 us
    instead of 2 per call): the thread's own dict, the identity test first.
    """
    bufs = _SCRATCH.__dict__
    size = shape[0] if len(shape) == 1 else math.prod(shape)
    buf = bufs.get(name)
    if buf is None or buf.size < size or (buf.dtype is not dtype and buf.dtype != dtype):
        buf = np.empty(size, dtype=dtype)
        if buf.nbytes <= _SCRATCH_MAX_BYTES:
            bufs[name] = buf
    return buf[:size] if len(shape) == 1 else buf[:size].reshape(shape)


def _map_ordered(fn, starts, n_threads):
    """``fn(start)`` for every start, on the pool, results in order of ``starts``."""
    if n_threads == 1 or len(starts) <= 1:
        return map(fn, starts)
    return _pool(n_threads).map(fn, starts)


def _map_blocks(fn, n, n_threads):
    """Call ``fn(start)`` for every block start, in parallel, single-threaded BLAS; ordered results."""
    starts = list(range(0, n, BLOCK_ROWS))
    with single_threaded_blas():
        return list(_map_ordered(fn, starts, _check_threads(n_threads)))
