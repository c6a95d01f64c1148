"""Demo section: speaker and digit recognition by VQ distortion on FSDD (or synthetic vowels)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

TITLE = "matching: speaker and digit recognition by quantization distortion"

_HERE = Path(__file__).resolve().parent
_REGEX = r"(?P<digit>\d)_(?P<speaker>[a-z]+)_(?P<take>\d+)"


def run(*, out, seed=0):
    """Extract, train speaker and digit models, evaluate, print tables, write the confusion matrix."""
    from vqtoolkit import Matcher
    from vqtoolkit import evaluation as ev
    from vqtoolkit.datasets.audio import load_fsdd
    from vqtoolkit.errors import DataNotFoundError
    from vqtoolkit.features.audio import MFCCExtractor, extract_many

    out = Path(out)
    try:
        files = load_fsdd(download_if_missing=False).files
        name, k_spk, k_dig, n_mfcc_spk = "FSDD", 64, 64, 20
        print(f"data: FSDD, {len(files)} recordings in {Path(files[0]).parent}")
    except DataNotFoundError as exc:
        print(f"FSDD not found: {exc}")
        print("running on synthetic formant vowels instead (scripts/make_synthetic_vowels.py);"
              " for the real thing get FSDD from "
              "https://github.com/Jakobovski/free-spoken-digit-dataset and set VQTOOLKIT_DATA")
        folder = _synthetic_folder(seed)
        files = sorted(str(p) for p in folder.glob("*.wav"))
        name, k_spk, k_dig, n_mfcc_spk = "synthetic vowels", 8, 8, 20
    t0 = time.perf_counter()
    fs_spk = extract_many(files, MFCCExtractor.preset("speech", cmvn=None, n_mfcc=n_mfcc_spk),
                          n_jobs=2, label_regex=_REGEX)
    fs_dig = extract_many(files, MFCCExtractor.preset("speech", cmvn=None), n_jobs=2,
                          label_regex=_REGEX)
    print(f"features: {fs_spk.X.shape[0]} frames ({time.perf_counter() - t0:.1f} s, cached on disk)")
    take = fs_spk.labels("take").astype(int)
    test = take < (5 if name == "FSDD" else 2)
    rows = []
    results = {}
    for task, fs, label, k in (("speaker", fs_spk, "speaker", k_spk),
                               ("digit", fs_dig, "digit", k_dig)):
        y = fs.labels(label)
        utts = fs.utterances()
        m = Matcher(k, features=fs.extractor, random_state=seed, verbose=True)
        m.fit([u for u, t in zip(utts, test) if not t], y[~test])
        scores = m.score([u for u, t in zip(utts, test) if t])
        pred = scores.predict()
        acc = ev.accuracy(y[test], pred)
        trials = ev.verification_trials(scores, y[test])
        eer = ev.equal_error_rate(trials.is_target, trials.score)
        rows.append((task, int((~test).sum()), int(test.sum()), k, acc, eer.eer))
        results[task] = (y[test], pred)
        path = m.save(out / f"matcher_{task}.npz")
        print(f"{task} model written to {path}")
    print(f"\n{name}: train takes >= {5 if name == 'FSDD' else 2}, test the rest")
    print(f"{'task':<8} {'train':>6} {'test':>5} {'k':>4} {'accuracy':>9} {'EER':>7}")
    for task, ntr, nte, k, acc, eer in rows:
        print(f"{task:<8} {ntr:>6} {nte:>5} {k:>4} {acc:>9.4f} {eer:>7.4f}")
    y_true, y_pred = results["digit"]
    conf = ev.confusion_matrix(y_true, y_pred)
    record = {**conf.to_dict(), "title": f"{name} digits, speaker-dependent"}
    (out / "confusion_digits.json").write_text(json.dumps(record, indent=1) + "\n")
    png = out / "confusion_digits.png"
    _plot(conf, png, f"{name}: digit recognition (accuracy {ev.accuracy(y_true, y_pred):.3f})")
    print(f"confusion matrix written to {out / 'confusion_digits.json'} and {png}")
    print(f"try: vqtoolkit info {out / 'matcher_digit.npz'}")
    return rows


#: where the synthetic vowels are generated on first use (not tracked by git)
SYNTHETIC = _HERE.parent / "data" / "synthetic_vowels"


def _synthetic_folder(seed):
    folder = SYNTHETIC
    if not any(folder.glob("*.wav")):
        sys.path.insert(0, str(_HERE))
        from make_synthetic_vowels import generate

        generate(folder, seed=seed)
    return folder


def _plot(conf, path, title):
    try:
        from vqtoolkit.plotting import plot_confusion
    except ImportError:
        plot_confusion = None
    if plot_confusion is not None:
        plot_confusion(conf.counts, [str(c) for c in conf.labels], title=title, path=path)
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.imshow(conf.counts, cmap="Blues")
    for (i, j), v in np.ndenumerate(conf.counts):
        ax.text(j, i, str(v), ha="center", va="center", fontsize=7)
    ax.set_xticks(range(len(conf.labels)), [str(c) for c in conf.labels])
    ax.set_yticks(range(len(conf.labels)), [str(c) for c in conf.labels])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
