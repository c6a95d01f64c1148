"""MFCCExtractor against librosa (the oracle), and batch extraction with bad files."""

from __future__ import annotations

import json
import shutil
import warnings

import librosa
import numpy as np
import pytest
import soundfile as sf

from vqtoolkit.errors import FileFormatError, ParameterError
from vqtoolkit.features.audio import (
    PRESETS,
    FeatureSet,
    MFCCExtractor,
    extract_many,
    from_meta,
    load_audio,
)

REGEX = r"(?P<digit>\d)_(?P<speaker>[a-z]+)_(?P<take>\d+)"


def _relerr(a, b):
    return np.abs(a - b).max() / np.abs(b).max()


@pytest.fixture(scope="module")
def signal():
    """1.2 s of a vowel-like tone with noise at 16 kHz (deterministic)."""
    rng = np.random.default_rng(0)
    t = np.arange(int(1.2 * 16000)) / 16000
    y = sum(np.sin(2 * np.pi * f * t) / (i + 1) for i, f in enumerate([140, 280, 700, 1200]))
    return (0.3 * y + 0.01 * rng.normal(size=t.size)).astype(np.float32), 16000


# ------------------------------------------------------------------ librosa oracle
@pytest.mark.parametrize(
    "settings, librosa_kw",
    [
        ({}, {}),
        ({"n_mfcc": 13, "n_fft": 512, "hop_length": 128, "n_mels": 40},
         {"n_mfcc": 13, "n_fft": 512, "hop_length": 128, "n_mels": 40}),
        ({"win_ms": 25, "hop_ms": 10, "n_fft": None, "fmin": 60, "fmax": 7000, "lifter": 22,
          "htk": True, "window": "hamming"},
         {"win_length": 400, "hop_length": 160, "n_fft": 512, "fmin": 60, "fmax": 7000,
          "lifter": 22, "htk": True, "window": "hamming"}),
        ({"center": False, "n_fft": 1024, "win_length": 800, "hop_length": 200},
         {"center": False, "n_fft": 1024, "win_length": 800, "hop_length": 200}),
    ],
)
def test_mfcc_equals_librosa(signal, settings, librosa_kw):
    y, sr = signal
    ours = MFCCExtractor(**settings)(y, sr=sr)
    ref = librosa.feature.mfcc(y=y, sr=sr, **librosa_kw).T
    assert ours.dtype == np.float32 and ours.flags.c_contiguous
    assert ours.shape == ref.shape
    assert _relerr(ours, ref) < 1e-5


def test_drop_c0_preemphasis_resample_match_librosa(signal, tmp_path):
    y, sr = signal
    path = tmp_path / "x.wav"
    sf.write(path, y, sr)
    e = MFCCExtractor(sr=8000, n_mfcc=12, keep_c0=False, preemphasis=0.97, n_fft=256,
                      win_length=200, hop_length=80, n_mels=26)
    ours = e(path)
    y8, _ = librosa.load(path, sr=8000)  # soxr_hq, librosa's default
    ref = librosa.feature.mfcc(y=librosa.effects.preemphasis(y8, coef=0.97), sr=8000, n_mfcc=13,
                               n_fft=256, win_length=200, hop_length=80, n_mels=26)[1:].T
    assert ours.shape == (ref.shape[0], 12)
    assert _relerr(ours, ref) < 1e-5


@pytest.mark.parametrize("width", [3, 5, 9])
def test_deltas_equal_librosa_delta(signal, width):
    y, sr = signal
    e = MFCCExtractor(n_mfcc=13, n_fft=512, hop_length=160, deltas=2, delta_width=width)
    ours = e(y, sr=sr)
    static = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13, n_fft=512, hop_length=160)
    d1 = librosa.feature.delta(static, width=width, order=1)
    d2 = librosa.feature.delta(static, width=width, order=2)
    assert ours.shape == (static.shape[1], 39)
    assert _relerr(ours[:, :13], static.T) < 1e-5
    assert _relerr(ours[:, 13:26], d1.T) < 1e-5
    assert _relerr(ours[:, 26:], d2.T) < 1e-5


