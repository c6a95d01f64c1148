"""Shared helpers for the benchmarks: BLAS report, peak memory, timing, table printing.

Nothing here changes the BLAS configuration: what is printed is what the
process found (``OPENBLAS_CORETYPE`` and friends are reported, never set).
"""

from __future__ import annotations

import os
import statistics
import threading
import time
import tracemalloc
from contextlib import contextmanager

__all__ = ["blas_report", "machine_report", "PeakMemory", "time_calls", "print_table"]


def blas_report() -> list[str]:
    """One line per BLAS / OpenMP library loaded in this process (threadpoolctl), plus the env knobs."""
    from threadpoolctl import threadpool_info

    lines = []
    for lib in threadpool_info():
        arch = lib.get("architecture") or "-"
        name = os.path.basename(lib.get("filepath") or lib.get("prefix") or "?")
        lines.append(f"{lib['user_api']:6s} {lib['internal_api']:9s} {str(lib.get('version')):14s} "
                     f"kernel={arch:10s} threads={lib['num_threads']}  {name}")
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        lines.append(f"env {var}={os.environ.get(var, '(unset)')}")
    return lines


def search_report(n_features: int) -> str:
    """Which nearest-codeword search vqtoolkit runs for ``n_features`` and the code numba compiles."""
    import llvmlite.binding as llvm
    import numba

    from vqtoolkit import _unrolled

    limit = _unrolled.max_features()
    kind = "unrolled (no BLAS)" if n_features <= limit else "GEMM + column argmin"
    cpu = numba.config.CPU_NAME or llvm.get_host_cpu_name()
    simd = "AVX-512" if limit == 16 else "no AVX-512"
    return (f"vqtoolkit search at d={n_features}: {kind}; numba target {cpu} ({simd}, "
            f"unrolled up to d={limit})")


def machine_report() -> str:
    """CPU count and load average: a loaded machine makes every timing noisy."""
    try:
        load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:  # pragma: no cover
        load = "?"
    return f"cpus={os.cpu_count()} loadavg={load}"


def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakMemory:
    """Peak extra memory of a code block, two ways.

    ``traced_mb``: tracemalloc peak (exact for NumPy / Python allocations, blind
    to C libraries with their own allocator such as faiss). ``rss_mb``: peak of
    the resident set size sampled every millisecond by a background thread,
    minus the size before (sees every allocator; blind to memory reused from
    the process's free lists, so it can under-count).
    """

    def __init__(self, interval: float = 0.001):
        self.interval = interval
        self.traced_mb = 0.0
        self.rss_mb = 0.0

    @contextmanager
    def measure(self):
        base = _rss_bytes()
        peak = [base]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                peak[0] = max(peak[0], _rss_bytes())
                time.sleep(self.interval)

        thread = threading.Thread(target=sample, daemon=True)
        tracemalloc.start()
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join()
            _, traced = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            peak[0] = max(peak[0], _rss_bytes())
            self.traced_mb = traced / 2**20
            self.rss_mb = (peak[0] - base) / 2**20

    @property
    def extra_mb(self) -> float:
        """The larger of the two estimates."""
        return max(self.traced_mb, self.rss_mb)


def time_calls(fn, repeats: int, pause: float = 0.0) -> list[float]:
    """Wall-clock seconds of ``repeats`` calls of ``fn()``, each after ``pause`` seconds of sleep.

    The sleep lets worker threads left spinning by the previous call (OpenMP,
    OpenBLAS) go idle, so they do not take the cores from the timed call.
    """
    out = []
    for _ in range(repeats):
        time.sleep(pause)
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def median(values) -> float:
    return float(statistics.median(values))


def print_table(header: list[str], rows: list[list], file=None) -> None:
    """A plain fixed-width table (strings as given, floats with 4 significant digits)."""
    def fmt(v):
        if isinstance(v, float):
            return f"{v:.4g}"
        return str(v)

    cells = [[fmt(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)), file=file)
    print("  ".join("-" * w for w in widths), file=file)
    for r in cells:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)), file=file)
