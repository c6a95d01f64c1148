"""Codebook files: round trip without pickle, atomic writes, clear errors for bad files."""

import json
import zipfile

import numpy as np
import pytest

import vqtoolkit
from vqtoolkit import Codebook, FileFormatError
from vqtoolkit.io import FORMAT_VERSION, atomic_write, read_archive, write_archive


def _fitted(**kw):
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 1.0, size=(50, 3)) for c in (0, 5, 10)]).astype(np.float32)
    return Codebook(3, random_state=0, **kw).fit(X), X


@pytest.mark.parametrize("whiten", [None, "scale", "standard", "pca", "zca"])
def test_round_trip_predicts_identically(tmp_path, whiten):
    cb, X = _fitted(whiten=whiten)
    path = cb.save(tmp_path / "cb.npz")
    back = vqtoolkit.load(path)
    assert isinstance(back, Codebook)
    np.testing.assert_array_equal(back.codebook_, cb.codebook_)
    assert back.codebook_.dtype == np.float32
    np.testing.assert_array_equal(back.predict(X), cb.predict(X))
    np.testing.assert_array_equal(back.transform(X), cb.transform(X))
    assert back.get_params() == cb.get_params()
    assert back.distortion_ == cb.distortion_


def test_file_loads_without_pickle_and_carries_versions(tmp_path):
    cb, _ = _fitted(whiten="zca")
    path = cb.save(tmp_path / "cb")  # suffix added
    assert path.name == "cb.npz"
    with np.load(path, allow_pickle=False) as npz:
        meta = json.loads(str(npz["__meta__"]))
        assert npz["codebook"].shape == (3, 3)
    assert meta["format_version"] == FORMAT_VERSION
    assert meta["vqtoolkit_version"] == vqtoolkit.__version__
    assert meta["kind"] == "codebook" and meta["whitener"]["method"] == "zca"
    assert "features" in meta  # slot for feature settings


def test_dataframe_feature_names_survive(tmp_path):
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(np.random.default_rng(1).normal(size=(30, 2)), columns=["f0", "loudness"])
    cb = Codebook(2, random_state=0).fit(X)
    back = vqtoolkit.load(cb.save(tmp_path / "cb.npz"))
    assert list(back.feature_names_in_) == ["f0", "loudness"]
    assert list(back.summary().columns[2:]) == ["f0", "loudness"]


