"""k-means++ seeding: the pruned state against brute force, and the same choices as the plain path."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.spatial.distance import cdist

from vqtoolkit import kernels
from vqtoolkit.seeding import kmeans_plusplus


def _blobs(n=3000, d=6, k=12, dtype=np.float32, seed=0):
    rng = np.random.RandomState(seed)
    means = rng.uniform(-10, 10, size=(k, d))
    return (means[rng.randint(k, size=n)] + rng.normal(size=(n, d))).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighted", [False, True])
def test_state_equals_brute_force(dtype, weighted):
    X = _blobs(dtype=dtype)
    w = np.random.RandomState(1).uniform(0, 2, size=X.shape[0]) if weighted else None
    ww = np.ones(X.shape[0]) if w is None else w
    state = kernels.SeedingState(X, w, n_centers=10, n_threads=2)
    rng = np.random.RandomState(2)
    chosen = []
    for _ in range(10):
        c = X[rng.randint(X.shape[0])]
        cand = X[rng.randint(X.shape[0], size=5)]
        if chosen:
            near = cdist(X.astype(np.float64), np.array(chosen), "sqeuclidean").min(axis=1)
            to_cand = cdist(X.astype(np.float64), cand.astype(np.float64), "sqeuclidean")
            expect = (ww[:, None] * np.maximum(near[:, None] - to_cand, 0)).sum(axis=0)
            np.testing.assert_allclose(state.gains(cand), expect, rtol=1e-9, atol=1e-6)
        chosen.append(c.astype(np.float64))
        pot = state.add(c)
        near = cdist(X.astype(np.float64), np.array(chosen), "sqeuclidean")
        np.testing.assert_allclose(state.closest, near.min(axis=1), rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(pot, ww @ near.min(axis=1), rtol=1e-9)
        # the owner is a nearest center (ties: any of them)
        np.testing.assert_allclose(near[np.arange(X.shape[0]), state.owner], near.min(axis=1),
                                   rtol=1e-9, atol=1e-9)


def test_pruned_seeding_makes_the_plain_choices_and_ignores_threads():
    X = _blobs(n=5000, d=4, k=30, dtype=np.float64, seed=3)
    dense = kmeans_plusplus(X, 30, np.random.RandomState(0), n_threads=1)
    plain = kmeans_plusplus(sp.csr_matrix(X), 30, np.random.RandomState(0))  # the unpruned path
    np.testing.assert_array_equal(dense, plain)
    np.testing.assert_array_equal(kmeans_plusplus(X, 30, np.random.RandomState(0), n_threads=2),
                                  dense)


def test_duplicates_fill_with_rows():
    X = np.repeat(np.eye(3, dtype=np.float32), 10, axis=0)
    C = kmeans_plusplus(X, 5, np.random.RandomState(0))
    assert {tuple(r) for r in C[:3]} == {tuple(r) for r in np.eye(3)}
    assert all(any(np.array_equal(r, e) for e in np.eye(3)) for r in C)
