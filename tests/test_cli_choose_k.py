"""`vqtoolkit choose-k` in-process: exit codes, the table, JSON, the k range, progress, file formats."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from vqtoolkit import load
from vqtoolkit.cli import main
from vqtoolkit.cli._arrays import read_array


@pytest.fixture(scope="module")
def X():
    return make_blobs(n_samples=300, centers=[[0, 0], [10, 0], [0, 10]], cluster_std=1.0,
                      random_state=1)[0]


def _write(tmp_path, X, kind):
    if kind == "npy":
        p = tmp_path / "f.npy"
        np.save(p, X)
    elif kind == "npz":
        p = tmp_path / "f.npz"
        np.savez(p, other=np.zeros(3), X=X)
    elif kind == "csv":
        p = tmp_path / "f.csv"
        np.savetxt(p, X, delimiter=",", header="a,b", comments="")
    elif kind == "txt":
        p = tmp_path / "f.txt"
        np.savetxt(p, X)
    else:
        p = tmp_path / "f.data.gz"
        with gzip.open(p, "wt") as f:
            np.savetxt(f, X)
    return p


@pytest.mark.parametrize("kind", ["npy", "npz", "csv", "txt", "data.gz"])
def test_read_features(tmp_path, X, kind):
    np.testing.assert_allclose(read_array(_write(tmp_path, X, kind)), X, rtol=1e-7)


def test_gmeans_table_and_output(tmp_path, X, capsys):
    out = tmp_path / "cb.npz"
    rc = main(["choose-k", str(_write(tmp_path, X, "npy")), "--method", "gmeans", "-q",
               "-o", str(out)])
    text = capsys.readouterr().out
    assert rc == 0
    assert "method=gmeans: k = 3" in text and "300 observations x 2 features" in text
    assert load(out).codebook_.shape == (3, 2)


def test_gmeans_split_test_options(tmp_path, X, capsys):
    p = str(_write(tmp_path, X, "npy"))
    assert main(["choose-k", p, "--split-test", "ad", "-q"]) == 0
    assert "method=gmeans: k = 3" in capsys.readouterr().out
    assert main(["choose-k", p, "--dip-alpha", "0", "-q"]) == 2
    assert "dip_alpha=0.0 must be a number strictly between" in capsys.readouterr().err


def test_curve_method_with_range(tmp_path, X, capsys):
    rc = main(["choose-k", str(_write(tmp_path, X, "csv")), "--method", "silhouette",
               "--k-min", "2", "--k-max", "6", "-q"])
    text = capsys.readouterr().out
    assert rc == 0 and "method=silhouette: k = 3" in text
    assert [ln.split()[0] for ln in text.splitlines()[2:7]] == ["2", "3", "4", "5", "6"]


def test_errors(tmp_path, X, capsys):
    bad = tmp_path / "f.xyz"
    bad.write_text("1 2\n")
    assert main(["choose-k", str(bad)]) == 2
    assert "unknown feature file type" in capsys.readouterr().err
    assert main(["choose-k", str(tmp_path / "missing.npy")]) == 2
    assert "missing.npy" in capsys.readouterr().err
    text = tmp_path / "t.txt"
    text.write_text("1 2\n3 x\n")
    assert main(["choose-k", str(text)]) == 2
    assert "cannot be read as a feature matrix" in capsys.readouterr().err
    empty = tmp_path / "e.npz"
    np.savez(empty)
    assert main(["choose-k", str(empty)]) == 2
    assert "holds no array" in capsys.readouterr().err
    three = tmp_path / "c.npy"
    np.save(three, np.zeros((2, 2, 2)))
    assert main(["choose-k", str(three)]) == 2
    assert "expected a 2-D numeric array" in capsys.readouterr().err
    p = _write(tmp_path, X, "npy")
    assert main(["choose-k", str(p), "--k-min", "5", "--k-max", "2", "-q"]) == 2
    assert "--k-min=5 is larger than --k-max=2" in capsys.readouterr().err
    assert main(["choose-k", str(p), "--alpha", "2", "-q"]) == 2
    assert "alpha=2.0 must be a number strictly between" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["choose-k", str(p), "--method", "nope"])
    assert "invalid choice" in capsys.readouterr().err


# ------------------------------------------------------------------ JSON, k range, progress

FIVE = np.array([[0, 0], [10, 0], [0, 10], [10, 10], [5, 5]], dtype=float)


@pytest.fixture(scope="module")
def five_blobs():
    return make_blobs(n_samples=500, centers=FIVE, cluster_std=1.0, random_state=0)[0]


@pytest.mark.parametrize("method", ["xmeans", "gmeans"])
def test_k_max_alone_finds_five_blobs(tmp_path, five_blobs, method, capsys):
    """--k-max alone keeps the default k-min (2): X-means from one cluster answered k = 1 here."""
    p = tmp_path / "f.npy"
    np.save(p, five_blobs)
    assert main(["choose-k", str(p), "--method", method, "--k-max", "10", "--format", "json",
                 "-q"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["k"] == 5 and doc["method"] == method and doc["rounds"][0]["k"] == 2
    assert doc["n_samples"] == 500 and doc["n_features"] == 2
    # every true centre has a codeword next to it
    C = np.array(doc["codewords"])
    assert C.shape == (5, 2)
    assert np.linalg.norm(FIVE[:, None, :] - C[None, :, :], axis=2).min(axis=1).max() < 0.5
    assert max(r["k"] for r in doc["rounds"]) <= 10
    if method == "gmeans":  # each round's score counts the clusters split in that round
        for rnd, point in enumerate(doc["rounds"][1:], 1):
            if point["score"] >= 0:
                assert point["score"] == sum(h["split"] for h in doc["history"]
                                             if h["round"] == rnd)
    else:  # X-means: the chosen round has the best global BIC
        best = max(doc["rounds"], key=lambda r: r["score"])
        assert best["k"] == 5


def test_curve_json_scores_against_scikit_learn(tmp_path, X, capsys):
    """The silhouette curve in JSON equals scikit-learn's silhouette of the chosen codewords."""
    from sklearn.metrics import silhouette_score

    p = tmp_path / "f.npy"
    np.save(p, X)
    assert main(["choose-k", str(p), "--method", "silhouette", "--k-max", "6", "--format", "json",
                 "-q"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["criterion"] == "silhouette" and [c["k"] for c in doc["curve"]] == [2, 3, 4, 5, 6]
    assert doc["k"] == 3
    C = np.array(doc["codewords"])
    labels = np.argmin(((X[:, None, :] - C[None]) ** 2).sum(-1), axis=1)
    score = next(c["score"] for c in doc["curve"] if c["k"] == 3)
    assert score == pytest.approx(silhouette_score(X, labels), rel=1e-6)
    # gap: the standard errors come along; k = 1 only when asked for
    assert main(["choose-k", str(p), "--method", "gap", "--k-min", "1", "--k-max", "4",
                 "--format", "json", "-q"]) == 0
    gap = json.loads(capsys.readouterr().out)
    assert [c["k"] for c in gap["curve"]] == [1, 2, 3, 4] and all("s_k" in c for c in gap["curve"])


def test_default_k_range(tmp_path, X, capsys):
    p = tmp_path / "f.npy"
    np.save(p, X)
    assert main(["choose-k", str(p), "--method", "elbow", "--format", "json", "-q"]) == 0
    assert [c["k"] for c in json.loads(capsys.readouterr().out)["curve"]] == list(range(2, 31))
    assert main(["choose-k", str(p), "--method", "elbow", "--k-min", "4", "--format", "json",
                 "-q"]) == 0
    assert [c["k"] for c in json.loads(capsys.readouterr().out)["curve"]] == list(range(4, 31))
    assert main(["choose-k", str(p), "--k-max", "301", "-q"]) == 2
    assert "--k-max=301 is larger than the number of observations (300)" in capsys.readouterr().err
    assert main(["choose-k", str(p), "--k-min", "0", "-q"]) == 2
    assert "--k-min=0 must be at least 1" in capsys.readouterr().err


def test_progress_bar_advances_per_k_and_per_split(tmp_path, five_blobs, capsys):
    p = tmp_path / "f.npy"
    np.save(p, five_blobs)
    # stderr is not a terminal here: no bar unless --progress
    assert main(["choose-k", str(p), "--method", "elbow", "--k-max", "6"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["choose-k", str(p), "--method", "elbow", "--k-max", "6", "--progress"]) == 0
    err = capsys.readouterr().err
    assert "\r" not in err and "choose_k(elbow)" in err
    assert "5/5" in err.strip().splitlines()[-1]  # one step per k in 2..6, the last line is full
    assert main(["choose-k", str(p), "--method", "xmeans", "--k-max", "10", "--progress"]) == 0
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0].startswith("choose_k(xmeans): 2 codewords")
    assert lines[-1].startswith("choose_k(xmeans): 5 codewords")
    with pytest.raises(SystemExit) as exc:
        main(["choose-k", str(p), "-q", "--progress"])
    assert exc.value.code == 2 and "not allowed with argument" in capsys.readouterr().err


def test_help_has_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["choose-k", "--help"])
    out = capsys.readouterr().out
    assert "exit codes:" in out and "--k-min defaults to 2" in out and "--format" in out
