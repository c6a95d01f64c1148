"""Label rules (--labels auto | folder | regex:PATTERN), JSON output and exit codes of
extract / train / match / evaluate, checked against the Python API on a few FSDD files."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

import vqtoolkit
from vqtoolkit.cli import EXIT_CODES_HELP, main
from vqtoolkit.errors import FileFormatError, ParameterError
from vqtoolkit.features.audio import FeatureSet, MFCCExtractor, extract_many
from vqtoolkit.features.labels import FOLDER_LABEL, LabelRule, label_rule

# alice = FSDD's jackson, bob = FSDD's theo; takes 0-1 of four digits train, take 2 tests
SPEAKERS = {"alice": "jackson", "bob": "theo"}
DIGITS = (0, 1, 2, 3)
TRAIN = ["-k", "4", "--no-cmvn", "--n-mfcc", "20", "-j", "1", "-q"]


@pytest.fixture(scope="module")
def tree(require_data, tmp_path_factory):
    """``spk/<name>/d<digit>_t<take>.wav`` (copies of FSDD files) and a private feature cache."""
    rec = require_data("fsdd") / "recordings"
    root = tmp_path_factory.mktemp("labels")
    for name, fsdd_name in SPEAKERS.items():
        (root / "spk" / name).mkdir(parents=True)
        for d in DIGITS:
            for take in (0, 1, 2):
                shutil.copy(rec / f"{d}_{fsdd_name}_{take}.wav", root / "spk" / name / f"d{d}_t{take}.wav")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VQTOOLKIT_CACHE", str(root / "cache"))
        yield root


@pytest.fixture(scope="module")
def folder_model(tree):
    path = tree / "folder_model.npz"
    assert main(["train", str(tree / "spk/*/*_t[01].wav"), "-o", str(path), "--labels", "folder",
                 *TRAIN]) == 0
    return path


def _test_files(tree):
    return sorted(str(p) for p in (tree / "spk").glob("*/*_t2.wav"))


def _api_matcher(tree):
    """The oracle: the same training done through the Python API."""
    e = MFCCExtractor.preset("speech", cmvn=None, n_mfcc=20)
    fs = extract_many(str(tree / "spk/*/*_t[01].wav"), e, n_jobs=1, labels="folder",
                      verbose=False)
    return vqtoolkit.Matcher(4, features=e, whiten="standard", random_state=0).fit(
        fs.utterances(), fs.labels("folder"))


# ------------------------------------------------------------------ label rules (no data)
def test_label_rules_parse_and_apply(tmp_path):
    fsdd = ["a/3_theo_12.wav", "b/0_george_0.flac"]
    rule = label_rule("auto").resolve(fsdd)
    assert rule.kind == "regex"
    labels, failures, todo = label_rule("auto").apply(fsdd)
    assert labels[0] == {"digit": "3", "speaker": "theo", "take": "12"} and todo == [0, 1]
    # one name that is not FSDD-style: the whole set is labelled by folder, nothing fails
    mixed = fsdd + ["spk/alice/take_1_a_2.wav"]
    labels, failures, todo = label_rule("auto").apply(mixed)
    assert [labels[i][FOLDER_LABEL] for i in todo] == ["a", "b", "alice"] and failures == {}
    # a regex rule: named groups of the file name; a name that does not match fails
    labels, failures, todo = label_rule("regex:(?P<who>[a-z]+)-(?P<n>\\d+)").apply(
        ["x/alice-01.wav", "x/bob.wav"])
    assert labels == {0: {"who": "alice", "n": "01"}} and todo == [0]
    assert "does not match the label regex" in failures[1]
    with pytest.raises(FileFormatError, match="bob.wav: file name does not match"):
        label_rule(label_regex="(?P<who>[a-z]+)-").apply(["x/bob.wav"], strict=True)
    # a file in the current folder is labelled by the current folder's name
    cwd = os.path.basename(os.getcwd())
    assert label_rule("folder").apply(["take.wav"])[0] == {0: {"folder": cwd}}
    assert label_rule(None) == LabelRule("none")


@pytest.mark.parametrize("kwargs, match", [
    ({"rule": "speaker"}, "labels='speaker' is unknown; use one of auto, folder, regex:PATTERN"),
    ({"rule": "regex:\\d+"}, "has no named groups"),
    ({"rule": "regex:(?P<a>"}, "is not a regular expression"),
    ({"rule": "folder", "label_regex": "(?P<a>x)"}, "not both"),
    ({"rule": 3}, "must be a string"),
])
def test_bad_label_rules(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        label_rule(kwargs.pop("rule"), **kwargs)


def test_bad_label_rule_on_the_command_line_exit_2(tmp_path, capsys):
    assert main(["train", str(tmp_path), "-o", str(tmp_path / "m.npz"), "--labels", "speaker"]) == 2
    err = capsys.readouterr().err
    assert "labels='speaker' is unknown" in err and err.count("\n") == 1
    with pytest.raises(SystemExit) as exc:  # the alias and the rule exclude each other
        main(["match", "m.npz", "x.wav", "--labels", "folder", "--label-regex", "(?P<a>x)"])
    assert exc.value.code == 2 and "not allowed with argument" in capsys.readouterr().err


@pytest.mark.parametrize("cmd", ["extract", "train", "match", "evaluate"])
def test_help_shows_exit_codes_and_label_rules(cmd, capsys):
    with pytest.raises(SystemExit) as exc:
        main([cmd, "--help"])
    out = capsys.readouterr().out
    assert exc.value.code == 0
    assert out.rstrip().endswith(EXIT_CODES_HELP.rstrip())  # verbatim, last
    assert "--labels folder" in out and "--labels regex:PATTERN" in out and "example" in out


# ------------------------------------------------------------------ folder layout end to end
def test_folder_labels_train_and_match_json_equal_the_api(tree, folder_model, capsys):
    files = _test_files(tree)
    assert main(["match", str(folder_model), *files, "--normalize", "cohort", "-q"]) == 0
    doc = json.loads(capsys.readouterr().out)
    oracle = _api_matcher(tree)
    expect = oracle.score(files)
    assert [d["input"] for d in doc] == files
    for i, d in enumerate(doc):
        assert set(d) == {"input", "prediction", "scores", "ranking", "normalized"}
        assert list(d["scores"]) == ["alice", "bob"]
        np.testing.assert_allclose([d["scores"][c] for c in ("alice", "bob")],
                                   expect.distortion[i], rtol=1e-6)
        assert d["ranking"] == sorted(d["scores"], key=d["scores"].get)
        assert d["prediction"] == d["ranking"][0] == expect.predict()[i]
        assert d["normalized"]["method"] == "cohort"
        np.testing.assert_allclose(list(d["normalized"]["scores"].values()),
                                   expect.normalized("cohort")[i], rtol=1e-6)
    # the speakers are told apart (jackson vs theo, 4 digits each)
    truth = ["alice" if "/alice/" in f else "bob" for f in files]
    assert [d["prediction"] for d in doc] == truth


def test_match_top_and_csv_stay_flat(tree, folder_model, capsys):
    files = _test_files(tree)[:2]
    assert main(["match", str(folder_model), *files, "--top", "1", "-q"]) == 0
    assert [len(d["ranking"]) for d in json.loads(capsys.readouterr().out)] == [1, 1]
    assert main(["match", str(folder_model), *files, "--format", "csv", "-q"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "input,predicted,distortion[alice],distortion[bob]" and len(lines) == 3


def test_evaluate_json_against_the_api(tree, folder_model, capsys):
    from sklearn.metrics import confusion_matrix

    files = _test_files(tree)
    assert main(["evaluate", str(folder_model), *files, "--labels", "folder", "-q"]) == 0
    doc = json.loads(capsys.readouterr().out)
    truth = np.array(["alice" if "/alice/" in f else "bob" for f in files])
    pred = _api_matcher(tree).predict(files)
    assert doc["n_inputs"] == len(files) and doc["failures"] == []
    assert doc["accuracy"] == pytest.approx(np.mean(pred == truth))
    assert doc["confusion"]["classes"] == ["alice", "bob"]
    assert doc["confusion"]["counts"] == confusion_matrix(truth, pred, labels=["alice", "bob"]).tolist()
    assert set(doc["per_class"]) == {"alice", "bob"}
    assert doc["per_class"]["alice"]["support"] == 4
    assert set(doc["averages"]) == {"macro", "weighted"}
    assert 0.0 <= doc["eer"]["rate"] <= 0.5 and isinstance(doc["eer"]["threshold"], float)


# ------------------------------------------------------------------ regex labels
def test_regex_labels_and_the_label_regex_alias_agree(tree, tmp_path, capsys):
    flat = tmp_path / "flat"
    flat.mkdir()
    for f in (tree / "spk").glob("*/*_t[01].wav"):
        shutil.copy(f, flat / f"{f.parent.name}-{f.stem}.wav")  # alice-d0_t0.wav
    (flat / "README.wav").write_bytes((flat / "alice-d0_t0.wav").read_bytes())  # no match
    pattern = r"(?P<who>[a-z]+)-d(?P<digit>\d)"
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    assert main(["train", str(flat), "-o", str(a), "--labels", f"regex:{pattern}", "--label", "who",
                 *TRAIN]) == 1  # written, README.wav skipped
    err = capsys.readouterr().err
    assert f"skipped {flat / 'README.wav'}: file name does not match the label regex" in err
    assert main(["train", str(flat), "-o", str(b), "--label-regex", pattern, "--label", "who",
                 "--format", "json", *TRAIN]) == 1
    summary = json.loads(capsys.readouterr().out)
    assert summary["classes"] == ["alice", "bob"] and summary["n_utterances"] == 16
    assert [f["file"] for f in summary["failures"]] == [str(flat / "README.wav")]
    ma, mb = vqtoolkit.load(a), vqtoolkit.load(b)
    for ca, cb in zip(ma.codebooks_, mb.codebooks_):
        np.testing.assert_array_equal(ca.codebook_, cb.codebook_)
    # two labels and no --label: the error names them
    assert main(["train", str(flat / "a*"), str(flat / "b*"), "-o", str(tmp_path / "c.npz"),
                 "--label-regex", pattern, *TRAIN]) == 2
    assert "--label is needed to say which of the labels ['who', 'digit']" in capsys.readouterr().err


# ------------------------------------------------------------------ extract → train
def test_extract_then_train_with_defaults(tree, tmp_path, capsys):
    fs_path = tmp_path / "spk.npz"
    assert main(["extract", str(tree / "spk"), "-o", str(fs_path), "--preset", "speech", "-j", "1",
                 "-q", "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["labels"] == ["folder"] and summary["n_utterances"] == 24
    assert summary["failures"] == []
    # the FeatureSet as it is: no label option anywhere
    assert main(["train", str(fs_path), "-o", str(tmp_path / "m.npz"), "-k", "4", "-q"]) == 0
    model = vqtoolkit.load(tmp_path / "m.npz")
    assert model.classes_.tolist() == ["alice", "bob"]
    fs = FeatureSet.load(fs_path)
    oracle = vqtoolkit.Matcher(4, features=fs.extractor, whiten="standard", random_state=0).fit(
        fs.utterances(), fs.labels("folder"))
    for got, want in zip(model.codebooks_, oracle.codebooks_):
        np.testing.assert_array_equal(got.codebook_, want.codebook_)


def test_featureset_labels_kept_or_made_again(require_data, tree, tmp_path, capsys):
    rec = require_data("fsdd") / "recordings"
    fsdd = tmp_path / "fsdd"
    for folder, name in [("a", "0_jackson_0.wav"), ("a", "1_jackson_0.wav"), ("b", "0_theo_0.wav"),
                         ("b", "1_theo_0.wav")]:
        (fsdd / folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(rec / name, fsdd / folder)
    fs_path = tmp_path / "fsdd.npz"
    assert main(["extract", str(fsdd), "-o", str(fs_path), "-j", "1", "-q"]) == 0
    assert FeatureSet.load(fs_path).label_names == ["digit", "speaker", "take"]  # FSDD names
    capsys.readouterr()
    assert main(["train", str(fs_path), "-o", str(tmp_path / "s.npz"), "-k", "2", "-q",
                 "--label", "speaker", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["classes"] == ["jackson", "theo"]
    # --labels on a FeatureSet: labels made again from the stored paths
    assert main(["train", str(fs_path), "-o", str(tmp_path / "f.npz"), "-k", "2", "-q",
                 "--labels", "folder", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["classes"] == ["a", "b"]
    assert main(["train", str(fs_path), "-o", str(tmp_path / "g.npz"), "-k", "2", "-q",
                 "--labels", "regex:_(?P<who>jackson)_"]) == 2  # 2 files skipped, one class left
    err = capsys.readouterr().err
    assert "skipped" in err and "0_theo_0.wav" in err and "matching needs at least two" in err
    # a FeatureSet saved without labels (library default) gets the default rule
    e = MFCCExtractor.preset("speech")
    bare = extract_many(str(tree / "spk"), e, n_jobs=1, verbose=False)
    assert bare.label_names == []
    bare.save(tmp_path / "bare.npz")
    assert main(["train", str(tmp_path / "bare.npz"), "-o", str(tmp_path / "b.npz"), "-k", "2",
                 "-q", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["classes"] == ["alice", "bob"]


# ------------------------------------------------------------------ exit codes
def test_one_bad_file_among_good_ones_exit_1(tree, folder_model, tmp_path, capsys):
    bad = tmp_path / "spk" / "bob" / "broken.wav"
    bad.parent.mkdir(parents=True)
    bad.write_text("not audio\n")
    good = _test_files(tree)
    out = tmp_path / "m.npz"
    assert main(["train", *(str(f) for f in (tree / "spk").glob("*/*_t[01].wav")), str(bad),
                 "-o", str(out), "--labels", "folder", *TRAIN]) == 1
    err = capsys.readouterr().err
    assert out.is_file() and f"skipped {bad}: not a readable audio file" in err
    fs_out = tmp_path / "f.npz"
    assert main(["extract", str(tree / "spk" / "alice"), str(bad), "-o", str(fs_out), "-j", "1",
                 "-q", "--format", "json"]) == 1
    summary = json.loads(capsys.readouterr().out)
    assert summary["n_files"] == 13 and summary["n_utterances"] == 12
    assert [f["file"] for f in summary["failures"]] == [str(bad)]
    assert len(FeatureSet.load(fs_out)) == 12
    assert main(["match", str(folder_model), *good, str(bad), "-q"]) == 1
    captured = capsys.readouterr()
    assert [d["input"] for d in json.loads(captured.out)] == good
    assert f"skipped {bad}" in captured.err
    assert main(["evaluate", str(folder_model), *good, str(bad), "--labels", "folder", "-q"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["n_inputs"] == len(good)
    assert doc["failures"] == [{"file": str(bad), "reason": doc["failures"][0]["reason"]}]
    assert doc["failures"][0]["reason"].startswith("not a readable audio file")


def test_no_usable_input_exit_2_and_nothing_written(tree, folder_model, tmp_path, capsys):
    bad = tmp_path / "broken.wav"
    bad.write_text("not audio\n")
    for argv in (["train", str(bad), "-o", str(tmp_path / "m.npz"), *TRAIN],
                 ["extract", str(bad), "-o", str(tmp_path / "f.npz"), "-q"],
                 ["match", str(folder_model), str(bad), "-q", "-o", str(tmp_path / "m.json")],
                 ["evaluate", str(folder_model), str(bad), "-q", "-o", str(tmp_path / "e.json")]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert f"skipped {bad}" in err and "could be used" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.wav"]


def test_match_json_class_names_are_strings(tree, tmp_path, capsys):
    """A model trained in Python on integer classes: JSON keys, prediction and ranking agree."""
    e = MFCCExtractor.preset("speech", cmvn=None, n_mfcc=20)
    fs = extract_many(str(tree / "spk/*/*_t[01].wav"), e, n_jobs=1, labels="folder", verbose=False)
    y = (fs.labels("folder") == "bob").astype(int)
    model = vqtoolkit.Matcher(4, features=e, random_state=0).fit(fs.utterances(), y)
    model.save(tmp_path / "int.npz")
    files = _test_files(tree)
    assert main(["match", str(tmp_path / "int.npz"), *files, "-q"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [d["prediction"] for d in doc] == [str(c) for c in model.predict(files)]
    for d in doc:
        assert d["scores"][d["prediction"]] == min(d["scores"].values())
        assert d["ranking"] == sorted(d["scores"], key=d["scores"].get) and set(d["ranking"]) == {"0", "1"}