def test_write_is_atomic_and_leaves_no_temp_on_failure(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old content")

    def boom(fh):
        fh.write(b"partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_write(target, boom)
    assert target.read_bytes() == b"old content"
    assert list(tmp_path.iterdir()) == [target]


def test_corrupt_file_names_the_file(tmp_path):
    cb, _ = _fitted()
    path = cb.save(tmp_path / "cb.npz")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(FileFormatError, match=r"cb\.npz: damaged or not a vqtoolkit file"):
        vqtoolkit.load(path)
    bogus = tmp_path / "text.npz"
    bogus.write_text("hello")
    with pytest.raises(FileFormatError, match=r"text\.npz"):
        vqtoolkit.load(bogus)


def test_newer_format_version_is_refused(tmp_path):
    path = write_archive(tmp_path / "future.npz", {"kind": "codebook"}, {"a": np.zeros(2)})
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
    meta, arrays = read_archive(path)
    meta["format_version"] = FORMAT_VERSION + 1
    np.savez(path, __meta__=np.array(json.dumps(meta)), **arrays)
    with pytest.raises(FileFormatError, match=f"format version {FORMAT_VERSION + 1} is newer"):
        vqtoolkit.load(path)
    assert "__meta__.npy" in names


def test_not_a_vqtoolkit_archive_and_unknown_kind(tmp_path):
    plain = tmp_path / "plain.npz"
    np.savez(plain, x=np.zeros(3))
    with pytest.raises(FileFormatError, match="not a vqtoolkit file"):
        vqtoolkit.load(plain)
    odd = write_archive(tmp_path / "odd.npz", {"kind": "spaceship"}, {})
    with pytest.raises(FileFormatError, match="unknown kind 'spaceship'"):
        vqtoolkit.load(odd)
    with pytest.raises(FileNotFoundError, match="no such file"):
        vqtoolkit.load(tmp_path / "missing.npz")


def test_object_arrays_are_refused(tmp_path):
    with pytest.raises(ValueError, match="dtype object"):
        write_archive(tmp_path / "x.npz", {"kind": "codebook"}, {"a": np.array([{}, 1])})


def test_any_array_name_and_normal_file_mode(tmp_path):
    import os

    path = write_archive(tmp_path / "names.npz", {"kind": "codebook"},
                         {"file": np.arange(3), "allow_pickle": np.ones(2)})
    meta, arrays = read_archive(path)
    np.testing.assert_array_equal(arrays["file"], np.arange(3))
    umask = os.umask(0)
    os.umask(umask)
    assert (path.stat().st_mode & 0o777) == (0o666 & ~umask)


def test_load_reads_a_featureset(tmp_path):
    from vqtoolkit.features.featureset import FeatureSet, Utterance

    X = np.arange(12, dtype=np.float32).reshape(6, 2)
    fs = FeatureSet(X, [Utterance("a.wav", 0, 4, {"spk": "x"}), Utterance("b.wav", 4, 2, {"spk": "y"})])
    back = vqtoolkit.load(fs.save(tmp_path / "fs.npz"))
    assert isinstance(back, FeatureSet) and np.array_equal(back.X, X)
    assert back.files == ["a.wav", "b.wav"] and back.labels("spk").tolist() == ["x", "y"]


def test_every_saved_kind_has_one_state_protocol():
    import importlib

    from vqtoolkit.io import _KINDS

    for target in _KINDS.values():
        module, name = target.split(":")
        cls = getattr(importlib.import_module(module), name)
        assert callable(cls._to_state) and callable(cls._from_state), name
        assert not hasattr(cls, "_from_archive"), name


def test_bad_whitener_state_names_the_file(tmp_path):
    cb, _ = _fitted(whiten="pca")
    meta, arrays = cb._to_state()
    del arrays["whitener.mean_"]
    path = write_archive(tmp_path / "broken.npz", meta, arrays)
    with pytest.raises(FileFormatError, match=r"broken\.npz: not a valid whitener \(.*'mean_'"):
        vqtoolkit.load(path)


def test_document_clusterer_file_with_the_older_codebook_entry_loads(tmp_path):
    """Files written before the clusterer stored the codebook's own state: no kind / whitener."""
    docs = ["the cat sat on the mat", "cats and dogs are pets", "the dog chased the cat",
            "stock markets fell sharply", "markets rallied as stock prices rose",
            "investors sold stock", "dogs bark at cats", "prices of stock and bonds"] * 3
    dc = vqtoolkit.DocumentClusterer(2, random_state=0).fit(docs)
    meta, arrays = dc._to_state()
    for key in ("kind", "whitener", "feature_names", "features"):
        del meta["codebook"][key]
    back = vqtoolkit.load(write_archive(tmp_path / "old.npz", meta, arrays))
    assert back.predict(docs).tolist() == dc.predict(docs).tolist()


def test_temps_of_dead_writers_are_removed_by_the_next_write(tmp_path):
    import os
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale = tmp_path / f".cb.npz.{dead}.abc123.tmp"  # what kill -9 during a save leaves
    stale.write_bytes(b"")
    alive = tmp_path / f".cb.npz.{os.getpid()}.def456.tmp"  # a writer still running: kept
    alive.write_bytes(b"")
    cb, _ = _fitted()
    cb.save(tmp_path / "cb.npz")
    assert not stale.exists() and alive.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["cb.npz", alive.name])


def test_sigterm_in_the_cli_becomes_system_exit_so_saves_clean_up(tmp_path):
    import signal

    from vqtoolkit.cli import _on_sigterm

    with pytest.raises(SystemExit) as exc:
        _on_sigterm(signal.SIGTERM, None)
    assert exc.value.code == 143

    def write(fh):
        fh.write(b"partial")
        _on_sigterm(signal.SIGTERM, None)

    with pytest.raises(SystemExit):
        atomic_write(tmp_path / "out.npz", write)
    assert list(tmp_path.iterdir()) == []
