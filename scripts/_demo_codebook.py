"""Demo section: a k-means codebook on Fränti's S1 benchmark (or a generated mixture)."""

from __future__ import annotations

import numpy as np

import vqtoolkit
from vqtoolkit.datasets import load_clustering, load_s_set_codebook
from vqtoolkit.errors import DataNotFoundError

TITLE = "codebook: k-means on S1 (15 Gaussian clusters, 5,000 points)"


def run(*, out, seed=0):
    try:
        data = load_clustering("s1", download_if_missing=False)
        X, reference = data.X, load_s_set_codebook("s1", download_if_missing=False)
        print(f"data: {data.path}")
    except DataNotFoundError as exc:
        print(f"S1 not found ({exc})")
        print("running on a generated Gaussian mixture of 15 well separated clusters instead")
        rng = np.random.default_rng(seed)
        reference = grid_centers(rng, 3, 5, spacing=1.8e5)  # centres >= 4 sd apart, as in S1
        X = np.vstack([rng.normal(c, 3e4, size=(300, 2)) for c in reference])
    cb = vqtoolkit.Codebook(15, n_init=10, random_state=seed).fit(X)
    ref_distortion = vqtoolkit.quantize(X, reference).distortion
    ci = vqtoolkit.centroid_index(cb.codebook_, reference)
    print(f"distortion (mean squared distance): {cb.distortion_:.6g}")
    print(f"reference codebook's distortion:    {ref_distortion:.6g} "
          f"(ratio {cb.distortion_ / ref_distortion:.4f})")
    print(f"centroid index against the reference: {ci} (0 = every cluster found)")
    path = cb.save(out / "s1_codebook.npz")
    print(f"codebook written to {path}")
    return cb


def grid_centers(rng, rows, cols, *, spacing):
    """``rows * cols`` centres on a grid, each moved by up to a sixth of the spacing."""
    grid = np.array([(i, j) for i in range(rows) for j in range(cols)], float) * spacing + spacing
    return grid + rng.uniform(-spacing / 6, spacing / 6, size=grid.shape)
