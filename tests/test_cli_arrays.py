"""The one feature-matrix reader of the CLI: every format, header or not, same matrix in every command."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from vqtoolkit import Codebook, FileFormatError
from vqtoolkit.cli import main
from vqtoolkit.cli._arrays import read_array, read_features

X = np.array([[0.0, 0.5], [0.25, 1.0], [10.0, 10.5], [10.25, 11.0], [0.0, 20.0], [0.5, 20.25]])


def _text(tmp_path, name, *, header, delimiter):
    body = "\n".join(delimiter.join(repr(float(v)) for v in row) for row in X) + "\n"
    if header:
        body = delimiter.join(["width", "height"]) + "\n" + body
    p = tmp_path / name
    if name.endswith(".gz"):
        with gzip.open(p, "wt") as f:
            f.write(body)
    else:
        p.write_text(body)
    return p


@pytest.mark.parametrize("header", [False, True])
@pytest.mark.parametrize("name,delimiter", [("f.csv", ","), ("f.tsv", "\t"), ("f.txt", " "),
                                            ("f.data.gz", " "), ("f.csv.gz", ",")])
def test_text_files_with_and_without_header_give_the_matrix(tmp_path, name, delimiter, header):
    np.testing.assert_array_equal(read_array(_text(tmp_path, name, header=header, delimiter=delimiter)), X)


def test_npy_npz_featureset_and_1d(tmp_path):
    from vqtoolkit.features.featureset import FeatureSet, Utterance

    np.save(tmp_path / "a.npy", X)
    np.savez(tmp_path / "one.npz", anything=X)
    np.savez(tmp_path / "named.npz", other=np.zeros(3), X=X)
    np.save(tmp_path / "col.npy", X[:, 0])
    FeatureSet(X.astype(np.float32), [Utterance("a.wav", 0, 4), Utterance("b.wav", 4, 2)]).save(
        tmp_path / "fs.npz")
    for name in ("a.npy", "one.npz", "named.npz"):
        np.testing.assert_array_equal(read_array(tmp_path / name), X)
    assert read_array(tmp_path / "col.npy").shape == (6, 1)
    got, fs = read_features(tmp_path / "fs.npz")
    assert fs is not None and len(fs) == 2 and np.array_equal(got, X.astype(np.float32))
    assert read_features(tmp_path / "a.npy")[1] is None


def test_errors_name_the_file(tmp_path):
    with pytest.raises(FileFormatError, match=r"f\.xyz: unknown feature file type"):
        read_array(tmp_path / "f.xyz")
    with pytest.raises(FileNotFoundError, match=r"missing\.csv: no such file"):
        read_array(tmp_path / "missing.csv")
    (tmp_path / "empty.csv").write_text("\n\n")
    with pytest.raises(FileFormatError, match=r"empty\.csv: the file is empty"):
        read_array(tmp_path / "empty.csv")
    (tmp_path / "head.csv").write_text("a,b\n")
    with pytest.raises(FileFormatError, match=r"head\.csv: holds a header row and no data"):
        read_array(tmp_path / "head.csv")
    (tmp_path / "ragged.txt").write_text("1 2\n3\n")
    with pytest.raises(FileFormatError, match=r"ragged\.txt: cannot be read as a feature matrix"):
        read_array(tmp_path / "ragged.txt")
    np.savez(tmp_path / "two.npz", a=X, b=X)
    with pytest.raises(FileFormatError, match=r"two\.npz: the \.npz archive holds the arrays \['a', 'b'\]"):
        read_array(tmp_path / "two.npz")
    np.save(tmp_path / "s.npy", np.array(["a", "b"]))
    with pytest.raises(FileFormatError, match=r"s\.npy: expected a 2-D numeric array"):
        read_array(tmp_path / "s.npy")
    cb = Codebook(2, random_state=0).fit(X).save(tmp_path / "cb.npz")
    with pytest.raises(FileFormatError, match=r"cb\.npz: holds a codebook, not features"):
        read_array(cb)


def test_choose_k_and_plot_read_the_same_matrix_with_or_without_header(tmp_path, capsys, monkeypatch):
    """Both commands go through read_array: a header row changes nothing in either."""
    seen = []
    import vqtoolkit.plotting as plotting
    import vqtoolkit.selection as selection

    real_choose_k = selection.choose_k
    monkeypatch.setattr(selection, "choose_k", lambda X, **kw: (seen.append(("choose-k", X)),
                                                                real_choose_k(X, **kw))[1])
    monkeypatch.setattr(plotting, "plot_clusters",
                        lambda X, *a, **kw: seen.append(("plot", X)) or _Figure())
    cb = Codebook(3, random_state=0).fit(X).save(tmp_path / "cb.npz")
    for header in (False, True):
        p = _text(tmp_path, f"h{int(header)}.csv", header=header, delimiter=",")
        assert main(["choose-k", str(p), "--method", "elbow", "--k-min", "1", "--k-max", "3", "-q"]) == 0
        assert main(["plot", str(cb), str(p), "-o", str(tmp_path / "x.png")]) == 0
    capsys.readouterr()
    assert [cmd for cmd, _ in seen] == ["choose-k", "plot"] * 2
    for _, got in seen:
        np.testing.assert_array_equal(got, X)


class _Figure:
    axes = ()


def test_nan_in_a_matrix_file_names_the_file_and_the_cell(tmp_path, capsys):
    from vqtoolkit.cli import main

    X = np.random.RandomState(0).rand(50, 2)
    X[3, 1] = np.nan
    np.save(tmp_path / "nan.npy", X)
    assert main(["choose-k", str(tmp_path / "nan.npy"), "--quiet"]) == 2
    assert "nan.npy: the matrix of shape (50, 2) holds 1 NaN or infinite value(s), the first in " \
           "row 3, column 1" in capsys.readouterr().err
