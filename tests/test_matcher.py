"""Matcher: per-class codebooks, distortion scores against a brute-force oracle, files."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist

import vqtoolkit
from vqtoolkit import Matcher
from vqtoolkit.errors import FileFormatError, NotFittedError, ParameterError
from vqtoolkit.matcher import MatchScores


def _data(seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    centres = {"a": 0.0, "b": 4.0, "c": 8.0}
    utts, y = [], []
    for label, c in centres.items():
        for _ in range(4):
            utts.append(rng.normal(c, 1.0, size=(int(rng.integers(20, 40)), 3)).astype(dtype))
            y.append(label)
    return utts, np.array(y)


def test_score_equals_brute_force_mean_squared_distance():
    utts, y = _data()
    m = Matcher(n_codewords=4, random_state=0).fit(utts, y)
    s = m.score(utts[:5], per_frame=True)
    W = m.whitener_
    for i, u in enumerate(utts[:5]):
        for j, cb in enumerate(m.codebooks_):
            d2 = cdist(W.transform(u), cb.codebook_, "sqeuclidean").min(axis=1)
            np.testing.assert_allclose(s.frame_distances[i][:, j], d2, rtol=1e-9, atol=1e-9)
            np.testing.assert_allclose(s.distortion[i, j], d2.mean(), rtol=1e-9)
    assert s.classes.tolist() == ["a", "b", "c"]


def test_predict_top_n_and_normalisations():
    utts, y = _data()
    m = Matcher(n_codewords=4, random_state=0).fit(utts, y)
    assert (m.predict(utts) == y).all()
    s = m.score(utts)
    top = m.top_n(utts, n=3)
    assert (top[:, 0] == y).all()
    D = s.distortion
    np.testing.assert_array_equal(top, s.classes[np.argsort(D, axis=1)])
    np.testing.assert_allclose(s.normalized("min").min(axis=1), 1.0)
    cohort = s.normalized("cohort")
    for i in range(D.shape[0]):
        for j in range(D.shape[1]):
            assert cohort[i, j] == pytest.approx(D[i, j] / np.delete(D[i], j).min())
    z = s.normalized("zscore")
    np.testing.assert_allclose(z.mean(axis=1), 0.0, atol=1e-12)
    np.testing.assert_array_equal(s.normalized(None), D)
    with pytest.raises(ParameterError, match="normalize='bad'"):
        s.normalized("bad")
    with pytest.raises(ParameterError, match="n=4 is larger"):
        s.top_n(4)


def test_float32_stays_float32_and_is_deterministic():
    utts, y = _data(dtype=np.float32)
    a = Matcher(n_codewords=4, random_state=3).fit(utts, y)
    b = Matcher(n_codewords=4, random_state=3, n_threads=1).fit(utts, y)
    assert a.codebooks_[0].codebook_.dtype == np.float32
    np.testing.assert_array_equal(a.score(utts).distortion, b.score(utts).distortion)


def test_whitening_is_shared_across_classes():
    utts, y = _data()
    m = Matcher(n_codewords=2, whiten="standard", random_state=0).fit(utts, y)
    X = np.concatenate(utts)
    np.testing.assert_allclose(m.whitener_.mean_, X.mean(axis=0))
    m0 = Matcher(n_codewords=2, whiten=None, random_state=0).fit(utts, y)
    assert m0.whitener_ is None


def test_verify_accepts_true_claims_at_cohort_threshold_one():
    utts, y = _data()
    m = Matcher(n_codewords=4, random_state=0).fit(utts, y)
    res = m.verify(utts, y, threshold=1.0)
    assert res.accept.all()
    wrong = np.roll(y, 4)
    assert not m.verify(utts, wrong, threshold=1.0).accept.any()
    with pytest.raises(ParameterError, match="unknown class"):
        m.verify(utts, ["zzz"] * len(utts), threshold=1.0)


def test_save_load_round_trip(tmp_path):
    utts, y = _data()
    m = Matcher(n_codewords=4, whiten="pca", random_state=0).fit(utts, y)
    path = m.save(tmp_path / "m.npz")
    back = vqtoolkit.load(path)
    assert isinstance(back, Matcher)
    assert back.get_params()["n_codewords"] == 4
    np.testing.assert_array_equal(back.classes_, m.classes_)
    np.testing.assert_array_equal(back.score(utts).distortion, m.score(utts).distortion)
    with open(path, "rb") as fh:  # no pickle anywhere in the archive
        np.load(fh, allow_pickle=False)


def test_saved_file_with_features_scores_audio(tmp_path):
    sf = pytest.importorskip("soundfile")
    from vqtoolkit.features.audio import MFCCExtractor

    rng = np.random.default_rng(0)
    sr, files, labels = 8000, [], []
    for label, f in (("low", 300.0), ("high", 1500.0)):
        for i in range(3):
            t = np.arange(int(0.3 * sr)) / sr
            sig = np.sin(2 * np.pi * f * t) + 0.05 * rng.standard_normal(t.size)
            p = tmp_path / f"{label}_{i}.wav"
            sf.write(p, (0.5 * sig).astype(np.float32), sr)
            files.append(str(p))
            labels.append(label)
    ex = MFCCExtractor.preset("speech", cmvn=None)
    m = Matcher(n_codewords=2, features=ex, n_jobs=1, cache=False, random_state=0)
    m.fit(files, labels)
    back = vqtoolkit.load(m.save(tmp_path / "audio.npz"))
    assert back.features == ex
    assert back.predict(files).tolist() == labels


@pytest.mark.parametrize("bad, match", [
    (np.zeros((5, 3)), "pass a list of utterance matrices"),
    ([], "no utterances"),
    ([np.zeros((5, 3)), np.zeros((5, 2))], "different feature counts"),
    ([np.full((5, 3), np.nan)], "NaN"),
    (42, "expected a list"),
])
def test_bad_inputs(bad, match):
    with pytest.raises(ParameterError, match=match):
        Matcher(n_codewords=1).fit(bad, ["a"] * (len(bad) if hasattr(bad, "__len__") else 1))


def test_bad_fit_arguments_and_not_fitted():
    utts, y = _data()
    with pytest.raises(ParameterError, match="y has 2 labels for 12 utterances"):
        Matcher(n_codewords=2).fit(utts, y[:2])
    with pytest.raises(ParameterError, match="at least two"):
        Matcher(n_codewords=2).fit(utts, ["a"] * len(utts))
    with pytest.raises(ParameterError, match="fewer than n_codewords=1000"):
        Matcher(n_codewords=1000).fit(utts, y)
    with pytest.raises(ParameterError, match="n_codewords=0"):
        Matcher(n_codewords=0).fit(utts, y)
    with pytest.raises(NotFittedError, match="not fitted"):
        Matcher().score(utts)
    m = Matcher(n_codewords=2, random_state=0).fit(utts, y)
    with pytest.raises(ParameterError, match="fitted with 3"):
        m.score([np.zeros((4, 2))])


def test_bad_files(tmp_path):
    cb = vqtoolkit.Codebook(2, random_state=0).fit(np.random.default_rng(0).normal(size=(20, 2)))
    p = cb.save(tmp_path / "cb.npz")
    meta, arrays = vqtoolkit.io.read_archive(p)
    meta["kind"] = "matcher"
    vqtoolkit.io.write_archive(tmp_path / "fake.npz", meta, arrays)
    with pytest.raises(FileFormatError, match="fake.npz: not a valid matcher file"):
        vqtoolkit.load(tmp_path / "fake.npz")


def test_match_scores_is_frozen():
    s = MatchScores(np.ones((1, 2)), np.array(["a", "b"]))
    with pytest.raises(AttributeError):
        s.distortion = None


def test_too_many_codewords_names_the_class_as_written_and_the_limit():
    rng = np.random.RandomState(0)
    X = [rng.rand(12, 3), rng.rand(30, 3)]
    with pytest.raises(ParameterError, match=r"class 'spk0' has 12 frames, fewer than "
                                             r"n_codewords=20; use at most 12 codewords"):
        Matcher(20, random_state=0).fit(X, np.array(["spk0", "spk1"]))
