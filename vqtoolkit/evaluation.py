"""Evaluation of matchers: identification accuracy, confusion, per-class report, verification.

Identification (which class?) is measured with :func:`accuracy`,
:func:`confusion_matrix` and :func:`per_class_report` (scikit-learn metrics
underneath). Verification (is this utterance of the class it claims?) is
measured on *trials*: :func:`verification_trials` turns a
:class:`~vqtoolkit.matcher.MatchScores` and the true labels into one trial per
(utterance, class) pair, target when the class is the utterance's own.
:func:`equal_error_rate` finds the threshold where the false-accept rate
equals the false-reject rate; :func:`roc_points` and :func:`det_points` give
the curves (:func:`sklearn.metrics.roc_curve`, :func:`sklearn.metrics.det_curve`).

Scores follow the matcher: a *lower* normalised distortion means a better
match, so trial scores are passed with ``lower_is_target=True`` (the default).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn import metrics as skm

from .errors import ParameterError

__all__ = [
    "accuracy",
    "confusion_matrix",
    "per_class_report",
    "Confusion",
    "Trials",
    "EER",
    "Curve",
    "verification_trials",
    "equal_error_rate",
    "roc_points",
    "det_points",
]


@dataclass(frozen=True)
class Confusion:
    """A confusion matrix with its labels.

    Attributes
    ----------
    counts : ndarray of shape (n_labels, n_labels), int64
        ``counts[i, j]``: utterances of class ``labels[i]`` predicted as ``labels[j]``.
    labels : ndarray of shape (n_labels,)
    """

    counts: np.ndarray
    labels: np.ndarray

    def normalized(self) -> np.ndarray:
        """Rows divided by their totals (recall per class on the diagonal); empty rows stay 0."""
        tot = self.counts.sum(axis=1, keepdims=True)
        return np.divide(self.counts, tot, out=np.zeros(self.counts.shape), where=tot > 0)

    def to_dict(self) -> dict:
        """JSON-ready ``{"labels": [...], "counts": [[...], ...]}``."""
        return {"labels": [_py(v) for v in self.labels], "counts": self.counts.tolist()}


@dataclass(frozen=True)
class Trials:
    """Verification trials: one per (utterance, claimed class) pair.

    Attributes
    ----------
    score : ndarray of shape (n_trials,), float64
        Normalised distortion of the utterance against the claimed class.
    is_target : ndarray of shape (n_trials,), bool
        True when the claimed class is the utterance's own.
    """

    score: np.ndarray
    is_target: np.ndarray


@dataclass(frozen=True)
class EER:
    """Equal error rate and the threshold where it is reached.

    Attributes
    ----------
    eer : float
        Rate at which false accepts and false rejects are equal (interpolated
        linearly between the two operating points that bracket equality).
    threshold : float
        Score threshold of that operating point.
    """

    eer: float
    threshold: float


@dataclass(frozen=True)
class Curve:
    """Points of a ROC or DET curve, one per distinct threshold.

    Attributes
    ----------
    false_accept : ndarray of shape (n_points,)
        False-accept (false-positive) rate.
    second : ndarray of shape (n_points,)
        True-accept rate for ROC, false-reject rate for DET.
    thresholds : ndarray of shape (n_points,)
        Score thresholds, in the caller's score units.
    """

    false_accept: np.ndarray
    second: np.ndarray
    thresholds: np.ndarray


def accuracy(y_true, y_pred) -> float:
    """Fraction of correct predictions (:func:`sklearn.metrics.accuracy_score`)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float(skm.accuracy_score(y_true, y_pred))


def confusion_matrix(y_true, y_pred, *, labels=None) -> Confusion:
    """Confusion matrix (rows: true class, columns: predicted class).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
    labels : array-like, optional
        Row/column order; default the sorted union of both.

    Returns
    -------
    Confusion
    """
    y_true, y_pred = _pair(y_true, y_pred)
    labels = np.unique(np.concatenate([y_true, y_pred])) if labels is None else np.asarray(labels)
    counts = skm.confusion_matrix(y_true, y_pred, labels=labels).astype(np.int64)
    return Confusion(counts, labels)


