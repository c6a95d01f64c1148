"""Which default front end serves both speaker and word models? Measured on FSDD.

Usage: python scripts/defaults_speech.py [--stage grid|chosen|unseen|all] [--out out/defaults_speech.json]

Stage ``grid`` (seed 0): every MFCC setting of a small grid around the 'speech'
preset (per-utterance CMVN off or mean-only, 13 or 20 coefficients, no deltas or
Δ + ΔΔ, c0 kept or dropped) and the 'librosa' preset, each with the Matcher's
codebook settings (32 or 64 codewords, standard or no whitening), scored on FSDD's
official split (train takes 5-49, test takes 0-4) for speaker identification,
digits (speaker-dependent) and speaker verification EER (cohort-normalised
distortion, every test utterance against every speaker). Japanese Vowels
(features given) is scored for each codebook setting.

Stage ``chosen``: the library defaults (``Matcher(random_state=seed)`` on the wav
paths, nothing else given) over seeds 0-2, beside the tuned settings of
``scripts/_fsdd_common.py`` and the former default (the 'speech' preset with
per-utterance CMVN, 32 codewords).

Stage ``unseen``: digits of a speaker left out of training (mean of the six
rotations) over seeds 0-2 (``--seeds``), the defaults without adaptation and
with ``adapt='affine'`` of at most 4, 8 and 16 (the default) rounds, beside the
tuned ``DIGIT_UNSEEN`` (first seed).

Features come from the disk cache of ``extract_many`` (~30 s per new setting).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time

import numpy as np
from _fsdd_common import (
    DIGIT,
    DIGIT_UNSEEN,
    SPEAKER,
    fit_predict,
    fsdd_features,
    pick,
    split,
    table,
    write_json,
)

CODEBOOKS = [(32, "standard"), (64, "standard"), (32, None), (64, None)]


def grid_front_ends():
    """The MFCC settings of the grid, as ``{"preset": ..., **overrides}`` dicts."""
    out = [{"preset": "librosa"}]
    for cmvn, n_mfcc, deltas, keep_c0 in itertools.product((None, "mean"), (13, 20), (0, 2),
                                                           (False, True)):
        out.append({"preset": "speech", "cmvn": cmvn, "n_mfcc": n_mfcc, "deltas": deltas,
                    "keep_c0": keep_c0})
    return out


def fsdd_scores(fs, *, n_codewords=32, whiten="standard", seed=0, matcher=None):
    """Speaker accuracy, digit accuracy and speaker EER on FSDD's official split.

    ``fs`` is the FeatureSet of all 3,000 files; ``matcher`` (unfitted) overrides
    ``n_codewords`` / ``whiten``.
    """
    from vqtoolkit import Matcher
    from vqtoolkit.evaluation import equal_error_rate, verification_trials

    test = split(fs)
    utts = fs.utterances()
    train_u, test_u = pick(utts, ~test), pick(utts, test)
    out = {}
    for label in ("speaker", "digit"):
        y = fs.labels(label)
        m = matcher if matcher is not None else Matcher(n_codewords, whiten=whiten)
        m = m.set_params(random_state=seed).fit(train_u, y[~test])
        scores = m.score(test_u)
        out[label] = float(np.mean(scores.predict() == y[test]))
        if label == "speaker":
            trials = verification_trials(scores, y[test], normalize="cohort")
            out["eer"] = equal_error_rate(trials.is_target, trials.score).eer
    return out


def fsdd_scores_from_paths(*, seed=0, **matcher_params):
    """The same three numbers for ``Matcher(**matcher_params)`` fitted on the wav paths."""
    from vqtoolkit import Matcher
    from vqtoolkit.datasets import load_fsdd
    from vqtoolkit.evaluation import equal_error_rate, verification_trials

    train, test = load_fsdd(split="train"), load_fsdd(split="test")
    out = {}
    for label in ("speaker", "digit"):
        m = Matcher(random_state=seed, n_jobs=2, **matcher_params)
        m.fit(list(train.files), getattr(train, label))
        scores = m.score(list(test.files))
        y = np.asarray(getattr(test, label))
        out[label] = float(np.mean(scores.predict().astype(str) == y.astype(str)))
        if label == "speaker":
            trials = verification_trials(scores, y, normalize="cohort")
            out["eer"] = equal_error_rate(trials.is_target, trials.score).eer
    out["features"] = m.features_.to_dict() if m.features_ is not None else None
    return out


def japanese_vowels(*, seed=0, **matcher_params):
    """Speaker identification accuracy on UCI Japanese Vowels' own split."""
    from vqtoolkit import Matcher
    from vqtoolkit.datasets import load_japanese_vowels

    d = load_japanese_vowels()
    m = Matcher(random_state=seed, **matcher_params).fit(d.X_train, d.y_train)
    return float(np.mean(m.predict(d.X_test) == np.asarray(d.y_test)))


def describe(mfcc):
    if mfcc["preset"] == "librosa":
        return "librosa"
    return (f"speech cmvn={mfcc['cmvn']} n_mfcc={mfcc['n_mfcc']} deltas={mfcc['deltas']} "
            f"c0={'kept' if mfcc['keep_c0'] else 'dropped'}")


