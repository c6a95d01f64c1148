"""VQ-UBM (``vqtoolkit.ubm``) and static / delta stream fusion (``vqtoolkit.streams``).

Fast tests: MAP adaptation against a hand-computed example and its two limits,
the class models and scores against brute force (scipy), T-norm against a loop,
save / load, scikit-learn cloning. Slow tests (real data, features from the disk
cache): the numbers of docs/model_families.md, seed 0 (``scripts/model_families.py``).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.base import clone

import vqtoolkit
from vqtoolkit import Matcher
from vqtoolkit.errors import ParameterError
from vqtoolkit.features._mfcc import default_extractor
from vqtoolkit.streams import StreamMatcher, stream_columns
from vqtoolkit.ubm import BackgroundScores, UBMMatcher, map_adapt, t_norm


def _data(seed=0, n_per=2, dtype=np.float64):
    """Three overlapping 'speakers' in 4-D; utterances of 30 frames."""
    rng = np.random.default_rng(seed)
    centres = {"ann": 0.0, "bob": 1.0, "cy": 2.0}
    utts, y = [], []
    for name, c in centres.items():
        for _ in range(n_per):
            utts.append((rng.normal(c, 1.0, size=(30, 4)) * [1, 2, 1, 0.5]).astype(dtype))
            y.append(name)
    return utts, np.array(y)


def _brute_distortion(utts, books, whitener):
    """``D[i, c]``: mean over frames of the squared distance to the nearest codeword of book c."""
    return np.array([[cdist(whitener.transform(u), B, "sqeuclidean").min(axis=1).mean() for B in books]
                     for u in utts])


# ------------------------------------------------------------------ MAP adaptation

def test_map_adapt_hand_computed_example():
    X = np.array([[0.0, 0.0], [2.0, 0.0], [10.0, 10.0]])
    C = np.array([[1.0, 1.0], [9.0, 9.0], [50.0, 50.0]])
    # frames 0, 1 -> c0 (mean [1, 0]), frame 2 -> c1 (mean [10, 10]), c2 attracts nothing
    # r = 2: c0' = (2 [1, 0] + 2 [1, 1]) / 4 = [1, 0.5]; c1' = (1 [10, 10] + 2 [9, 9]) / 3 = [28/3, 28/3]
    adapted, counts = map_adapt(X, C, 2.0)
    np.testing.assert_allclose(adapted, [[1.0, 0.5], [28 / 3, 28 / 3], [50.0, 50.0]], rtol=1e-12)
    np.testing.assert_array_equal(counts, [2, 1, 0])


def test_map_adapt_limits():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 3))
    C = rng.normal(size=(6, 3)) * 2
    C[5] = 100.0  # attracts nothing
    codes = cdist(X, C, "sqeuclidean").argmin(axis=1)
    means = np.array([X[codes == j].mean(axis=0) if np.any(codes == j) else C[j] for j in range(6)])
    np.testing.assert_array_equal(map_adapt(X, C, np.inf)[0], C)      # r -> inf: the UBM
    np.testing.assert_allclose(map_adapt(X, C, 1e12)[0], C, atol=1e-9)
    np.testing.assert_allclose(map_adapt(X, C, 0.0)[0], means, rtol=1e-12)  # r = 0: class means
    np.testing.assert_array_equal(map_adapt(X, C, 0.0)[0][5], C[5])
    np.testing.assert_array_equal(map_adapt(X, C, 0.0)[1], np.bincount(codes, minlength=6))


def test_map_adapt_keeps_float32():
    X = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32)
    assert map_adapt(X, X[:4].astype(np.float64), 8.0)[0].dtype == np.float32


@pytest.mark.parametrize("r", [-1.0, np.nan, "8", True])
def test_bad_relevance(r):
    with pytest.raises(ParameterError, match="relevance"):
        map_adapt(np.zeros((3, 2)), np.zeros((2, 2)), r)
    utts, y = _data()
    with pytest.raises(ParameterError, match="relevance"):
        UBMMatcher(4, relevance=r).fit(utts, y)


# -------------------------------------------------------------------- UBMMatcher

def test_class_models_are_the_ubm_map_adapted_to_each_class():
    utts, y = _data()
    m = UBMMatcher(8, relevance=4.0, random_state=0).fit(utts, y)
    C = m.ubm_.codebook_
    for j, c in enumerate(m.classes_):
        frames = m.whitener_.transform(np.concatenate([u for u, lab in zip(utts, y) if lab == c]))
        codes = cdist(frames, C, "sqeuclidean").argmin(axis=1)
        n = np.bincount(codes, minlength=8)
        expect = C.copy()
        for k in np.flatnonzero(n):
            expect[k] = (frames[codes == k].sum(axis=0) + 4.0 * C[k]) / (n[k] + 4.0)
        np.testing.assert_allclose(m.class_codebooks_[j], expect, rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(m.counts_[j], n)


def test_scores_against_brute_force_and_ubm_normalisation():
    utts, y = _data()
    test, _ = _data(seed=5, n_per=1)
    m = UBMMatcher(8, relevance=16.0, random_state=0).fit(utts, y)
    s = m.score(test)
    assert isinstance(s, BackgroundScores)
    np.testing.assert_allclose(s.distortion, _brute_distortion(test, m.class_codebooks_, m.whitener_),
                               rtol=1e-10)
    np.testing.assert_allclose(s.background, _brute_distortion(test, [m.ubm_.codebook_], m.whitener_)[:, 0],
                               rtol=1e-10)
    np.testing.assert_allclose(s.normalized("ubm"), s.distortion - s.background[:, None])
    np.testing.assert_array_equal(m.predict(test), s.classes[np.argmin(s.distortion, axis=1)])
    # r -> inf: every class model is the UBM, every normalised score 0
    inf = UBMMatcher(8, relevance=np.inf, random_state=0).fit(utts, y).score(test)
    np.testing.assert_allclose(inf.normalized("ubm"), 0.0, atol=1e-12)


def test_affine_adaptation_moves_the_ubm_too():
    utts, y = _data(n_per=4)
    test, _ = _data(seed=3, n_per=3)
    test = [u @ np.diag([1.3, 0.8, 1.1, 1.0]) + 0.7 for u in test]
    m = UBMMatcher(8, random_state=0).fit(utts, y)
    s = m.score(test, adapt="affine")
    A, b = s.transform
    np.testing.assert_allclose(s.background,
                               _brute_distortion(test, [m.ubm_.codebook_ @ A + b], m.whitener_)[:, 0],
                               rtol=1e-9)
    np.testing.assert_allclose(s.distortion,
                               _brute_distortion(test, [B @ A + b for B in m.class_codebooks_],
                                                 m.whitener_), rtol=1e-9)


def test_per_class_codebooks_are_the_matchers():
    utts, y = _data()
    test, _ = _data(seed=7, n_per=1)
    a = UBMMatcher(8, class_codebook_size=5, random_state=3).fit(utts, y)
    b = Matcher(5, random_state=3).fit(utts, y)
    np.testing.assert_array_equal(a.score(test).distortion, b.score(test).distortion)
    assert not a.counts_.any()


def test_t_norm_against_a_loop():
    D = np.random.default_rng(0).uniform(1, 5, size=(4, 5))
    expect = np.empty_like(D)
    for i in range(4):
        for c in range(5):
            others = np.delete(D[i], c)
            expect[i, c] = (D[i, c] - others.mean()) / others.std()
    np.testing.assert_allclose(t_norm(D), expect, rtol=1e-10)
    with pytest.raises(ParameterError, match="three classes"):
        t_norm(D[:, :2])


def test_save_load_round_trip_gives_identical_scores(tmp_path):
    utts, y = _data()
    test, _ = _data(seed=9, n_per=1)
    m = UBMMatcher(8, relevance=8.0, random_state=0).fit(utts, y)
    back = vqtoolkit.load(m.save(tmp_path / "ubm.npz"))
    assert isinstance(back, UBMMatcher) and back.get_params() == m.get_params()
    for adapt in (None, "affine"):
        s, t = m.score(test, adapt=adapt), back.score(test, adapt=adapt)
        np.testing.assert_array_equal(s.distortion, t.distortion)
        np.testing.assert_array_equal(s.background, t.background)
    np.testing.assert_array_equal(back.counts_, m.counts_)


def test_saved_default_front_end_is_kept(tmp_path):
    utts, y = _data()
    m = UBMMatcher(4, features=default_extractor(), random_state=0).fit(utts, y)
    assert vqtoolkit.load(m.save(tmp_path / "f.npz")).features_ == default_extractor()


def test_sklearn_clone_and_params():
    m = UBMMatcher(16, relevance=4.0, random_state=1)
    c = clone(m)
    assert c.get_params() == m.get_params() and c is not m
    assert c.set_params(relevance=8.0).relevance == 8.0
    utts, y = _data()
    fitted = clone(m.set_params(n_codewords=4)).fit(utts, y)
    assert not hasattr(clone(fitted), "ubm_")
    with pytest.raises(Exception, match="not fitted|fit"):
        UBMMatcher().score(utts)


def test_bad_inputs():
    utts, y = _data()
    with pytest.raises(ParameterError, match="fewer than class_codebook_size"):
        UBMMatcher(4, class_codebook_size=100).fit(utts, y)
    m = UBMMatcher(4, random_state=0).fit(utts, y)
    with pytest.raises(ParameterError, match="features"):
        m.score([np.zeros((5, 3))])
    with pytest.raises(ParameterError, match="normalize"):
        m.score(utts).normalized("bogus")


# -------------------------------------------------------------------- streams

def test_stream_columns():
    cols = stream_columns(60, None, default_extractor())  # 'vq': c1-c20, then Δ and ΔΔ
    np.testing.assert_array_equal(cols[0], np.arange(20))
    np.testing.assert_array_equal(cols[1], np.arange(20, 60))
    assert [c.tolist() for c in stream_columns(6, 3)] == [[0, 1], [2, 3], [4, 5]]
    with pytest.raises(ParameterError, match="deltas"):
        stream_columns(12, None, None)
    with pytest.raises(ParameterError, match="columns"):
        stream_columns(4, [[0, 9]])


def test_stream_fusion_is_the_scaled_sum_of_stream_distortions(tmp_path):
    utts, y = _data()
    test, _ = _data(seed=4, n_per=1)
    m = StreamMatcher(4, streams=[[0, 1], [2, 3]], weights=[1.0, 2.0], random_state=0).fit(utts, y)
    expect = 0.0
    for sub, cols, w in zip(m.matchers_, ([0, 1], [2, 3]), (1.0, 2.0)):
        books = [cb.codebook_ for cb in sub.codebooks_]
        scale = np.mean([cdist(sub.whitener_.transform(np.concatenate([u[:, cols] for u, lab in zip(utts, y)
                                                                        if lab == c])),
                               B, "sqeuclidean").min(axis=1).mean() for c, B in zip(sub.classes_, books)])
        expect = expect + w / scale * _brute_distortion([u[:, cols] for u in test], books, sub.whitener_)
    s = m.score(test)
    np.testing.assert_allclose(s.distortion, expect, rtol=1e-8)
    back = vqtoolkit.load(m.save(tmp_path / "streams.npz"))
    assert isinstance(back, StreamMatcher)
    np.testing.assert_array_equal(back.score(test, adapt="affine").distortion,
                                  m.score(test, adapt="affine").distortion)
    assert clone(m).get_params() == m.get_params()


# ----------------------------------------------------------------- real data (slow)

@pytest.fixture(scope="module")
def fsdd(require_data):
    """Train / test utterances of FSDD's official split (default front end, disk cache)."""
    require_data("fsdd")
    from vqtoolkit.datasets.audio import FSDD_LABEL_REGEX, load_fsdd
    from vqtoolkit.features.audio import extract_many

    fs = extract_many(load_fsdd().files, default_extractor(), n_jobs=2, label_regex=FSDD_LABEL_REGEX)
    test = fs.labels("take").astype(int) < 5
    utts = fs.utterances()
    pick = lambda mask: [u for u, keep in zip(utts, mask) if keep]  # noqa: E731
    return {"train": pick(~test), "test": pick(test),
            **{lab: (fs.labels(lab)[~test], fs.labels(lab)[test]) for lab in ("speaker", "digit")}}


