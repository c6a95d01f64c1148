"""Damaged and tampered files: every single-bit flip, checksums, inconsistent metadata."""

from __future__ import annotations

import json
import warnings
import zipfile

import numpy as np
import pytest

import vqtoolkit
from vqtoolkit import Codebook, FileFormatError, Matcher
from vqtoolkit.io import read_archive, write_archive


def _small_codebook():
    return Codebook(2, random_state=0).fit(np.random.RandomState(0).rand(20, 1))


def _same(a, b):
    if isinstance(a, Matcher):
        return a.classes_.tolist() == b.classes_.tolist() and all(
            _same(x, y) for x, y in zip(a.codebooks_, b.codebooks_))
    return (a.get_params() == b.get_params() and np.array_equal(a.codebook_, b.codebook_)
            and np.array_equal(a.whitened_codebook_, b.whitened_codebook_)
            and np.array_equal(a.counts_, b.counts_) and a.distortion_ == b.distortion_)


def _flip_every_bit(path, tmp_path):
    """Load the file with each single bit flipped: FileFormatError or an identical object."""
    ref = vqtoolkit.load(path)
    data = path.read_bytes()
    probe = tmp_path / "probe.npz"
    loaded = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for bit in range(len(data) * 8):
            flipped = bytearray(data)
            flipped[bit // 8] ^= 1 << (bit % 8)
            probe.write_bytes(flipped)
            try:
                got = vqtoolkit.load(probe)
            except FileFormatError:
                continue
            loaded += 1
            assert _same(got, ref), f"bit {bit}: a different object loaded without an error"
    return loaded


def test_every_bit_flip_of_a_codebook_file(tmp_path):
    path = _small_codebook().save(tmp_path / "cb.npz")
    loaded = _flip_every_bit(path, tmp_path)
    assert loaded < len(path.read_bytes())  # most flips are caught, a few hit unused bits


@pytest.mark.fuzz
def test_every_bit_flip_of_a_matcher_file(tmp_path):
    rng = np.random.RandomState(0)
    m = Matcher(2, random_state=0).fit([rng.rand(10, 1), rng.rand(10, 1)], ["a", "b"])
    _flip_every_bit(m.save(tmp_path / "m.npz"), tmp_path)


@pytest.mark.parametrize("change, message", [
    (lambda m, a: a.__setitem__("codebook", np.full_like(a["codebook"], np.nan)),
     "codebook holds non-finite"),
    (lambda m, a: a.__setitem__("codebook", np.zeros((2, 3))), r"codebook of shape \(2, 3\)"),
    (lambda m, a: m["params"].__setitem__("n_codewords", -5), "n_codewords=-5 but the codebook"),
    (lambda m, a: m.__setitem__("n_features_in", 7), "for n_features_in=7"),
    (lambda m, a: a.__setitem__("counts", np.ones(5)), r"counts of shape \(5,\)"),
    (lambda m, a: m.__setitem__("distortion", -1.0), "distortion -1.0"),
])
def test_consistent_but_impossible_files_are_refused(tmp_path, change, message):
    path = _small_codebook().save(tmp_path / "cb.npz")
    meta, arrays = read_archive(path)
    for key in ("format", "format_version", "vqtoolkit_version"):
        meta.pop(key)
    change(meta, arrays)
    bad = write_archive(tmp_path / "bad.npz", meta, arrays)
    with pytest.raises(FileFormatError, match=f"bad.npz: not a valid codebook file.*{message}"):
        vqtoolkit.load(bad)


def test_a_replaced_array_fails_its_checksum(tmp_path):
    path = _small_codebook().save(tmp_path / "cb.npz")
    with zipfile.ZipFile(path) as z:
        members = {name: z.read(name) for name in z.namelist()}
    nan = tmp_path / "nan.npy"
    np.save(nan, np.full((2, 1), np.nan))
    members["codebook.npy"] = nan.read_bytes()  # a well-formed archive, one array swapped
    out = tmp_path / "tampered.npz"
    with zipfile.ZipFile(out, "w") as z:
        for name, blob in members.items():
            z.writestr(name, blob)
    with pytest.raises(FileFormatError, match="tampered.npz: damaged or modified file "
                                              r"\(checksum mismatch in array 'codebook'\)"):
        vqtoolkit.load(out)


def test_metadata_edits_fail_the_checksum_and_bad_versions_are_named(tmp_path):
    path = _small_codebook().save(tmp_path / "cb.npz")
    with zipfile.ZipFile(path) as z:
        members = {name: z.read(name) for name in z.namelist()}

    def with_meta(name, edit):
        meta = json.loads(str(np.load(path)["__meta__"]))
        edit(meta)
        tmp = tmp_path / "meta.npy"
        np.save(tmp, np.array(json.dumps(meta)))
        out = tmp_path / name
        with zipfile.ZipFile(out, "w") as z:
            for member, blob in members.items():
                z.writestr(member, tmp.read_bytes() if member == "__meta__.npy" else blob)
        return out

    with pytest.raises(FileFormatError, match="metadata checksum mismatch"):
        vqtoolkit.load(with_meta("edited.npz", lambda m: m.__setitem__("distortion", 0.5)))
    with pytest.raises(FileFormatError, match=r"format_version '1' is not a positive integer"):
        vqtoolkit.load(with_meta("v.npz", lambda m: m.__setitem__("format_version", "1")))


def test_version_1_files_without_checksums_still_load(tmp_path):
    path = _small_codebook().save(tmp_path / "cb.npz")
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist() if n != "__sha256__.npy"}
    meta = json.loads(str(np.load(path)["__meta__"]))
    meta["format_version"] = 1
    tmp = tmp_path / "meta.npy"
    np.save(tmp, np.array(json.dumps(meta)))
    members["__meta__.npy"] = tmp.read_bytes()
    old = tmp_path / "old.npz"
    with zipfile.ZipFile(old, "w") as z:
        for name, blob in members.items():
            z.writestr(name, blob)
    assert _same(vqtoolkit.load(old), vqtoolkit.load(path))


