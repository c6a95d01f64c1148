"""FSDD MFCC extraction: vqtoolkit's batch extractor against the loop a user would write.

The loop is ``librosa.load`` + ``librosa.feature.mfcc`` file by file (plus
``librosa.feature.delta`` and CMVN for the speech preset), with the same settings.
Both sides run in this process after librosa is warmed up; the features must be
identical (relative error < 1e-5) or the benchmark fails.

    .venv/bin/python benchmarks/bench_features.py [--n-files N] [--jobs J]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings

import numpy as np


def user_loop(files, e):
    """What a user writes with librosa alone, for the settings of extractor ``e``."""
    import librosa

    out = []
    for f in files:
        y, sr = librosa.load(f, sr=e.sr)
        n_fft, win, hop = e.frame_params(sr)
        if e.preemphasis:
            y = librosa.effects.preemphasis(y, coef=e.preemphasis)
        n = e.n_mfcc + (0 if e.keep_c0 else 1)
        M = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=n, n_fft=n_fft, win_length=win,
                                 hop_length=hop, n_mels=e.n_mels)
        M = M if e.keep_c0 else M[1:]
        if e.cmvn:
            M = M - M.mean(axis=1, keepdims=True)
            if e.cmvn == "meanvar":
                M = M / np.maximum(M.std(axis=1, keepdims=True), 1e-8)
        if e.deltas:
            parts = [M] + [librosa.feature.delta(M, width=e.delta_width, order=o)
                           for o in range(1, e.deltas + 1)]
            M = np.concatenate(parts)
        out.append(M.T.astype(np.float32))
    return out


def main(argv=None) -> int:
    from vqtoolkit.datasets import load_fsdd
    from vqtoolkit.features.audio import MFCCExtractor, extract_many, warm_up

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-files", type=int, default=None, help="first N files (default all)")
    ap.add_argument("--jobs", type=int, default=None, help="worker processes (default all)")
    args = ap.parse_args(argv)

    files = load_fsdd().files[: args.n_files]
    import soundfile as sf

    seconds = sum(sf.info(f).duration for f in files)
    jobs = args.jobs or os.cpu_count()
    t0 = time.perf_counter()
    warm_up(verbose=True)
    print(f"warm-up (librosa import + kernels): {time.perf_counter() - t0:.2f} s", file=sys.stderr)
    print(f"FSDD: {len(files)} files, {seconds:.0f} s of audio, {jobs} worker processes")
    print(f"{'preset':8} {'method':28} {'time s':>7} {'files/s':>8} {'x real time':>12}")
    ok = True
    for preset in ("librosa", "speech"):
        e = MFCCExtractor.preset(preset)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # librosa: n_fft > short signals
            t = time.perf_counter()
            ref = user_loop(files, e)
            t_loop = time.perf_counter() - t
        t = time.perf_counter()
        fs = extract_many(files, e, n_jobs=jobs, cache=False, verbose=False)
        t_ours = time.perf_counter() - t
        with tempfile.TemporaryDirectory() as cache:
            extract_many(files, e, n_jobs=jobs, cache=cache, verbose=False)
            t = time.perf_counter()
            extract_many(files, e, n_jobs=jobs, cache=cache, verbose=False)
            t_cached = time.perf_counter() - t
        for name, secs in (("librosa loop (1 process)", t_loop),
                           (f"extract_many (n_jobs={jobs})", t_ours),
                           ("extract_many, cached rerun", t_cached)):
            print(f"{preset:8} {name:28} {secs:7.2f} {len(files) / secs:8.0f} "
                  f"{seconds / secs:12.0f}")
        same = len(fs) == len(ref) and all(
            a.shape == b.shape and np.abs(a - b).max() <= 1e-5 * max(np.abs(b).max(), 1e-12)
            for a, b in zip(fs.utterances(), ref)
        )
        print(f"{preset:8} speed-up {t_loop / t_ours:.1f}x; identical features: {same}; "
              f"failures: {len(fs.failures)}")
        ok &= same and not fs.failures
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
