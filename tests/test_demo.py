"""The demo's matching section without FSDD: it says so and runs on the synthetic vowels."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

_SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, _SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def no_data(tmp_path, monkeypatch):
    """An empty data home: $VQTOOLKIT_DATA and every fallback point at an empty folder."""
    from vqtoolkit.datasets import _home

    empty = tmp_path / "no_data"
    empty.mkdir()
    monkeypatch.setenv("VQTOOLKIT_DATA", str(empty))
    monkeypatch.setenv("VQTOOLKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(_home, "_candidates", lambda path: [Path(path)] if path is not None else [empty])
    return empty


def test_matching_demo_runs_on_synthetic_vowels_without_fsdd(no_data, tmp_path, capsys):
    from vqtoolkit.datasets import load_fsdd
    from vqtoolkit.errors import DataNotFoundError

    with pytest.raises(DataNotFoundError, match="fsdd"):
        load_fsdd(download_if_missing=False)
    demo = _load("_demo_matching")
    folder = tmp_path / "synthetic_vowels"  # generated here by the demo, as it would in data/
    demo.SYNTHETIC = folder

    out = tmp_path / "out"
    out.mkdir()
    rows = demo.run(out=out, seed=0)
    text = capsys.readouterr().out
    files = sorted(folder.glob("*.wav"))
    assert len(files) == 160, "the demo generates the synthetic vowels when they are missing"

    assert "FSDD not found" in text and str(no_data) in text
    assert "synthetic vowels" in text
    by_task = {r[0]: r for r in rows}
    assert set(by_task) == {"speaker", "digit"}
    takes = np.array([int(f.stem.split("_")[2]) for f in files])
    for _task, n_train, n_test, _k, acc, eer in rows:
        assert (n_train, n_test) == (int((takes >= 2).sum()), int((takes < 2).sum()))
        assert 0.0 <= acc <= 1.0 and 0.0 <= eer <= 1.0
    for task in ("speaker", "digit"):
        assert (out / f"matcher_{task}.npz").is_file()
    conf = json.loads((out / "confusion_digits.json").read_text())
    assert conf  # the confusion matrix of the digit (vowel) task
    assert (out / "confusion_digits.png").stat().st_size > 0

    # the saved digit model scores the same files as in the demo, with its own settings
    import vqtoolkit

    m = vqtoolkit.load(out / "matcher_digit.npz")
    test = [str(f) for f, t in zip(files, takes) if t < 2]
    pred = m.predict(test)
    truth = np.array([f.stem.split("_")[0] for f, t in zip(files, takes) if t < 2])
    assert np.mean(pred == truth) == pytest.approx(by_task["digit"][4])


def test_generated_stand_ins_show_what_the_real_data_shows(no_data, tmp_path, capsys):
    # S1's stand-in: every cluster found (centroid index 0), as on S1 itself
    cb = _load("_demo_codebook").run(out=tmp_path, seed=0)
    text = capsys.readouterr().out
    assert "S1 not found" in text and "centroid index against the reference: 0 " in text
    assert cb.codebook_.shape == (15, 2)
    # A3's stand-in: G-means finds the 50 generated clusters
    _load("_demo_plots").scatter(tmp_path, 0)
    text = capsys.readouterr().out
    assert "A3 not found" in text and "G-means chose k = 50 (truth 50)" in text


def test_demo_fetches_from_a_mirror_or_falls_back_quickly(data_dir, no_data, tmp_path, monkeypatch,
                                                          capsys):
    import time

    demo = _load("demo")
    monkeypatch.setenv("VQTOOLKIT_DATA_MIRROR", "http://127.0.0.1:9")  # nothing listens on port 9
    t0 = time.perf_counter()
    assert demo.fetch_missing() == []
    assert time.perf_counter() - t0 < demo.PROBE_TIMEOUT + 5
    text = capsys.readouterr().out
    assert "could not fetch clustering" in text and "generated data" in text
    assert list(no_data.iterdir()) == []  # nothing half-written

    monkeypatch.setenv("VQTOOLKIT_DATA_MIRROR", data_dir.as_uri())  # the data folder as a mirror
    assert demo.fetch_missing(["clustering"]) == ["clustering"]
    assert "fetched clustering: 67 files" in capsys.readouterr().out
    assert demo.fetch_missing(["clustering"]) == []  # present now: nothing to do
    cb = _load("_demo_codebook").run(out=tmp_path, seed=0)  # on the real S1, fetched
    text = capsys.readouterr().out
    assert f"data: {no_data / 'clustering' / 'sipu' / 's1.data.gz'}" in text
    assert "centroid index against the reference: 0 " in text and cb.codebook_.shape == (15, 2)
