"""The Dask engine against the in-memory one: same data, chunks, seed -> same codebook and labels."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

from vqtoolkit import Codebook, FileFormatError, Matcher, ParameterError  # noqa: E402
from vqtoolkit.distributed import (  # noqa: E402
    DistributedFeatures,
    extract_mfcc,
    get_client,
    local_cluster,
    score_collection,
)


def _mixture(n=1800, d=4, k=5, dtype=np.float32, seed=0):
    rng = np.random.RandomState(seed)
    means = rng.uniform(-10, 10, size=(k, d))
    X = means[rng.randint(k, size=n)] + rng.normal(size=(n, d)) * rng.uniform(0.5, 2, size=d)
    return X.astype(dtype)


def _same(a, b, rtol=None, labels_computed=False):
    """In-memory fit ``a`` equals Dask fit ``b`` (both Dask fits with ``labels_computed``).

    ``rtol=None``: codewords within 1e-6 absolute; else within ``rtol`` relative.
    """
    if rtol is None:
        np.testing.assert_allclose(b.codebook_, a.codebook_, rtol=0, atol=1e-6)
    else:
        scale = np.abs(a.codebook_).max()
        np.testing.assert_allclose(b.codebook_, a.codebook_, rtol=rtol, atol=rtol * scale)
    labels_a = a.labels_.compute() if labels_computed else a.labels_
    np.testing.assert_array_equal(b.labels_.compute(), labels_a)
    assert b.n_iter_ == a.n_iter_
    r = 1e-9 if rtol is None else rtol
    np.testing.assert_allclose(b.distortion_, a.distortion_, rtol=r)
    np.testing.assert_allclose(b.distortion_history_, a.distortion_history_, rtol=r)
    np.testing.assert_allclose(b.counts_, a.counts_, rtol=1e-12)
    np.testing.assert_allclose(b.cluster_distortion_, a.cluster_distortion_, rtol=r)


@pytest.mark.parametrize("params", [
    {},
    {"whiten": "standard"},
    {"whiten": "pca"},
    {"whiten": "scale", "tol": 0},
    {"metric": "cosine"},
    {"init": "random", "n_init": 2},
    {"init": "lbg", "max_iter": 20},
], ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()) or "default")
def test_fit_equals_in_memory(client, params):
    X = _mixture()
    a = Codebook(6, random_state=3, **params).fit(X)
    b = Codebook(6, random_state=3, **params).fit(da.from_array(X, chunks=(500, 4)))
    _same(a, b)
    assert isinstance(b.labels_, da.Array)
    if params.get("whiten"):
        np.testing.assert_allclose(b.whitener_.components_, a.whitener_.components_, atol=1e-9)


def test_fit_float64_weights_and_init_array(client):
    X = _mixture(dtype=np.float64, seed=1)
    w = np.random.RandomState(0).uniform(0, 3, size=X.shape[0])
    init = X[:6] + 0.1
    a = Codebook(6, init=init, whiten="standard").fit(X, sample_weight=w)
    b = Codebook(6, init=init, whiten="standard").fit(
        da.from_array(X, chunks=(400, 4)), sample_weight=da.from_array(w, chunks=400))
    _same(a, b)
    assert b.codebook_.dtype == np.float64


@pytest.mark.parametrize("empty", ["split", "relocate"])
def test_empty_codewords_handled_like_in_memory(client, empty):
    X = _mixture(seed=2)
    init = np.vstack([X[:4], np.full((2, 4), 1e4, dtype=np.float32)])  # two never win
    a = Codebook(6, init=init, empty=empty, random_state=0).fit(X)
    b = Codebook(6, init=init, empty=empty, random_state=0).fit(da.from_array(X, chunks=(700, 4)))
    _same(a, b)
    assert (b.counts_ > 0).all()


def test_kmeanspp_on_a_sample_reaches_the_best_distortion(client):
    import dask
    from sklearn.cluster import KMeans

    X = _mixture(n=3000, k=5, seed=4)
    with dask.config.set({"vqtoolkit.init-sample-size": 400}):
        b = Codebook(5, random_state=0).fit(da.from_array(X, chunks=(600, 4)))
    best = KMeans(5, n_init=10, random_state=0).fit(X).inertia_ / X.shape[0]
    assert b.distortion_ <= best * (1 + 1e-3)


def test_restarts_on_the_sample_reach_the_best_of_many_in_memory_runs(client):
    """Overlapping mixture where one k-means++ run is stuck: n_init restarts run on the sample."""
    import dask
    from sklearn.cluster import KMeans

    rng = np.random.RandomState(3)
    means = rng.uniform(-6, 6, size=(24, 5))
    X = (means[rng.randint(24, size=12000)] + rng.normal(size=(12000, 5))).astype(np.float32)
    Xd = da.from_array(X, chunks=(3000, 5))
    with dask.config.set({"vqtoolkit.init-sample-size": 3000}):
        one = Codebook(24, random_state=0).fit(Xd)
        many = Codebook(24, n_init=8, random_state=0).fit(Xd)
    best = KMeans(24, n_init=20, random_state=0).fit(X).inertia_ / X.shape[0]
    assert many.distortion_ <= one.distortion_
    assert many.distortion_ <= best * 1.01


def test_partial_fit_equals_in_memory(client):
    X = _mixture(seed=5)
    a, b = Codebook(4, random_state=0, whiten="standard"), Codebook(4, random_state=0,
                                                                     whiten="standard")
    for part in (X[:900], X[900:]):
        a.partial_fit(part)
        b.partial_fit(da.from_array(part, chunks=(250, 4)))
        np.testing.assert_allclose(b.codebook_, a.codebook_, atol=1e-6)
        np.testing.assert_allclose(b.counts_, a.counts_)
        np.testing.assert_allclose(b.distortion_, a.distortion_, rtol=1e-9)


def test_predict_and_quantize_are_lazy_and_exact(client):
    X = _mixture(seed=6)
    cb = Codebook(5, random_state=0, whiten="zca").fit(X)
    Xd = da.from_array(X, chunks=(333, 4))
    codes = cb.predict(Xd)
    assert isinstance(codes, da.Array)
    np.testing.assert_array_equal(codes.compute(), cb.predict(X))
    q, q0 = cb.quantize(Xd), cb.quantize(X)
    np.testing.assert_array_equal(q.codes.compute(), q0.codes)
    np.testing.assert_allclose(q.distances.compute(), q0.distances)
    np.testing.assert_allclose(q.distortion, q0.distortion, rtol=1e-12)
    np.testing.assert_allclose(q.distortion, np.mean(q0.distances ** 2), rtol=1e-9)


@pytest.mark.parametrize("metric", ["correlation", "mahalanobis", "cityblock", "cosine"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_every_metric_equals_in_memory(client, metric, weighted):
    X = _mixture(n=1500, d=5, seed=7, dtype=np.float64)
    w = np.random.RandomState(1).uniform(0.2, 3, size=X.shape[0]) if weighted else None
    a = Codebook(5, metric=metric, random_state=2).fit(X, sample_weight=w)
    b = Codebook(5, metric=metric, random_state=2).fit(
        da.from_array(X, chunks=(400, 5)), sample_weight=w)
    _same(a, b, rtol=1e-5)
    np.testing.assert_array_equal(b.predict(da.from_array(X, chunks=(700, 5))).compute(),
                                  a.predict(X))


@pytest.mark.parametrize("init", ["k-means++", "random", "lbg", "array"])
@pytest.mark.parametrize("metric", ["euclidean", "mahalanobis"])
def test_every_init_with_weights_equals_in_memory(client, init, metric):
    X = _mixture(n=1200, d=4, seed=8)
    w = np.random.RandomState(2).uniform(0, 2, size=X.shape[0])
    params = {"init": X[::200][:6] * 1.01 if init == "array" else init, "metric": metric,
              "whiten": "standard", "random_state": 4}
    a = Codebook(6, **params).fit(X, sample_weight=w)
    b = Codebook(6, **params).fit(da.from_array(X, chunks=(300, 4)), sample_weight=w)
    _same(a, b, rtol=1e-5)


def test_result_does_not_depend_on_chunks(client):
    X = _mixture(n=2000, seed=9)
    fits = [Codebook(7, random_state=0, whiten="zca").fit(da.from_array(X, chunks=(c, 4)))
            for c in (2000, 333, 128)]
    for other in fits[1:]:
        _same(other, fits[0], labels_computed=True)


@pytest.mark.parametrize("metric", ["cosine", "correlation", "mahalanobis"])
def test_partial_fit_every_metric_equals_in_memory(client, metric):
    X = _mixture(n=1600, d=5, seed=10, dtype=np.float64)
    a, b = (Codebook(4, metric=metric, random_state=0) for _ in range(2))
    for part in (X[:800], X[800:]):
        a.partial_fit(part)
        b.partial_fit(da.from_array(part, chunks=(300, 5)))
        np.testing.assert_allclose(b.codebook_, a.codebook_, rtol=1e-5, atol=1e-9)
        np.testing.assert_allclose(b.counts_, a.counts_)


@pytest.mark.parametrize("selection", ["gmeans", "xmeans"])
def test_auto_equals_in_memory(client, selection):
    from sklearn.datasets import make_blobs

    X, _ = make_blobs(n_samples=1200, centers=5, cluster_std=0.6, random_state=3)
    a = Codebook("auto", selection=selection, random_state=0).fit(X)
    b = Codebook("auto", selection=selection, random_state=0).fit(da.from_array(X, chunks=(250, 2)))
    assert b.selection_.k == a.selection_.k == 5
    _same(a, b, rtol=1e-5)
    with pytest.raises(ParameterError, match="method='gap' needs the rows in memory"):
        Codebook("auto", selection="gap").fit(da.from_array(X, chunks=(250, 2)))


def test_sparse_chunks_cosine_equal_in_memory(client):
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer

    rng = np.random.RandomState(0)
    topics = [["ball", "goal", "team", "match", "score"], ["vote", "law", "party", "poll", "seat"],
              ["cpu", "code", "chip", "data", "disk"]]
    docs = [" ".join(rng.choice(topics[i % 3], size=8)) + " " + " ".join(
        rng.choice(sum(topics, []), size=2)) for i in range(600)]
    X = TfidfVectorizer().fit_transform(docs).astype(np.float32).tocsr()
    a = Codebook(3, metric="cosine", random_state=0).fit(X)
    Xd = da.from_array(X.toarray(), chunks=(150, X.shape[1])).map_blocks(sp.csr_matrix,
                                                                         dtype=X.dtype)
    b = Codebook(3, metric="cosine", random_state=0).fit(Xd)
    _same(a, b, rtol=1e-5)
    np.testing.assert_array_equal(b.predict(Xd).compute(), a.predict(X))


def test_transform_and_score_are_lazy_and_exact(client):
    X = _mixture(seed=11)
    w = np.random.RandomState(0).uniform(0.5, 2, size=X.shape[0])
    cb = Codebook(4, random_state=0, metric="cityblock").fit(X)
    Xd = da.from_array(X, chunks=(400, 4))
    t = cb.transform(Xd)
    assert isinstance(t, da.Array) and t.shape == (X.shape[0], 4)
    np.testing.assert_allclose(t.compute(), cb.transform(X), rtol=1e-6)
    for weights in (None, w):
        s = cb.score(Xd, sample_weight=weights)
        assert isinstance(s, da.Array)
        np.testing.assert_allclose(float(s), cb.score(X, sample_weight=weights), rtol=1e-9)
    q = cb.quantize(Xd)
    assert isinstance(q.distortion, da.Array)
    np.testing.assert_allclose(float(q.distortion), cb.quantize(X).distortion, rtol=1e-9)


@pytest.mark.parametrize("fmt", ["zarr", "npy"])
def test_fit_reads_a_store_chunk_by_chunk(client, tmp_path, fmt):
    """read_rows: every task opens the file itself; the fit equals the in-memory one."""
    from vqtoolkit.distributed import read_rows

    X = _mixture(n=3000, d=4, seed=12)
    if fmt == "zarr":
        zarr = pytest.importorskip("zarr")
        path = tmp_path / "rows.zarr"
        zarr.create_array(path, shape=X.shape, chunks=(700, 4), dtype="float32")[:] = X
        Xd = read_rows(path)
        assert Xd.chunks[0] == (700, 700, 700, 700, 200)  # the store's own chunks
    else:
        path = tmp_path / "rows.npy"
        np.save(path, X)
        Xd = read_rows(path, chunk_rows=1000)
        assert Xd.chunks[0] == (1000, 1000, 1000)
    graph = dict(Xd.__dask_graph__())
    assert not any(isinstance(v, np.ndarray) and v.size > 100 for v in graph.values())  # paths only
    a = Codebook(5, whiten="standard", random_state=0).fit(X)
    b = Codebook(5, whiten="standard", random_state=0).fit(Xd)
    _same(a, b, rtol=1e-5)
    bad = tmp_path / "not-an-array"
    bad.mkdir()
    with pytest.raises(FileFormatError, match="not-an-array: not a zarr array or an .npy file"):
        read_rows(bad)
    np.save(tmp_path / "one.npy", np.arange(5.0))
    with pytest.raises(FileFormatError, match=r"shape \(5,\); expected 2-D rows"):
        read_rows(tmp_path / "one.npy")


def test_chunked_features_and_integer_input(client):
    X = np.random.RandomState(0).randint(0, 50, size=(600, 3))
    a = Codebook(3, random_state=0).fit(X)
    b = Codebook(3, random_state=0).fit(da.from_array(X, chunks=(200, 1)))
    _same(a, b)


def test_errors(client):
    Xd = da.from_array(_mixture(n=300), chunks=(100, 4))
    bad = _mixture(n=300)
    bad[5, 1] = np.nan
    with pytest.raises(ParameterError, match="contains 1 NaN or infinite"):
        Codebook(3).fit(da.from_array(bad, chunks=(100, 4)))
    with pytest.raises(ParameterError, match="sample_weight must be finite and non-negative"):
        Codebook(3).fit(Xd, sample_weight=-np.ones(300))
    with pytest.raises(ParameterError, match=r"sample_weight has shape \(5,\)"):
        Codebook(3).fit(Xd, sample_weight=np.ones(5))
    with pytest.raises(ParameterError, match="n_codewords=500 is larger"):
        Codebook(500).fit(Xd)
    with pytest.raises(ParameterError, match="expected a 2-D array"):
        Codebook(3).fit(Xd[:, 0])
    cb = Codebook(3, random_state=0).fit(Xd)
    with pytest.raises(ParameterError, match="X has 2 features"):
        cb.predict(Xd[:, :2])
    with pytest.raises(ParameterError, match="binds to 127.0.0.1 only"):
        local_cluster(host="0.0.0.0")
    with pytest.raises(ParameterError, match="must be a scheduler address string"):
        get_client(12)


def test_get_client_returns_the_current_client(client):
    assert get_client() is client


def test_local_cluster_listens_on_loopback_only():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = local_cluster(n_workers=1, processes=True)
    try:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        for w in cluster.scheduler_info["workers"]:
            assert w.startswith("tcp://127.0.0.1:")
    finally:
        cluster.close()


def test_core_never_imports_dask():
    code = ("import sys, numpy as np; from vqtoolkit import Codebook, quantize; "
            "cb = Codebook(2, random_state=0).fit(np.random.rand(50, 2)); quantize(np.eye(2), cb); "
            "assert not any(m.split('.')[0] in ('dask', 'distributed') for m in sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("codec", ["raw", "blosc", "zstd"])
def test_zarr_chunk_files_read_directly_where_the_layout_allows(tmp_path, codec):
    zarr = pytest.importorskip("zarr")
    from zarr.codecs import BloscCodec, ZstdCodec

    from vqtoolkit.distributed import read_rows

    X = _mixture(n=2500, d=3, seed=13)
    compressors = {"raw": None, "blosc": [BloscCodec(cname="lz4", shuffle="bitshuffle")],
                   "zstd": [ZstdCodec()]}[codec]
    path = tmp_path / "rows.zarr"
    z = zarr.create_array(path, shape=(3000, 3), chunks=(600, 3), dtype="float32",
                          compressors=compressors, fill_value=-1.0)
    z[:2500] = X  # the last chunk is never written: its rows read as the fill value
    for chunk_rows in (None, 450):  # the store's chunks, and a layout zarr must read
        Xd = read_rows(path, chunk_rows=chunk_rows)
        direct = any("_zarr_chunk_file" in str(key) for key in dict(Xd.__dask_graph__()))
        assert direct == (codec != "zstd" and chunk_rows is None)
        got = Xd.compute(scheduler="sync")
        np.testing.assert_array_equal(got[:2500], X)
        np.testing.assert_array_equal(got[2500:], -1.0)


def test_worker_side_modules_do_not_import_sklearn():
    """Workers import the backend and the kernels only: no scikit-learn (80 MB per process)."""
    code = ("import sys; import vqtoolkit.distributed._backend; "
            "assert 'sklearn' not in sys.modules, 'sklearn imported'; "
            "import vqtoolkit, sklearn.exceptions as e; "
            "assert issubclass(vqtoolkit.NotFittedError, e.NotFittedError); "
            "from vqtoolkit.errors import NotFittedError; assert NotFittedError is vqtoolkit.NotFittedError")
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------- audio front end


@pytest.fixture(scope="module")
def wav_files(tmp_path_factory):
    import soundfile as sf

    folder = tmp_path_factory.mktemp("wav")
    rng = np.random.RandomState(0)
    t = np.arange(8000) / 8000
    paths = []
    for i in range(7):
        y = 0.3 * np.sin(2 * np.pi * (200 + 150 * i) * t[: 2000 + 700 * i])
        y = y + 0.01 * rng.normal(size=y.size)
        p = folder / f"{i % 2}_spk{i % 3}_{i}.wav"
        sf.write(p, y.astype(np.float32), 8000)
        paths.append(str(p))
    bad = folder / "1_spk9_99.wav"
    bad.write_bytes(b"RIFF1234WAVEfmt garbage")
    return paths, str(bad)


def test_extract_mfcc_equals_extract_many(client, wav_files):
    from vqtoolkit.features.audio import MFCCExtractor, extract_many

    paths, bad = wav_files
    ext = MFCCExtractor.preset("speech")
    regex = r"(?P<digit>\d)_(?P<speaker>spk\d)"
    with pytest.warns(UserWarning, match="1 of 8 files could not be used"):
        got = extract_mfcc(paths[:4] + [bad] + paths[4:], ext, partition_size=3,
                           label_regex=regex, client=client, verbose=False)
    with pytest.warns(UserWarning):
        ref = extract_many(paths[:4] + [bad] + paths[4:], ext, n_jobs=1, cache=False,
                           label_regex=regex, verbose=False)
    assert isinstance(got, DistributedFeatures) and len(got) == 7
    assert got.X.numblocks[0] == 3  # partitions of 3, 3 (one bad) and 1 files
    np.testing.assert_array_equal(got.X.compute(), ref.X)
    assert got.index == ref.index
    assert [f for f, _ in got.failures] == [bad] and got.failures[0][1] == ref.failures[0][1]
    with pytest.raises(ParameterError, match="partition_size=0 must be a positive integer"):
        extract_mfcc(paths, ext, partition_size=0)


def test_score_collection_equals_matcher_score(client, wav_files):
    from vqtoolkit.features.audio import MFCCExtractor

    paths, _ = wav_files
    ext = MFCCExtractor.preset("speech")
    feats = extract_mfcc(paths, ext, partition_size=2, client=client, verbose=False)
    utts = [feats.X[u.start:u.stop].compute() for u in feats.index]
    labels = [u.file.split("/")[-1][0] for u in feats.index]
    m = Matcher(4, features=ext, random_state=0).fit(utts, labels)
    ref = m.score(utts).distortion
    for coll in (feats, utts, paths):
        got = score_collection(m, coll, partition_size=3, client=client)
        assert isinstance(got, da.Array) and got.numblocks[0] == 3
        np.testing.assert_allclose(got.compute(), ref, rtol=1e-6)
    with pytest.raises(ParameterError, match="got file names but no extractor"):
        score_collection(Matcher(4, random_state=0).fit(utts, labels), paths)
