"""`vqtoolkit choose-k` in-process: exit codes, the table, every feature file format."""

from __future__ import annotations

import gzip

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
