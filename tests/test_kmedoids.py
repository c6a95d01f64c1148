"""KMedoids against brute force, a textbook PAM and the kmedoids package's own estimator."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.base import clone

from vqtoolkit import KMedoids, ParameterError


@pytest.fixture(scope="module")
def small():
    rng = np.random.RandomState(0)
    return np.vstack([c + rng.randn(5, 2) for c in ([0, 0], [6, 0], [0, 6])])  # 15 x 2


def _loss(D, med):
    return D[:, list(med)].min(axis=1).sum()


def _textbook_pam(D, med):
    """Kaufman & Rousseeuw SWAP: apply the best improving (medoid, non-medoid) swap until none."""
    med = list(med)
    best = _loss(D, med)
    while True:
        cand = None
        for i in range(len(med)):
            for h in range(D.shape[0]):
                if h in med:
                    continue
                trial = med[:i] + [h] + med[i + 1:]
                t = _loss(D, trial)
                if t < best - 1e-12:
                    best, cand = t, trial
        if cand is None:
            return sorted(med), best
        med = cand


@pytest.mark.parametrize("method", ["fasterpam", "pam"])
def test_reaches_brute_force_optimum(small, method):
    D = cdist(small, small)
    opt = min(combinations(range(len(small)), 3), key=lambda m: _loss(D, m))
    km = KMedoids(3, method=method, random_state=0).fit(small)
    assert km.inertia_ == pytest.approx(_loss(D, opt), rel=1e-12)
    assert km.medoid_indices_.tolist() == sorted(opt)
    np.testing.assert_array_equal(km.labels_, np.argmin(D[:, km.medoid_indices_], axis=1))
    np.testing.assert_array_equal(km.cluster_centers_, small[km.medoid_indices_])


def test_pam_equals_textbook_pam_from_same_start():
    rng = np.random.RandomState(5)
    X = rng.rand(25, 3)  # no cluster structure: many local optima
    D = cdist(X, X, "cityblock")
    for start in ([0, 1, 2, 3], [3, 9, 17, 24]):
        ref_med, ref_loss = _textbook_pam(D, start)
        km = KMedoids(4, metric="precomputed", method="pam", init=np.array(start)).fit(D)
        assert km.inertia_ == pytest.approx(ref_loss, rel=1e-12)
        assert km.medoid_indices_.tolist() == ref_med


def test_precomputed_agrees_with_reference_package():
    import kmedoids

    rng = np.random.RandomState(1)
    X = np.vstack([c + rng.randn(40, 4) for c in rng.randn(5, 4) * 5])
    D = cdist(X, X, "cosine")
    ref = kmedoids.KMedoids(5, metric="precomputed", method="pam", init="build").fit(D)
    km = KMedoids(5, metric="precomputed", method="pam").fit(D)
    assert km.inertia_ == pytest.approx(ref.inertia_, rel=1e-10)
    assert km.medoid_indices_.tolist() == sorted(ref.medoid_indices_.tolist())
    fast = KMedoids(5, metric="precomputed", random_state=0).fit(D)
    assert fast.inertia_ <= ref.inertia_ * 1.01
    # predict with precomputed: dissimilarities to the training rows
    np.testing.assert_array_equal(fast.predict(D[:10]), fast.labels_[:10])
    assert not hasattr(fast, "cluster_centers_")


def test_callable_equals_name_and_alternate_is_a_fixed_point(small):
    by_name = KMedoids(3, metric="cityblock", random_state=0).fit(small)
    by_callable = KMedoids(3, metric=lambda u, v: np.abs(u - v).sum(), random_state=0).fit(small)
    np.testing.assert_array_equal(by_name.medoid_indices_, by_callable.medoid_indices_)
    np.testing.assert_allclose(by_name.transform(small), cdist(small, by_name.cluster_centers_, "cityblock"))
    alt = KMedoids(3, method="alternate", init="random", random_state=2).fit(small)
    D = cdist(small, small)
    for j, m in enumerate(alt.medoid_indices_):  # each medoid is its cluster's medoid
        members = np.flatnonzero(alt.labels_ == j)
        assert D[np.ix_(members, members)].sum(1).min() == pytest.approx(D[m, members].sum())
    assert clone(by_name).get_params() == by_name.get_params()


def test_errors(small):
    with pytest.raises(ParameterError, match="method='clara' is not one of"):
        KMedoids(2, method="clara").fit(small)
    with pytest.raises(ParameterError, match="n_clusters=20 is larger than n_samples=15"):
        KMedoids(20).fit(small)
    with pytest.raises(ParameterError, match=r"square dissimilarity matrix; got shape \(15, 2\)"):
        KMedoids(2, metric="precomputed").fit(small)
    with pytest.raises(ParameterError, match="negative entries"):
        KMedoids(2, metric="precomputed").fit(-np.ones((4, 4)))
    with pytest.raises(ParameterError, match="metric='nope' is not 'precomputed'"):
        KMedoids(2, metric="nope").fit(small)
    with pytest.raises(ParameterError, match="init must be 2 distinct row indices"):
        KMedoids(2, init=np.array([1, 1])).fit(small)
    with pytest.raises(ParameterError, match="init='kpp' is not one of"):
        KMedoids(2, init="kpp").fit(small)
