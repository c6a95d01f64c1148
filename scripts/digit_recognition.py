"""Spoken-digit recognition by VQ distortion on FSDD: speaker-dependent and leave-one-speaker-out.

Usage: python scripts/digit_recognition.py [--seed 0] [--out out/digit_recognition.json]

Speaker-dependent: train on takes 5-49 of all six speakers, test on takes 0-4.
Unseen speaker: train on every take of five speakers, test on every take of the
sixth; all six rotations, averaged. The held-out speaker's utterances are scored
with ``adapt="affine"`` (one affine map of the digit codebooks fitted to them,
without labels), as one batch and in smaller random batches; also without
adaptation. Prints our accuracy beside the plain baseline.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from _fsdd_common import (
    BASELINE,
    DIGIT,
    DIGIT_UNSEEN,
    fit_predict,
    fsdd_features,
    pick,
    split,
    table,
    write_json,
)


def speaker_dependent(settings, *, seed=0, progress=True, return_predictions=False):
    """Accuracy on the official split; optionally also (y_true, y_pred)."""
    fs = fsdd_features(settings["mfcc"], progress=progress)
    test = split(fs)
    utts, dig = fs.utterances(), fs.labels("digit")
    pred = fit_predict(settings, pick(utts, ~test), dig[~test], pick(utts, test), seed=seed)
    acc = float(np.mean(pred == dig[test]))
    return (acc, dig[test], pred) if return_predictions else acc


def unseen_speaker(settings, *, seed=0, progress=True, batch=None):
    """``{speaker: accuracy}`` for each held-out speaker (train on the other five).

    ``batch``: score the held-out speaker's utterances in random batches of this
    many (each batch adapted on its own when ``settings["adapt"]``); ``None``: one batch.
    """
    fs = fsdd_features(settings["mfcc"], progress=progress)
    utts, dig, spk = fs.utterances(), fs.labels("digit"), fs.labels("speaker")
    out = {}
    for s in np.unique(spk):
        held = spk == s
        if batch is None:
            pred = fit_predict(settings, pick(utts, ~held), dig[~held], pick(utts, held), seed=seed)
            out[str(s)] = float(np.mean(pred == dig[held]))
            continue
        from vqtoolkit import Matcher

        m = Matcher(settings["n_codewords"], whiten=settings["whiten"], random_state=seed)
        m.fit(pick(utts, ~held), dig[~held])
        order = np.random.default_rng(seed).permutation(np.flatnonzero(held))
        hits = [m.predict([utts[i] for i in b], adapt=settings.get("adapt")) == dig[b]
                for b in np.array_split(order, max(1, round(order.size / batch)))]
        out[str(s)] = float(np.mean(np.concatenate(hits)))
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="out/digit_recognition.json")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    sd, sd_base = speaker_dependent(DIGIT, seed=args.seed), speaker_dependent(BASELINE, seed=args.seed)
    uo, ub = unseen_speaker(DIGIT_UNSEEN, seed=args.seed), unseen_speaker(BASELINE, seed=args.seed)
    un = unseen_speaker({**DIGIT_UNSEEN, "adapt": None}, seed=args.seed)
    rows = [("speaker-dependent (takes 0-4 test)", sd, "", sd_base)]
    rows += [(f"unseen speaker: {s}", uo[s], un[s], ub[s]) for s in uo]
    mo, mn, mb = (float(np.mean(list(r.values()))) for r in (uo, un, ub))
    rows.append(("unseen speaker: mean of 6", mo, mn, mb))
    print(table(rows, ("task", "ours", "ours, no adaptation", "baseline")))
    batches = {b: unseen_speaker(DIGIT_UNSEEN, seed=args.seed, batch=b) for b in (25, 50, 100)}
    batches[500] = uo
    print("\nunseen speaker, adapted in random batches of n utterances (500 = all)")
    print(table([(b, *r.values(), float(np.mean(list(r.values())))) for b, r in batches.items()],
                ("n", *uo.keys(), "mean")))
    write_json(args.out, {
        "seed": args.seed,
        "settings": {"speaker_dependent": DIGIT, "unseen_speaker": DIGIT_UNSEEN,
                     "baseline": BASELINE},
        "accuracy": {"speaker_dependent": {"ours": sd, "baseline": sd_base},
                     "unseen_speaker": {"ours": uo, "ours_no_adaptation": un, "baseline": ub,
                                        "mean": {"ours": mo, "ours_no_adaptation": mn,
                                                 "baseline": mb},
                                        "adaptation_batches": {str(b): r for b, r in batches.items()}}},
        "seconds": round(time.perf_counter() - t0, 1),
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
