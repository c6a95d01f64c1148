"""Accuracy against codebook size (1 ... 256 codewords per class) on FSDD and Japanese Vowels.

Usage: python scripts/sweep_codebook_size.py [--seed 0] [--out out/sweep_codebook_size.json]
       [--sizes 1 2 4 ... 256] [--png docs/img/accuracy_vs_codebook_size.png]

The classic curve of the VQ speaker-recognition literature (Soong et al. 1985):
accuracy rises steeply up to 16-32 codewords and then flattens.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from _fsdd_common import (
    DIGIT,
    JAPANESE_VOWELS,
    SPEAKER,
    fit_predict,
    fsdd_features,
    pick,
    split,
    table,
    write_json,
)

SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256)


def sweep(sizes=SIZES, *, seed=0, progress=True):
    """``{task: [accuracy per size]}`` for FSDD speakers, FSDD digits and Japanese Vowels."""
    from vqtoolkit.datasets import load_japanese_vowels

    out = {}
    for task, settings, label in (("fsdd_speaker", SPEAKER, "speaker"),
                                  ("fsdd_digit", DIGIT, "digit")):
        fs = fsdd_features(settings["mfcc"], progress=progress)
        test = split(fs)
        utts, y = fs.utterances(), fs.labels(label)
        accs = []
        for k in sizes:
            pred = fit_predict({**settings, "n_codewords": k}, pick(utts, ~test), y[~test],
                               pick(utts, test), seed=seed)
            accs.append(float(np.mean(pred == y[test])))
        out[task] = accs
    d = load_japanese_vowels()
    out["japanese_vowels"] = [
        float(np.mean(fit_predict({**JAPANESE_VOWELS, "n_codewords": k}, d.X_train, d.y_train,
                                  d.X_test, seed=seed) == d.y_test))
        for k in sizes
    ]
    return out


def plot(sizes, result, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for task, accs in result.items():
        ax.plot(sizes, accs, marker="o", label=task.replace("_", " "))
    ax.set_xscale("log", base=2)
    ax.set_xticks(sizes, [str(s) for s in sizes])
    ax.set_xlabel("codewords per class")
    ax.set_ylabel("accuracy")
    ax.set_title("VQ matching: accuracy against codebook size")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"figure written to {path}", file=sys.stderr)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    p.add_argument("--out", default="out/sweep_codebook_size.json")
    p.add_argument("--png", default="out/accuracy_vs_codebook_size.png")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    result = sweep(args.sizes, seed=args.seed)
    rows = [(k, *(result[t][i] for t in result)) for i, k in enumerate(args.sizes)]
    print(table(rows, ("codewords", *result)))
    plot(args.sizes, result, args.png)
    write_json(args.out, {"seed": args.seed, "sizes": args.sizes, "accuracy": result,
                          "seconds": round(time.perf_counter() - t0, 1)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
