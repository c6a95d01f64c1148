"""FSDD and Japanese Vowels loaders against the counts documented for the data."""

from __future__ import annotations

import numpy as np
import pytest

from vqtoolkit.datasets import load_fsdd, load_japanese_vowels
from vqtoolkit.errors import DataNotFoundError, ParameterError


def test_fsdd_files_labels_and_split(require_data):
    require_data("fsdd")
    d = load_fsdd()
    assert len(d) == 3000
    assert sorted(set(d.speaker)) == ["george", "jackson", "lucas", "nicolas", "theo", "yweweler"]
    assert np.bincount(d.digit).tolist() == [300] * 10
    assert d.take.min() == 0 and d.take.max() == 49
    assert d.is_test.sum() == 300 and (d.take[d.is_test] < 5).all()
    i = d.files.index(str(require_data("fsdd") / "recordings" / "7_theo_3.wav"))
    assert (d.digit[i], d.speaker[i], d.take[i], d.is_test[i]) == (7, "theo", 3, True)
    test = load_fsdd(split="test")
    train = load_fsdd(split="train")
    assert len(test) == 300 and len(train) == 2700
    assert not set(test.files) & set(train.files)
    # the recordings folder itself is accepted too
    assert len(load_fsdd(require_data("fsdd") / "recordings")) == 3000


def test_japanese_vowels(require_data):
    require_data("japanese_vowels")
    jv = load_japanese_vowels()
    assert len(jv.X_train) == 270 and len(jv.X_test) == 370
    assert np.bincount(jv.y_train).tolist() == [0] + [30] * 9
    assert np.bincount(jv.y_test).tolist() == [0, 31, 35, 88, 44, 29, 24, 40, 50, 29]
    assert all(x.shape[1] == 12 for x in jv.X_train + jv.X_test)
    assert all(7 <= x.shape[0] <= 29 for x in jv.X_train + jv.X_test)  # UCI: 7-29 frames
    assert not any((x == 1.0).all(axis=1).any() for x in jv.X_train)  # separators dropped
    np.testing.assert_allclose(jv.X_train[0][0, :3], [1.860936, -0.207383, 0.261557])


def test_missing_data_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv("VQTOOLKIT_DATA", str(tmp_path))
    with pytest.raises(DataNotFoundError, match=rf"looked in: {tmp_path}.*free-spoken-digit"):
        load_fsdd(tmp_path / "nope")
    with pytest.raises(DataNotFoundError, match="japanese.vowels"):
        load_japanese_vowels(tmp_path / "nope")
    with pytest.raises(FileNotFoundError):  # DataNotFoundError is a FileNotFoundError
        load_fsdd(tmp_path / "nope")


def test_bad_split():
    with pytest.raises(ParameterError, match="split='dev'"):
        load_fsdd(split="dev")