def _fsdd_numbers(fsdd, make):
    from vqtoolkit.evaluation import equal_error_rate

    out = {}
    for lab in ("speaker", "digit"):
        y_train, y_test = fsdd[lab]
        s = make().fit(fsdd["train"], y_train).score(fsdd["test"])
        out[lab] = float(np.mean(s.predict() == y_test))
        if lab == "speaker":
            target = (y_test.astype(str)[:, None] == s.classes.astype(str)[None, :]).ravel()
            for norm in ("cohort", "ubm", "tnorm"):
                if norm == "ubm" and not isinstance(s, BackgroundScores):
                    continue
                S = t_norm(s.distortion) if norm == "tnorm" else s.normalized(norm)
                out[norm] = equal_error_rate(target, S.ravel()).eer
    return out


def _japanese_vowels(require_data, make, deltas=False):
    require_data("japanese_vowels")
    from vqtoolkit.datasets import load_japanese_vowels

    d = load_japanese_vowels()
    tr, te = d.X_train, d.X_test
    if deltas:
        tr, te = ([np.hstack([u, np.gradient(u, axis=0)]) for u in x] for x in (tr, te))
    return float(np.mean(make().fit(tr, d.y_train).predict(te) == np.asarray(d.y_test)))


@pytest.mark.slow
@pytest.mark.data
def test_vq_ubm_on_fsdd_and_japanese_vowels(fsdd, require_data):
    r = _fsdd_numbers(fsdd, lambda: UBMMatcher(128, relevance=16.0, random_state=0))
    # docs/model_families.md, seed 0: speakers 0.9967, digits 0.9967, EER 0.07 % cohort,
    # 0.80 % UBM-normalised, 0.33 % T-norm; Japanese Vowels 0.668 (far below per-class 0.976).
    # Single utterances move with the k-means seeding, hence the margins.
    assert r["speaker"] >= 0.99 and r["digit"] >= 0.985
    assert r["cohort"] <= 0.005 and r["ubm"] <= 0.015 and r["tnorm"] <= 0.006
    jv = _japanese_vowels(require_data, lambda: UBMMatcher(128, relevance=16.0, random_state=0))
    assert 0.60 <= jv <= 0.75


