"""Speaker identification by VQ distortion: FSDD (official split) and UCI Japanese Vowels.

Usage: python scripts/speaker_id.py [--seed 0] [--out out/speaker_id.json] [--no-baseline]

Prints accuracy of our settings beside the plain baseline and writes JSON.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from _fsdd_common import (
    BASELINE,
    JAPANESE_VOWELS,
    JAPANESE_VOWELS_BASELINE,
    SPEAKER,
    fit_predict,
    fsdd_features,
    pick,
    split,
    table,
    write_json,
)


def fsdd_speaker_accuracy(settings, *, seed=0, progress=True):
    """Accuracy of speaker identification on FSDD's official split (train takes 5-49)."""
    fs = fsdd_features(settings["mfcc"], progress=progress)
    test = split(fs)
    utts, spk = fs.utterances(), fs.labels("speaker")
    pred = fit_predict(settings, pick(utts, ~test), spk[~test], pick(utts, test), seed=seed)
    return float(np.mean(pred == spk[test]))


def japanese_vowels_accuracy(settings, *, seed=0):
    """Accuracy of speaker identification on UCI Japanese Vowels' own train/test split."""
    from vqtoolkit.datasets import load_japanese_vowels

    d = load_japanese_vowels()
    pred = fit_predict(settings, d.X_train, d.y_train, d.X_test, seed=seed)
    return float(np.mean(pred == d.y_test))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="out/speaker_id.json")
    p.add_argument("--no-baseline", action="store_true")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    rows, doc = [], {"seed": args.seed, "settings": {"ours": SPEAKER, "baseline": BASELINE}}
    ours = fsdd_speaker_accuracy(SPEAKER, seed=args.seed)
    base = None if args.no_baseline else fsdd_speaker_accuracy(BASELINE, seed=args.seed)
    rows.append(("FSDD speakers (takes 0-4 test)", ours, "-" if base is None else base))
    jv = japanese_vowels_accuracy(JAPANESE_VOWELS, seed=args.seed)
    jvb = japanese_vowels_accuracy(JAPANESE_VOWELS_BASELINE, seed=args.seed)
    rows.append(("Japanese Vowels speakers", jv, jvb))
    doc["accuracy"] = {"fsdd_speaker": {"ours": ours, "baseline": base},
                       "japanese_vowels": {"ours": jv, "baseline": jvb}}
    doc["settings"]["japanese_vowels"] = {"ours": JAPANESE_VOWELS,
                                          "baseline": JAPANESE_VOWELS_BASELINE}
    print(table(rows, ("task", "ours", "baseline")))
    doc["seconds"] = round(time.perf_counter() - t0, 1)
    write_json(args.out, doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
