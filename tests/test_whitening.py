"""Whitener: oracle (scipy's whiten), exact inverses (hypothesis), constant features, sparse input."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.cluster.vq import whiten as scipy_whiten
from scipy.spatial.distance import mahalanobis

from vqtoolkit import NotFittedError, ParameterError, Whitener
from vqtoolkit.whitening import METHODS


def _data(seed=0, n=200, d=4, dtype=np.float64):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(d, d))
    return (rng.normal(size=(n, d)) @ A + rng.normal(size=d) * 10).astype(dtype)


def test_scale_equals_scipy_whiten():
    X = _data()
    np.testing.assert_allclose(Whitener("scale").fit_transform(X), scipy_whiten(X), rtol=1e-12)


def test_standard_centres_and_scales():
    X = _data()
    Z = Whitener("standard").fit_transform(X)
    np.testing.assert_allclose(Z.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(0), 1, rtol=1e-12)


@pytest.mark.parametrize("method", ["pca", "zca"])
def test_full_whitening_gives_identity_covariance(method):
    X = _data(d=5)
    Z = Whitener(method).fit_transform(X)
    np.testing.assert_allclose(np.cov(Z, rowvar=False, bias=True), np.eye(5), atol=1e-8)


@pytest.mark.parametrize("method", ["pca", "zca"])
def test_euclidean_after_full_whitening_is_mahalanobis_before(method):
    X = _data(d=3)
    wh = Whitener(method, eps=0).fit(X)
    VI = np.linalg.inv(np.cov(X, rowvar=False, bias=True))
    Z = wh.transform(X[:5])
    for i in range(4):
        assert np.linalg.norm(Z[i] - Z[i + 1]) == pytest.approx(mahalanobis(X[i], X[i + 1], VI),
                                                                  rel=1e-8)


def test_zca_is_symmetric_and_pca_is_rotated_zca():
    X = _data(d=4)
    Wz = Whitener("zca").fit(X).components_
    Wp = Whitener("pca").fit(X).components_
    np.testing.assert_allclose(Wz, Wz.T, atol=1e-12)
    # ZCA = PCA followed by a rotation back: Wz = Wp @ V^T with V orthogonal
    R = np.linalg.solve(Wp, Wz)
    np.testing.assert_allclose(R @ R.T, np.eye(4), atol=1e-8)


finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(
    X=arrays(np.float64, st.tuples(st.integers(3, 30), st.integers(1, 5)), elements=finite),
    method=st.sampled_from(METHODS),
)
def test_inverse_transform_round_trip(X, method):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # constant columns are allowed here
        wh = Whitener(method).fit(X)
    back = wh.inverse_transform(wh.transform(X))
    scale = max(1.0, np.abs(X).max())
    np.testing.assert_allclose(back, X, rtol=1e-6, atol=1e-6 * scale)


def test_float32_stays_float32():
    X = _data(dtype=np.float32)
    for method in METHODS:
        wh = Whitener(method).fit(X)
        assert wh.transform(X).dtype == np.float32
        assert wh.inverse_transform(wh.transform(X)).dtype == np.float32


def test_constant_feature_scale_one_with_warning():
    X = _data()
    X[:, 1] = 7.0
    with pytest.warns(UserWarning, match=r"1 constant feature\(s\) \(columns \[1\]\)"):
        wh = Whitener("standard").fit(X)
    assert wh.scale_[1] == 1.0
    Z = wh.transform(X)
    assert np.all(np.isfinite(Z))
    np.testing.assert_allclose(Z[:, 1], 0.0)
    np.testing.assert_allclose(wh.inverse_transform(Z), X, rtol=1e-12)


def test_singular_covariance_is_regularised_with_warning():
    X = _data(d=3)
    X[:, 2] = X[:, 0] + X[:, 1]  # rank 2
    with pytest.warns(UserWarning, match="singular"):
        wh = Whitener("zca").fit(X)
    assert np.all(np.isfinite(wh.components_))
    np.testing.assert_allclose(wh.inverse_transform(wh.transform(X)), X, rtol=1e-6, atol=1e-6)


def test_weighted_equals_repeated():
    X = _data(n=50)
    w = np.random.default_rng(1).integers(0, 4, size=50)
    Xr = np.repeat(X, w, axis=0)
    for method in METHODS:
        a = Whitener(method).fit(X, sample_weight=w)
        b = Whitener(method).fit(Xr)
        np.testing.assert_allclose(a.components_, b.components_, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(a.mean_, b.mean_, rtol=1e-9, atol=1e-9)


def test_sparse_scale_keeps_csr_and_matches_dense():
    rng = np.random.default_rng(0)
    D = rng.random((40, 6)) * (rng.random((40, 6)) < 0.3)
    S = sp.csr_matrix(D)
    wh = Whitener("scale").fit(S)
    Z = wh.transform(S)
    assert sp.isspmatrix_csr(Z) or isinstance(Z, sp.csr_array)
    np.testing.assert_allclose(Z.toarray(), Whitener("scale").fit_transform(D), rtol=1e-12)
    np.testing.assert_allclose(wh.inverse_transform(Z).toarray(), D, rtol=1e-12)


@pytest.mark.parametrize("method", ["standard", "pca", "zca"])
def test_centring_methods_refuse_sparse(method):
    S = sp.random(10, 4, density=0.5, format="csr", random_state=0)
    with pytest.raises(ParameterError, match=f"method='{method}' centres the data"):
        Whitener(method).fit(S)


def test_errors():
    with pytest.raises(ParameterError, match="method='nope' is not one of"):
        Whitener("nope").fit(_data())
    with pytest.raises(ParameterError, match="eps=-1 must be a non-negative number"):
        Whitener("pca", eps=-1).fit(_data())
    with pytest.raises(NotFittedError, match="not fitted yet"):
        Whitener().transform(_data())
    wh = Whitener().fit(_data(d=4))
    with pytest.raises(ParameterError, match="X has 3 features"):
        wh.transform(_data(d=3))
    with pytest.raises(ParameterError, match="NaN or infinite"):
        Whitener().fit(np.array([[1.0, np.nan], [2.0, 3.0]]))
