"""DocumentClusterer: sparse == dense spherical k-means, members by id, files, CLI, BBC NMI."""

import json
import warnings

import numpy as np
import pytest
from sklearn.preprocessing import normalize

from vqtoolkit import Codebook, DocumentClusterer, ParameterError, load
from vqtoolkit.cli import main
from vqtoolkit.documents import clustering_scores, lsa_seed
from vqtoolkit.features.text import TfidfExtractor

SPORT = ["the team won the match with a late goal", "the striker scored a goal in the match",
         "fans cheered the team after the cup final", "the coach praised the players and the team",
         "a late goal decided the cup match"]
MONEY = ["shares fell as the market slumped", "the bank raised interest rates and shares fell",
         "investors sold shares on the stock market", "the market rallied after the bank report",
         "interest rates and stock prices moved together"]
DOCS = SPORT + MONEY
IDS = [f"s{i}.txt" for i in range(5)] + [f"m{i}.txt" for i in range(5)]


def _brute_spherical(X, C, n_iter):
    """Reference spherical k-means on dense unit rows: argmax cosine, normalised sums."""
    X = normalize(X)
    for _ in range(n_iter):
        codes = np.argmax(X @ C.T, axis=1)
        C = normalize(np.vstack([X[codes == j].sum(0) for j in range(C.shape[0])]))
    return np.argmax(X @ C.T, axis=1), C


def test_sparse_spherical_equals_dense_computation():
    X = TfidfExtractor(min_df=1, max_df=1.0, dtype=np.float64).fit_transform(DOCS)
    C0 = normalize(X[[0, 5, 3]].toarray())
    ref_codes, ref_C = _brute_spherical(X.toarray(), C0, 20)
    cb = Codebook(3, metric="cosine", init=C0, tol=0).fit(X)
    cbd = Codebook(3, metric="cosine", init=C0, tol=0).fit(X.toarray())
    order = np.argsort([np.flatnonzero(ref_codes == ref_codes[i])[0] for i in range(len(DOCS))])
    assert order is not None
    for fitted in (cb, cbd):
        # same partition and the same unit codewords, up to the cluster numbering
        mapping = {int(a): int(b) for a, b in zip(ref_codes, fitted.labels_)}
        np.testing.assert_array_equal([mapping[c] for c in ref_codes], fitted.labels_)
        perm = [mapping[j] for j in range(3)]
        np.testing.assert_allclose(fitted.codebook_[perm], ref_C, atol=1e-10)
    np.testing.assert_array_equal(cb.labels_, cbd.labels_)


def test_fit_members_top_terms_predict():
    dc = DocumentClusterer(2, features=TfidfExtractor(min_df=1), random_state=0)
    dc.fit(DOCS, ids=IDS)
    assert clustering_scores([0] * 5 + [1] * 5, dc.labels_)["nmi"] == pytest.approx(1.0)
    sport = int(dc.labels_[0])
    assert set(dc.members(sport)) == set(IDS[:5])
    assert list(dc.cluster_sizes_) == [5, 5]
    assert "goal" in dc.top_terms(3)[sport] or "team" in dc.top_terms(3)[sport]
    terms = dc.top_terms(4, cluster=1 - sport, weights=True)
    w = [x for _, x in terms]
    assert w == sorted(w, reverse=True) and terms[0][0] in ("shares", "market")
    # representatives: members sorted by decreasing cosine to the codeword
    reps = dc.representatives(sport, 5)
    sims = dict(zip(IDS, dc.similarity_))
    assert [sims[r] for r in reps] == sorted(sims[r] for r in IDS[:5])[::-1]
    np.testing.assert_array_equal(dc.predict(["a goal for the team", "shares and the bank"]),
                                  [sport, 1 - sport])
    np.testing.assert_array_equal(dc.predict(DOCS), dc.labels_)


def test_top_terms_are_mean_tfidf():
    dc = DocumentClusterer(2, features=TfidfExtractor(min_df=1), random_state=0).fit(DOCS)
    X = dc.features_.transform_tfidf(DOCS).toarray()
    for j in range(2):
        np.testing.assert_allclose(dc.centroids_[j], X[dc.labels_ == j].mean(0), atol=1e-6)


