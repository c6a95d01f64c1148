"""``vqtoolkit cluster-docs``: cluster a text corpus; write a JSON + Markdown report."""

from __future__ import annotations

import sys

__all__ = ["register", "run"]

_HELP = """\
Cluster the documents of CORPUS (a folder of text files, label = sub-folder; or a
CSV / JSON Lines file with a text column) by topic with TF-IDF + spherical k-means.
Writes report.json and report.md (sizes, top terms, representative documents, and
NMI / ARI / V-measure when the corpus has labels) and, with --save, the fitted
clusterer (.npz, read it with vqtoolkit.load).

example:
  vqtoolkit cluster-docs ../shared/data/bbc -k 5 --out report/
"""


def register(subparsers) -> None:
    """Add the ``cluster-docs`` sub-command."""
    import argparse

    p = subparsers.add_parser(
        "cluster-docs", help="cluster a text corpus; JSON + Markdown report",
        description=_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("corpus", metavar="CORPUS", help="folder of text files, .csv or .jsonl")
    p.add_argument("-k", "--clusters", type=int, required=True, help="number of clusters")
    p.add_argument("--out", required=True, help="output folder for report.json and report.md")
    p.add_argument("--column", default="text", help="text column of a CSV / JSON Lines file")
    p.add_argument("--id-column", default=None, help="id column (default: row numbers)")
    p.add_argument("--label-column", default=None, help="label column, for scores")
    p.add_argument("--lsa", type=int, default=None, metavar="M",
                   help="cluster M-dimensional LSA rows instead of sparse TF-IDF")
    p.add_argument("--n-terms", type=int, default=10, help="top terms per cluster")
    p.add_argument("--save", default=None, metavar="FILE", help="also save the clusterer (.npz)")
    p.add_argument("--seed", type=int, default=0, help="random_state")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``cluster-docs``; return 0."""
    import warnings

    from ..documents import DocumentClusterer
    from ..features.text import EncodingFallbackWarning, read_corpus

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EncodingFallbackWarning)
        corpus = read_corpus(args.corpus, column=args.column, id_column=args.id_column,
                             label_column=args.label_column)
    for f, enc in corpus.fallbacks:
        print(f"vqtoolkit: {f}: not valid UTF-8, read as {enc}", file=sys.stderr)
    del caught
    dc = DocumentClusterer(args.clusters, lsa_components=args.lsa, random_state=args.seed,
                           progress=not args.quiet)
    dc.fit(corpus)
    labels = corpus.labels
    if labels is not None and len(set(labels.tolist())) < 2:
        labels = None
    report = dc.report(n_terms=args.n_terms, labels=labels)
    json_path, md_path = report.save(args.out)
    if args.save:
        dc.save(args.save)
    if not args.quiet:
        print(report.to_markdown())
    score = f"; NMI {report.scores['nmi']:.3f}" if report.scores else ""
    print(f"vqtoolkit: wrote {json_path} and {md_path}: {len(corpus)} documents, "
          f"{args.clusters} clusters{score}", file=sys.stderr)
    return 0
