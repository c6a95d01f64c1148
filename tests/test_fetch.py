"""Fetching data sets from a loopback mirror of the data home: hashes, damage, offline, CLI.

The mirror is ``http.server`` bound to 127.0.0.1 serving the evaluation data
folder (or a temporary folder), which is laid out like a data home. The oracle
for every file is the data folder's own ``SOURCES.tsv`` (size and SHA-256),
read independently of the package's registry.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import hashlib
import http.server
import json
import shutil
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from vqtoolkit.cli import main
from vqtoolkit.datasets import describe, fetch, load_clustering, load_fsdd, load_s_set_codebook, status
from vqtoolkit.datasets._registry import files_of
from vqtoolkit.errors import DataNotFoundError, FileFormatError, ParameterError

MIRROR = "VQTOOLKIT_DATA_MIRROR"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(folder):
    """An HTTP server on 127.0.0.1 (free port) serving ``folder``; yields its base URL."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def sources(data_dir):
    """``{local_path: row}`` of the data folder's SOURCES.tsv."""
    with open(data_dir / "SOURCES.tsv", newline="", encoding="utf-8") as f:
        return {r["local_path"]: r for r in csv.DictReader(f, delimiter="\t")}


@pytest.fixture(scope="module")
def mirror_url(data_dir):
    with serve(data_dir) as url:
        yield url


