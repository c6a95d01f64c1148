"""Generate a small synthetic speech data set: formant-synthesised vowels of several speakers.

Usage: python scripts/make_synthetic_vowels.py [--out data/synthetic_vowels] [--seed 0]

Each synthetic speaker has a pitch, a vocal-tract length factor (scaling all
formants) and a spectral tilt; each vowel /a e i o u/ has textbook formants
(Peterson & Barney 1952, adult male). A file is a glottal pulse train at the
speaker's pitch (with jitter) passed through a cascade of second-order formant
resonators, plus a little noise: ``{vowel index}_{speaker}_{take}.wav`` (index of a e i o u) at 8 kHz, 0.3 s.
File names follow FSDD's ``{digit}_{speaker}_{take}`` pattern with the vowel in
place of the digit, so the same label regex reads both.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

SR = 8000
VOWELS = {  # F1, F2, F3 in Hz
    "a": (730, 1090, 2440),
    "e": (530, 1840, 2480),
    "i": (270, 2290, 3010),
    "o": (570, 840, 2410),
    "u": (300, 870, 2240),
}
BANDWIDTHS = (80.0, 100.0, 140.0)
SPEAKERS = {  # pitch (Hz), vocal-tract factor, tilt
    "ada": (210.0, 1.17, 0.90),
    "bo": (110.0, 0.96, 0.97),
    "cy": (240.0, 1.22, 0.85),
    "dan": (95.0, 0.92, 0.95),
}
N_TAKES = 8
DURATION = 0.3


def synthesize(vowel, speaker, rng):
    """One utterance: ndarray of shape (n_samples,), float32 in [-1, 1]."""
    from scipy.signal import lfilter

    f0, vt, tilt = SPEAKERS[speaker]
    n = int(DURATION * SR)
    f0_t = f0 * (1 + 0.05 * np.linspace(-1, 1, n) * rng.uniform(-1, 1)) * (
        1 + 0.01 * rng.standard_normal(n))
    phase = np.cumsum(f0_t / SR)
    pulses = np.diff(np.floor(phase), prepend=0.0)  # one impulse per period
    src = lfilter([1.0], [1.0, -tilt], pulses)  # glottal roll-off
    y = src
    for f, bw in zip(VOWELS[vowel], BANDWIDTHS):
        f = min(f * vt * rng.uniform(0.97, 1.03), SR / 2 - 200)
        r = np.exp(-np.pi * bw / SR)
        theta = 2 * np.pi * f / SR
        y = lfilter([1 - r], [1.0, -2 * r * np.cos(theta), r * r], y)
    y = y + 0.002 * rng.standard_normal(n) * np.abs(y).max()
    env = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / (0.03 * SR))
    y = y * env
    return (0.8 * y / np.abs(y).max()).astype(np.float32)


def generate(out, *, seed=0):
    """Write every file into ``out``; return the list of paths."""
    import soundfile as sf

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for speaker in SPEAKERS:
        for v_idx, vowel in enumerate(VOWELS):
            for take in range(N_TAKES):
                path = out / f"{v_idx}_{speaker}_{take}.wav"
                sf.write(path, synthesize(vowel, speaker, rng), SR, subtype="PCM_16")
                paths.append(path)
    return paths


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "data" /
                                        "synthetic_vowels"))
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    paths = generate(args.out, seed=args.seed)
    print(f"wrote {len(paths)} files to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
