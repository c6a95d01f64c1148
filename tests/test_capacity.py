"""Capacitated codebooks: exact assignment steps against brute force and linear_sum_assignment."""

from __future__ import annotations

from itertools import product

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

from vqtoolkit import CapacitatedCodebook, InfeasibleError, ParameterError
from vqtoolkit.capacity import capacitated_assignment


def _brute_force(cost, q, Q):
    n, k = cost.shape
    best = np.inf
    for lab in product(range(k), repeat=n):
        lab = np.array(lab)
        if (np.bincount(lab, weights=q, minlength=k) <= Q).all():
            best = min(best, cost[np.arange(n), lab].sum())
    return best


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_assignment_with_demands_matches_brute_force(seed):
    rng = np.random.RandomState(seed)
    cost = rng.rand(8, 3) * 10
    q = rng.randint(1, 6, size=8).astype(float)
    Q = np.array([q.sum() * 0.4, q.sum() * 0.35, q.sum() * 0.3]).round()
    res = capacitated_assignment(cost, q, Q, mip_gap=0.0)
    assert res.cost == pytest.approx(_brute_force(cost, q, Q), rel=1e-9)
    assert (np.bincount(res.labels, weights=q, minlength=3) <= Q).all()
    assert res.lower_bound <= res.cost + 1e-9


def test_unit_demands_exact_against_linear_sum_assignment():
    rng = np.random.RandomState(4)
    cost = rng.rand(60, 4)
    sizes = np.array([20, 15, 15, 12])
    res = capacitated_assignment(cost, np.ones(60), sizes)
    slots = np.repeat(np.arange(4), sizes)  # one column per seat in a cluster
    r, c = linear_sum_assignment(cost[:, slots])
    assert res.method == "transportation" and res.gap == 0.0
    assert res.cost == pytest.approx(cost[r, slots[c]].sum(), rel=1e-12)
    assert (np.bincount(res.labels, minlength=4) <= sizes).all()


def test_codebook_respects_capacities_and_min_sizes():
    rng = np.random.RandomState(0)
    X = np.vstack([rng.randn(100, 2), rng.randn(20, 2) + 6])  # unbalanced blobs
    cb = CapacitatedCodebook(3, 50, min_load=30, random_state=0).fit(X)
    assert ((cb.counts_ >= 30) & (cb.counts_ <= 50)).all()
    np.testing.assert_array_equal(cb.counts_, np.bincount(cb.labels_, minlength=3))
    for j in range(3):  # codewords are the means of their members
        np.testing.assert_allclose(cb.codebook_[j], X[cb.labels_ == j].mean(0), atol=1e-10)
    d2 = cdist(X, cb.codebook_, "sqeuclidean")
    assert cb.distortion_ == pytest.approx(d2[np.arange(len(X)), cb.labels_].mean(), rel=1e-10)
    assert cb.optimality_gap_ == 0.0
    # the final assignment is optimal for the final codewords (oracle: seats + Hungarian)
    best = capacitated_assignment(d2, np.ones(len(X)), np.full(3, 50), min_load=np.full(3, 30))
    assert best.cost / len(X) == pytest.approx(cb.distortion_, rel=1e-9)


def test_codebook_with_demands_never_exceeds_capacity():
    rng = np.random.RandomState(1)
    X = rng.rand(200, 2) * 100
    q = rng.randint(1, 20, size=200)
    cap = np.full(5, np.ceil(q.sum() / 5 * 1.05))
    cb = CapacitatedCodebook(5, cap, demand=q, random_state=0).fit(X)
    np.testing.assert_allclose(cb.loads_, np.bincount(cb.labels_, weights=q, minlength=5))
    assert (cb.loads_ <= cap).all()
    assert 0 <= cb.optimality_gap_ <= cb.mip_gap
    assert cb.predict(X).shape == (200,) and cb.transform(X).shape == (200, 5)


def test_infeasible_and_bad_parameters():
    X = np.random.RandomState(0).rand(10, 2)
    with pytest.raises(InfeasibleError, match="total demand 10 is above the total capacity 9"):
        CapacitatedCodebook(3, 3).fit(X)
    with pytest.raises(InfeasibleError, match=r"observation 4 has demand 9, above .* \(largest 8.5\)"):
        CapacitatedCodebook(3, 8.5, demand=[1, 1, 1, 1, 9, 1, 1, 1, 1, 0.5]).fit(X)
    with pytest.raises(InfeasibleError, match="min_load 6 of cluster 0 is above its capacity 5"):
        CapacitatedCodebook(2, 5, min_load=6).fit(X)
    with pytest.raises(InfeasibleError, match="minimum loads add up to 12, above the total demand 10"):
        CapacitatedCodebook(3, 10, min_load=4).fit(X)
    with pytest.raises(InfeasibleError, match="do not fit: the capacities hold at most 9"):
        CapacitatedCodebook(3, 3.5).fit(X)
    with pytest.raises(ParameterError, match=r"demand has shape \(3,\); expected \(10,\)"):
        CapacitatedCodebook(2, 8, demand=[1, 2, 3]).fit(X)
    with pytest.raises(ParameterError, match="demand must be finite and positive"):
        CapacitatedCodebook(2, 8, demand=np.zeros(10)).fit(X)
    with pytest.raises(ParameterError, match=r"capacity has shape \(3,\); expected a number or \(2,\)"):
        CapacitatedCodebook(2, [5, 5, 5]).fit(X)
    with pytest.raises(ParameterError, match="n_codewords=11 is larger than n_samples=10"):
        CapacitatedCodebook(11, 5).fit(X)
