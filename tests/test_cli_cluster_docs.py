"""`vqtoolkit cluster-docs`: members by id, the id -> cluster CSV, --format json, --min-df / --max-df."""

from __future__ import annotations

import csv
import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import normalized_mutual_info_score

from vqtoolkit import DocumentClusterer
from vqtoolkit.cli import main
from vqtoolkit.features.text import TfidfExtractor

TOPICS = {  # every document shares two or more words with the others of its topic
    "sport": ["the team won the match with a late goal", "the striker scored a goal in the match",
              "fans cheered the team after the match and the goal", "the coach praised the team goal",
              "a late goal decided the cup match for the team", "the team keeper saved a goal match"],
    "money": ["shares fell as the bank market slumped", "the bank raised rates and shares fell",
              "investors sold shares on the stock market", "the market rallied after the bank shares",
              "bank rates and market shares moved together", "the bank cut rates as market shares rose"],
    "space": ["the rocket launched the satellite into orbit", "astronauts left orbit on the rocket",
              "the probe sent images of the planet from orbit", "the rocket engine failed in orbit",
              "the telescope found a planet in orbit", "astronauts saw the planet from the rocket"],
}


@pytest.fixture()
def corpus(tmp_path):
    root = tmp_path / "corpus"
    for topic, docs in TOPICS.items():
        (root / topic).mkdir(parents=True)
        for i, doc in enumerate(docs):
            (root / topic / f"{i:02d}.txt").write_text(doc)
    return root