@pytest.fixture
def mirror(mirror_url, monkeypatch):
    monkeypatch.setenv(MIRROR, mirror_url)
    return mirror_url


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty data home that is also the only place the loaders look."""
    from vqtoolkit.datasets import _home

    folder = tmp_path / "home"
    monkeypatch.setenv("VQTOOLKIT_DATA", str(folder))
    monkeypatch.setattr(_home, "_candidates", lambda path: [Path(path)] if path is not None else [folder])
    return folder


def closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there any more


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def files_under(folder):
    return sorted(p.relative_to(folder).as_posix() for p in Path(folder).rglob("*") if p.is_file())


def test_registry_is_sources_tsv(sources):
    rows = files_of("fsdd") + files_of("clustering") + files_of("bbc") + files_of("ag_news") + \
        files_of("reuters21578") + files_of("japanese_vowels")
    assert len(rows) == len(sources) == 5323
    for f in rows:
        r = sources[f.local_path]
        assert (f.dataset, f.size, f.sha256, f.repo, f.commit, f.repo_path) == (
            r["dataset"], int(r["bytes"]), r["sha256"], r["repo"], r["commit"], r["repo_path"])
        assert f.upstream_url == f"https://raw.githubusercontent.com/{r['repo']}/{r['commit']}/{r['repo_path']}"
    info = describe("clustering")
    assert info.n_files == 67 and info.size == sum(int(r["bytes"]) for r in sources.values()
                                                   if r["dataset"].startswith("clustering/"))


@pytest.mark.slow
def test_fetch_all_of_fsdd_from_loopback_mirror(mirror, home, sources):
    r = fetch("fsdd", data_home=home)
    assert (r.n_files, r.n_downloaded, r.path, r.source) == (3000, 3000, home / "fsdd", mirror)
    got = files_under(home)
    assert got == sorted(p for p in sources if p.startswith("fsdd/"))
    assert all(sha256(home / p) == sources[p]["sha256"] for p in got)
    assert r.bytes_downloaded == sum(int(sources[p]["bytes"]) for p in got)
    d = load_fsdd()  # the loader finds the fetched copy in the data home
    assert len(d) == 3000 and d.is_test.sum() == 300 and str(home) in d.files[0]
    again = fetch("fsdd", data_home=home)
    assert (again.n_downloaded, again.bytes_downloaded) == (0, 0)


def test_loader_downloads_a_clustering_set_when_missing(mirror, home, data_dir, sources):
    with pytest.raises(DataNotFoundError, match="vqtoolkit fetch clustering/sipu"):
        load_clustering("s1", download_if_missing=False)
    assert not home.exists()
    s1 = load_clustering("s1")  # download_if_missing=True: fetches clustering/sipu
    ref = load_clustering("s1", path=data_dir / "clustering" / "sipu")
    assert s1.path == home / "clustering" / "sipu" / "s1.data.gz"
    np.testing.assert_array_equal(s1.X, ref.X)
    np.testing.assert_array_equal(s1.labels, ref.labels)
    got = files_under(home)
    assert got == sorted(p for p in sources if p.startswith("clustering/sipu/"))
    assert all(sha256(home / p) == sources[p]["sha256"] for p in got)
    cb = load_s_set_codebook("s1")
    np.testing.assert_array_equal(cb, np.loadtxt(data_dir / "clustering/s-sets/s1-cb.txt", delimiter=","))
    assert status("clustering/s-sets").complete and status("clustering/uci").home is None


def test_audio_and_text_loaders_download_when_missing(mirror, home, data_dir):
    from vqtoolkit.datasets import load_ag_news, load_japanese_vowels

    jv = load_japanese_vowels()
    ref = load_japanese_vowels(data_dir / "japanese_vowels")
    assert len(jv.X_train) == 270 and len(jv.X_test) == 370
    assert all(np.array_equal(a, b) for a, b in zip(jv.X_train + jv.X_test, ref.X_train + ref.X_test))
    ag = load_ag_news()
    assert len(ag.texts) == 7600 and ag.texts == load_ag_news(data_dir / "ag_news").texts
    assert files_under(home) == ["ag_news/classes.txt", "ag_news/test.csv",
                                 "japanese_vowels/ae.test", "japanese_vowels/ae.train"]


def test_damaged_partial_and_missing_files_are_fetched_again(mirror, home, sources):
    fetch("clustering", data_home=home)
    sipu = home / "clustering" / "sipu"
    damaged, partial, gone = sipu / "s1.data.gz", sipu / "a1.data.gz", home / "clustering/uci/wine.data.gz"
    size = damaged.stat().st_size
    with open(damaged, "r+b") as f:  # same size, other bytes
        f.seek(size // 2)
        f.write(b"\x00" * 16)
    partial.write_bytes(partial.read_bytes()[: partial.stat().st_size // 2])
    gone.unlink()
    untouched = sipu / "s2.data.gz"
    mtime = untouched.stat().st_mtime_ns
    (sipu / "tmpab_c9x2z").write_bytes(b"half a download")  # what a fetch killed with -9 leaves
    keep = sipu / "tmp_notes.txt"  # not a pooch temporary name: never touched
    keep.write_text("mine")
    for p in (damaged, partial):
        assert sha256(p) != sources[p.relative_to(home).as_posix()]["sha256"]

    r = fetch("clustering", data_home=home)
    assert (r.n_files, r.n_downloaded) == (67, 3)
    for p in (damaged, partial, gone):
        assert sha256(p) == sources[p.relative_to(home).as_posix()]["sha256"]
    assert untouched.stat().st_mtime_ns == mtime  # a good file is kept, not rewritten
    assert keep.read_text() == "mine"
    keep.unlink()
    assert files_under(home) == sorted(p for p in sources if p.startswith("clustering/"))  # no temp files


def test_offline_is_one_line_naming_the_url_and_the_mirror_variable(home, monkeypatch):
    url = closed_port_url()
    monkeypatch.setenv(MIRROR, url)
    with pytest.raises(DataNotFoundError) as info:
        fetch("clustering/s-sets", data_home=home, timeout=5)
    msg = str(info.value)
    assert "\n" not in msg
    assert f"{url}/clustering/s-sets/s1-cb.txt" in msg and MIRROR in msg
    assert "refused" in msg.lower()
    assert not home.exists()  # no empty folder that a loader would take for the data set
    with pytest.raises(DataNotFoundError) as info:
        load_s_set_codebook("s2")
    msg = str(info.value)
    assert "\n" not in msg and url in msg and MIRROR in msg and f"looked in: {home}" in msg


def test_upstream_failure_names_the_mirror_variable(home, monkeypatch):
    # no mirror: the pinned upstream URL is used; made unreachable for the test
    from vqtoolkit.datasets import _registry

    monkeypatch.delenv(MIRROR, raising=False)
    monkeypatch.setattr(_registry.DataFile, "upstream_url",
                        property(lambda f: f"{closed_port_url()}/{f.repo}/{f.commit}/{f.repo_path}"))
    with pytest.raises(DataNotFoundError, match=rf"PrestonEn/StormyMountain/[0-9a-f]{{40}}/.*s1-cb.txt: "
                                                rf".*set {MIRROR} to a mirror"):
        fetch("clustering/s-sets", data_home=home, timeout=5)


def test_mirror_serving_other_bytes_or_lacking_a_file(tmp_path, home, data_dir, monkeypatch):
    bad = tmp_path / "bad_mirror"
    shutil.copytree(data_dir / "clustering" / "s-sets", bad / "clustering" / "s-sets")
    (bad / "clustering" / "s-sets" / "s3-cb.txt").write_text("1,2\n")
    monkeypatch.setenv(MIRROR, bad.as_uri())  # a file:// mirror
    with pytest.raises(FileFormatError, match=r"s3-cb.txt: the downloaded file does not have the "
                                              r"registry's SHA-256.*mirror"):
        fetch("clustering/s-sets", data_home=home)
    assert not (home / "clustering/s-sets/s3-cb.txt").exists()  # nothing written under its name
    (bad / "clustering" / "s-sets" / "s3-cb.txt").unlink()
    with serve(bad) as url:
        monkeypatch.setenv(MIRROR, url)
        with pytest.raises(DataNotFoundError, match=r"s3-cb.txt: HTTP 404"):
            fetch("clustering/s-sets", data_home=home)


def test_file_mirror_and_bad_names(data_dir, home, monkeypatch, sources):
    monkeypatch.setenv(MIRROR, data_dir.as_uri() + "/")
    r = fetch("clustering/uci", data_home=home, n_workers=1)
    assert (r.n_downloaded, r.source) == (16, data_dir.as_uri())
    assert all(sha256(home / p) == sources[p]["sha256"] for p in files_under(home))
    with pytest.raises(ParameterError, match=r"'speech' is not known; known: fsdd, .*clustering"):
        fetch("speech")
    monkeypatch.setenv(MIRROR, "ftp://example.org/data")
    with pytest.raises(ParameterError, match=r"VQTOOLKIT_DATA_MIRROR='ftp://example.org/data' must be "
                                             r"an http://, https:// or file:// URL"):
        fetch("clustering/uci", data_home=home)


def test_progress_bar_counts_files(mirror, home, capsys):
    fetch("clustering/s-sets", data_home=home, verbose=True)
    err = capsys.readouterr().err
    assert "fetch clustering/s-sets" in err and "4/4" in err
    fetch("clustering/uci", data_home=home)  # verbose=None and stderr is not a terminal: silent
    assert capsys.readouterr().err == ""


# ------------------------------------------------------------------ command line


def test_cli_fetch(mirror, home, capsys, sources):
    assert main(["fetch", "clustering/s-sets", "--data-home", str(home), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["failed"] == [] and len(doc["fetched"]) == 1
    got = doc["fetched"][0]
    assert (got["name"], got["n_files"], got["n_downloaded"], got["path"], got["source"]) == (
        "clustering/s-sets", 4, 4, str(home / "clustering" / "s-sets"), mirror)
    assert got["bytes_downloaded"] == sum(int(r["bytes"]) for r in sources.values()
                                          if r["dataset"] == "clustering/s-sets")
    assert main(["fetch", "clustering/s-sets", "--data-home", str(home)]) == 0
    out = capsys.readouterr().out
    assert out == f"clustering/s-sets: 4 files verified in {home / 'clustering' / 's-sets'}; " \
                  "all present, nothing downloaded\n"
    assert "exit codes:" in _help(["fetch", "--help"], capsys)


def test_cli_fetch_errors_and_exit_codes(tmp_path, data_dir, home, monkeypatch, capsys):
    assert main(["fetch", "fsdd", "nope"]) == 2  # every name is checked before downloading
    assert "'nope' is not known" in capsys.readouterr().err and not home.exists()
    assert main(["fetch"]) == 2
    assert "no data set named" in capsys.readouterr().err
    url = closed_port_url()
    monkeypatch.setenv(MIRROR, url)
    assert main(["fetch", "clustering/s-sets", "--timeout", "5"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{url}/clustering/s-sets/" in err and MIRROR in err
    # a mirror holding only one of the two sets asked for: exit 1, the other named on stderr
    part = tmp_path / "part"
    shutil.copytree(data_dir / "clustering" / "s-sets", part / "clustering" / "s-sets")
    monkeypatch.setenv(MIRROR, part.as_uri())
    assert main(["fetch", "clustering/s-sets", "japanese_vowels", "--format", "json"]) == 1
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert [d["name"] for d in doc["fetched"]] == ["clustering/s-sets"]
    assert [d["name"] for d in doc["failed"]] == ["japanese_vowels"]
    assert "japanese_vowels/ae.test: no such file" in captured.err
    other = tmp_path / "elsewhere"  # not a folder the loaders look in: the user is told
    assert main(["fetch", "clustering/s-sets", "--data-home", str(other)]) == 0
    assert f"set VQTOOLKIT_DATA={other} to use it" in capsys.readouterr().err
    assert sorted(p.name for p in (other / "clustering" / "s-sets").iterdir()) == [
        f"s{i}-cb.txt" for i in range(1, 5)]


def test_cli_datasets_lists_size_licence_source_and_presence(mirror, home, capsys, sources):
    fetch("clustering/s-sets", data_home=home)
    (home / "clustering" / "s-sets" / "s4-cb.txt").unlink()
    fetch("clustering/uci", data_home=home)
    assert main(["datasets", "--format", "json", "--data-home", str(home)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["download_home"], doc["mirror"]) == (str(home), mirror)
    rows = {r["name"]: r for r in doc["datasets"]}
    assert set(rows) == {r["dataset"] for r in sources.values()}
    for name, r in rows.items():
        mine = [s for s in sources.values() if s["dataset"] == name]
        assert (r["n_files"], r["bytes"]) == (len(mine), sum(int(s["bytes"]) for s in mine))
        assert r["licence"] and r["source"].startswith("http")
        assert r["upstream"] == sorted({f"{s['repo']}@{s['commit']}" for s in mine})
    assert rows["fsdd"]["licence"] == "CC BY-SA 4.0"
    assert (rows["clustering/uci"]["status"], rows["clustering/uci"]["location"]) == (
        "complete", str(home / "clustering" / "uci"))
    assert (rows["clustering/s-sets"]["status"], rows["clustering/s-sets"]["n_present"]) == ("partial", 3)
    assert (rows["fsdd"]["status"], rows["fsdd"]["location"]) == ("missing", None)
    assert main(["datasets", "--data-home", str(home)]) == 0
    text = capsys.readouterr().out
    assert "fsdd" in text and "21.1 MB  missing" in text and "partial (3 files)" in text
    assert f"downloads into {home} from the mirror VQTOOLKIT_DATA_MIRROR={mirror}" in text
    assert "exit codes:" in _help(["datasets", "--help"], capsys)


def _help(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    return capsys.readouterr().out
