"""quantize(): oracle scipy.cluster.vq.vq, distortion definition, errors."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.cluster.vq import vq

from vqtoolkit import ParameterError, quantize

# the observations and codebook of scipy.cluster.vq's own tests (X, CODET1)
X = np.array([[3.0, 3], [4, 3], [4, 2], [9, 2], [5, 1], [6, 2], [9, 4],
              [5, 2], [5, 4], [7, 4], [6, 5]])
CODET1 = np.array([[3.0000, 3.0000], [6.2000, 4.0000], [5.8000, 1.8000]])


def test_scipy_reference_arrays():
    res = quantize(X, CODET1)
    # by hand: (4, 3) is 1 from (3, 3) and sqrt(2.2**2 + 1) from (6.2, 4) -> code 0
    assert res.codes[1] == 0 and res.distances[1] == pytest.approx(1.0)
    assert res.codes[3] == 2 and res.distances[3] == pytest.approx(np.hypot(3.2, 0.2))
    codes, dist = vq(X, CODET1)
    np.testing.assert_array_equal(res.codes, codes)
    np.testing.assert_allclose(res.distances, dist, rtol=1e-12)
    # distortion is the mean SQUARED distance; scipy's kmeans reports mean(dist)
    assert res.distortion == pytest.approx(np.mean(dist**2))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_random_data_against_scipy(dtype):
    rng = np.random.default_rng(0)
    data = rng.normal(size=(5000, 7)).astype(dtype)
    book = rng.normal(size=(33, 7)).astype(dtype)
    res = quantize(data, book)
    codes, dist = vq(data, book)
    np.testing.assert_array_equal(res.codes, codes)
    np.testing.assert_allclose(res.distances, dist, rtol=1e-4 if dtype == np.float32 else 1e-10)


def test_sparse_input():
    S = sp.random(300, 12, density=0.3, format="csr", random_state=1)
    book = np.random.default_rng(2).random((5, 12))
    a = quantize(S, book)
    b = quantize(S.toarray(), book)
    np.testing.assert_array_equal(a.codes, b.codes)
    np.testing.assert_allclose(a.distances, b.distances, rtol=1e-9, atol=1e-12)


def test_errors():
    with pytest.raises(ParameterError, match=r"codebook has shape \(3, 3\); expected"):
        quantize(X, np.zeros((3, 3)))
    with pytest.raises(ParameterError, match="NaN or infinite"):
        quantize(X, np.array([[np.nan, 1.0]]))
    with pytest.raises(ParameterError, match=r"got shape \(11,\)"):
        quantize(X[:, 0], CODET1)


def test_public_name_is_the_function_even_after_submodules_are_imported():
    import importlib

    import vqtoolkit

    importlib.import_module("vqtoolkit.quantization")
    importlib.import_module("vqtoolkit.codebook")
    assert callable(vqtoolkit.quantize) and vqtoolkit.quantize is quantize
