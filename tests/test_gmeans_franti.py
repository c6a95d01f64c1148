"""G-means with the defaults finds the exact k on all 11 Fränti sets (issue 18).

The sets (S1–S4, A1–A3, R15, D31, unbalance, Birch1; ``clustering/sipu`` in the
data home) and the true k of each are Fränti & Sieranoja's ("K-means properties
on six clustering benchmark datasets", 2018). Besides the count, the found
codewords (refined by one Lloyd run, as ``Codebook(n_codewords='auto')`` does)
must match the ground-truth centroids one to one: centroid index 0. Measured
with ``benchmarks/bench_gmeans.py``: exact on every set for seeds 0–9 and on
90 % subsamples; the whole module takes about 15 s (Birch1, 100,000 points,
4 s of it).
"""

from __future__ import annotations

import numpy as np
import pytest

from vqtoolkit import Codebook, centroid_index, choose_k

FRANTI = {"s1": 15, "s2": 15, "s3": 15, "s4": 15, "a1": 20, "a2": 35, "a3": 50, "r15": 15,
          "d31": 31, "unbalance": 8, "birch1": 100}

pytestmark = [pytest.mark.slow, pytest.mark.data]


def _load(require_data, name):
    from vqtoolkit.datasets import load_clustering

    require_data("clustering/sipu")
    return load_clustering(name, battery="sipu", download_if_missing=False)


def _truth(d):
    if d.name in ("s1", "s2", "s3", "s4"):  # the published codebooks
        from vqtoolkit.datasets import load_s_set_codebook

        return load_s_set_codebook(d.name)
    keep = d.labels > 0
    return np.vstack([d.X[keep][d.labels[keep] == j].mean(0) for j in np.unique(d.labels[keep])])


@pytest.mark.parametrize("name", list(FRANTI))
def test_gmeans_exact_k_with_the_defaults(require_data, name):
    d = _load(require_data, name)
    assert d.n_clusters == FRANTI[name]
    r = choose_k(d.X, random_state=0)  # method='gmeans' and every other setting by default
    assert r.method == "gmeans" and r.k == FRANTI[name]
    cb = Codebook(r.k, init=r.codewords).fit(d.X)
    assert centroid_index(cb.codebook_, _truth(d)) == 0


def test_s4_needs_the_resplit_pass(require_data):
    # without the re-split pass, k-means settles with one codeword between two S4 clusters and
    # a sparse third cluster shared among its neighbours: every member set looks unimodal, 14
    d = _load(require_data, "s4")
    without = choose_k(d.X, resplit=False, random_state=0)
    assert without.k == 14 and centroid_index(without.codewords, _truth(d)) == 1
    r = choose_k(d.X, random_state=0)
    assert r.k == 15
    # the rounds and the merge step end at 14; the pass adds the 15th (an entry of +1)
    assert r.k_values[-2:].tolist() == [14, 15] and r.scores[-1] == 1.0
