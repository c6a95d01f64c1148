"""Correlation, Mahalanobis and city-block codebooks against independent oracles."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.spatial.distance import cdist
from scipy.stats import zscore

from vqtoolkit import Codebook, ParameterError, Whitener, load
from vqtoolkit.metric_spaces import MahalanobisSpace
from vqtoolkit.spaces import get_space


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.RandomState(3)
    centres = rng.randn(4, 6) * 4
    X = np.vstack([c + rng.randn(60, 6) @ np.diag([1, 2, 0.5, 1, 3, 1]) for c in centres])
    return X


def _spherical_kmeans(Z, C, n_iter=300):
    """Textbook spherical k-means on unit rows (plain NumPy, independent of the kernels)."""
    for _ in range(n_iter):
        labels = np.argmax(Z @ C.T, axis=1)
        S = np.vstack([Z[labels == j].sum(0) for j in range(C.shape[0])])
        newC = S / np.linalg.norm(S, axis=1, keepdims=True)
        if np.allclose(newC, C, atol=1e-14):
            break
        C = newC
    return C, np.argmax(Z @ C.T, axis=1)


def test_metrics_registered():
    for name in ("correlation", "mahalanobis", "cityblock"):
        assert get_space(name).name == name


def test_correlation_equals_euclidean_on_zscored_rows(blobs):
    X = blobs
    d = X.shape[1]
    cb = Codebook(4, metric="correlation", random_state=0, tol=0).fit(X)
    Z = zscore(X, axis=1)  # each row: mean 0, std 1, length sqrt(d)
    C = cb.whitened_codebook_ * np.sqrt(d)  # codewords on the same sphere as the z-scored rows
    # assignment: nearest codeword by plain Euclidean distance between z-scored rows
    np.testing.assert_array_equal(cb.labels_, np.argmin(cdist(Z, C, "sqeuclidean"), axis=1))
    # update: every codeword is the (sphere-projected) mean of its z-scored members
    for j in range(4):
        m = Z[cb.labels_ == j].mean(0)
        np.testing.assert_allclose(C[j], m / np.linalg.norm(m) * np.sqrt(d), atol=1e-10)
    # and an independent spherical k-means on z-scored rows reaches the same fixed point
    C_ref, labels_ref = _spherical_kmeans(Z / np.sqrt(d), cb.whitened_codebook_)
    np.testing.assert_array_equal(labels_ref, cb.labels_)
    # transform: squared distance = 2 (1 - Pearson r)
    r = np.corrcoef(np.vstack([X[:5], cb.codebook_]))[:5, 5:]
    np.testing.assert_allclose(cb.transform(X[:5]) ** 2, 2 * (1 - r), atol=1e-10)
    mean_r = np.mean([np.corrcoef(x, cb.codebook_[c])[0, 1] for x, c in zip(X, cb.labels_)])
    assert cb.distortion_ == pytest.approx(2 * (1 - mean_r), rel=1e-10)


def test_mahalanobis_equals_zca_kmeans(blobs):
    X = blobs @ np.array([[1, 0.5, 0, 0, 0, 0]] + np.eye(6)[1:].tolist())  # correlated features
    cb = Codebook(4, metric="mahalanobis", random_state=0, tol=0).fit(X)
    zca = Whitener("zca").fit(X)
    ref = Codebook(4, random_state=0, tol=0).fit(zca.transform(X))
    np.testing.assert_array_equal(cb.labels_, ref.labels_)
    np.testing.assert_allclose(cb.codebook_, zca.inverse_transform(ref.codebook_), atol=1e-9)
    assert cb.distortion_ == pytest.approx(ref.distortion_, rel=1e-9)
    # codewords in original units are the plain means of their members (exact update)
    for j in range(4):
        np.testing.assert_allclose(cb.codebook_[j], X[cb.labels_ == j].mean(0), atol=1e-9)
    # distances are Mahalanobis distances with the data's covariance (scipy as oracle)
    VI = np.linalg.inv(np.cov(X.T, bias=True))
    np.testing.assert_allclose(cb.transform(X[:7]), cdist(X[:7], cb.codebook_, "mahalanobis", VI=VI),
                               rtol=1e-8)


def test_mahalanobis_given_covariance_and_file_roundtrip(blobs, tmp_path):
    X = blobs
    S = np.diag(np.arange(1.0, 7.0))
    cb = Codebook(3, metric=MahalanobisSpace(cov=S), random_state=1).fit(X)
    VI = np.linalg.inv(S)
    np.testing.assert_allclose(cb.transform(X[:9]), cdist(X[:9], cb.codebook_, "mahalanobis", VI=VI),
                               rtol=1e-8)
    back = load(cb.save(tmp_path / "maha.npz"))
    assert back.metric == "mahalanobis"
    np.testing.assert_array_equal(back.predict(X), cb.predict(X))
    np.testing.assert_allclose(back.transform(X[:9]), cb.transform(X[:9]), rtol=1e-12)


def test_cityblock_codewords_are_medians(blobs):
    X = blobs.astype(np.float32)
    cb = Codebook(4, metric="cityblock", random_state=0, tol=0).fit(X)
    assert cb.codebook_.dtype == np.float32
    for j in range(4):
        np.testing.assert_allclose(cb.codebook_[j], np.median(X[cb.labels_ == j], axis=0), rtol=1e-6)
    D = cdist(X.astype(np.float64), cb.codebook_.astype(np.float64), "cityblock")
    np.testing.assert_array_equal(cb.labels_, np.argmin(D, axis=1))
    np.testing.assert_allclose(cb.transform(X[:5]), D[:5], rtol=1e-5)
    q = cb.quantize(X)
    np.testing.assert_allclose(q.distances, D.min(1), rtol=1e-5)
    assert cb.distortion_ == pytest.approx(D.min(1).mean(), rel=1e-5)


def test_errors():
    X = sp.random(20, 5, density=0.5, format="csr", random_state=0)
    for metric in ("correlation", "mahalanobis", "cityblock"):
        with pytest.raises(ParameterError, match=f"metric='{metric}' needs dense input"):
            Codebook(2, metric=metric).fit(X)
    Xd = np.random.RandomState(0).randn(20, 3)
    with pytest.raises(ParameterError, match=r"cov has shape \(2, 2\); expected"):
        Codebook(2, metric=MahalanobisSpace(cov=np.eye(2))).fit(Xd)
    with pytest.raises(ParameterError, match="positive definite"):
        Codebook(2, metric=MahalanobisSpace(cov=np.diag([1.0, 0.0, 1.0]))).fit(Xd)
    with pytest.raises(ParameterError, match="symmetric"):
        Codebook(2, metric=MahalanobisSpace(cov=np.triu(np.ones((3, 3))))).fit(Xd)
    with pytest.raises(ParameterError, match="metric='manhattan' is not one of"):
        Codebook(2, metric="manhattan").fit(Xd)