def per_class_report(y_true, y_pred) -> dict:
    """Precision, recall, F1 and support of every class, plus averages.

    Returns
    -------
    dict
        ``{label: {"precision", "recall", "f1-score", "support"}, "accuracy": float,
        "macro avg": {...}, "weighted avg": {...}}`` with string keys
        (:func:`sklearn.metrics.classification_report` with ``output_dict=True``).
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return skm.classification_report(y_true, y_pred, output_dict=True, zero_division=0)


def verification_trials(scores, y_true, *, normalize="cohort") -> Trials:
    """Every (utterance, class) pair of a score matrix as a verification trial.

    Parameters
    ----------
    scores : MatchScores
        From :meth:`vqtoolkit.Matcher.score`.
    y_true : array-like of shape (n_utterances,)
        True class of each utterance.
    normalize : {None, 'min', 'cohort', 'zscore'}
        Score normalisation, see :meth:`vqtoolkit.matcher.MatchScores.normalized`.

    Returns
    -------
    Trials
        ``n_utterances * n_classes`` trials, utterance-major.
    """
    y_true = np.asarray(y_true)
    n, c = scores.distortion.shape
    if y_true.shape != (n,):
        raise ParameterError(f"y_true has shape {y_true.shape}; expected ({n},) to match the scores")
    S = scores.normalized(normalize)
    target = y_true.astype(str)[:, None] == scores.classes.astype(str)[None, :]
    return Trials(S.ravel(), target.ravel())


def equal_error_rate(is_target, score, *, lower_is_target=True) -> EER:
    """Equal error rate of a set of verification trials.

    Parameters
    ----------
    is_target : array-like of shape (n_trials,), bool
    score : array-like of shape (n_trials,)
    lower_is_target : bool, default=True
        True for distortions (accept when ``score <= threshold``); False for
        similarities (accept when ``score >= threshold``).

    Returns
    -------
    EER
    """
    far, frr, thr = _rates(is_target, score, lower_is_target)
    diff = far - frr  # from the strictest threshold: far rises from 0, frr falls to 0
    i = int(np.flatnonzero(diff >= 0)[0])
    if i == 0 or diff[i] == 0:
        return EER(float((far[i] + frr[i]) / 2), float(thr[i]))
    # interpolate between points i-1 (far < frr) and i (far > frr)
    a = -diff[i - 1] / (diff[i] - diff[i - 1])
    eer = far[i - 1] + a * (far[i] - far[i - 1])
    lo = thr[i - 1] if np.isfinite(thr[i - 1]) else thr[i]
    return EER(float(eer), float(lo + a * (thr[i] - lo)))


def roc_points(is_target, score, *, lower_is_target=True) -> Curve:
    """ROC curve: false-accept rate against true-accept rate (:func:`sklearn.metrics.roc_curve`).

    Returns
    -------
    Curve
        ``second`` is the true-accept rate.
    """
    t, s, sign = _check_trials(is_target, score, lower_is_target)
    fpr, tpr, thr = skm.roc_curve(t, sign * s, drop_intermediate=False)
    return Curve(fpr, tpr, sign * thr)


def det_points(is_target, score, *, lower_is_target=True) -> Curve:
    """DET curve: false-accept rate against false-reject rate (:func:`sklearn.metrics.det_curve`).

    Returns
    -------
    Curve
        ``second`` is the false-reject rate.
    """
    t, s, sign = _check_trials(is_target, score, lower_is_target)
    fpr, fnr, thr = skm.det_curve(t, sign * s)
    return Curve(fpr, fnr, sign * thr)


# ----------------------------------------------------------------------- helpers

def _rates(is_target, score, lower_is_target):
    """False-accept and false-reject rates at every threshold, strictest first."""
    roc = roc_points(is_target, score, lower_is_target=lower_is_target)
    return roc.false_accept, 1.0 - roc.second, roc.thresholds


def _check_trials(is_target, score, lower_is_target):
    t = np.asarray(is_target)
    s = np.asarray(score, dtype=np.float64)
    if t.ndim != 1 or t.shape != s.shape:
        raise ParameterError(
            f"is_target and score must be 1-D of equal length; got {t.shape} and {s.shape}"
        )
    if t.dtype != bool:
        if not np.isin(t, (0, 1)).all():
            raise ParameterError("is_target must hold booleans (or 0/1)")
        t = t.astype(bool)
    if t.all() or not t.any():
        raise ParameterError(
            f"trials need both target and non-target trials; got {int(t.sum())} targets "
            f"of {t.size}"
        )
    if not np.isfinite(s).all():
        raise ParameterError("score contains NaN or infinite values")
    return t, s, (-1.0 if lower_is_target else 1.0)


def _pair(y_true, y_pred):
    a, b = np.asarray(y_true), np.asarray(y_pred)
    if a.ndim != 1 or a.shape != b.shape:
        raise ParameterError(
            f"y_true and y_pred must be 1-D of equal length; got {a.shape} and {b.shape}"
        )
    if a.size == 0:
        raise ParameterError("y_true and y_pred are empty")
    return a, b


def _py(v):
    return v.item() if hasattr(v, "item") else v
