"""Shared by the FSDD experiment scripts: the tuned settings and the feature loading.

Settings (measured on FSDD's official split, see docs/matching.md):

- ``SPEAKER``: speech preset (25 ms / 10 ms, 40 mel bands, pre-emphasis, Δ + ΔΔ),
  20 coefficients without c0, *no* CMVN (the per-utterance mean carries the
  speaker's channel and vocal tract), 64 codewords, standard whitening.
- ``DIGIT``: the same with 13 coefficients, 64 codewords (speaker-dependent).
- ``DIGIT_UNSEEN``: 13 coefficients, no CMVN, 128 codewords (leave one speaker out),
  scored with ``adapt="affine"``: one affine map of all digit codebooks fitted to the
  held-out speaker's unlabelled utterances (all of them, one batch).
- ``BASELINE``: the plain baseline of the issue (13 MFCCs without c0, 25 ms / 10 ms
  frames, no deltas, no CMVN, 32 codewords, no whitening).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

SPEAKER = {"mfcc": {"preset": "speech", "cmvn": None, "n_mfcc": 20}, "n_codewords": 64,
           "whiten": "standard"}
DIGIT = {"mfcc": {"preset": "speech", "cmvn": None, "n_mfcc": 13}, "n_codewords": 64,
         "whiten": "standard"}
DIGIT_UNSEEN = {"mfcc": {"preset": "speech", "cmvn": None, "n_mfcc": 13}, "n_codewords": 128,
                "whiten": "standard", "adapt": "affine"}
BASELINE = {"mfcc": {"preset": "speech", "n_mfcc": 13, "deltas": 0, "cmvn": None},
            "n_codewords": 32, "whiten": None}
JAPANESE_VOWELS = {"n_codewords": 64, "whiten": "standard"}
JAPANESE_VOWELS_BASELINE = {"n_codewords": 32, "whiten": None}


def extractor(mfcc: dict):
    """An MFCCExtractor from a settings dict ``{"preset": ..., **overrides}``."""
    from vqtoolkit.features.audio import MFCCExtractor

    kw = dict(mfcc)
    return MFCCExtractor.preset(kw.pop("preset"), **kw)


def fsdd_features(mfcc: dict, *, n_jobs=2, progress=True):
    """FeatureSet of all 3,000 FSDD files (disk-cached), with digit / speaker / take labels."""
    from vqtoolkit.datasets.audio import FSDD_LABEL_REGEX, load_fsdd
    from vqtoolkit.features.audio import extract_many

    data = load_fsdd()
    return extract_many(data.files, extractor(mfcc), n_jobs=n_jobs, label_regex=FSDD_LABEL_REGEX,
                        verbose=progress)


def fit_predict(settings, train, y_train, test, *, seed):
    """Train a Matcher with ``settings`` and predict the test utterances.

    With ``settings["adapt"]`` the test utterances are scored as one batch of one
    speaker (see ``Matcher.score``).
    """
    from vqtoolkit import Matcher

    m = Matcher(settings["n_codewords"], whiten=settings["whiten"], random_state=seed)
    return m.fit(train, y_train).predict(test, adapt=settings.get("adapt"))


def split(fs):
    """Boolean mask of FSDD's official test split (takes 0-4)."""
    return fs.labels("take").astype(int) < 5


def pick(utts, mask):
    return [u for u, keep in zip(utts, mask) if keep]


def write_json(path, doc):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"results written to {path}", file=sys.stderr)


def table(rows, headers):
    """A plain-text table (list of tuples) for stdout."""
    cells = [[str(h) for h in headers]] + [[_fmt(v) for v in r] for r in rows]
    widths = [max(len(r[j]) for r in cells) for j in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(v):
    return f"{v:.4f}" if isinstance(v, (float, np.floating)) else str(v)