def _read_csv(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_json_members_and_assignments_match_the_clusterer(corpus, tmp_path, capsys):
    table = tmp_path / "assign.csv"
    rc = main(["cluster-docs", str(corpus), "-k", "3", "--format", "json", "--assignments",
               str(table), "--min-df", "2", "--max-df", "0.5", "-q"])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    # oracle: the library estimator on the same folder with the same settings
    dc = DocumentClusterer(3, features=TfidfExtractor(min_df=2, max_df=0.5), random_state=0)
    dc.fit(corpus)
    relative = [Path(i).relative_to(corpus).as_posix() for i in dc.ids_]
    rows = _read_csv(table)
    assert [r["id"] for r in rows] == relative
    assert [int(r["cluster"]) for r in rows] == dc.labels_.tolist()
    np.testing.assert_allclose([float(r["similarity"]) for r in rows], dc.similarity_, atol=1e-6)
    # members in the JSON: every document once, in the cluster the CSV gives it
    by_id = {r["id"]: int(r["cluster"]) for r in rows}
    listed = [m for c in doc["clusters"] for m in c["members"]]
    assert sorted(listed) == sorted(relative)
    for c in doc["clusters"]:
        assert c["size"] == len(c["members"]) and all(by_id[m] == c["cluster"] for m in c["members"])
        assert set(c["representatives"]) <= set(c["members"])
    # the three topics are found (sub-folder = topic)
    assert doc["scores"]["nmi"] == pytest.approx(1.0)
    assert {m.split("/")[0] for m in doc["clusters"][0]["members"]} in ({"sport"}, {"money"},
                                                                        {"space"})


def test_out_folder_holds_report_and_assignments(corpus, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["cluster-docs", str(corpus), "-k", "3", "--out", str(out), "-q"]) == 0
    md = capsys.readouterr().out
    assert md.startswith("# Document clusters") and "| cluster | size |" in md
    report = json.loads((out / "report.json").read_text())
    rows = _read_csv(out / "assignments.csv")
    assert len(rows) == 18 and (out / "report.md").is_file()
    for c in report["clusters"]:
        assert sorted(c["members"]) == sorted(r["id"] for r in rows if int(r["cluster"]) == c["cluster"])


@pytest.mark.parametrize("min_df, max_df", [("2", "0.5"), ("3", "1.0"), ("0.2", "4")])
def test_min_df_max_df_follow_scikit_learn(corpus, capsys, min_df, max_df):
    rc = main(["cluster-docs", str(corpus), "-k", "3", "--format", "json", "-q",
               "--min-df", min_df, "--max-df", max_df])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    features = doc["settings"]["features"]
    as_number = [int(v) if "." not in v else float(v) for v in (min_df, max_df)]
    assert [features["min_df"], features["max_df"]] == as_number
    # oracle: scikit-learn's vectorizer with the same tokenisation and document frequencies
    texts = [p.read_text() for p in sorted(corpus.rglob("*.txt"))]
    ref = TfidfVectorizer(min_df=as_number[0], max_df=as_number[1], lowercase=features["lowercase"],
                          stop_words=features["stop_words"],
                          token_pattern=features["token_pattern"]).fit(texts)
    assert doc["n_terms"] == len(ref.vocabulary_)


def test_table_corpus_ids_and_bad_options(tmp_path, capsys):
    table = tmp_path / "docs.csv"
    with open(table, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["post", "body"])
        for topic, docs in TOPICS.items():
            for i, d in enumerate(docs):
                w.writerow([f"{topic}-{i}", d])
    assign = tmp_path / "a.csv"
    assert main(["cluster-docs", str(table), "-k", "3", "--column", "body", "--id-column", "post",
                 "--assignments", str(assign), "-q"]) == 0
    capsys.readouterr()
    rows = _read_csv(assign)
    assert [r["id"] for r in rows] == [f"{t}-{i}" for t in TOPICS for i in range(6)]
    groups = {}
    for r in rows:
        groups.setdefault(r["cluster"], set()).add(r["id"].split("-")[0])
    assert sorted(map(len, groups.values())) == [1, 1, 1]
    # document frequencies: scikit-learn's ranges, refused by the parser (exit 2, one line)
    for opt, value, msg in (("--min-df", "-1", "a document count must be >= 0"),
                            ("--max-df", "1.5", "a proportion must lie in [0.0, 1.0]"),
                            ("--max-df", "half", "is not a number")):
        with pytest.raises(SystemExit) as exc:
            main(["cluster-docs", str(table), "-k", "3", opt, value])
        assert exc.value.code == 2 and msg in capsys.readouterr().err
    assert main(["cluster-docs", str(table), "-k", "3", "--assignments", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
    # a vocabulary emptied by the frequencies: the library's message, exit 2
    assert main(["cluster-docs", str(table), "-k", "3", "--min-df", "10", "--column", "body",
                 "--max-df", "1.0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("vqtoolkit: error: TfidfExtractor:") and "min_df" in err
    assert main(["cluster-docs", str(table), "-k", "3", "--min-df", "10", "--column", "body"]) == 2
    assert "max_df=0.5 keeps terms in at most 0.5 x 18 = 9 documents" in capsys.readouterr().err


def test_help_has_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["cluster-docs", "--help"])
    out = capsys.readouterr().out
    assert "exit codes:" in out and "--min-df" in out and "--assignments" in out


def test_bbc_subset(require_data, tmp_path, capsys):
    """20 BBC articles per topic: members are paths relative to the folder, topics recovered."""
    bbc = require_data("bbc")
    root = tmp_path / "bbc"
    for topic in sorted(p.name for p in bbc.iterdir() if p.is_dir()):
        (root / topic).mkdir(parents=True)
        for f in sorted((bbc / topic).glob("*.txt"))[:20]:
            shutil.copy(f, root / topic / f.name)
    table = tmp_path / "bbc.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rc = main(["cluster-docs", str(root), "-k", "5", "--format", "json", "-q",
                   "--assignments", str(table), "--min-df", "2", "--max-df", "0.5"])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    rows = _read_csv(table)
    assert len(rows) == 100 and rows[0]["id"] == "business/001.txt"
    assert sum(len(c["members"]) for c in doc["clusters"]) == 100
    # the score printed is scikit-learn's NMI between the folders and the CSV's clusters
    topic = [r["id"].split("/")[0] for r in rows]
    nmi = normalized_mutual_info_score(topic, [int(r["cluster"]) for r in rows])
    assert doc["scores"]["nmi"] == pytest.approx(nmi, abs=1e-12) and nmi > 0.4
