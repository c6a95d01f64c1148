"""Evaluation helpers against scikit-learn and brute-force oracles."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from vqtoolkit import evaluation as ev
from vqtoolkit.errors import ParameterError
from vqtoolkit.matcher import MatchScores


def _brute_eer(is_target, score):
    """Minimum over thresholds of max(FAR, FRR) brackets the EER (accept score <= t)."""
    ts = np.unique(score)
    far = np.array([(score[~is_target] <= t).mean() for t in ts])
    frr = np.array([(score[is_target] > t).mean() for t in ts])
    return far, frr, ts


def test_identification_metrics_match_sklearn():
    y = np.array([0, 0, 1, 1, 2, 2, 2])
    p = np.array([0, 1, 1, 1, 2, 0, 2])
    assert ev.accuracy(y, p) == pytest.approx(5 / 7)
    conf = ev.confusion_matrix(y, p)
    np.testing.assert_array_equal(conf.counts, skm.confusion_matrix(y, p))
    np.testing.assert_allclose(conf.normalized().sum(axis=1), 1.0)
    assert conf.to_dict() == {"labels": [0, 1, 2], "counts": conf.counts.tolist()}
    rep = ev.per_class_report(y, p)
    assert rep["1"]["precision"] == pytest.approx(2 / 3)
    assert rep["accuracy"] == pytest.approx(5 / 7)


def test_eer_against_brute_force():
    rng = np.random.default_rng(0)
    target = np.r_[np.ones(200, bool), np.zeros(800, bool)]
    score = np.where(target, rng.normal(0.0, 1.0, 1000), rng.normal(2.0, 1.0, 1000))
    res = ev.equal_error_rate(target, score)
    far, frr, ts = _brute_eer(target, score)
    i = np.argmin(np.abs(far - frr))
    assert abs(res.eer - (far[i] + frr[i]) / 2) <= abs(far[i] - frr[i]) / 2 + 1e-3
    assert min(np.maximum(far, frr)) >= res.eer - 1e-12
    # higher-is-target convention gives the same EER on negated scores
    assert ev.equal_error_rate(target, -score, lower_is_target=False).eer == pytest.approx(res.eer)


def test_eer_of_separable_and_hand_computed_trials():
    assert ev.equal_error_rate([True, True, False, False], [0.1, 0.2, 0.8, 0.9]).eer == 0.0
    # one target above one non-target out of two each: FAR = FRR = 0.5 at best
    assert ev.equal_error_rate([True, True, False, False], [0.1, 0.9, 0.2, 0.8]).eer == pytest.approx(0.5)


def test_roc_and_det_points_match_sklearn():
    rng = np.random.default_rng(1)
    t = rng.random(100) < 0.3
    s = rng.random(100) + t * 0.3
    roc = ev.roc_points(t, s, lower_is_target=False)
    fpr, tpr, thr = skm.roc_curve(t, s, drop_intermediate=False)
    np.testing.assert_array_equal(roc.false_accept, fpr)
    np.testing.assert_array_equal(roc.second, tpr)
    det = ev.det_points(t, -s)
    fpr2, fnr2, thr2 = skm.det_curve(t, s)
    np.testing.assert_array_equal(det.false_accept, fpr2)
    np.testing.assert_array_equal(det.second, fnr2)
    np.testing.assert_array_equal(det.thresholds, -thr2)


def test_verification_trials_layout():
    D = np.array([[1.0, 3.0], [4.0, 2.0], [1.0, 5.0]])
    s = MatchScores(D, np.array(["a", "b"]))
    tr = ev.verification_trials(s, ["a", "b", "b"], normalize=None)
    np.testing.assert_array_equal(tr.score, D.ravel())
    np.testing.assert_array_equal(tr.is_target, [True, False, False, True, False, True])
    with pytest.raises(ParameterError, match="expected \\(3,\\)"):
        ev.verification_trials(s, ["a"])


@pytest.mark.parametrize("call, match", [
    (lambda: ev.accuracy([1, 2], [1]), "equal length"),
    (lambda: ev.accuracy([], []), "empty"),
    (lambda: ev.equal_error_rate([True, True], [0.1, 0.2]), "both target and non-target"),
    (lambda: ev.equal_error_rate([2, 0], [0.1, 0.2]), "booleans"),
    (lambda: ev.equal_error_rate([True, False], [0.1, np.nan]), "NaN"),
    (lambda: ev.roc_points([True, False], [0.1]), "equal length"),
])
def test_errors(call, match):
    with pytest.raises(ParameterError, match=match):
        call()
