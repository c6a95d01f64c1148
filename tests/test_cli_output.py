"""The CLI writes only where -o says, checks it before any work, and exits 130 on Ctrl-C."""

from __future__ import annotations

import os

import numpy as np
import pytest

from vqtoolkit.cli import main


@pytest.fixture()
def features(tmp_path):
    path = tmp_path / "X.npy"
    np.save(path, np.random.RandomState(0).rand(200, 2))
    return path


def test_an_existing_folder_is_refused_and_nothing_is_written_beside_it(tmp_path, features, capsys,
                                                                      monkeypatch):
    (tmp_path / "results").mkdir()
    monkeypatch.chdir(tmp_path)
    before = sorted(os.listdir(tmp_path))
    assert main(["choose-k", str(features), "-o", "results", "--quiet"]) == 2
    err = capsys.readouterr()
    assert "-o results: is a folder; give a file name" in err.err
    assert err.out == ""  # refused before the work started
    assert sorted(os.listdir(tmp_path)) == before and os.listdir(tmp_path / "results") == []


def test_a_name_without_suffix_that_is_a_folder_with_it_is_refused(tmp_path, features, capsys):
    (tmp_path / "model.npz").mkdir()
    assert main(["choose-k", str(features), "-o", str(tmp_path / "model"), "--quiet"]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_a_folder_it_cannot_write_in_is_refused_before_the_work(tmp_path, features, capsys,
                                                                monkeypatch):
    ro = tmp_path / "ro"
    ro.mkdir()
    real_access = os.access
    # root may write anywhere: the folder's permission is asked through os.access, so fake it
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(ro) else
                        real_access(p, mode))
    assert main(["choose-k", str(features), "-o", str(ro / "new" / "cb.npz"), "--quiet"]) == 2
    captured = capsys.readouterr()
    assert f"cannot write in the folder {ro}" in captured.err and captured.out == ""


def test_ctrl_c_exits_130_with_one_line(tmp_path, features, capsys, monkeypatch):
    import vqtoolkit.selection as selection

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(selection, "choose_k", interrupted)
    assert main(["choose-k", str(features), "--quiet"]) == 130
    assert capsys.readouterr().err.strip() == "vqtoolkit: interrupted"


def test_a_file_output_still_works(tmp_path, features):
    assert main(["choose-k", str(features), "-o", str(tmp_path / "cb"), "--quiet"]) == 0
    assert (tmp_path / "cb.npz").is_file()
