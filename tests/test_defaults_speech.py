"""The default front end: ``Matcher().fit(wav_paths, labels)`` with nothing else given.

Fast tests: what the default is, that fitting on audio paths uses it and records
it (``features_``, the saved file), and that the command line defaults to it.
Slow tests (real data, features from the disk cache): the numbers of
docs/speech_defaults.md with the defaults, seed 0 (``scripts/defaults_speech.py``).
"""

from __future__ import annotations

import numpy as np
import pytest

import vqtoolkit
from vqtoolkit import Matcher
from vqtoolkit.errors import ParameterError
from vqtoolkit.features._mfcc import DEFAULT_PRESET, default_extractor
from vqtoolkit.features.audio import PRESETS, MFCCExtractor


@pytest.fixture(scope="module")
def tones(tmp_path_factory):
    """Six short wav files of two classes (a low and a high tone in noise)."""
    sf = pytest.importorskip("soundfile")
    folder = tmp_path_factory.mktemp("tones")
    rng = np.random.default_rng(0)
    sr, files, labels = 8000, [], []
    for label, f in (("low", 300.0), ("high", 1500.0)):
        for i in range(3):
            t = np.arange(int(0.4 * sr)) / sr
            sig = np.sin(2 * np.pi * f * (1 + 0.02 * i) * t) + 0.05 * rng.standard_normal(t.size)
            p = folder / f"{label}_{i}.wav"
            sf.write(p, (0.5 * sig).astype(np.float32), sr)
            files.append(str(p))
            labels.append(label)
    return files, labels


def test_default_front_end_is_the_vq_preset_written_out():
    hand = MFCCExtractor(win_ms=25.0, hop_ms=10.0, n_fft=None, n_mels=40, n_mfcc=20,
                         keep_c0=False, preemphasis=0.97, deltas=2, cmvn=None)
    assert DEFAULT_PRESET == "vq" and default_extractor() == hand
    assert MFCCExtractor.preset("vq") == hand
    assert hand.n_features == 60
    # 'vq' differs from 'speech' only in the coefficient count and the normalisation
    diff = {k for k in PRESETS["vq"] if PRESETS["vq"][k] != PRESETS["speech"].get(k)}
    assert diff == {"n_mfcc", "cmvn"}
    assert default_extractor(n_mfcc=13) == MFCCExtractor.preset("vq", n_mfcc=13)


def test_fit_on_paths_without_features_uses_and_records_the_default(tones, tmp_path):
    files, labels = tones
    m = Matcher(n_codewords=4, n_jobs=1, cache=False, random_state=0).fit(files, labels)
    assert m.features is None and m.features_ == default_extractor()
    explicit = Matcher(n_codewords=4, features=default_extractor(), n_jobs=1, cache=False,
                       random_state=0).fit(files, labels)
    for a, b in zip(m.codebooks_, explicit.codebooks_):
        np.testing.assert_array_equal(a.codebook_, b.codebook_)
    # the frames are the extractor's own output on each file
    frames = [default_extractor()(f) for f in files]
    assert m.n_features_in_ == 60
    np.testing.assert_allclose(m.score(frames).distortion, m.score(files).distortion, rtol=1e-6)
    assert m.predict(files).tolist() == labels

    path = m.save(tmp_path / "default.npz")
    meta, _ = vqtoolkit.io.read_archive(path)
    assert meta["features"] == {"type": "mfcc", "settings": default_extractor().to_dict()}
    back = vqtoolkit.load(path)
    assert back.features == default_extractor() and back.features_ == default_extractor()
    np.testing.assert_array_equal(back.score(files).distortion, m.score(files).distortion)


def test_matrices_record_no_front_end_and_refuse_paths_later(tones):
    files, labels = tones
    rng = np.random.default_rng(0)
    utts = [rng.normal(3.0 * (lab == "high"), 1.0, size=(30, 60)) for lab in labels]
    m = Matcher(n_codewords=4, random_state=0).fit(utts, labels)
    assert m.features_ is None
    with pytest.raises(ParameterError, match="fitted on feature matrices"):
        m.score(files)
    with pytest.raises(ParameterError, match="need feature settings.*got features=42"):
        Matcher(n_codewords=4, features=42).fit(files, labels)


def test_extract_many_defaults_to_it_and_a_featureset_carries_it_into_the_matcher(tones, tmp_path):
    from vqtoolkit.features.audio import extract_many

    files, labels = tones
    fs = extract_many(files, n_jobs=1, cache=False, verbose=False)
    assert fs.extractor == default_extractor()
    np.testing.assert_array_equal(fs.utterances()[0], default_extractor()(files[0]))
    m = Matcher(n_codewords=4, random_state=0).fit(fs, labels)
    assert m.features is None and m.features_ == default_extractor()
    back = vqtoolkit.load(m.save(tmp_path / "from_featureset.npz"))
    assert back.predict(files).tolist() == labels  # new audio read with the recorded settings