def test_init_kmeanspp_and_lsa_mode():
    # k-means++ restarts keep the lowest distortion among the single runs
    dc = DocumentClusterer(2, features=TfidfExtractor(min_df=1), init="k-means++", n_init=3,
                           random_state=0).fit(DOCS)
    X = dc.features_.transform(DOCS)
    seeds = np.random.RandomState(0).randint(np.iinfo(np.int32).max, size=3)
    runs = [Codebook(2, metric="cosine", max_iter=100, random_state=int(s)).fit(X).distortion_
            for s in seeds]
    assert dc.distortion_ == pytest.approx(min(runs))
    dc = DocumentClusterer(2, features=TfidfExtractor(min_df=1), lsa_components=3).fit(DOCS)
    Z = dc.features_.transform(DOCS)
    assert Z.shape == (10, 3) and dc.codebook_.n_features_in_ == 3
    # brute force: the distortion is the mean squared distance to the assigned codeword
    C = dc.codebook_.codebook_
    d2 = ((Z[:, None, :] - C[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(dc.predict(DOCS), dc.labels_)
    assert dc.distortion_ == pytest.approx(d2.min(1).mean(), rel=1e-5)
    C = lsa_seed(TfidfExtractor(min_df=1).fit_transform(DOCS), 2, n_components=3, random_state=0)
    np.testing.assert_allclose(np.linalg.norm(C, axis=1), 1.0)


def test_series_index_are_ids():
    pd = pytest.importorskip("pandas")
    s = pd.Series(DOCS, index=pd.Index(IDS, name="file"))
    dc = DocumentClusterer(2, features=TfidfExtractor(min_df=1)).fit(s)
    assert set(dc.members(int(dc.labels_[0]))) == set(IDS[:5])


def test_save_load_round_trip(tmp_path):
    dc = DocumentClusterer(2, features=TfidfExtractor(min_df=1), lsa_components=None).fit(
        DOCS, ids=IDS)
    path = dc.save(tmp_path / "docs")
    back = load(path)
    assert isinstance(back, DocumentClusterer)
    new = ["goal goal team", "bank shares market", "the match"]
    np.testing.assert_array_equal(back.predict(new), dc.predict(new))
    assert back.top_terms(5) == dc.top_terms(5)
    assert list(back.members(0)) == list(dc.members(0))
    np.testing.assert_array_equal(back.labels_, dc.labels_)


def test_report_json_markdown(tmp_path):
    dc = DocumentClusterer(2, features=TfidfExtractor(min_df=1)).fit(DOCS, ids=IDS)
    rep = dc.report(n_terms=3, n_representatives=2, labels=[0] * 5 + [1] * 5)
    j, m = rep.save(tmp_path / "out")
    data = json.loads(j.read_text())
    assert data["scores"]["nmi"] == pytest.approx(1.0)
    assert [c["size"] for c in data["clusters"]] == [5, 5]
    assert len(data["clusters"][0]["representatives"]) == 2
    assert "| cluster | size | top terms |" in m.read_text()


def test_errors():
    with pytest.raises(ParameterError, match="n_clusters=20 is larger than the number of documents"):
        DocumentClusterer(20).fit(DOCS)
    with pytest.raises(ParameterError, match="init='random' is not one of"):
        DocumentClusterer(2, init="random").fit(DOCS)
    with pytest.raises(ParameterError, match="features must be a TfidfExtractor"):
        DocumentClusterer(2, features="tfidf").fit(DOCS)
    dc = DocumentClusterer(2, features=TfidfExtractor(min_df=1)).fit(DOCS)
    with pytest.raises(ParameterError, match=r"cluster=5 must be an integer in \[0, 2\)"):
        dc.members(5)
    with pytest.raises(ParameterError, match="n=0 must be an integer"):
        dc.top_terms(0)
    with pytest.raises(ParameterError, match="labels have shape"):
        dc.report(labels=[0, 1])
    from vqtoolkit import NotFittedError

    with pytest.raises(NotFittedError, match="not fitted"):
        DocumentClusterer(2).predict(DOCS)


def test_cli(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    for name, docs in (("sport", SPORT), ("money", MONEY)):
        (corpus / name).mkdir(parents=True)
        for i, d in enumerate(docs):
            (corpus / name / f"{i}.txt").write_text(d)
    out = tmp_path / "report"
    rc = main(["cluster-docs", str(corpus), "-k", "2", "--out", str(out), "-q",
               "--save", str(tmp_path / "dc.npz")])
    assert rc == 0
    data = json.loads((out / "report.json").read_text())
    assert data["scores"]["nmi"] == pytest.approx(1.0)
    assert isinstance(load(tmp_path / "dc.npz"), DocumentClusterer)
    assert main(["cluster-docs", str(tmp_path / "missing"), "-k", "2", "--out", str(out)]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_bbc_nmi(require_data):
    from vqtoolkit.datasets import load_bbc

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = load_bbc(require_data("bbc"))
    dc = DocumentClusterer(5).fit(ds.texts, ids=ds.ids)
    assert clustering_scores(ds.labels, dc.labels_)["nmi"] >= 0.85
    assert dc.members(0)[0].endswith(".txt")


def test_sparse_cosine_fit_peak_memory_within_three_times_the_csr_matrix():
    """The shape of benchmarks/bench_text.py (20,000 x 50,000, 120 terms per row, k = 20): 2.4x."""
    import tracemalloc

    import numpy as np
    import scipy.sparse as sp
    from sklearn.preprocessing import normalize

    from vqtoolkit import Codebook

    rng = np.random.default_rng(0)
    n, terms, k = 20000, 50000, 20
    X = sp.random(n, terms, density=120 / terms, format="csr", dtype=np.float32, random_state=rng)
    X = normalize(X)
    X.sort_indices()
    csr_bytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    C0 = normalize(X[:k].toarray())
    Codebook(k, metric="cosine", init=C0, max_iter=2).fit(X)  # compile kernels first
    tracemalloc.start()
    Codebook(k, metric="cosine", init=C0, max_iter=3, tol=0).fit(X)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak <= 3 * csr_bytes, peak / csr_bytes


def test_too_few_documents_for_min_df_and_max_df_says_what_to_change():
    docs = ["apple banana cherry", "banana cherry dates", "cherry dates figs"]
    with pytest.raises(ParameterError, match=r"with 3 documents, max_df=0.5 keeps terms in at most "
                                             r"0.5 x 3 = 1.5 documents, fewer than min_df=2"):
        DocumentClusterer(3).fit(docs)
