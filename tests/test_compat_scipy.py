"""vqtoolkit.compat.scipy against scipy.cluster.vq (the oracle) on S1 and on random data."""

import inspect
import warnings

import numpy as np
import pytest
import scipy.cluster.vq as sp_vq

from vqtoolkit import EmptyClusterError, ParameterError, quantize
from vqtoolkit.compat import scipy as vt

# the observations and codebook of scipy.cluster.vq's own tests (X, CODET1)
X_REF = np.array([[3.0, 3], [4, 3], [4, 2], [9, 2], [5, 1], [6, 2], [9, 4],
                  [5, 2], [5, 4], [7, 4], [6, 5]])
CODET1 = np.array([[3.0000, 3.0000], [6.2000, 4.0000], [5.8000, 1.8000]])


@pytest.fixture(scope="module")
def s1(require_data):
    from vqtoolkit.datasets import load_clustering

    require_data("clustering")
    return load_clustering("s1").X


def _blobs(n=3000, d=5, k=6, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=8.0, size=(k, d))
    return (centres[rng.integers(k, size=n)] + rng.normal(size=(n, d))).astype(dtype)


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scipy must meet no empty cluster for the comparison
        return fn(*args, **kwargs)


@pytest.mark.parametrize("name", ["whiten", "vq", "kmeans", "kmeans2"])
def test_signatures_are_scipys(name):
    assert inspect.signature(getattr(vt, name)) == inspect.signature(getattr(sp_vq, name))


def test_no_seed_uses_numpys_global_random_state_as_scipy():
    X = np.random.default_rng(17).normal(size=(500, 3))
    saved = np.random.get_state()  # noqa: NPY002 - the legacy global state is what is tested
    try:
        np.random.seed(21)  # noqa: NPY002 - the legacy global state is what is tested
        C, lab = vt.kmeans2(X, 5, minit="points")
        np.random.seed(21)  # noqa: NPY002 - the legacy global state is what is tested
        C_ref, lab_ref = _quiet(sp_vq.kmeans2, X, 5, minit="points")
    finally:
        np.random.set_state(saved)  # noqa: NPY002 - the legacy global state is what is tested
    np.testing.assert_allclose(C, C_ref, rtol=1e-10)
    np.testing.assert_array_equal(lab, lab_ref)


# ---------------------------------------------------------------------- vq


def test_vq_hand_computed_reference():
    code, dist = vt.vq(X_REF, CODET1)
    # (4, 3) is 1 from (3, 3) and sqrt(2.2**2 + 1) from (6.2, 4): code 0
    assert code[1] == 0 and dist[1] == pytest.approx(1.0)
    assert code[3] == 2 and dist[3] == pytest.approx(np.hypot(3.2, 0.2))
    ref_code, ref_dist = sp_vq.vq(X_REF, CODET1)
    np.testing.assert_array_equal(code, ref_code)
    np.testing.assert_allclose(dist, ref_dist, rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_vq_random_data_identical_to_scipy(dtype):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20000, 13)).astype(dtype)
    book = rng.normal(size=(64, 13)).astype(dtype)
    code, dist = vt.vq(X, book)
    ref_code, ref_dist = sp_vq.vq(X, book)
    np.testing.assert_array_equal(code, ref_code)
    assert code.dtype == ref_code.dtype == np.int32
    assert dist.dtype == ref_dist.dtype == dtype
    np.testing.assert_allclose(dist, ref_dist, rtol=2e-6 if dtype == np.float32 else 1e-13)


def test_vq_s1_identical_to_scipy(s1):
    book = s1[np.random.default_rng(2).choice(len(s1), 15, replace=False)]
    for cb in (book, book + 0.25):  # data rows as codewords (exact ties) and off-grid codewords
        code, dist = vt.vq(s1, cb)
        ref_code, ref_dist = sp_vq.vq(s1, cb)
        np.testing.assert_array_equal(code, ref_code)
        np.testing.assert_allclose(dist, ref_dist, rtol=1e-12, atol=1e-9)


def test_vq_dtype_rules_follow_scipy():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(50, 3))
    ints = (X * 10).astype(np.int64)
    for obs, book in [(X.astype(np.float32), X[:4]), (X, X[:4].astype(np.float32)),
                      (ints, ints[:4]), (X, ints[:4])]:
        code, dist = vt.vq(obs, book)
        ref_code, ref_dist = sp_vq.vq(obs, book)
        assert (code.dtype, dist.dtype) == (ref_code.dtype, ref_dist.dtype)
        np.testing.assert_array_equal(code, ref_code)
        np.testing.assert_allclose(dist, ref_dist, rtol=1e-6)


