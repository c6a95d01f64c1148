"""A train process killed (kill -9) during its save: the old model survives, the next run cleans up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import numpy as np
import pytest

import vqtoolkit
from vqtoolkit.cli import main

# Runs `vqtoolkit train`, with the archive writer slowed down in the middle of the write
# (so the parent can kill the process while the temp file is half written).
CHILD = r"""
import sys, time
import vqtoolkit.io as io
real = io._write_npz
def slow(fh, payload):
    fh.write(b"PK-half-written")
    fh.flush()
    print("writing", flush=True)
    time.sleep(60)
    real(fh, payload)
io._write_npz = slow
from vqtoolkit.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture()
def recordings(tmp_path):
    import soundfile as sf

    folder = tmp_path / "rec"
    folder.mkdir()
    rng = np.random.RandomState(0)
    t = np.arange(6000) / 8000
    for i in range(6):
        y = 0.3 * np.sin(2 * np.pi * (200 + 90 * i) * t) + 0.01 * rng.normal(size=t.size)
        sf.write(folder / f"{i % 2}_spk{i % 3}_{i}.wav", y.astype(np.float32), 8000)
    return folder


def test_kill_during_save_keeps_the_old_model_and_the_next_run_cleans_up(tmp_path, recordings):
    args = ["train", str(recordings), "-o", str(tmp_path / "model.npz"), "-k", "2", "--label",
            "speaker", "--label-regex", r"(?P<digit>\d)_(?P<speaker>spk\d)"]
    assert main(args) == 0
    before = (tmp_path / "model.npz").read_bytes()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout.readline().strip() == "writing"  # inside the save, temp file open
        temps = [p for p in tmp_path.iterdir() if p.name.startswith(".model.npz.")]
        assert len(temps) == 1 and temps[0].stat().st_size > 0
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert (tmp_path / "model.npz").read_bytes() == before  # the old model is intact
    assert temps[0].exists()  # what kill -9 leaves behind …
    assert main(args) == 0
    assert not temps[0].exists()  # … is removed by the next save of the same file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz", "rec"]
    assert isinstance(vqtoolkit.load(tmp_path / "model.npz"), vqtoolkit.Matcher)