@pytest.mark.slow
@pytest.mark.data
def test_per_class_codebooks_with_ubm_and_t_norm_scores_on_fsdd(fsdd):
    r = _fsdd_numbers(fsdd, lambda: UBMMatcher(128, class_codebook_size=32, random_state=0))
    # seed 0: 1.000 / 0.9967 (the Matcher's defaults); EER 0.00 % cohort, 1.33 % UBM, 0.33 % T-norm:
    # the difference to the UBM is worse than the cohort score the Matcher already uses
    assert r["speaker"] >= 0.995 and r["digit"] >= 0.99
    assert r["cohort"] <= 0.003 and 0.005 <= r["ubm"] <= 0.04 and r["ubm"] > r["cohort"]
    assert r["tnorm"] <= 0.006


@pytest.mark.slow
@pytest.mark.data
def test_static_delta_fusion_on_fsdd_and_japanese_vowels(fsdd, require_data):
    r = _fsdd_numbers(fsdd, lambda: StreamMatcher(32, features=default_extractor(), random_state=0))
    # seed 0: speakers 1.000, digits 0.9967, EER 0.00 % cohort, 0.27 % T-norm
    assert r["speaker"] >= 0.99 and r["digit"] >= 0.99 and r["cohort"] <= 0.005
    # Japanese Vowels, cepstra | their time derivative: 0.9865 (seeds 1, 2: 0.984); goal 0.99 not met
    jv = _japanese_vowels(require_data, lambda: StreamMatcher(32, streams=2, random_state=0), deltas=True)
    assert 0.975 <= jv < 0.99
