"""Column moments added block by block, and whiteners fitted from moments."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from vqtoolkit import ParameterError, Whitener
from vqtoolkit.moments import block_moments


def _data(n=300, d=4, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + rng.uniform(-50, 50, size=d)
    return X, rng.uniform(0, 3, size=n)


@settings(max_examples=30, deadline=None)
@given(cuts=st.lists(st.integers(1, 299), max_size=5, unique=True), weighted=st.booleans(),
       order=st.sampled_from(["mean", "var", "cov"]))
def test_blocks_add_up_to_the_whole(cuts, weighted, order):
    X, w = _data()
    w = w if weighted else None
    edges = [0, *sorted(cuts), X.shape[0]]
    parts = [block_moments(X[a:b], None if w is None else w[a:b], order)
             for a, b in zip(edges[:-1], edges[1:])]
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    ww = np.ones(X.shape[0]) if w is None else w
    mean = ww @ X / ww.sum()
    np.testing.assert_allclose(total.weight, ww.sum())
    np.testing.assert_allclose(total.mean, mean, rtol=1e-12, atol=1e-9)
    if order == "var":
        np.testing.assert_allclose(total.var, ww @ (X - mean) ** 2 / ww.sum(), rtol=1e-9)
    if order == "cov":
        np.testing.assert_allclose(total.cov, np.cov(X.T, aweights=ww, bias=True), rtol=1e-9,
                                   atol=1e-9)


def test_sparse_blocks_and_bad_values_are_counted():
    X, w = _data(n=50)
    X[X < 0] = 0
    for order in ("var", "cov"):
        dense, sparse = block_moments(X, w, order), block_moments(sp.csr_matrix(X), w, order)
        np.testing.assert_allclose(sparse.mean, dense.mean, rtol=1e-12)
        np.testing.assert_allclose(sparse.m2, dense.m2, rtol=1e-8, atol=1e-8)
    X[3, 1] = np.nan
    X[4, 0] = np.inf
    w[7] = -1
    m = block_moments(X, w, "var")
    assert (m.n_bad, m.n_bad_weights) == (2, 1)


@pytest.mark.parametrize("method", ["scale", "standard", "pca", "zca"])
def test_whitener_from_moments_equals_fit(method):
    X, w = _data()
    ref = Whitener(method).fit(X, sample_weight=w)
    ww = w / w.sum()
    mean = ww @ X
    cov = (X - mean).T @ ((X - mean) * ww[:, None])
    got = Whitener(method).fit_moments(mean, cov if method in ("pca", "zca") else np.diag(cov))
    for attr in ("mean_", "scale_", "components_", "inverse_components_", "explained_variance_"):
        np.testing.assert_allclose(getattr(got, attr), getattr(ref, attr), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got.transform(X), ref.transform(X), rtol=1e-9, atol=1e-9)


def test_whitener_from_moments_errors():
    with pytest.raises(ParameterError, match="needs the full covariance, not variances"):
        Whitener("zca").fit_moments(np.zeros(3), np.ones(3))
    with pytest.raises(ParameterError, match=r"got \(3,\) and \(2, 2\)"):
        Whitener("standard").fit_moments(np.zeros(3), np.eye(2))
    with pytest.raises(ParameterError, match="finite mean"):
        Whitener("standard").fit_moments(np.array([0.0, np.nan]), np.ones(2))
    with pytest.warns(UserWarning, match="constant feature"):
        Whitener("standard").fit_moments(np.zeros(2), np.array([1.0, 0.0]))
