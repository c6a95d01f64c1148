"""Model families of the VQ speaker / word recognition literature, side by side, with their defaults.

Usage: python scripts/model_families.py [--stage main|unseen|all] [--seeds 0 1 2]
                                         [--out out/model_families.json]

Families (every one on the default front end, the 'vq' MFCC preset, features from
the disk cache of ``extract_many``; Japanese Vowels with its given 12 LPC cepstra):

- per-class codebooks, 32 codewords: today's ``Matcher()`` defaults (built as
  ``UBMMatcher(128, class_codebook_size=32)``, whose class codebooks are the
  Matcher's, so the same run also gives the UBM-normalised and T-normed scores);
- VQ-UBM: a background codebook of 64 / 128 / 256 codewords MAP-adapted to each
  class with relevance factor r = 4 / 16 (``UBMMatcher``);
- static / delta fusion: separate 32-codeword codebooks for c1-c20 and for their
  Δ + ΔΔ, distortions fused (``StreamMatcher``); on Japanese Vowels, which has no
  deltas, the cepstra and their time derivative (``np.gradient``) as two streams.

Stage ``main``: FSDD official split (train takes 5-49, test takes 0-4) speaker
identification, digits and speaker-verification EER (every test utterance against
every speaker, 300 x 6 trials) under three score normalisations: ``cohort`` (the
lowest other class, today's), ``ubm`` (D(X, class) - D(X, UBM)) and ``tnorm``
(the other classes as cohort); Japanese Vowels speaker identification.

Stage ``unseen``: FSDD digits of a speaker left out of training, mean of the six
rotations, each scored with ``adapt='affine'`` on all of the held-out speaker's
utterances (no labels).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from _fsdd_common import fsdd_features, pick, split, table, write_json

NORMS = ("cohort", "ubm", "tnorm")


def families(main=True, only=None):
    """``[(name, factory(seed) -> unfitted matcher)]``, those whose name contains ``only``."""
    from vqtoolkit.features._mfcc import default_extractor
    from vqtoolkit.streams import StreamMatcher
    from vqtoolkit.ubm import UBMMatcher

    out = [("per-class k=32 (Matcher defaults)",
            lambda s: UBMMatcher(128, class_codebook_size=32, random_state=s))]
    sizes = (64, 128, 256) if main else (128, 256)
    rs = (4.0, 16.0) if main else (16.0,)
    for k in sizes:
        for r in rs:
            out.append((f"VQ-UBM k={k} r={r:g}",
                        lambda s, k=k, r=r: UBMMatcher(k, relevance=r, random_state=s)))
    out.append(("static | delta fusion, k=32 each",
                lambda s: StreamMatcher(32, features=default_extractor(), random_state=s)))
    return [(name, make) for name, make in out if only is None or only in name]


def eers(scores, y):
    from vqtoolkit.evaluation import equal_error_rate, verification_trials
    from vqtoolkit.ubm import BackgroundScores, t_norm

    out = {}
    target = (np.asarray(y).astype(str)[:, None] == scores.classes.astype(str)[None, :]).ravel()
    for norm in NORMS:
        if norm == "tnorm":  # any family: the other classes as cohort
            out[norm] = equal_error_rate(target, t_norm(scores.distortion).ravel()).eer
        elif norm == "ubm" and not isinstance(scores, BackgroundScores):
            out[norm] = None  # no background codebook
        else:
            t = verification_trials(scores, y, normalize=norm)
            out[norm] = equal_error_rate(t.is_target, t.score).eer
    return out


def with_deltas(utts):
    """Japanese Vowels cepstra with their time derivative appended (two streams of 12)."""
    return [np.hstack([u, np.gradient(u, axis=0)]) for u in utts]


def run_main(seeds, only=None):
    from vqtoolkit.datasets import load_japanese_vowels
    from vqtoolkit.features._mfcc import DEFAULT_PRESET
    from vqtoolkit.ubm import UBMMatcher

    fs = fsdd_features({"preset": DEFAULT_PRESET}, n_jobs=2, progress=False)
    test = split(fs)
    utts = fs.utterances()
    train_u, test_u = pick(utts, ~test), pick(utts, test)
    jv = load_japanese_vowels()
    jv_ytest = np.asarray(jv.y_test)
    rows, doc = [], []
    for name, make in families(only=only):
        for seed in seeds:
            r = {"family": name, "seed": seed}
            for label in ("speaker", "digit"):
                y = fs.labels(label)
                s = make(seed).fit(train_u, y[~test]).score(test_u)
                r[label] = float(np.mean(s.predict() == y[test]))
                if label == "speaker":
                    r["eer"] = eers(s, y[test])
            fusion = name.startswith("static")
            Xtr, Xte = (with_deltas(jv.X_train), with_deltas(jv.X_test)) if fusion else (jv.X_train,
                                                                                          jv.X_test)
            m = make(seed).set_params(streams=2, features=None) if fusion else make(seed)
            r["japanese_vowels"] = float(np.mean(m.fit(Xtr, jv.y_train).predict(Xte) == jv_ytest))
            doc.append(r)
            rows.append((name, seed, r["speaker"], r["digit"],
                         *[_pct(r["eer"][n]) for n in NORMS], r["japanese_vowels"]))
            print("  ".join(map(str, rows[-1])), file=sys.stderr, flush=True)
    if only is None or "Japanese" in only or "Δ" in only:
        for seed in seeds:  # does the derivative alone help, without separate codebooks?
            m = UBMMatcher(128, class_codebook_size=32, random_state=seed)
            acc = np.mean(m.fit(with_deltas(jv.X_train), jv.y_train).predict(with_deltas(jv.X_test))
                          == jv_ytest)
            doc.append({"family": "per-class k=32 on cepstra + Δ (Japanese Vowels only)", "seed": seed,
                        "japanese_vowels": float(acc)})
            rows.append((doc[-1]["family"], seed, "-", "-", "-", "-", "-", float(acc)))
    headers = ("family", "seed", "FSDD speakers", "FSDD digits",
               *[f"EER % ({n})" for n in NORMS], "Japanese Vowels")
    print(table(rows, headers))
    return doc


def run_unseen(seeds, only=None):
    from vqtoolkit.features._mfcc import DEFAULT_PRESET

    fs = fsdd_features({"preset": DEFAULT_PRESET}, n_jobs=2, progress=False)
    utts, dig, spk = fs.utterances(), fs.labels("digit"), fs.labels("speaker")
    rows, doc = [], []
    for name, make in families(main=False, only=only):
        for seed in seeds:
            accs = {}
            for s in np.unique(spk):
                held = spk == s
                m = make(seed).fit(pick(utts, ~held), dig[~held])
                accs[str(s)] = float(np.mean(m.predict(pick(utts, held), adapt="affine") == dig[held]))
            mean = float(np.mean(list(accs.values())))
            doc.append({"family": name, "seed": seed, "per_speaker": accs, "mean": mean})
            rows.append((name, seed, mean, min(accs.values())))
            print("  ".join(map(str, rows[-1])), file=sys.stderr, flush=True)
    print(table(rows, ("unseen-speaker digits, adapt='affine'", "seed", "mean of 6", "worst speaker")))
    return doc


def _pct(v):
    return "-" if v is None else f"{100 * v:.2f}"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stage", choices=("main", "unseen", "all"), default="main")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--only", help="only the families whose name contains this text")
    p.add_argument("--out", default="out/model_families.json")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    doc = {}
    if args.stage in ("main", "all"):
        doc["main"] = run_main(args.seeds, args.only)
    if args.stage in ("unseen", "all"):
        doc["unseen"] = run_unseen(args.seeds, args.only)
    doc["seconds"] = round(time.perf_counter() - t0, 1)
    write_json(args.out, doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