def test_vq_one_dimensional():
    x = np.random.default_rng(4).normal(size=200)
    code, dist = vt.vq(x, x[:5])
    ref_code, ref_dist = sp_vq.vq(x, x[:5])
    np.testing.assert_array_equal(code, ref_code)
    np.testing.assert_allclose(dist, ref_dist, rtol=1e-14)
    assert code.shape == dist.shape == (200,)


def test_vq_errors():
    with pytest.raises(ParameterError, match="same number of dimensions"):
        vt.vq(X_REF, CODET1[:, 0])
    with pytest.raises(ParameterError, match="same number of features"):
        vt.vq(X_REF, np.ones((3, 3)))
    bad = X_REF.copy()
    bad[2, 1] = np.nan
    with pytest.raises(ValueError):
        sp_vq.vq(bad, CODET1)
    with pytest.raises(ValueError, match="1 NaN or infinite"):
        vt.vq(bad, CODET1)
    code, dist = vt.vq(bad, CODET1, check_finite=False)  # scipy's escape hatch: no check
    assert np.isnan(dist[2]) and np.isfinite(np.delete(dist, 2)).all()


# ---------------------------------------------------------------------- whiten


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_whiten_identical_to_scipy(dtype):
    X = (np.random.default_rng(5).normal(size=(500, 4)) * [1, 10, 100, 0.1] * 10).astype(dtype)
    out, ref = vt.whiten(X), sp_vq.whiten(X)
    assert out.dtype == ref.dtype
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_array_equal(vt.whiten(X[:, 1]), sp_vq.whiten(X[:, 1]))


def test_whiten_constant_column_and_nan():
    X = np.array([[1.0, 5.0], [2.0, 5.0], [4.0, 5.0]])
    with pytest.warns(RuntimeWarning, match="standard deviation zero"):
        out = vt.whiten(X)
    np.testing.assert_array_equal(out[:, 1], 5.0)  # left as it is
    assert out[:, 0] == pytest.approx(X[:, 0] / np.std(X[:, 0]))
    X[0, 0] = np.inf
    with pytest.raises(ValueError, match="NaN or infinite"):
        vt.whiten(X)


# ---------------------------------------------------------------------- kmeans2


