"""``vqtoolkit plot`` called in-process: exit codes, files written, one-line errors."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from vqtoolkit import Codebook
from vqtoolkit.cli import main


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("plot")
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(m, 0.5, size=(60, 4)) for m in (0, 3, 6)])
    np.save(tmp / "X.npy", X)
    np.savetxt(tmp / "X.csv", X, delimiter=",")
    Codebook(3, random_state=0).fit(X).save(tmp / "cb.npz")
    return tmp


@pytest.mark.parametrize("features", ["X.npy", "X.csv"])
def test_plot_clusters_from_files(saved, features, capsys):
    out = saved / f"clusters_{features}.png"
    assert main(["plot", str(saved / "cb.npz"), str(saved / features), "-o", str(out)]) == 0
    assert Image.open(out).size[0] > 100
    assert "clusters, 1 axes" in capsys.readouterr().err


def test_plot_codebook_svg(saved):
    out = saved / "cb.svg"
    assert main(["plot", str(saved / "cb.npz"), "-o", str(out)]) == 0
    assert out.read_text().lstrip().startswith("<?xml")


@pytest.mark.parametrize("kind, features", [("codebook", None), ("clusters", "X.npy")])
def test_plot_pdf(saved, kind, features, capsys):
    out = saved / f"{kind}.pdf"
    args = ["plot", str(saved / "cb.npz"), *([str(saved / features)] if features else []), "-o", str(out)]
    assert main([*args, "--kind", kind]) == 0
    assert out.read_bytes().startswith(b"%PDF-")
    assert f"wrote {out} ({kind}" in capsys.readouterr().err


def test_plot_help_names_the_formats(capsys):
    with pytest.raises(SystemExit):
        main(["plot", "--help"])
    text = capsys.readouterr().out
    assert ".png, .pdf, .svg" in text and "every format matplotlib writes" in text


def test_plot_sequence_from_featureset(saved):
    from vqtoolkit.features.featureset import FeatureSet, Utterance

    X = np.load(saved / "X.npy").astype(np.float32)
    fs = FeatureSet(X, [Utterance("a.wav", 0, 100), Utterance("b.wav", 100, 80)])
    fs.save(saved / "fs.npz")
    out = saved / "seq.png"
    args = ["plot", str(saved / "cb.npz"), str(saved / "fs.npz"), "--kind", "sequence", "-o", str(out)]
    assert main([*args, "--utterance", "1"]) == 0
    assert out.exists()


def test_plot_errors_are_one_line_exit_2(saved, capsys):
    cb = str(saved / "cb.npz")
    assert main(["plot", cb, str(saved / "X.npy"), "-o", str(saved / "x.docx")]) == 2
    err = capsys.readouterr().err
    expected = f"-o {saved / 'x.docx'}: cannot save a picture as '.docx'; the suffix picks the format, one of"
    assert expected in err
    assert ".pdf, .pgf, .png" in err and err.count("\n") == 1
    # the suffix is checked before any work: a missing model is not even opened
    assert main(["plot", str(saved / "nothing.npz"), "-o", str(saved / "x.doc")]) == 2
    assert "cannot save a picture as '.doc'" in capsys.readouterr().err
    assert main(["plot", cb, str(saved / "missing.npy"), "-o", str(saved / "x.png")]) == 2
    assert "missing.npy: no such file" in capsys.readouterr().err
    assert main(["plot", cb, str(saved / "X.npy"), "--kind", "sequence", "-o", str(saved / "x.png")]) == 2
    assert "needs a FeatureSet .npz" in capsys.readouterr().err
    assert main(["plot", cb, "--kind", "clusters", "-o", str(saved / "x.png")]) == 2
    assert "--kind clusters needs a FEATURES file" in capsys.readouterr().err
    (saved / "bad.npy").write_bytes(b"not numpy")
    assert main(["plot", cb, str(saved / "bad.npy"), "-o", str(saved / "x.png")]) == 2
    assert "bad.npy: cannot be read as a feature matrix" in capsys.readouterr().err
