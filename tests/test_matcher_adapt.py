"""Matcher speaker adaptation (``score(X, adapt='affine')``) against a brute-force reference."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import lstsq
from scipy.spatial.distance import cdist

from vqtoolkit import Matcher
from vqtoolkit.errors import ParameterError


def _classes(rng, n_classes=4, n_parts=3, dim=3):
    """Each class: a mixture of ``n_parts`` well separated Gaussian blobs."""
    return {f"w{c}": rng.uniform(-6, 6, size=(n_parts, dim)) for c in range(n_classes)}


def _utterances(rng, centres, n_per_class, transform=None):
    utts, y = [], []
    for label, parts in centres.items():
        for _ in range(n_per_class):
            idx = rng.integers(0, parts.shape[0], size=int(rng.integers(20, 30)))
            u = parts[idx] + rng.normal(0, 0.4, size=(idx.size, parts.shape[1]))
            if transform is not None:
                u = u @ transform[0] + transform[1]
            utts.append(u)
            y.append(label)
    return utts, np.array(y)


def _reference(m, utts, n_iter):
    """Decision-directed least squares written out with cdist (the oracle)."""
    W = m.whitener_
    X = np.concatenate([W.transform(u) for u in utts])
    lens = [u.shape[0] for u in utts]
    books = [cb.codebook_ for cb in m.codebooks_]
    p = X.shape[1]
    A, b = np.eye(p), np.zeros(p)
    for _ in range(n_iter):
        mapped = [C @ A + b for C in books]
        src, pos = [], 0
        for n in lens:
            x = X[pos:pos + n]
            best = int(np.argmin([cdist(x, C, "sqeuclidean").min(axis=1).mean() for C in mapped]))
            src.append(books[best][cdist(x, mapped[best], "sqeuclidean").argmin(axis=1)])
            pos += n
        Z = np.c_[np.concatenate(src), np.ones(X.shape[0])]
        Wt = lstsq(Z, X)[0]
        A, b = Wt[:p], Wt[p]
    D = np.array([[cdist(W.transform(u), C @ A + b, "sqeuclidean").min(axis=1).mean() for C in books]
                  for u in utts])
    return A, b, D


@pytest.mark.parametrize("n_iter", [1, 3])
def test_affine_adaptation_equals_brute_force(n_iter):
    rng = np.random.default_rng(0)
    centres = _classes(rng)
    utts, y = _utterances(rng, centres, 6)
    m = Matcher(n_codewords=3, random_state=0).fit(utts, y)
    M = np.array([[1.2, 0.2, 0.0], [-0.1, 0.9, 0.1], [0.0, 0.1, 1.1]])
    test, _ = _utterances(rng, centres, 3, (M, np.array([0.8, -0.5, 0.3])))
    s = m.score(test, adapt="affine", adapt_iter=n_iter, per_frame=True)
    A, b, D = _reference(m, test, n_iter)
    np.testing.assert_allclose(s.transform[0], A, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(s.transform[1], b, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(s.distortion, D, rtol=1e-7)
    np.testing.assert_allclose([f.mean(axis=0) for f in s.frame_distances], D, rtol=1e-7)


def test_adaptation_recovers_a_new_speaker():
    rng = np.random.default_rng(0)
    centres = _classes(rng, n_classes=5)
    utts, y = _utterances(rng, centres, 8)
    m = Matcher(n_codewords=3, random_state=0).fit(utts, y)
    # the "new speaker": every frame stretched, turned and shifted
    theta = 0.8
    R = np.array([[np.cos(theta), -np.sin(theta), 0], [np.sin(theta), np.cos(theta), 0], [0, 0, 1]])
    test, y_test = _utterances(rng, centres, 10, (1.5 * R, np.array([2.0, -4 / 3, 4 / 3])))
    plain = m.score(test)
    adapted = m.score(test, adapt="affine")
    assert plain.transform is None
    assert np.mean(plain.predict() == y_test) < 1.0
    assert np.mean(adapted.predict() == y_test) == 1.0
    assert (m.predict(test, adapt="affine") == adapted.predict()).all()
    # the adapted codebooks fit the new frames better than the originals
    assert adapted.distortion.min(axis=1).mean() < plain.distortion.min(axis=1).mean()


def test_no_adaptation_is_the_plain_score():
    rng = np.random.default_rng(2)
    utts, y = _utterances(rng, _classes(rng), 4)
    m = Matcher(n_codewords=3, random_state=0).fit(utts, y)
    np.testing.assert_array_equal(m.score(utts, adapt=None).distortion, m.score(utts).distortion)


def test_adaptation_errors():
    rng = np.random.default_rng(3)
    utts, y = _utterances(rng, _classes(rng), 4)
    m = Matcher(n_codewords=3, random_state=0).fit(utts, y)
    with pytest.raises(ParameterError, match=r"adapt='mllr' is not one of \(None, 'affine'\)"):
        m.score(utts, adapt="mllr")
    with pytest.raises(ParameterError, match="adapt_iter=0 must be an integer >= 1"):
        m.score(utts, adapt="affine", adapt_iter=0)
    with pytest.raises(ParameterError, match=r"needs more than n_features \+ 1 = 4 frames.*got 3"):
        m.score([utts[0][:3]], adapt="affine")
    with pytest.raises(ParameterError, match="adapt='nope'"):
        m.predict(utts, adapt="nope")
