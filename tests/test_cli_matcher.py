"""train / match / evaluate / info in-process on the project's synthetic vowels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vqtoolkit.cli import main

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
REGEX = r"(?P<vowel>\d)_(?P<speaker>[a-z]+)_(?P<take>\d+)"


@pytest.fixture(scope="module")
def vowels(tmp_path_factory):
    """The project's synthetic vowels (scripts/make_synthetic_vowels.py), generated in tmp."""
    import sys

    sys.path.insert(0, str(SCRIPTS))
    from make_synthetic_vowels import generate

    folder = tmp_path_factory.mktemp("synthetic_vowels")
    generate(folder)
    return folder


@pytest.fixture(scope="module")
def model(tmp_path_factory, vowels):
    path = tmp_path_factory.mktemp("cli") / "vowels.npz"
    rc = main(["train", str(vowels / "*_[2-7].wav"), "-o", str(path), "--label-regex", REGEX,
               "--label", "vowel", "--no-cmvn", "-k", "4", "-j", "1", "-q"])
    assert rc == 0
    return path


def test_match_json_and_csv(model, vowels, capsys, tmp_path):
    assert main(["match", str(model), str(vowels / "0_ada_0.wav"), str(vowels / "2_bo_1.wav"),
                 "--top", "2", "-q"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["prediction"] for r in rows] == ["0", "2"]
    assert [r["ranking"][0] for r in rows] == ["0", "2"] and len(rows[0]["ranking"]) == 2
    assert set(rows[0]) == {"input", "prediction", "scores", "ranking"}
    assert set(rows[0]["scores"]) == {"0", "1", "2", "3", "4"}
    out = tmp_path / "m.csv"
    assert main(["match", str(model), str(vowels / "1_cy_0.wav"), "--format", "csv", "-o", str(out),
                 "-q"]) == 0
    lines = out.read_text().splitlines()
    assert lines[0].startswith("input,predicted,distortion[0]") and len(lines) == 2


def test_evaluate_reports_accuracy_confusion_and_eer(model, vowels, capsys):
    assert main(["evaluate", str(model), str(vowels / "*_[0-1].wav"), "--label-regex", REGEX,
                 "--label", "vowel", "-q"]) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["n_inputs"] == 40
    assert doc["accuracy"] >= 0.9
    assert sum(map(sum, doc["confusion"]["counts"])) == 40
    assert doc["confusion"]["classes"] == ["0", "1", "2", "3", "4"]
    assert 0.0 <= doc["eer"]["rate"] <= 0.5 and doc["failures"] == []
    assert "accuracy" in captured.err


def test_info_describes_matcher_and_codebook(model, capsys, tmp_path):
    assert main(["info", str(model)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["kind"] == "matcher" and doc["classes"] == ["0", "1", "2", "3", "4"]
    assert doc["codebook_shapes"] == [[4, 60]] * 5  # default preset 'vq': c1..c20 + Δ + ΔΔ
    assert doc["features"]["settings"]["cmvn"] is None
    import numpy as np

    import vqtoolkit

    cb = vqtoolkit.Codebook(3, random_state=0).fit(np.random.default_rng(0).normal(size=(30, 2)))
    p = cb.save(tmp_path / "cb.npz")
    assert main(["info", str(p), "--arrays"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["kind"] == "codebook" and doc["codebook_shape"] == [3, 2]
    assert doc["arrays"]["codebook"]["shape"] == [3, 2]


@pytest.mark.parametrize("argv, match", [
    (["match", "{missing}", "x.wav"], "no such file"),
    (["match", "{junk}", "x.wav"], "damaged or not a vqtoolkit file"),
    (["match", "{codebook}", "x.wav"], "not a matcher"),
    (["info", "{junk}"], "damaged or not a vqtoolkit file"),
    (["train", "--bogus"], "required"),
    (["match", "{model}", "{data}/0_ada_0.wav", "--top", "9"], "--top 9 must be between"),
])
def test_bad_arguments_and_files_exit_2(argv, match, model, vowels, tmp_path, capsys):
    import numpy as np

    import vqtoolkit

    junk = tmp_path / "junk.npz"
    junk.write_text("not a zip")
    cb = vqtoolkit.Codebook(2, random_state=0).fit(np.random.default_rng(0).normal(size=(10, 2)))
    cbp = cb.save(tmp_path / "cb.npz")
    subst = {"missing": tmp_path / "nope.npz", "junk": junk, "codebook": cbp, "model": model,
             "data": vowels}
    argv = [a.format(**subst) for a in argv]
    with pytest.raises(SystemExit) if "--bogus" in argv else _nullcontext():
        rc = main(argv)
        assert rc == 2
    err = capsys.readouterr().err
    assert match in err
    assert len(err.strip().splitlines()) == 1


def test_help_has_examples(capsys):
    for cmd in ("train", "match", "evaluate", "info"):
        with pytest.raises(SystemExit):
            main([cmd, "--help"])
        assert "example" in capsys.readouterr().out


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
