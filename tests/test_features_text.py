"""TfidfExtractor and corpus readers: scikit-learn as oracle, encodings, saved state."""

import json

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from vqtoolkit.errors import FileFormatError, ParameterError
from vqtoolkit.features.text import (
    Corpus,
    EncodingFallbackWarning,
    TfidfExtractor,
    read_corpus,
    read_folder,
    read_table,
)

DOCS = [
    "the cat sat on the mat", "cats and dogs are pets", "the dog chased the cat",
    "stock markets fell sharply", "markets rallied as stock prices rose",
    "investors sold stock", "dogs bark at cats", "prices of stock and bonds",
]


def test_tfidf_matches_sklearn():
    ext = TfidfExtractor(min_df=1, max_df=1.0, stop_words=None, dtype=np.float64)
    X = ext.fit_transform(DOCS)
    ref = TfidfVectorizer(sublinear_tf=True, token_pattern=ext.token_pattern).fit(DOCS)
    assert sp.issparse(X) and X.dtype == np.float64
    np.testing.assert_allclose(X.toarray(), ref.transform(DOCS).toarray())
    assert list(ext.get_feature_names_out()) == list(ref.get_feature_names_out())


def test_state_round_trip_vectorises_identically():
    ext = TfidfExtractor(min_df=1, max_df=0.9, ngram_range=(1, 2)).fit(DOCS)
    meta, arrays = ext.to_state()
    json.dumps(meta)
    assert arrays["vocabulary"].dtype.kind == "U"
    back = TfidfExtractor.from_state(meta, arrays)
    new = ["a cat and a dog", "stock prices"]
    np.testing.assert_array_equal(back.transform(new).toarray(), ext.transform(new).toarray())


def test_lsa_matches_truncated_svd_and_is_unit_length():
    ext = TfidfExtractor(min_df=1, stop_words=None, lsa_components=3, dtype=np.float64)
    Z = ext.fit_transform(DOCS)
    X = ext.transform_tfidf(DOCS)
    ref = TruncatedSVD(3, n_iter=7, random_state=np.random.RandomState(0)).fit(X)
    np.testing.assert_allclose(Z, normalize(ref.transform(X)), atol=1e-8)
    np.testing.assert_allclose(np.linalg.norm(Z, axis=1), 1.0)
    back = TfidfExtractor.from_state(*ext.to_state())
    np.testing.assert_allclose(back.transform(DOCS), Z, atol=1e-12)


def test_hashing_names_columns_and_matches_vocabulary_tfidf():
    ext = TfidfExtractor(hashing=True, n_features=2**18, stop_words=None, dtype=np.float64)
    X = ext.fit_transform(DOCS)
    names = ext.get_feature_names_out()
    ref = TfidfVectorizer(sublinear_tf=True, token_pattern=ext.token_pattern).fit(DOCS)
    R = ref.transform(DOCS)
    cols = {t: int(np.flatnonzero(names == t)[0]) for t in ref.get_feature_names_out()}
    assert len(set(cols.values())) == len(cols)  # no collision at this size
    for t, j in cols.items():
        np.testing.assert_allclose(X[:, j].toarray(), R[:, ref.vocabulary_[t]].toarray())


def test_folder_labels_ids_and_latin1_fallback(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "1.txt").write_text("caf\u00e9 au lait", encoding="utf-8")
    (tmp_path / "b" / "2.txt").write_bytes("na\u00efve r\u00e9sum\u00e9".encode("latin-1"))
    with pytest.warns(EncodingFallbackWarning, match="2.txt"):
        c = read_folder(tmp_path)
    assert c.texts == ["caf\u00e9 au lait", "na\u00efve r\u00e9sum\u00e9"]
    assert list(c.labels) == ["a", "b"]
    assert c.ids[1].endswith("2.txt") and c.fallbacks == [(c.ids[1], "latin-1")]


def test_csv_and_jsonl(tmp_path):
    f = tmp_path / "d.csv"
    f.write_text("id,text,topic\nx1,hello world,greet\nx2,bye now,leave\n")
    c = read_table(f, id_column="id", label_column="topic")
    assert c.texts == ["hello world", "bye now"] and list(c.ids) == ["x1", "x2"]
    assert list(c.labels) == ["greet", "leave"]
    j = tmp_path / "d.jsonl"
    j.write_text('{"body": "one"}\n{"body": "two"}\n')
    assert read_corpus(j, column="body").texts == ["one", "two"]
    with pytest.raises(ParameterError, match="no column 'text'"):
        read_table(j)
    j.write_text('{"body": "one"}\nnot json\n')
    with pytest.raises(FileFormatError, match="line 2: not JSON"):
        read_table(j, column="body")


def test_list_with_ids_and_series_index():
    pd = pytest.importorskip("pandas")
    s = pd.Series(["a b", "c d"], index=["p", "q"])
    assert list(read_corpus(s).ids) == ["p", "q"]
    assert list(read_corpus(["x", "y"], ids=[7, 8]).ids) == [7, 8]


def test_errors():
    with pytest.raises(ParameterError, match="got 1 ids for 2 documents"):
        read_corpus(["x", "y"], ids=[1])
    with pytest.raises(ParameterError, match="item 1 is int"):
        read_corpus(["x", 3])
    with pytest.raises(FileFormatError, match="no such file or folder"):
        read_corpus("/nonexistent/corpus")
    with pytest.raises(ParameterError, match="single string"):
        TfidfExtractor().fit("just one string")
    with pytest.raises(ParameterError, match="lsa_components=0"):
        TfidfExtractor(lsa_components=0).fit(DOCS)
    with pytest.raises(ParameterError, match="stop_words='french'"):
        TfidfExtractor(stop_words="french").fit(DOCS)
    with pytest.raises(ParameterError, match="lsa_components=50 must be smaller"):
        TfidfExtractor(min_df=1, lsa_components=50).fit(DOCS)
    with pytest.raises(ParameterError, match="TfidfExtractor: "):
        TfidfExtractor(min_df=1, stop_words=["the"]).fit(["the the", "the"])


def test_corpus_target_from_labels_and_none_without_labels():
    c = read_corpus(["a b", "c d", "e f"])
    assert c.labels is None and c.target is None and c.target_names == ()
    labelled = Corpus(["x", "y", "z"], np.arange(3), np.array(["sport", "art", "sport"]))
    assert labelled.target_names == ("art", "sport")
    assert labelled.target.tolist() == [1, 0, 1] and len(labelled) == 3
    assert labelled.topics is None and labelled.split is None and labelled.fallbacks == []
