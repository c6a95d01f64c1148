"""Try every kind of bad input through the command line and print what the user sees (docs table).

Each case is made in a temporary folder and run as ``vqtoolkit ...`` in a
subprocess; the table (Markdown) lists the input, the first line of stderr
(paths shortened to the file name) and the exit code. ``docs/bad_inputs.md``
holds its output.

Usage: python scripts/bad_inputs.py
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf


def make_files(d: Path):
    t = np.arange(6000) / 8000
    rng = np.random.RandomState(0)
    rec = d / "rec"
    rec.mkdir()
    for i in range(6):
        y = 0.3 * np.sin(2 * np.pi * (200 + 90 * i) * t) + 0.01 * rng.normal(size=t.size)
        sf.write(rec / f"{i % 2}_spk{i % 3}_{i}.wav", y.astype(np.float32), 8000)
    sf.write(d / "huge.wav", (np.sin(50 * t) * 1e30).astype(np.float32), 8000, subtype="FLOAT")
    (d / "text.wav").write_bytes(b"this is text, not audio\n")
    (d / "empty.wav").write_bytes(b"")
    sf.write(d / "silent.wav", np.zeros(4000, dtype=np.float32), 8000)
    good = rec / "0_spk0_0.wav"
    (d / "truncated.wav").write_bytes(good.read_bytes()[:3000])
    np.save(d / "X.npy", rng.rand(200, 2))
    Xn = rng.rand(50, 2)
    Xn[3, 1] = np.nan
    np.save(d / "nan.npy", Xn)
    (d / "notgz.data.gz").write_text("1 2\n3 4\n")
    (d / "results").mkdir()
    mixed = d / "mixed"  # the recordings plus one file of samples x 1e30, named like the others
    mixed.mkdir()
    for f in rec.iterdir():
        (mixed / f.name).write_bytes(f.read_bytes())
    (mixed / "1_spk0_9.wav").write_bytes((d / "huge.wav").read_bytes())
    return rec


CASES = [
    ("audio file that is text", ["extract", "{d}/text.wav", "-o", "{d}/f.npz"]),
    ("empty audio file", ["extract", "{d}/empty.wav", "-o", "{d}/f.npz"]),
    ("all-silent audio", ["extract", "{d}/silent.wav", "-o", "{d}/f.npz"]),
    ("truncated WAV", ["extract", "{d}/truncated.wav", "-o", "{d}/f.npz"]),
    ("float WAV with samples x 1e30", ["extract", "{d}/huge.wav", "-o", "{d}/f.npz"]),
    ("one bad file among good ones (train)", ["train", "{d}/mixed", "-o", "{d}/m.npz",
                                              "--label", "speaker", "-k", "2", "--label-regex",
                                              r"(?P<digit>\d)_(?P<speaker>spk\d)"]),
    ("more codewords than frames", ["train", "{rec}", "-o", "{d}/m.npz", "--label", "speaker",
                                    "-k", "100000", "--label-regex",
                                    r"(?P<digit>\d)_(?P<speaker>spk\d)"]),
    ("NaN in a feature matrix", ["choose-k", "{d}/nan.npy"]),
    ("a .gz that is not gzip", ["choose-k", "{d}/notgz.data.gz"]),
    ("-o naming an existing folder", ["choose-k", "{d}/X.npy", "-o", "{d}/results"]),
    ("a WAV given as a model", ["match", "{d}/text.wav", "{rec}/0_spk0_0.wav"]),
    ("a feature file given as a model", ["match", "{d}/feats.npz", "{rec}/0_spk0_0.wav"]),
    ("a damaged model file", ["info", "{d}/damaged.npz"]),
    ("a missing file", ["info", "{d}/nothing.npz"]),
    ("train without -o", ["train", "{rec}"]),
]


def run(argv):
    proc = subprocess.run([sys.executable, "-m", "vqtoolkit", *argv], capture_output=True,
                          text=True, env=dict(os.environ, TQDM_DISABLE="1"))
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and "%|" not in ln]
    return proc.returncode, lines


def main():
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        rec = make_files(d)
        code, _ = run(["extract", str(rec), "-o", str(d / "feats.npz"), "--quiet",
                       "--label-regex", r"(?P<digit>\d)_(?P<speaker>spk\d)"])
        assert code == 0
        code, _ = run(["train", str(rec), "-o", str(d / "model.npz"), "--label", "speaker", "-k",
                       "2", "--label-regex", r"(?P<digit>\d)_(?P<speaker>spk\d)"])
        assert code == 0
        data = bytearray((d / "model.npz").read_bytes())
        data[len(data) // 2] ^= 0x10
        (d / "damaged.npz").write_bytes(data)
        print("| bad input | what the user sees (stderr) | exit code |")
        print("|---|---|---:|")
        for name, argv in CASES:
            argv = [a.format(d=d, rec=rec) for a in argv]
            code, lines = run(argv)
            shown = [ln for ln in lines if ln.startswith("vqtoolkit")] or lines or ["(nothing)"]
            text = " / ".join(shown[:2])
            text = re.sub(re.escape(str(d)) + r"/?", "", text).replace("|", "\\|")
            print(f"| {name} | `{text}` | {code} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
