"""Cluster BBC, Reuters-21578 (8 largest single-label topics) and AG News; score against the labels.

For every data set: ``DocumentClusterer`` with its defaults (k = number of
classes) and the baseline (scikit-learn ``TfidfVectorizer`` defaults +
``KMeans``, one k-means++ run), each over 5 seeds; prints the median NMI,
adjusted Rand and V-measure, and the top terms of every cluster (seed 0).

Usage::

    python scripts/cluster_documents.py [--datasets bbc reuters ag_news] [--seeds 5]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np


def load(name):
    from vqtoolkit.datasets import load_ag_news, load_bbc, load_reuters

    if name == "bbc":
        return load_bbc()
    if name == "reuters":
        return load_reuters(single_label=True, n_topics=8)
    return load_ag_news()


def baseline(texts, k, seed):
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    X = TfidfVectorizer().fit_transform(texts)
    return KMeans(k, n_init=1, random_state=seed).fit_predict(X)


def main(argv=None) -> int:
    from vqtoolkit import DocumentClusterer
    from vqtoolkit.documents import clustering_scores

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["bbc", "reuters", "ag_news"])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args(argv)
    rows = []
    for name in args.datasets:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = load(name)
        k = len(ds.target_names)
        ours, base, secs = [], [], []
        first = None
        for seed in range(args.seeds):
            t = time.perf_counter()
            dc = DocumentClusterer(k, random_state=seed).fit(ds.texts, ids=ds.ids)
            secs.append(time.perf_counter() - t)
            ours.append(clustering_scores(ds.labels, dc.labels_))
            base.append(clustering_scores(ds.labels, baseline(ds.texts, k, seed)))
            first = first or dc
        med = {m: float(np.median([s[m] for s in ours])) for m in ours[0]}
        bmed = {m: float(np.median([s[m] for s in base])) for m in base[0]}
        rows.append((name, len(ds), k, med, bmed, float(np.median(secs))))
        print(f"\n## {name}: {len(ds)} documents, {k} classes "
              f"(NMI per seed: {', '.join(format(s['nmi'], '.3f') for s in ours)})")
        for j, terms in enumerate(first.top_terms(8)):
            print(f"  cluster {j} ({first.cluster_sizes_[j]}): {', '.join(terms)}")
    print("\n| data set | docs | k | NMI | ARI | V | baseline NMI | baseline ARI | baseline V | s/fit |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, n, k, m, b, s in rows:
        print(f"| {name} | {n} | {k} | {m['nmi']:.3f} | {m['ari']:.3f} | {m['v_measure']:.3f} | "
              f"{b['nmi']:.3f} | {b['ari']:.3f} | {b['v_measure']:.3f} | {s:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
