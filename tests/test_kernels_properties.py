"""Property tests of the kernels against brute force: shapes, dtypes, duplicates, ties, extreme values."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vqtoolkit import kernels

EPS = {np.float32: 2e-5, np.float64: 1e-11}


@st.composite
def problems(draw):
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    n = draw(st.integers(1, 300))
    d = draw(st.integers(1, 24))
    k = draw(st.integers(1, min(n, 40)))
    scale = 10.0 ** draw(st.sampled_from([-6, 0, 3, 8, 15]))
    offset = draw(st.sampled_from([0.0, 1.0, 1e4])) * scale
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d)) * scale + offset
    if draw(st.booleans()):  # duplicated rows
        X[rng.randint(n, size=n // 3)] = X[0]
    C = X[rng.choice(n, k, replace=False)].copy()
    if k > 1 and draw(st.booleans()):  # duplicated codewords: ties go to the lowest index
        C[-1] = C[0]
    w = rng.uniform(0, 3, size=n) if draw(st.booleans()) else None
    # within what check_X accepts: squared distances finite in the dtype (larger is refused there)
    limit = np.sqrt(np.finfo(dtype).max / (4.0 * d))
    if np.abs(X).max() > limit:
        X *= limit / np.abs(X).max()
        C = X[rng.choice(n, k, replace=False)].copy()
    return X.astype(dtype), C.astype(dtype), w, dtype


def _exact(X, C):
    X64, C64 = X.astype(np.float64), C.astype(np.float64)
    return ((X64[:, None, :] - C64[None, :, :]) ** 2).sum(-1)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.sampled_from([1, 2]))
def test_assign_accumulate_against_brute_force(problem, n_threads):
    X, C, w, dtype = problem
    codes, dist, stats = kernels.assign_accumulate(X, C, sample_weight=w, n_threads=n_threads)
    D = _exact(X, C)
    rows = np.arange(X.shape[0])
    best = D.min(axis=1)
    # the chosen codeword is a nearest one, up to the rounding of the dtype's search
    norms = (X.astype(np.float64) ** 2).sum(1) + (C.astype(np.float64) ** 2).sum(1).max()
    assert np.all(D[rows, codes] <= best + EPS[dtype] * (norms + best) + 1e-300)
    # the distance reported is the exact one to that codeword
    np.testing.assert_allclose(dist.astype(np.float64), D[rows, codes], rtol=EPS[dtype] * 10,
                               atol=1e-300)
    # among identical codewords the lowest index wins
    for i in np.unique(codes):
        assert not any(np.array_equal(C[j], C[i]) for j in range(i))
    # per-codeword totals are those of the codes returned
    ww = np.ones(X.shape[0]) if w is None else w
    counts = np.bincount(codes, weights=ww, minlength=C.shape[0])
    sums = np.zeros((C.shape[0], X.shape[1]))
    np.add.at(sums, codes, X.astype(np.float64) * ww[:, None])
    np.testing.assert_allclose(stats.counts, counts, rtol=1e-12)
    np.testing.assert_allclose(stats.sums, sums, rtol=1e-9, atol=1e-9 * np.abs(sums).max())
    np.testing.assert_allclose(stats.sse, np.bincount(codes, weights=ww * D[rows, codes],
                                                      minlength=C.shape[0]),
                               rtol=EPS[dtype] * 10, atol=1e-300)


@settings(max_examples=60, deadline=None)
@given(problems())
def test_threads_never_change_the_result(problem):
    X, C, w, _ = problem
    one = kernels.assign_accumulate(X, C, sample_weight=w, n_threads=1)
    two = kernels.assign_accumulate(X, C, sample_weight=w, n_threads=2)
    np.testing.assert_array_equal(one[0], two[0])
    np.testing.assert_array_equal(one[1], two[1])
    np.testing.assert_array_equal(one[2].sums, two[2].sums)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_but_finite_values_give_finite_exact_distances(dtype):
    big = np.finfo(dtype).max ** 0.5 / 10  # squares stay finite
    X = np.array([[big, 0.0], [-big, 0.0], [0.0, 0.0]], dtype=dtype)
    C = np.array([[big, 0.0], [0.0, 0.0]], dtype=dtype)
    codes, dist = kernels.assign(X, C)
    assert codes.tolist() == [0, 1, 1] and np.isfinite(dist).all()
    np.testing.assert_allclose(dist.astype(np.float64), [0.0, float(big) ** 2, 0.0], rtol=1e-6)


@pytest.mark.parametrize("dtype, value", [(np.float32, 1e19), (np.float64, 1e160)])
def test_values_whose_squares_overflow_are_refused_by_the_estimators(dtype, value):
    from vqtoolkit import Codebook, ParameterError

    X = np.random.RandomState(0).normal(size=(50, 4)).astype(dtype) * dtype(value)
    with pytest.raises(ParameterError, match=r"holds values up to .*, whose squared distances "
                                             rf"overflow {np.dtype(dtype).name}"):
        Codebook(3).fit(X)
    cb = Codebook(3, random_state=0).fit(np.random.RandomState(1).rand(20, 4).astype(dtype))
    with pytest.raises(ParameterError, match="Codebook.predict: X of shape"):
        cb.predict(X)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 500), st.sampled_from([np.float32, np.float64]), st.integers(0, 2**31 - 1),
       st.sampled_from([None, np.nan, np.inf, -np.inf]))
def test_finite_peak_against_numpy(n, dtype, seed, bad):
    X = (np.random.RandomState(seed).standard_cauchy(size=(n, 3)) * 1e3).astype(dtype)
    X = np.asfortranarray(X) if seed % 2 else X  # both memory orders, no copy either way
    if bad is not None:
        X[seed % n, seed % 3] = bad
    finite, peak = kernels.finite_peak(X)
    assert finite == bool(np.isfinite(X).all())
    if finite:
        assert peak == float(np.abs(X).max())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_finite_peak_edge_values(dtype):
    """The peak is read from the float bits without the sign: signed zeros, extremes, NaN payloads."""
    info = np.finfo(dtype)
    tiny_sub = np.nextafter(dtype(0), dtype(1))
    cases = [[-0.0, 0.0], [-0.0], [tiny_sub, -tiny_sub], [-info.max, 1.0], [info.max, -info.max],
             [-3.5, 2.0, -1.0]]
    for values in cases:
        X = np.array(values, dtype=dtype).reshape(-1, 1)
        assert kernels.finite_peak(X) == (True, float(np.abs(X).max()))
    neg_nan = -np.array(np.nan, dtype=dtype)  # sign bit set
    for bad in (np.nan, neg_nan, np.inf, -np.inf):
        X = np.array([[1.0, bad], [-2.0, 3.0]], dtype=dtype)
        assert kernels.finite_peak(X) == (False, 0.0)
    X = np.arange(24, dtype=dtype).reshape(4, 6) - 20
    assert kernels.finite_peak(X[:, ::2]) == (True, 20.0)  # a strided view (copied by ravel)
    assert kernels.finite_peak(np.arange(-7, 3).reshape(5, 2)) == (True, 7.0)  # integers
    assert kernels.finite_peak(np.zeros((0, 3), dtype=dtype)) == (True, 0.0)


@st.composite
def sparse_problems(draw):
    """CSR rows (some empty, some with duplicate column entries) and a codebook of any float dtype."""
    import scipy.sparse as sp

    dtype = draw(st.sampled_from([np.float32, np.float64]))
    n = draw(st.integers(1, 200))
    d = draw(st.integers(1, 300))
    k = draw(st.integers(1, 30))
    density = draw(st.sampled_from([0.0, 0.01, 0.1, 0.5]))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.RandomState(seed)
    X = sp.random(n, d, density=density, format="csr", random_state=rng, dtype=np.float64)
    X.data = rng.normal(size=X.nnz) * 10.0 ** rng.randint(-3, 4)
    if X.nnz and draw(st.booleans()):  # non-canonical: a repeated (row, column) entry adds up
        X = sp.csr_matrix((np.concatenate([X.data, X.data[:1]]),
                           np.concatenate([X.indices, X.indices[:1]]),
                           np.concatenate([X.indptr[:1], X.indptr[1:] + 1])), shape=(n, d))
    C = rng.normal(size=(k, d)) * np.abs(X.data).max(initial=1.0)
    if k > 1 and draw(st.booleans()):
        C[-1] = C[0]
    cdtype = draw(st.sampled_from([np.float32, np.float64]))
    w = rng.uniform(0, 3, size=n) if draw(st.booleans()) else None
    return X.astype(dtype), C.astype(cdtype), w, dtype


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sparse_problems(), st.sampled_from([1, 2, 3]))
def test_sparse_assign_accumulate_against_brute_force(problem, n_threads):
    X, C, w, dtype = problem
    codes, dist, stats = kernels.assign_accumulate(X, C, sample_weight=w, n_threads=n_threads)
    Xd = X.toarray().astype(np.float64)  # duplicate entries summed, as the kernels do
    Cr = C.astype(dtype).astype(np.float64)  # the codebook in X's dtype, as searched
    D = _exact(Xd, Cr)
    rows = np.arange(X.shape[0])
    best = D.min(axis=1)
    norms = (Xd ** 2).sum(1) + (Cr ** 2).sum(1).max()
    assert np.all(D[rows, codes] <= best + EPS[dtype] * norms + 1e-300)
    np.testing.assert_allclose(dist.astype(np.float64), D[rows, codes], rtol=EPS[dtype] * 10,
                               atol=EPS[dtype] * 10 * norms.max())
    ww = np.ones(X.shape[0]) if w is None else w
    sums = np.zeros(C.shape)
    np.add.at(sums, codes, Xd * ww[:, None])
    np.testing.assert_allclose(stats.sums, sums, rtol=1e-9, atol=1e-9 * np.abs(sums).max(initial=0.0))
    np.testing.assert_allclose(stats.counts, np.bincount(codes, weights=ww, minlength=C.shape[0]),
                               rtol=1e-12)
    one = kernels.assign_accumulate(X, C, sample_weight=w, n_threads=1)
    assert one[0].tobytes() == codes.tobytes() and one[1].tobytes() == dist.tobytes()
    assert one[2].sums.tobytes() == stats.sums.tobytes() and one[2].sse.tobytes() == stats.sse.tobytes()
