"""Demo section: pictures of clusters and codebooks, colour quantization and texture segmentation.

Writes into ``out/``:

- ``clusters_a3.png``: A3 (50 clusters, 7,500 points) with its 50-codeword codebook
  (a generated 50-cluster mixture when the data is missing);
- ``codebook_wine.png``: heatmap of a 3-codeword codebook of UCI wine, original units
  (a generated 5-feature set when missing);
- ``confusion.png``: the matcher's confusion matrix when the matching section left
  ``out/confusion*.json``, else a nearest-codeword classifier on wine;
- ``quantized_china.png``, ``texture_segmentation.png``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

import vqtoolkit
from vqtoolkit import plotting
from vqtoolkit.datasets import load_clustering
from vqtoolkit.errors import DataNotFoundError

TITLE = "plots: clusters, codebook heatmap, confusion matrix, colour quantization, textures"

WINE_FEATURES = ["alcohol", "malic acid", "ash", "alcalinity", "magnesium", "phenols", "flavanoids",
                 "nonflav. phenols", "proanthocyanins", "colour int.", "hue", "OD280/OD315", "proline"]


def run(*, out, seed=0):
    out = Path(out)
    written = [scatter(out, seed), heatmap(out, seed), confusion(out, seed)]
    written += images(out, seed)
    for path in written:
        print(f"picture written to {path}")
    return written


def scatter(out, seed):
    try:
        data = load_clustering("a3", download_if_missing=False)
        X, k, name = data.X, data.n_clusters, "A3"
        print(f"data: {data.path}")
    except DataNotFoundError as exc:
        print(f"A3 not found ({exc}); using a generated mixture of 50 well separated clusters")
        rng = np.random.default_rng(seed)
        grid = np.array([(i, j) for i in range(5) for j in range(10)], float) * 1e4 + 1e4
        centers = grid + rng.uniform(-1.5e3, 1.5e3, size=grid.shape)  # >= 5 sd apart, as in A3
        X, k, name = np.vstack([rng.normal(c, 1.2e3, size=(150, 2)) for c in centers]), 50, "generated"
    # k is not given: G-means chooses it (the truth is 50)
    choice = vqtoolkit.choose_k(X, method="gmeans", random_state=seed)
    cb = vqtoolkit.Codebook(choice.k, init=choice.codewords, random_state=seed).fit(X)
    print(f"{name}: {X.shape[0]:,} points, G-means chose k = {choice.k} (truth {k}), "
          f"distortion {cb.distortion_:.4g}")
    path = out / "clusters_a3.png"
    plotting.plot_clusters(
        X, cb.labels_, codebook=cb, path=path,
        title=f"{name}: {X.shape[0]:,} points, G-means chose {choice.k} clusters",
    )
    return path


def _wine(seed):
    try:
        data = load_clustering("wine", battery="uci", download_if_missing=False)
        return data.X, data.labels, WINE_FEATURES, "UCI wine"
    except DataNotFoundError as exc:
        print(f"wine not found ({exc}); using a generated 3-class set")
        rng = np.random.default_rng(seed)
        means = rng.normal(0, 3, size=(3, 5)) * [1, 10, 100, 1, 1]
        X = np.vstack([rng.normal(m, np.abs(m) / 5 + 1, size=(60, 5)) for m in means])
        return X, np.repeat([1, 2, 3], 60), [f"f{j}" for j in range(5)], "generated"


def heatmap(out, seed):
    X, _, names, name = _wine(seed)
    import pandas as pd

    cb = vqtoolkit.Codebook(3, whiten="standard", n_init=5, random_state=seed).fit(
        pd.DataFrame(X, columns=names))
    path = out / "codebook_wine.png"
    plotting.plot_codebook(cb, title=f"{name}: 3 codewords (standardized k-means), original units",
                           path=path)
    return path


def confusion(out, seed):
    path = out / "confusion.png"
    found = sorted(out.glob("confusion*.json"))
    if found:
        d = json.loads(found[0].read_text())
        print(f"confusion matrix from the matching section: {found[0]}")
        plotting.plot_confusion(np.asarray(d["counts"]), d["labels"],
                                title=f"{d.get('title', found[0].stem)}: accuracy "
                                      f"{_acc(d['counts']):.3f}", path=path)
        return path
    X, y, _, name = _wine(seed)
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), bool)
    test[rng.permutation(len(y))[: len(y) // 3]] = True
    classes = np.unique(y)
    books = [vqtoolkit.Codebook(4, whiten="standard", random_state=seed).fit(X[~test & (y == c)])
             for c in classes]
    dist = np.column_stack([b.transform(X[test]).min(axis=1) for b in books])  # nearest codeword
    pred = classes[dist.argmin(1)]
    counts = np.array([[np.sum((y[test] == a) & (pred == b)) for b in classes] for a in classes])
    print(f"{name}: one 4-codeword codebook per class, accuracy {_acc(counts):.3f} on {test.sum()} held out")
    plotting.plot_confusion(counts, [f"class {c}" for c in classes],
                            title=f"{name}, codebook per class: accuracy {_acc(counts):.3f}", path=path)
    return path


def images(out, seed):
    from sklearn.datasets import load_sample_image

    from vqtoolkit.datasets.textures import load_texture_mosaic
    from vqtoolkit.images import quantize_image, segment_texture

    img = load_sample_image("china.jpg")
    t = time.perf_counter()
    q = quantize_image(img, 64, random_state=seed)
    print(f"china.jpg to 64 colours: MSE {q.mse:.2f} in {time.perf_counter() - t:.2f} s")
    qpath = out / "quantized_china.png"
    plotting.plot_quantized_image(img, q, path=qpath)
    mos = load_texture_mosaic(("brick", "grass", "gravel"))
    seg = segment_texture(mos.image, 3, random_state=seed)
    acc = np.mean(vqtoolkit.match_labels(mos.truth.ravel(), seg.labels.ravel()) == mos.truth.ravel())
    print(f"brick/grass/gravel mosaic: texture segmentation pixel accuracy {acc:.3f}")
    spath = out / "texture_segmentation.png"
    plotting.plot_segmentation(mos.image, seg, truth=mos.truth, path=spath)
    return [qpath, spath]


def _acc(counts):
    counts = np.asarray(counts, dtype=float)
    return float(np.trace(counts) / counts.sum())
