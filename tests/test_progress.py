"""Progress: bars only on a terminal unless asked, plain lines in logs, one switch name (verbose)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.base import clone

from vqtoolkit import Codebook, DocumentClusterer, Matcher, load
from vqtoolkit._progress import LOG_INTERVAL, progress_bar, show_progress
from vqtoolkit.features.text import TfidfExtractor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = "from vqtoolkit._progress import progress_bar\nfor _ in progress_bar(range(400), desc='demo'{}):\n" \
         "    pass\n"


def _run(code, **kw):
    env = {**os.environ, "PYTHONPATH": ROOT}
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, timeout=120, **kw)


# ------------------------------------------------------------------ the bar factory


def test_no_bar_when_stderr_is_not_a_terminal(capsys):
    assert not show_progress(None) and show_progress(True) and not show_progress(False)
    for _ in progress_bar(range(50), desc="auto"):
        pass
    for _ in progress_bar(range(50), desc="off", verbose=False):
        pass
    assert capsys.readouterr().err == ""


def test_forced_bar_writes_a_few_plain_lines(capsys):
    bar = progress_bar(total=1000, desc="forced", verbose=True)
    for _ in range(1000):  # far less than LOG_INTERVAL seconds: the start and the end only
        bar.update(1)
    bar.close()
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert "\r" not in err and len(lines) == 2 and LOG_INTERVAL >= 10
    assert lines[0].startswith("forced:   0%") and "1000/1000" in lines[1]
    # without a total it counts; close() writes the final count once
    bar = progress_bar(desc="count", unit=" codewords", initial=2, verbose=True)
    bar.update(3)
    bar.close()
    bar.close()
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("count: 2 codewords") and lines[-1].startswith("count: 5 codewords")
    assert len(lines) == 2


def test_redirected_stderr_gets_nothing_by_default(tmp_path):
    log = tmp_path / "log.txt"
    with open(log, "w") as fh:
        assert _run(SCRIPT.format(""), stderr=fh).returncode == 0
    assert log.read_text() == ""
    with open(log, "w") as fh:
        assert _run(SCRIPT.format(", verbose=True"), stderr=fh).returncode == 0
    text = log.read_text()
    assert "\r" not in text and text.count("\n") == 2 and "400/400" in text


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
@pytest.mark.parametrize("size", [True, False], ids=["80x24", "no-size"])
def test_terminal_gets_a_live_bar_by_default(size):
    import fcntl
    import struct
    import termios

    master, slave = os.openpty()
    if size:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))  # 80 columns
    env = {**os.environ, "PYTHONPATH": ROOT}
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT.format("")], env=env, cwd=ROOT,
                            stderr=slave)
    os.close(slave)  # the child holds its own copy
    out = b""
    try:
        while True:
            try:
                chunk = os.read(master, 4096)  # read while the child runs
            except OSError:  # EIO: the child's side is closed
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(master)
    assert proc.wait(timeout=120) == 0
    # drawn in place: a carriage return that does not end a line (the tty turns \n into \r\n)
    assert b"demo" in out and re.search(rb"\r(?!\n)", out)


# ------------------------------------------------------------------ one name: verbose


@pytest.mark.parametrize("make", [lambda **kw: Matcher(4, **kw), lambda **kw: DocumentClusterer(2, **kw),
                                  lambda **kw: Codebook(2, **kw)])
def test_verbose_is_a_parameter_that_clone_keeps(make):
    est = make(verbose=True)
    assert est.get_params()["verbose"] is True
    twin = clone(est)
    assert twin.get_params()["verbose"] is True and twin is not est
    assert clone(make()).get_params()["verbose"] is False
    assert clone(make(verbose=None)).get_params()["verbose"] is None


def _utterances():
    rng = np.random.default_rng(0)
    return [rng.normal(c, 1.0, size=(40, 3)) for c in (0, 0, 5, 5)], ["a", "a", "b", "b"]


def test_matcher_verbose_and_the_deprecated_progress(tmp_path, capsys):
    utts, y = _utterances()
    quiet = Matcher(4, random_state=0).fit(utts, y)
    quiet.score(utts)
    assert capsys.readouterr().err == ""
    loud = Matcher(4, random_state=0, verbose=True).fit(utts, y)
    loud.score(utts)
    err = capsys.readouterr().err
    assert "codebooks: 100%" in err and "scoring: 100%" in err and "\r" not in err
    np.testing.assert_array_equal(loud.codebooks_[1].codebook_, quiet.codebooks_[1].codebook_)
    with pytest.warns(FutureWarning, match=r"Matcher\(progress=...\) is deprecated.*verbose"):
        old = Matcher(4, random_state=0, progress=True).fit(utts, y)
    assert "codebooks: 100%" in capsys.readouterr().err
    assert clone(old).get_params()["progress"] is True
    # the alias is not saved; a file written with the old name still loads
    path = old.save(tmp_path / "m.npz")
    back = load(path)
    assert back.get_params()["verbose"] is False and back.get_params()["progress"] == "deprecated"
    meta, arrays = old._to_state()
    meta["params"]["progress"] = True
    assert Matcher._from_state(meta, arrays, "old.npz").get_params()["verbose"] is False


DOCS = ["the team won the match with a late goal", "the striker scored a goal in the match",
        "fans cheered the team after the match", "shares fell as the bank market slumped",
        "the bank raised rates and shares fell", "investors sold bank shares on the market"]


def test_document_clusterer_verbose(capsys):
    features = TfidfExtractor(min_df=1, max_df=1.0)
    DocumentClusterer(2, features=features, n_init=2).fit(DOCS)
    assert capsys.readouterr().err == ""
    dc = DocumentClusterer(2, features=features, n_init=2, verbose=True).fit(DOCS)
    err = capsys.readouterr().err
    assert "vqtoolkit: vectorising 6 documents" in err and "seeding: 100%" in err
    assert "\r" not in err
    with pytest.warns(FutureWarning, match=r"DocumentClusterer\(progress=...\)"):
        old = DocumentClusterer(2, features=features, n_init=2, progress=True).fit(DOCS)
    assert "vectorising" in capsys.readouterr().err
    np.testing.assert_array_equal(old.labels_, dc.labels_)
    assert "progress" not in dc.report().settings  # the alias is not a setting


def test_codebook_verbose_lines_match_the_history(capsys):
    X = np.random.default_rng(1).normal(size=(200, 2))
    Codebook(3, random_state=0, verbose=None).fit(X)  # None: only on a terminal
    assert capsys.readouterr().err == ""
    cb = Codebook(3, random_state=0, verbose=True).fit(X)
    lines = capsys.readouterr().err.splitlines()
    values = [float(line.rsplit(" ", 1)[1]) for line in lines if line.startswith("iteration ")]
    np.testing.assert_allclose(values, cb.distortion_history_, rtol=1e-5)
    # n_codewords='auto': the choice of k reports through the same switch
    auto = Codebook("auto", selection={"method": "elbow", "k_range": range(1, 5)}, random_state=0,
                    verbose=True).fit(X)
    err = capsys.readouterr().err
    assert "choose_k(elbow): 100%" in err and "4/4" in err and auto.selection_.k >= 1
    Codebook("auto", selection={"method": "elbow", "k_range": range(1, 5)}, random_state=0).fit(X)
    assert capsys.readouterr().err == ""


def test_extract_many_bar_only_when_asked(tmp_path, capsys):
    sf = pytest.importorskip("soundfile")
    from vqtoolkit.features.audio import MFCCExtractor, extract_many

    t = np.arange(4000) / 8000
    for i, f0 in enumerate((220.0, 440.0)):
        sf.write(tmp_path / f"{i}.wav", (0.3 * np.sin(2 * np.pi * f0 * t)).astype(np.float32), 8000)
    e = MFCCExtractor(sr=8000, n_mfcc=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        extract_many(tmp_path, e, n_jobs=1, cache=False)
        capsys.readouterr()  # the one-time librosa notice, if any
        extract_many(tmp_path, e, n_jobs=1, cache=False)
        assert "MFCC" not in capsys.readouterr().err
        fs = extract_many(tmp_path, e, n_jobs=1, cache=False, verbose=True)
    err = capsys.readouterr().err
    assert len(fs) == 2 and "MFCC: 100%" in err and "2/2" in err and "\r" not in err


def test_functions_take_verbose_and_warn_on_progress(capsys):
    from vqtoolkit.documents import lsa_seed
    from vqtoolkit.selection import choose_k

    X = np.random.default_rng(2).normal(size=(120, 2))
    quiet = choose_k(X, method="elbow", k_range=range(1, 4), random_state=0)
    assert capsys.readouterr().err == ""
    loud = choose_k(X, method="elbow", k_range=range(1, 4), random_state=0, verbose=True)
    assert "3/3" in capsys.readouterr().err and loud.k == quiet.k
    with pytest.warns(FutureWarning, match=r"choose_k\(progress=...\) is deprecated"):
        choose_k(X, method="elbow", k_range=range(1, 4), random_state=0, progress=True)
    assert "3/3" in capsys.readouterr().err
    T = TfidfExtractor(min_df=1, max_df=1.0).fit_transform(DOCS)
    with pytest.warns(FutureWarning, match=r"lsa_seed\(progress=...\)"):
        C = lsa_seed(T, 2, n_init=2, random_state=0, progress=False)
    np.testing.assert_array_equal(C, lsa_seed(T, 2, n_init=2, random_state=0))
    assert capsys.readouterr().err == ""