def test_command_line_train_and_extract_default_to_the_same_front_end():
    from vqtoolkit.cli import build_parser

    parser = build_parser()
    train = parser.parse_args(["train", "x.wav", "-o", "m.npz"])
    extract = parser.parse_args(["extract", "x.wav", "-o", "f.npz"])
    assert train.preset == extract.preset == DEFAULT_PRESET


# ----------------------------------------------------------------- real data (slow)

def _fsdd_defaults(require_data):
    require_data("fsdd")
    from vqtoolkit.datasets import load_fsdd
    from vqtoolkit.evaluation import equal_error_rate, verification_trials

    train, test = load_fsdd(split="train"), load_fsdd(split="test")
    out = {}
    for label in ("speaker", "digit"):
        m = Matcher(random_state=0, n_jobs=2).fit(list(train.files), getattr(train, label))
        assert m.features_ == default_extractor()
        scores = m.score(list(test.files))
        y = np.asarray(getattr(test, label)).astype(str)
        out[label] = float(np.mean(scores.predict().astype(str) == y))
        if label == "speaker":
            trials = verification_trials(scores, y, normalize="cohort")
            out["eer"] = equal_error_rate(trials.is_target, trials.score).eer
    return out


@pytest.fixture(scope="module")
def fsdd_defaults(require_data):
    return _fsdd_defaults(require_data)


@pytest.mark.slow
@pytest.mark.data
def test_fsdd_speaker_identification_with_defaults(fsdd_defaults):
    # measured 1.000 (seeds 0-2: 1.000, 1.000, 1.000); goal >= 0.99
    assert fsdd_defaults["speaker"] >= 0.995


@pytest.mark.slow
@pytest.mark.data
def test_fsdd_digits_with_defaults(fsdd_defaults):
    # measured 0.9967 (seeds 0-2: 0.9967, 1.000, 1.000); goal >= 0.99
    assert fsdd_defaults["digit"] >= 0.99


@pytest.mark.slow
@pytest.mark.data
def test_fsdd_speaker_verification_eer_with_defaults(fsdd_defaults):
    # cohort-normalised distortion, 300 x 6 trials; measured 0.0 %; goal <= 0.5 %
    assert fsdd_defaults["eer"] <= 0.005


@pytest.mark.slow
@pytest.mark.data
def test_japanese_vowels_with_defaults(require_data):
    require_data("japanese_vowels")
    from vqtoolkit.datasets import load_japanese_vowels

    d = load_japanese_vowels()
    acc = np.mean(Matcher(random_state=0).fit(d.X_train, d.y_train).predict(d.X_test) == d.y_test)
    # measured 0.9757 (9 errors of 370) with the defaults (32 codewords, standard
    # whitening; seeds 1, 2: 0.984, 0.978); the goal of 0.99 is NOT reached
    # (docs/speech_defaults.md)
    assert acc >= 0.97


@pytest.mark.slow
@pytest.mark.data
def test_fsdd_unseen_speaker_digits_with_defaults_and_affine_adaptation(require_data):
    require_data("fsdd")
    from vqtoolkit.datasets.audio import FSDD_LABEL_REGEX, load_fsdd
    from vqtoolkit.features.audio import extract_many

    fs = extract_many(load_fsdd().files, default_extractor(), n_jobs=2,
                      label_regex=FSDD_LABEL_REGEX, verbose=False)
    utts, dig, spk = fs.utterances(), fs.labels("digit"), fs.labels("speaker")
    accs = []
    for s in np.unique(spk):
        held = spk == s
        m = Matcher(random_state=0).fit([u for u, h in zip(utts, held) if not h], dig[~held])
        pred = m.predict([u for u, h in zip(utts, held) if h], adapt="affine")
        accs.append(np.mean(pred == dig[held]))
    # leave one speaker out, mean of the six rotations, k-means|| seeding, at most 16
    # adaptation rounds (the default): measured 0.961 (worst, george, 0.900); seeds
    # 1, 2: 0.978, 0.980, so the mean over seeds 0-2 is 0.973, above the 0.97,
    # but seed 0 alone is not. This pins what seed 0 gives, with a margin of a few
    # utterances (4 rounds, the former default: 0.956; 8: 0.957).
    assert len(accs) == 6
    assert np.mean(accs) >= 0.955 and min(accs) >= 0.89
