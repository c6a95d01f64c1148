"""The report of a :class:`~vqtoolkit.documents.DocumentClusterer`: sizes, top terms, members.

:class:`DocumentReport` (from ``DocumentClusterer.report``) holds one
:class:`ClusterSummary` per cluster and writes itself as JSON and Markdown;
:func:`assignments_csv` is the ``id,cluster,similarity`` table of every document.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

__all__ = ["ClusterSummary", "DocumentReport", "assignments_csv"]


@dataclass(frozen=True)
class ClusterSummary:
    """One cluster of a :class:`DocumentReport`.

    Attributes
    ----------
    cluster : int
    size : int
    top_terms : tuple of (str, float)
        Terms with the largest mean TF-IDF weight in the cluster.
    representatives : tuple of str
        Ids of the documents closest to the codeword.
    members : tuple of str
        Ids of every document of the cluster, in training order (empty when
        the report was made with ``members=False``).
    """

    cluster: int
    size: int
    top_terms: tuple
    representatives: tuple
    members: tuple = ()


@dataclass(frozen=True)
class DocumentReport:
    """What :meth:`DocumentClusterer.report` returns; write it with :meth:`save`.

    Attributes
    ----------
    n_documents, n_clusters, n_terms : int
    distortion : float
    settings : dict
        Clusterer and feature settings.
    clusters : tuple of ClusterSummary
    scores : dict or None
        ``nmi``, ``ari``, ``v_measure`` against given labels.
    """

    n_documents: int
    n_clusters: int
    n_terms: int
    distortion: float
    settings: dict
    clusters: tuple
    scores: dict | None = None

    def to_dict(self) -> dict:
        """Plain JSON-ready dictionary."""
        out = asdict(self)
        out["clusters"] = [
            {**asdict(c), "top_terms": [[t, round(float(w), 6)] for t, w in c.top_terms],
             "representatives": list(c.representatives), "members": list(c.members)}
            for c in self.clusters
        ]
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=_json_default)

    def to_markdown(self) -> str:
        lines = [
            "# Document clusters", "",
            f"{self.n_documents} documents, {self.n_clusters} clusters, {self.n_terms} terms, "
            f"distortion {self.distortion:.4f}.", "",
        ]
        if self.scores:
            lines += ["| score | value |", "|---|---|"]
            lines += [f"| {k} | {v:.4f} |" for k, v in self.scores.items()] + [""]
        lines += ["| cluster | size | top terms | representatives |", "|---|---|---|---|"]
        for c in self.clusters:
            terms = ", ".join(t for t, _ in c.top_terms)
            reps = ", ".join(f"`{r}`" for r in c.representatives)
            lines.append(f"| {c.cluster} | {c.size} | {terms} | {reps} |")
        return "\n".join(lines) + "\n"

    def save(self, folder) -> tuple[Path, Path]:
        """Write ``report.json`` and ``report.md`` into ``folder`` (created if needed)."""
        from .io import atomic_write

        folder = Path(folder)
        paths = (folder / "report.json", folder / "report.md")
        atomic_write(paths[0], lambda fh: fh.write(self.to_json().encode()))
        atomic_write(paths[1], lambda fh: fh.write(self.to_markdown().encode()))
        return paths


def assignments_csv(ids, labels, similarity) -> str:
    """CSV text with a header ``id,cluster,similarity`` and one row per document.

    Parameters
    ----------
    ids : array-like of shape (n_documents,)
    labels : ndarray of shape (n_documents,), int
    similarity : ndarray of shape (n_documents,), float
        Cosine similarity to the cluster's codeword (written with 6 decimals).

    Returns
    -------
    str
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["id", "cluster", "similarity"])
    writer.writerows(zip((str(i) for i in ids), np.asarray(labels).tolist(),
                         np.round(np.asarray(similarity, dtype=np.float64), 6).tolist()))
    return buf.getvalue()


def _json_default(obj):
    if isinstance(obj, (np.integer, np.floating)):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)
