"""``vqtoolkit cluster-docs``: cluster a text corpus; report, members and an id → cluster table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ._options import add_progress_options

__all__ = ["register", "run", "df_value"]

_HELP = """\
Cluster the documents of CORPUS (a folder of text files, label = sub-folder; or a
CSV / JSON Lines file with a text column) by topic with TF-IDF + spherical k-means.

Prints the report on stdout: a Markdown table (default) or, with --format json,
one JSON document {"n_documents", "n_clusters", "n_terms", "distortion",
"settings", "clusters": [{"cluster", "size", "top_terms", "representatives",
"members"}], "scores"}. Documents are named by their id: the file path relative
to CORPUS for a folder, the --id-column value (or the row number) for a table.
Clusters are numbered 0, 1, ... by decreasing size.

--out FOLDER writes report.json, report.md and assignments.csv there;
--assignments FILE.csv writes the id -> cluster table (columns id, cluster,
similarity) to FILE.csv; --save FILE.npz keeps the fitted clusterer (read it
with vqtoolkit.load).

examples:
  vqtoolkit cluster-docs ../shared/data/bbc -k 5 --out report/
  vqtoolkit cluster-docs ../shared/data/bbc -k 5 --format json --min-df 5 --max-df 0.3 > bbc.json
  vqtoolkit cluster-docs posts.csv -k 20 --id-column post_id --assignments clusters.csv -q
"""


def df_value(text: str):
    """``--min-df`` / ``--max-df``: an integer is a document count, a number with a point a proportion."""
    try:
        return _count(int(text), text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number; give a document count (5) or a proportion (0.5)"
        ) from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(
            f"{text!r}: a proportion must lie in [0.0, 1.0] (an integer is a document count)"
        )
    return value


def _count(value, text):
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: a document count must be >= 0")
    return value


def register(subparsers) -> None:
    """Add the ``cluster-docs`` sub-command."""
    from . import EXIT_CODES_HELP

    p = subparsers.add_parser(
        "cluster-docs", help="cluster a text corpus; report, members and id -> cluster table",
        description=_HELP, epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("corpus", metavar="CORPUS", help="folder of text files, .csv or .jsonl")
    p.add_argument("-k", "--clusters", type=int, required=True, help="number of clusters")
    p.add_argument("--out", default=None, metavar="FOLDER",
                   help="write report.json, report.md and assignments.csv into FOLDER")
    p.add_argument("--assignments", default=None, metavar="FILE.csv",
                   help="write the id -> cluster table (id, cluster, similarity) to FILE.csv")
    p.add_argument("--format", default="markdown", choices=("markdown", "json"),
                   help="report printed on stdout (default markdown; json lists every member)")
    p.add_argument("--column", default="text", help="text column of a CSV / JSON Lines file")
    p.add_argument("--id-column", default=None, help="id column (default: row numbers)")
    p.add_argument("--label-column", default=None, help="label column, for scores")
    p.add_argument("--min-df", type=df_value, default=None, metavar="N|P",
                   help="ignore terms in fewer documents: a count (int) or a proportion "
                        "(float in [0, 1]), as in scikit-learn (default 2)")
    p.add_argument("--max-df", type=df_value, default=None, metavar="N|P",
                   help="ignore terms in more documents: a count (int) or a proportion "
                        "(float in [0, 1]) (default 0.5)")
    p.add_argument("--lsa", type=int, default=None, metavar="M",
                   help="cluster M-dimensional LSA rows instead of sparse TF-IDF")
    p.add_argument("--n-terms", type=int, default=10, help="top terms per cluster")
    p.add_argument("--save", default=None, metavar="FILE", help="also save the clusterer (.npz)")
    p.add_argument("--seed", type=int, default=0, help="random_state")
    add_progress_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``cluster-docs``; return 0."""
    import dataclasses
    import warnings

    from ..documents import DocumentClusterer
    from ..features.text import EncodingFallbackWarning, TfidfExtractor, read_corpus

    for name in ("out", "assignments", "save"):
        _check_destination(name, getattr(args, name))
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always", EncodingFallbackWarning)
        corpus = read_corpus(args.corpus, column=args.column, id_column=args.id_column,
                             label_column=args.label_column)
    for f, enc in corpus.fallbacks:
        print(f"vqtoolkit: {f}: not valid UTF-8, read as {enc}", file=sys.stderr)
    df = {k: v for k, v in (("min_df", args.min_df), ("max_df", args.max_df)) if v is not None}
    dc = DocumentClusterer(args.clusters, features=TfidfExtractor(**df), lsa_components=args.lsa,
                           random_state=args.seed, verbose=args.progress)
    corpus = dataclasses.replace(corpus, ids=document_ids(corpus.ids, args.corpus))
    dc.fit(corpus)
    labels = corpus.labels
    if labels is not None and len(set(labels.tolist())) < 2:
        labels = None
    report = dc.report(n_terms=args.n_terms, labels=labels)
    written = []
    if args.out:
        written += [*report.save(args.out), dc.write_assignments(Path(args.out) / "assignments.csv")]
    if args.assignments:
        written.append(dc.write_assignments(args.assignments))
    if args.save:
        written.append(dc.save(args.save))
    sys.stdout.write(report.to_json() + "\n" if args.format == "json" else report.to_markdown())
    score = f"; NMI {report.scores['nmi']:.3f}" if report.scores else ""
    where = f"; wrote {', '.join(str(p) for p in written)}" if written else ""
    print(f"vqtoolkit: {len(corpus)} documents, {args.clusters} clusters{score}{where}",
          file=sys.stderr)
    return 0


def document_ids(ids, source):
    """File paths relative to the corpus folder (``/``-separated); other ids as they are."""
    import numpy as np

    root = Path(source)
    if not root.is_dir():
        return ids
    return np.array([Path(i).relative_to(root).as_posix() for i in ids])


def _check_destination(option, value):
    """Refuse an output that is an existing folder (or, for ``--out``, an existing file) early."""
    from ..errors import ParameterError

    if value is None:
        return
    p = Path(value)
    if option == "out" and p.exists() and not p.is_dir():
        raise ParameterError(f"--out {value}: is a file; give a folder for report.json, report.md")
    if option != "out" and p.is_dir():
        raise ParameterError(f"--{option} {value}: is a folder; give a file name")
