"""``vqtoolkit extract`` called in-process: exit codes, stderr, the written file."""

from __future__ import annotations

import shutil

import numpy as np

from vqtoolkit.cli import main
from vqtoolkit.features.audio import FeatureSet, MFCCExtractor


def _folder(require_data, tmp_path):
    rec = require_data("fsdd") / "recordings"
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("1_jackson_0.wav", "1_jackson_1.wav", "2_nicolas_9.wav"):
        shutil.copy(rec / name, folder)
    (folder / "9_theo_0.wav").write_bytes(b"")
    (folder / "9_theo_1.wav").write_text("hello\n")
    return folder


def test_extract_writes_featureset_and_reports_failures(require_data, tmp_path, capsys):
    folder = _folder(require_data, tmp_path)
    out = tmp_path / "f.npz"
    code = main(["extract", str(folder), "-o", str(out), "--preset", "speech", "-q",
                 "--cache", str(tmp_path / "cache"), "-j", "1",
                 "--label-regex", r"(?P<digit>\d)_(?P<speaker>[a-z]+)_(?P<take>\d+)"])
    err = capsys.readouterr().err
    assert code == 1  # written, but 2 files failed (each named below)
    assert "skipped " + str(folder / "9_theo_0.wav") + ": empty file (0 bytes)" in err
    assert "9_theo_1.wav: not a readable audio file" in err
    assert "3 utterances" in err and "2 of 5 files failed" in err
    fs = FeatureSet.load(out)
    assert len(fs) == 3 and fs.X.shape[1] == 39 and len(fs.failures) == 2
    assert fs.labels("speaker").tolist() == ["jackson", "jackson", "nicolas"]
    np.testing.assert_array_equal(fs[2], MFCCExtractor.preset("speech")(folder / "2_nicolas_9.wav"))


def test_extract_progress_and_no_cache(require_data, tmp_path, capsys):
    folder = _folder(require_data, tmp_path)
    code = main(["extract", str(folder / "1_*.wav"), "-o", str(tmp_path / "g"), "--no-cache",
                 "--sr", "16000", "--n-mfcc", "13", "--progress"])
    err = capsys.readouterr().err
    assert code == 0 and "loading librosa" in err and "MFCC" in err  # progress bar (forced)
    fs = FeatureSet.load(tmp_path / "g.npz")
    assert fs.X.shape[1] == 39 and fs.extractor.sr == 16000  # default preset: 13 + Δ + ΔΔ


def test_extract_errors_exit_codes(require_data, tmp_path, capsys):
    folder = _folder(require_data, tmp_path)
    assert main(["extract", str(folder), "-o", str(tmp_path / "x.npz"), "--preset", "nope"]) == 2
    assert "preset='nope' is unknown" in capsys.readouterr().err
    code = main(["extract", str(folder), "-o", str(tmp_path / "x.npz"), "--strict", "-q",
                 "--no-cache", "-j", "1"])
    assert code == 2
    assert "9_theo_0.wav: empty file" in capsys.readouterr().err
    code = main(["extract", str(folder / "9_*"), "-o", str(tmp_path / "x.npz"), "-q",
                 "--no-cache"])
    assert code == 2 and "none of the 2 files could be used" in capsys.readouterr().err
    assert not (tmp_path / "x.npz").exists()
