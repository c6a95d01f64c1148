"""Hamerly's bounds (kernels.HamerlyState, algorithm='hamerly'): the same iterates as plain Lloyd.

Oracles: plain passes (kernels.assign_accumulate, algorithm='lloyd') and brute-force
distances (scipy cdist) for the bound invariant.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.spatial.distance import cdist

from vqtoolkit import Codebook, ParameterError, kernels
from vqtoolkit.lloyd import lloyd


def _blobs(n, d, k, dtype, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(k, d))
    X = (centers[rng.integers(k, size=n)] + rng.normal(size=(n, d))).astype(dtype)
    C0 = X[rng.choice(n, k, replace=False)].copy()
    return X, C0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("empty", ["split", "relocate"])
@pytest.mark.parametrize("weighted", [False, True])
def test_hamerly_iterates_equal_plain_lloyd(dtype, empty, weighted):
    # > 2 kernel blocks; three codewords start far away, so they empty on the first pass
    X, C0 = _blobs(18_000, 6, 24, dtype, seed=int(weighted) + 2 * (empty == "split"))
    C0[:3] += np.asarray(1e3, dtype=dtype)
    w = np.random.default_rng(1).uniform(0.0, 3.0, size=len(X)) if weighted else None
    common = dict(sample_weight=w, max_iter=150, tol=0, empty=empty)
    ref = lloyd(X, C0, algorithm="lloyd", rng=np.random.RandomState(0), n_threads=1, **common)
    assert ref.n_iter > 10
    for threads in (1, 2):
        got = lloyd(X, C0, algorithm="hamerly", rng=np.random.RandomState(0), n_threads=threads,
                    **common)
        assert got.n_iter == ref.n_iter
        np.testing.assert_array_equal(got.codes, ref.codes)
        np.testing.assert_allclose(got.centers, ref.centers, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(got.history, ref.history, rtol=1e-9)
        np.testing.assert_allclose(got.sq_distances, ref.sq_distances, rtol=1e-6, atol=1e-6)
        if threads == 1:
            first = got
        else:  # bit-identical whatever the number of threads
            assert np.array_equal(got.centers, first.centers)
            assert np.array_equal(got.codes, first.codes)
            assert got.distortion == first.distortion


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bounds_are_valid_and_step_equals_a_plain_pass(dtype):
    X, C = _blobs(9_000, 4, 12, dtype, seed=3)
    X = X + np.asarray(50.0, dtype=dtype)  # an offset: the GEMM rounding margin must cover it
    C = C + np.asarray(50.0, dtype=dtype)
    state = kernels.HamerlyState(X, n_threads=2, chunk_rows=700)
    rng = np.random.default_rng(4)
    recomputed = []
    for it in range(12):
        codes, dist, stats = state.step(C)
        ref_codes, ref_dist, ref = kernels.assign_accumulate(X, C, n_threads=1)
        np.testing.assert_array_equal(codes, ref_codes)
        np.testing.assert_allclose(dist, ref_dist, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(stats.sums, ref.sums, rtol=1e-9, atol=1e-9)
        np.testing.assert_array_equal(stats.counts, ref.counts)
        # invariant: lower[i] <= distance from x_i to every codeword other than its own
        D = cdist(X.astype(np.float64), C.astype(np.float64))
        D[np.arange(len(X)), codes] = np.inf
        assert np.all(state.lower.astype(np.float64) <= D.min(axis=1))
        recomputed.append(state.n_recomputed)
        nz = stats.counts > 0
        C = C.copy()
        C[nz] = (stats.sums[nz] / stats.counts[nz, None]).astype(dtype)
        if it == 6:  # a big jump of one codeword, as an empty-cluster repair makes
            C[0] = X[rng.integers(len(X))]
    assert min(recomputed[1:]) < len(X) // 4  # the bounds do skip rows


def test_single_codeword_and_reset():
    X, _ = _blobs(500, 3, 4, np.float64)
    state = kernels.HamerlyState(X)
    C = X[:1].copy()
    for _ in range(3):
        codes, dist, stats = state.step(C)
        assert np.all(codes == 0)
        np.testing.assert_allclose(dist, ((X - C) ** 2).sum(1))
        C = stats.sums / stats.counts[:, None]
    state.reset()
    codes, _, stats = state.step(np.vstack([C, C + 1]))  # another k after a reset
    np.testing.assert_array_equal(codes, kernels.assign(X, np.vstack([C, C + 1]))[0])


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_codebook_algorithm_param(metric):
    X, C0 = _blobs(3000, 5, 10, np.float32, seed=5)
    fits = {a: Codebook(10, init=C0, tol=0, metric=metric, algorithm=a, n_threads=2).fit(X)
            for a in ("auto", "lloyd", "hamerly")}
    for a in ("auto", "hamerly"):
        np.testing.assert_array_equal(fits[a].labels_, fits["lloyd"].labels_)
        np.testing.assert_allclose(fits[a].codebook_, fits["lloyd"].codebook_, rtol=1e-6, atol=1e-6)
        assert fits[a].n_iter_ == fits["lloyd"].n_iter_
    assert fits["hamerly"].get_params()["algorithm"] == "hamerly"
    # sparse input falls back to plain passes
    a = Codebook(10, init=C0, tol=0, algorithm="hamerly").fit(sp.csr_matrix(X))
    np.testing.assert_array_equal(a.labels_, Codebook(10, init=C0, tol=0, algorithm="lloyd")
                                  .fit(sp.csr_matrix(X)).labels_)


def test_algorithm_errors():
    X, _ = _blobs(100, 2, 3, np.float64)
    with pytest.raises(ParameterError, match=r"algorithm='elkan' is not one of \('auto', 'lloyd'"):
        Codebook(3, algorithm="elkan").fit(X)
    with pytest.raises(ParameterError, match=r"algorithm='full' is not one of"):
        lloyd(X, X[:3], algorithm="full")
    with pytest.raises(ParameterError, match="HamerlyState needs a dense 2-D float32/float64 array"):
        kernels.HamerlyState(np.arange(5.0))
    with pytest.raises(ParameterError, match=r"codebook has shape \(3, 5\); expected \(k, 2\)"):
        kernels.HamerlyState(X).step(np.zeros((3, 5)))


def test_fewer_codewords_after_steps():
    # codes from the old codebook go up to 7; with 3 codewords the step must not test them
    X, C = _blobs(6000, 3, 8, np.float32, seed=9)
    state = kernels.HamerlyState(X, n_threads=2)
    state.step(C)
    state.step(C)
    assert state.codes.max() > 2
    codes, dist, _ = state.step(C[:3])
    ref_codes, ref_dist = kernels.assign(X, C[:3])
    np.testing.assert_array_equal(codes, ref_codes)
    np.testing.assert_allclose(dist, ref_dist, rtol=1e-6)
    assert state.n_recomputed == len(X)