def test_not_an_archive_says_so(tmp_path):
    wav = tmp_path / "x.wav"
    wav.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt ")
    with pytest.raises(FileFormatError, match=r"x.wav: damaged or not a vqtoolkit file \(not a "
                                              r"readable \.npz archive\)"):
        vqtoolkit.load(wav)


def test_matcher_files_are_checked_against_themselves(tmp_path):
    rng = np.random.RandomState(0)
    m = Matcher(2, random_state=0).fit([rng.rand(10, 2), rng.rand(10, 2)], ["a", "b"])
    path = m.save(tmp_path / "m.npz")
    meta, arrays = read_archive(path)
    for key in ("format", "format_version", "vqtoolkit_version"):
        meta.pop(key)
    meta["n_features_in"] = 3
    bad = write_archive(tmp_path / "bad.npz", meta, arrays)
    with pytest.raises(FileFormatError, match="bad.npz: not a valid matcher file .*codebook 0 has 2 "
                                              "features, the matcher 3"):
        vqtoolkit.load(bad)


def test_binary_in_a_damaged_member_name_is_escaped(tmp_path):
    path = _small_codebook().save(tmp_path / "cb.npz")
    data = bytearray(path.read_bytes())
    at = data.index(b"codebook.npy")  # the first local header's file name
    data[at] = 0xE9
    path.write_bytes(data)
    with pytest.raises(FileFormatError) as exc:
        vqtoolkit.load(path)
    assert str(exc.value).isascii() and "cb.npz" in str(exc.value)


def _small_featureset():
    from vqtoolkit.features.audio import FeatureSet, Utterance

    rng = np.random.default_rng(0)
    index = [Utterance(f"{i}_ann_0.wav", 4 * i, 4, {"speaker": "ann" if i % 2 else "bob"}) for i in range(3)]
    return FeatureSet(rng.normal(size=(12, 5)).astype(np.float32), index, failures=[("x.wav", "silent")])


@pytest.mark.parametrize("change", [
    lambda a: a.__setitem__("label_0", a["label_0"][:2]),           # a label per utterance lost
    lambda a: a.__setitem__("files", a["files"][:2]),                # a file name lost
    lambda a: a.__setitem__("n_frames", a["n_frames"][:, None]),     # wrong shape
    lambda a: a.__setitem__("failure_reason", a["failure_reason"][:0]),
    lambda a: a.__setitem__("X", a["X"][:, 0]),                      # a vector for the frames
    lambda a: a.__setitem__("X", a["X"].astype(np.int64)),
    lambda a: a.__setitem__("start", a["start"] + 1),                # index disagrees with X
])
def test_consistent_checksum_but_inconsistent_featureset_is_refused(tmp_path, change):
    """A featureset re-written with valid checksums but columns that disagree: FileFormatError naming it."""
    path = _small_featureset().save(tmp_path / "fs.npz")
    meta, arrays = read_archive(path)
    arrays = dict(arrays)
    change(arrays)
    bad = write_archive(tmp_path / "bad.npz", meta, arrays)
    with pytest.raises(FileFormatError, match="bad.npz"):
        vqtoolkit.load(bad)


def test_featureset_round_trip_is_exact(tmp_path):
    fs = _small_featureset()
    back = vqtoolkit.load(fs.save(tmp_path / "fs.npz"))
    assert np.array_equal(back.X, fs.X) and back.files == fs.files
    assert back.labels("speaker").tolist() == fs.labels("speaker").tolist()
    assert back.failures == fs.failures