def test_cmvn_and_speech_preset(signal):
    y, sr = signal
    e = MFCCExtractor.preset("speech")
    M = e(y, sr=sr)
    assert M.shape[1] == 39 == e.n_features
    assert e.frame_params(16000) == (512, 400, 160)
    assert e.frame_params(8000) == (256, 200, 80)
    static = M[:, :13]
    np.testing.assert_allclose(static.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(static.std(axis=0), 1, atol=1e-4)
    mean_only = MFCCExtractor(cmvn="mean")(y, sr=sr)
    raw = MFCCExtractor()(y, sr=sr)
    np.testing.assert_allclose(mean_only, raw - raw.mean(axis=0), atol=1e-3)


def test_trim_removes_silence(signal):
    y, sr = signal
    padded = np.concatenate([np.zeros(sr, np.float32), y, np.zeros(sr, np.float32)])
    e = MFCCExtractor(trim_db=40)
    n_padded = MFCCExtractor()(padded, sr=sr).shape[0]  # 2 s of silence: +62 frames
    n_trimmed = e(padded, sr=sr).shape[0]
    # librosa.effects.trim works in 2048-sample frames, so a few silent frames stay
    assert n_trimmed <= e(y, sr=sr).shape[0] + 8 < n_padded - 50


def test_multichannel_mixed_to_mono(signal, tmp_path):
    y, sr = signal
    stereo = np.stack([y, 0.5 * y], axis=1)
    sf.write(tmp_path / "s.flac", stereo, sr)
    mono, file_sr = load_audio(tmp_path / "s.flac")
    ref, _ = librosa.load(tmp_path / "s.flac", sr=None, mono=True)
    assert file_sr == sr and mono.shape == ref.shape
    np.testing.assert_allclose(mono, ref, atol=1e-6)
    np.testing.assert_allclose(MFCCExtractor()(stereo, sr=sr),
                               MFCCExtractor()(stereo.mean(axis=1), sr=sr), atol=1e-4)


def test_settings_round_trip_through_json():
    e = MFCCExtractor.preset("speech", sr=16000)
    d = json.loads(json.dumps(e.to_meta()))
    assert d["type"] == "mfcc"
    assert from_meta(d) == e
    assert MFCCExtractor.from_dict(e.to_dict()) == e
    assert set(PRESETS) == {"librosa", "speech", "vq"}
    assert MFCCExtractor.preset("librosa") == MFCCExtractor()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_mfcc": 0}, "n_mfcc=0 must be a positive integer"),
        ({"win_ms": 25, "win_length": 400}, "either in samples"),
        ({"hop_ms": 10, "hop_length": 160}, "either in samples"),
        ({"deltas": 3}, "deltas=3 must be 0, 1 or 2"),
        ({"delta_width": 4}, "delta_width=4 must be an odd"),
        ({"cmvn": "var"}, "cmvn='var' must be one of"),
        ({"lifter": -1}, "lifter=-1 must be a non-negative"),
        ({"fmin": 4000, "fmax": 100}, "need 0 <= fmin < fmax"),
        ({"preemphasis": 1.5}, r"preemphasis=1.5 must be in \[0, 1\)"),
    ],
)
def test_bad_settings(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        MFCCExtractor(**kwargs)


def test_bad_calls(signal):
    y, sr = signal
    with pytest.raises(ParameterError, match="sr is required"):
        MFCCExtractor()(y)
    with pytest.raises(ParameterError, match="preset='x' is unknown"):
        MFCCExtractor.preset("x")
    with pytest.raises(ParameterError, match="unknown MFCC settings"):
        MFCCExtractor.from_dict({"n_mfc": 13})
    with pytest.raises(ParameterError, match="features of type 'tfidf'"):
        from_meta({"type": "tfidf", "settings": {}})
    with pytest.raises(ParameterError, match="needs 41 of the n_mels=40"):
        MFCCExtractor(n_mfcc=40, n_mels=40, keep_c0=False)(y, sr=sr)
    with pytest.raises(ParameterError, match="longer than n_fft=256"):
        MFCCExtractor(n_fft=256, win_ms=25)(y, sr=sr)


@pytest.mark.parametrize(
    "content, match",
    [
        (b"", "empty file"),
        (b"this is text, not audio\n", "not a readable audio file"),
    ],
)
def test_bad_file_named_in_error(tmp_path, content, match):
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(FileFormatError, match=f"bad.wav: {match}"):
        MFCCExtractor()(path)


def test_bad_signals_named_reasons(tmp_path):
    e = MFCCExtractor.preset("speech")
    sf.write(tmp_path / "zero.wav", np.zeros(0, np.float32), 8000)
    sf.write(tmp_path / "silent.wav", np.zeros(8000, np.float32), 8000)
    sf.write(tmp_path / "tiny.wav", np.full(40, 0.1, np.float32), 8000)
    sf.write(tmp_path / "short.wav", np.full(400, 0.1, np.float32), 8000)
    with pytest.raises(FileFormatError, match="zero.wav: zero-length audio"):
        e(tmp_path / "zero.wav")
    with pytest.raises(FileFormatError, match="silent.wav: all silence"):
        e(tmp_path / "silent.wav")
    with pytest.raises(FileFormatError, match="tiny.wav: shorter than one frame"):
        e(tmp_path / "tiny.wav")
    with pytest.raises(FileFormatError, match="short.wav: too short for deltas"):
        e(tmp_path / "short.wav")


# ------------------------------------------------------------------ batch extraction
@pytest.fixture
def fsdd_folder(require_data, tmp_path):
    """12 FSDD copies plus a truncated file, an empty file and a text file named .wav."""
    rec = require_data("fsdd") / "recordings"
    folder = tmp_path / "audio"
    folder.mkdir()
    for digit in (0, 7):
        for speaker in ("george", "theo"):
            for take in (0, 1, 30):
                shutil.copy(rec / f"{digit}_{speaker}_{take}.wav", folder)
    data = (rec / "3_lucas_12.wav").read_bytes()
    (folder / "3_lucas_12.wav").write_bytes(data[: len(data) // 3])
    (folder / "4_lucas_0.wav").write_bytes(b"")
    (folder / "5_lucas_0.wav").write_text("not audio\n")
    return folder


def test_batch_reports_bad_files_and_keeps_good(fsdd_folder, tmp_path):
    e = MFCCExtractor.preset("speech")
    with pytest.warns(UserWarning, match="3 of 15 files could not be used"):
        fs = extract_many(fsdd_folder, e, n_jobs=2, label_regex=REGEX,
                          cache=tmp_path / "cache", verbose=False)
    failed = {f.split("/")[-1]: r for f, r in fs.failures}
    assert set(failed) == {"3_lucas_12.wav", "4_lucas_0.wav", "5_lucas_0.wav"}
    assert failed["3_lucas_12.wav"].startswith("truncated WAV file")
    assert failed["4_lucas_0.wav"] == "empty file (0 bytes)"
    assert failed["5_lucas_0.wav"].startswith("not a readable audio file")
    assert len(fs) == 12 and fs.X.dtype == np.float32 and fs.X.shape[1] == 39
    # every utterance equals the single-file extractor, in sorted file order
    assert fs.files == sorted(fs.files)
    for i, f in enumerate(fs.files):
        np.testing.assert_array_equal(fs[i], e(f))
    assert sorted(set(fs.labels("speaker"))) == ["george", "theo"]
    assert fs.labels("digit").astype(int).tolist() == [0] * 6 + [7] * 6
    assert fs.frame_labels("take").shape == (fs.X.shape[0],)
    with pytest.raises(ParameterError, match="label 'word' is unknown"):
        fs.labels("word")


def test_batch_strict_stops(fsdd_folder):
    with pytest.raises(FileFormatError, match="3_lucas_12.wav: truncated"):
        extract_many(fsdd_folder, MFCCExtractor.preset("speech"), n_jobs=1, cache=False,
                     strict=True, verbose=False)


def test_cache_rerun_identical_and_atomic(fsdd_folder, tmp_path):
    cache = tmp_path / "cache"
    e = MFCCExtractor(n_mfcc=13)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = extract_many(fsdd_folder, e, n_jobs=1, cache=cache, verbose=False)
        entries = sorted(cache.rglob("*.npy"))
        assert len(entries) == 12
        assert not list(cache.rglob("*.tmp"))
        # a cached entry is what is served on the rerun
        poisoned = np.load(entries[0])
        np.save(entries[0], poisoned + 1)
        second = extract_many(fsdd_folder, e, n_jobs=1, cache=cache, verbose=False)
        # different settings → different key, so no stale features
        other = extract_many(fsdd_folder, MFCCExtractor(n_mfcc=12), n_jobs=1, cache=cache,
                             verbose=False)
    assert np.abs(second.X - first.X).max() == pytest.approx(1.0)
    assert other.X.shape[1] == 12
    assert len(sorted(cache.rglob("*.npy"))) == 24


def test_featureset_save_load(fsdd_folder, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fs = extract_many(fsdd_folder, MFCCExtractor.preset("speech"), n_jobs=1, cache=False,
                          label_regex=REGEX, verbose=False)
    path = fs.save(tmp_path / "fs.npz")
    back = FeatureSet.load(path)
    np.testing.assert_array_equal(back.X, fs.X)
    assert back.index == fs.index and back.failures == fs.failures
    assert back.extractor == MFCCExtractor.preset("speech")
    sub = fs.subset(fs.labels("take").astype(int) < 5)
    assert len(sub) == 8
    np.testing.assert_array_equal(sub[0], fs[0])


def test_batch_inputs(tmp_path):
    with pytest.raises(ParameterError, match="holds no audio files"):
        extract_many(tmp_path, verbose=False)
    with pytest.raises(ParameterError, match="matches no file"):
        extract_many(str(tmp_path / "*.wav"), verbose=False)
    with pytest.raises(ParameterError, match="has no named groups"):
        extract_many(tmp_path / "a.wav", label_regex=r"\d+", verbose=False)
    with pytest.raises(ParameterError, match="n_jobs=0"):
        extract_many(tmp_path / "a.wav", n_jobs=0, verbose=False)
    with pytest.warns(UserWarning, match="1 of 1 files"):
        fs = extract_many(tmp_path / "missing.wav", cache=False, verbose=False)
    assert fs.X.shape == (0, 60) and fs.failures[0][1] == "No such file or directory"  # preset vq


@pytest.mark.slow
def test_all_fsdd_files_extract(require_data):
    from vqtoolkit.datasets import load_fsdd

    require_data("fsdd")
    d = load_fsdd()
    fs = extract_many(d.files, MFCCExtractor.preset("speech"), n_jobs=2, cache=False,
                      verbose=False)
    assert fs.failures == [] and len(fs) == 3000
    assert np.isfinite(fs.X).all()


def test_a_wrongly_scaled_file_fails_alone_with_its_name(tmp_path):
    """Float samples of 1e30 overflow the power spectrum: that file fails, the others extract."""
    t = np.arange(6000) / 8000
    good = []
    for i in range(3):
        path = tmp_path / f"{i}_good.wav"
        sf.write(path, (0.3 * np.sin(2 * np.pi * (200 + 100 * i) * t)).astype(np.float32), 8000)
        good.append(str(path))
    huge = tmp_path / "9_huge.wav"
    sf.write(huge, (np.sin(50 * t) * 1e30).astype(np.float32), 8000, subtype="FLOAT")
    ext = MFCCExtractor.preset("speech")
    with pytest.raises(FileFormatError, match=r"9_huge.wav: its MFCC frames are not finite \(samples"
                                              r" up to 1e\+30"):
        ext(str(huge))
    with pytest.warns(UserWarning, match="1 of 4 files could not be used"):
        fs = extract_many(good + [str(huge)], ext, n_jobs=1, cache=False, verbose=False)
    assert len(fs) == 3 and np.isfinite(fs.X).all()
    assert [f for f, _ in fs.failures] == [str(huge)]


def test_features_are_bit_identical_whatever_n_jobs(tmp_path):
    # with the 'librosa' preset, multi-threaded BLAS (n_jobs=1 used to allow it) changed frames
    # of these 5 s signals by up to 7.6e-6 against the single-threaded workers of n_jobs=2
    rng = np.random.RandomState(0)
    t = np.arange(80000) / 16000
    paths = []
    for i in range(4):
        y = 0.3 * np.sin(2 * np.pi * (150 + 70 * i) * t) + 0.05 * rng.normal(size=t.size)
        path = tmp_path / f"{i}_x_{i}.wav"
        sf.write(path, y.astype(np.float32), 16000, subtype="FLOAT")
        paths.append(str(path))
    ext = MFCCExtractor.preset("librosa")
    one = extract_many(paths, ext, n_jobs=1, cache=False, verbose=False)
    two = extract_many(paths, ext, n_jobs=2, cache=False, verbose=False)
    np.testing.assert_array_equal(one.X, two.X)