def test_kmeans2_matrix_same_as_scipy_on_s1(s1):
    W = vt.whiten(s1)
    init = W[np.random.default_rng(6).choice(len(W), 15, replace=False)]
    for n_iter in (3, 10):  # 3: not converged, labels are those of the last assignment pass
        C, lab = vt.kmeans2(W, init, iter=n_iter, minit="matrix")
        C_ref, lab_ref = _quiet(sp_vq.kmeans2, W, init, iter=n_iter, minit="matrix")
        np.testing.assert_allclose(C, C_ref, rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(lab, lab_ref)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kmeans2_matrix_same_as_scipy_random_data(dtype):
    X = _blobs(dtype=dtype)
    init = X[:6].copy()
    C, lab = vt.kmeans2(X, init, iter=20, minit="matrix")
    C_ref, lab_ref = _quiet(sp_vq.kmeans2, X, init, iter=20, minit="matrix")
    assert C.dtype == C_ref.dtype == dtype and lab.dtype == lab_ref.dtype == np.int32
    np.testing.assert_allclose(C, C_ref, rtol=1e-5 if dtype == np.float32 else 1e-10, atol=1e-5)
    np.testing.assert_array_equal(lab, lab_ref)


@pytest.mark.parametrize("minit", ["random", "points", "++"])
def test_kmeans2_same_seed_same_result_as_scipy(minit):
    X = np.random.default_rng(7).normal(size=(3000, 5))  # one blob: no seeding leaves a cluster empty
    for kw in (dict(seed=11), dict(rng=12), dict(seed=np.random.default_rng(13))):
        C, lab = vt.kmeans2(X, 8, minit=minit, **kw)
        kw = {key: (np.random.default_rng(13) if isinstance(v, np.random.Generator) else v)
              for key, v in kw.items()}
        C_ref, lab_ref = _quiet(sp_vq.kmeans2, X, 8, minit=minit, **kw)
        np.testing.assert_allclose(C, C_ref, rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(lab, lab_ref)


@pytest.mark.parametrize("minit", ["random", "points", "++"])
def test_kmeans2_one_dimensional(minit):
    x = _blobs(d=1, seed=8).ravel()
    C, lab = vt.kmeans2(x, 4, minit=minit, seed=3)
    C_ref, lab_ref = _quiet(sp_vq.kmeans2, x, 4, minit=minit, seed=3)
    assert C.shape == C_ref.shape == (4,) and lab.shape == (x.size,)
    np.testing.assert_allclose(C, C_ref, rtol=1e-10)
    np.testing.assert_array_equal(lab, lab_ref)
    C, lab = vt.kmeans2(x, x[:3], minit="matrix")
    assert C.shape == (3,)


def test_kmeans2_empty_cluster_keeps_k_codewords_in_use():
    X = _blobs(n=600, d=2, k=3, seed=9)
    init = np.vstack([X[:3], [[1e3, 1e3]]])  # the last codeword is far from every observation
    with pytest.warns(UserWarning, match="One of the clusters is empty"):
        C_ref, _ = sp_vq.kmeans2(X, init, iter=10, minit="matrix")
    np.testing.assert_array_equal(C_ref[3], [1e3, 1e3])  # scipy: a stale codeword
    with pytest.warns(UserWarning, match="One of the clusters is empty.*farthest"):
        C, lab = vt.kmeans2(X, init, iter=10, minit="matrix")
    assert C.shape == (4, 2)
    code, dist = vt.vq(X, C)
    assert (np.bincount(code, minlength=4) > 0).all()  # every codeword in use
    assert dist.mean() < sp_vq.vq(X, C_ref)[1].mean()


def test_kmeans2_missing_raise():
    X = _blobs(n=300, d=2, k=3, seed=10)
    init = np.vstack([X[:3], [[1e3, 1e3]]])
    with pytest.raises(vt.ClusterError, match="One of the clusters is empty") as info:
        vt.kmeans2(X, init, minit="matrix", missing="raise")
    assert isinstance(info.value, sp_vq.ClusterError)  # caught by scipy users' except clauses
    assert isinstance(info.value, EmptyClusterError)


def test_kmeans2_integer_data_and_non_integer_k():
    X = np.round(_blobs(n=400, d=3, seed=11) * 10)
    C, lab = vt.kmeans2(X.astype(np.int64), 4, minit="points", seed=1)  # scipy raises TypeError
    C64, lab64 = vt.kmeans2(X, 4, minit="points", seed=1)
    np.testing.assert_array_equal(C, C64)
    np.testing.assert_array_equal(lab, lab64)
    with pytest.warns(UserWarning, match="k was not an integer"):
        C, _ = vt.kmeans2(X, 4.5, minit="points", seed=1)
    assert C.shape == (4, 3)


def test_kmeans2_errors():
    X = _blobs(n=100, d=3)
    for bad, match in [(dict(iter=0), "Invalid iter"), (dict(missing="ignore"), "Unknown missing"),
                       (dict(minit="kmeans++"), "Unknown init method"), (dict(k=0), "Cannot ask")]:
        kw = dict(k=3, **bad) if "k" not in bad else bad
        with pytest.raises(ValueError, match=match):
            sp_vq.kmeans2(X, **kw)
        with pytest.raises(ParameterError, match=match):
            vt.kmeans2(X, **kw)
    with pytest.raises(ParameterError, match="doesn't match data rank"):
        vt.kmeans2(X, X[:3, 0], minit="matrix")
    with pytest.raises(ParameterError, match="doesn't match data dimension"):
        vt.kmeans2(X, X[:3, :2], minit="matrix")
    bad = X.copy()
    bad[5, 2] = np.nan
    with pytest.raises(ValueError, match="1 NaN or infinite"):
        vt.kmeans2(bad, 3)
    with pytest.raises(TypeError, match="one of `rng` or `seed`"):
        vt.kmeans2(X, 3, rng=1, seed=1)
    flat = np.column_stack([X[:, 0], X[:, 0]])  # singular covariance: scipy raises LinAlgError
    with pytest.raises(np.linalg.LinAlgError, match="singular.*minit='points'"):
        vt.kmeans2(flat, 3, minit="random", seed=0)


# ---------------------------------------------------------------------- kmeans


def test_kmeans_s1_distortion_against_scipy(s1):
    W = vt.whiten(s1)
    book, dist = vt.kmeans(W, 15, iter=5, seed=2)
    ref_book, ref_dist = sp_vq.kmeans(W, 15, iter=5, seed=2)
    assert book.shape == (15, 2) and isinstance(dist, np.float64)
    assert dist <= ref_dist * 1.01
    # distortion is the mean non-squared distance (of the last pass, before the last update)
    assert dist == pytest.approx(vt.vq(W, book)[1].mean(), rel=1e-3)


def test_kmeans_guess_same_as_scipy():
    X = _blobs(seed=12)
    book, dist = vt.kmeans(X, X[:6])
    ref_book, ref_dist = sp_vq.kmeans(X, X[:6])
    assert ref_book.shape == (6, 5)  # no codeword dropped by scipy: comparable
    np.testing.assert_allclose(book, ref_book, rtol=1e-10, atol=1e-12)
    assert dist == pytest.approx(ref_dist, rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kmeans_dtypes_and_seeds_follow_scipy(dtype):
    X = _blobs(n=1500, seed=13, dtype=dtype)
    for kw in (dict(seed=4), dict(rng=4)):
        book, dist = vt.kmeans(X, 6, iter=3, **kw)
        ref_book, ref_dist = sp_vq.kmeans(X, 6, iter=3, **kw)
        assert book.dtype == ref_book.dtype == dtype
        assert type(dist) is type(ref_dist) is dtype
        assert dist <= ref_dist * 1.01


def test_kmeans_exactly_k_where_scipy_drops():
    X = _blobs(n=600, d=2, k=3, seed=14)
    guess = np.vstack([X[:3], [[1e3, 1e3]]])
    ref_book, _ = sp_vq.kmeans(X, guess)
    assert ref_book.shape == (3, 2)  # scipy dropped the empty codeword
    book, dist = vt.kmeans(X, guess)
    assert book.shape == (4, 2)
    assert (np.bincount(vt.vq(X, book)[0], minlength=4) > 0).all()


def test_kmeans_one_dimensional():
    x = _blobs(n=500, d=1, seed=15).ravel()
    book, dist = vt.kmeans(x, 3, seed=1)
    ref_book, ref_dist = sp_vq.kmeans(x, 3, seed=1)
    assert book.shape == ref_book.shape == (3,)
    assert dist <= ref_dist * 1.01


def test_kmeans_errors():
    X = _blobs(n=50, d=2)
    with pytest.raises(ParameterError, match="iter must be at least 1"):
        vt.kmeans(X, 3, iter=0)
    with pytest.raises(ParameterError, match="must be an integer"):
        vt.kmeans(X, 2.5)
    with pytest.raises(ParameterError, match="Asked for 0 clusters"):
        vt.kmeans(X, 0)
    with pytest.raises(ParameterError, match="larger than the number of observations"):
        vt.kmeans(X, 51)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError):
        sp_vq.kmeans(bad, 3)
    with pytest.raises(ValueError, match="1 NaN or infinite"):
        vt.kmeans(bad, 3)


# ---------------------------------------------------------------------- quantize unpacks


def test_quantize_unpacks_like_scipy_vq():
    code, dist = quantize(X_REF, CODET1)
    ref_code, ref_dist = sp_vq.vq(X_REF, CODET1)
    np.testing.assert_array_equal(code, ref_code)
    np.testing.assert_allclose(dist, ref_dist, rtol=1e-14)
    res = quantize(X_REF, CODET1)
    assert len(res) == 2 and res[0] is res.codes and res[1] is res.distances
    assert res.distortion == pytest.approx(np.mean(ref_dist**2))  # still there, by name


def test_codebook_quantize_unpacks():
    from vqtoolkit import Codebook

    X = _blobs(n=400, d=3, seed=16)
    cb = Codebook(4, random_state=0).fit(X)
    codes, dist = cb.quantize(X)
    np.testing.assert_array_equal(codes, cb.predict(X))
    ref_code, ref_dist = sp_vq.vq(X, cb.codebook_)
    np.testing.assert_array_equal(codes, ref_code)
    np.testing.assert_allclose(dist, ref_dist, rtol=1e-10)