def run_grid(seed):
    rows, doc = [], []
    for mfcc in grid_front_ends():
        fs = fsdd_features(mfcc, n_jobs=2, progress=False)
        for k, whiten in CODEBOOKS:
            r = fsdd_scores(fs, n_codewords=k, whiten=whiten, seed=seed)
            rows.append((describe(mfcc), k, str(whiten), r["speaker"], r["digit"], 100 * r["eer"]))
            doc.append({"mfcc": mfcc, "n_codewords": k, "whiten": whiten, **r})
            print(table(rows[-1:], ("front end", "k", "whiten", "speaker", "digit", "EER %")
                        ).splitlines()[-1], file=sys.stderr, flush=True)
    print(table(rows, ("front end", "k", "whiten", "speaker", "digit", "EER %")))
    jv_rows, jv = [], {}
    for k, whiten in CODEBOOKS:
        acc = japanese_vowels(seed=seed, n_codewords=k, whiten=whiten)
        jv_rows.append((k, str(whiten), acc))
        jv[f"{k}/{whiten}"] = acc
    print()
    print(table(jv_rows, ("k", "whiten", "Japanese Vowels")))
    return {"fsdd": doc, "japanese_vowels": jv}


def run_chosen(seeds):
    rows, doc = [], {"defaults": [], "tuned": []}
    for seed in seeds:
        r = fsdd_scores_from_paths(seed=seed)
        r["japanese_vowels"] = japanese_vowels(seed=seed)
        doc["defaults"].append({"seed": seed, **r})
        rows.append(("defaults: Matcher(random_state=seed)", seed, r["speaker"], r["digit"],
                     100 * r["eer"], r["japanese_vowels"]))
    for seed in seeds[:1]:
        spk = fsdd_scores(fsdd_features(SPEAKER["mfcc"], n_jobs=2, progress=False),
                          n_codewords=SPEAKER["n_codewords"], whiten=SPEAKER["whiten"], seed=seed)
        dig = fsdd_scores(fsdd_features(DIGIT["mfcc"], n_jobs=2, progress=False),
                          n_codewords=DIGIT["n_codewords"], whiten=DIGIT["whiten"], seed=seed)
        jv = japanese_vowels(seed=seed, n_codewords=64, whiten="standard")
        doc["tuned"].append({"seed": seed, "speaker": spk["speaker"], "eer": spk["eer"],
                             "digit": dig["digit"], "japanese_vowels": jv})
        rows.append(("tuned: SPEAKER / DIGIT / 64 codewords", seed, spk["speaker"], dig["digit"],
                     100 * spk["eer"], jv))
        old = fsdd_scores(fsdd_features({"preset": "speech"}, n_jobs=2, progress=False), seed=seed)
        doc["former_default"] = {"seed": seed, **old}
        rows.append(("former default: 'speech' preset (CMVN)", seed, old["speaker"], old["digit"],
                     100 * old["eer"], "-"))
    print(table(rows, ("settings", "seed", "speaker", "digit", "EER %", "Japanese Vowels")))
    return doc


def run_unseen(seeds, *, tuned=True):
    """Leave-one-speaker-out digit accuracy (mean of the six speakers), for each seed.

    The defaults without adaptation and with ``adapt='affine'`` of at most 4
    (the former default), 8 and 16 (the default) rounds; the tuned
    ``DIGIT_UNSEEN`` (default rounds) for the first seed.
    """
    from vqtoolkit import Matcher
    from vqtoolkit.features._mfcc import DEFAULT_PRESET

    fs = fsdd_features({"preset": DEFAULT_PRESET}, n_jobs=2, progress=False)
    utts, dig, spk = fs.utterances(), fs.labels("digit"), fs.labels("speaker")
    variants = [("defaults", {"adapt": None})]
    variants += [(f"defaults, adapt='affine', adapt_iter={n}", {"adapt": "affine", "adapt_iter": n})
                 for n in (4, 8, 16)]
    rows, doc = [], {}
    for seed in seeds:
        preds = {name: {} for name, _ in variants}
        for s in np.unique(spk):
            held = spk == s
            m = Matcher(random_state=seed).fit(pick(utts, ~held), dig[~held])
            for name, kw in variants:
                pred = m.score(pick(utts, held), **kw).predict()
                preds[name][str(s)] = float(np.mean(pred == dig[held]))
        if tuned and seed == seeds[0]:
            fs_t = fsdd_features(DIGIT_UNSEEN["mfcc"], n_jobs=2, progress=False)
            name = "tuned DIGIT_UNSEEN (128 codewords, affine)"
            preds[name] = {}
            for s in np.unique(spk):
                held = spk == s
                pred = fit_predict(DIGIT_UNSEEN, pick(fs_t.utterances(), ~held), dig[~held],
                                   pick(fs_t.utterances(), held), seed=seed)
                preds[name][str(s)] = float(np.mean(pred == dig[held]))
        for name, accs in preds.items():
            mean = float(np.mean(list(accs.values())))
            doc.setdefault(name, []).append({"seed": seed, "per_speaker": accs, "mean": mean})
            rows.append((name, seed, mean, min(accs.values()),
                         " ".join(f"{v:.3f}" for v in accs.values())))
            print(rows[-1], file=sys.stderr, flush=True)
    for name, per_seed in doc.items():
        if len(per_seed) > 1:
            rows.append((name, "mean", float(np.mean([r["mean"] for r in per_seed])),
                         float(np.mean([min(r["per_speaker"].values()) for r in per_seed])), ""))
    speakers = " ".join(sorted(np.unique(spk).astype(str)))
    print(table(rows, ("unseen-speaker digits", "seed", "mean of 6", "worst speaker", speakers)))
    return doc


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stage", choices=("grid", "chosen", "unseen", "all"), default="all")
    p.add_argument("--seed", type=int, default=0, help="seed of the grid")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds of 'unseen'")
    p.add_argument("--out", default="out/defaults_speech.json")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    doc = {}
    if args.stage in ("grid", "all"):
        doc["grid"] = run_grid(args.seed)
    if args.stage in ("chosen", "all"):
        doc["chosen"] = run_chosen([0, 1, 2])
    if args.stage in ("unseen", "all"):
        doc["unseen"] = run_unseen(args.seeds)
    doc["seconds"] = round(time.perf_counter() - t0, 1)
    write_json(args.out, doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
