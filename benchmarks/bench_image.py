"""Colour quantization of china.jpg to 64 colours: vqtoolkit vs scikit-learn's example approach.

scikit-learn's "Color Quantization using K-Means" example fits KMeans on a
random sample of 1,000 pixels and predicts every pixel. vqtoolkit's
``quantize_image`` runs k-means on an exact colour histogram (mean colour and
pixel count of each of the 32^3 bins, weights = counts) and assigns every
pixel exactly. Both are timed end to end (uint8 image in, uint8 image out),
best of ``--repeat`` runs per seed; MSE is over all pixels and channels in
0-255 units. Also: texture segmentation of the brick/grass/gravel mosaic.

    python benchmarks/bench_image.py [--seeds 5] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import load_sample_image
from sklearn.utils import shuffle
from threadpoolctl import threadpool_info

from vqtoolkit import match_labels
from vqtoolkit.datasets.textures import load_texture_mosaic
from vqtoolkit.images import quantize_image, segment_texture


def sklearn_example(img, n_colors, seed):
    X = np.array(img, dtype=np.float64) / 255
    px = X.reshape(-1, 3)
    sample = shuffle(px, random_state=seed, n_samples=1_000)
    km = KMeans(n_clusters=n_colors, random_state=seed).fit(sample)
    return np.clip(np.rint(km.cluster_centers_[km.predict(px)] * 255), 0, 255).astype(np.uint8).reshape(
        img.shape)


def ours(img, n_colors, seed):
    return quantize_image(img, n_colors, random_state=seed).image


def timed(fn, *args, repeat):
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - t)
    return best, out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--n-colors", type=int, default=64)
    args = parser.parse_args(argv)
    for lib in threadpool_info():
        print(f"# {lib.get('internal_api')}: {lib.get('version')} {lib.get('architecture', '')} "
              f"threads={lib.get('num_threads')}")
    img = load_sample_image("china.jpg")
    ours(img[:64, :64], 8, 0)  # numba warm-up, not timed
    rows = []
    for seed in range(args.seeds):
        t_sk, q_sk = timed(sklearn_example, img, args.n_colors, seed, repeat=args.repeat)
        t_us, q_us = timed(ours, img, args.n_colors, seed, repeat=args.repeat)
        mse = [float(np.mean((q.astype(float) - img) ** 2)) for q in (q_sk, q_us)]
        rows.append((seed, mse[0], t_sk, mse[1], t_us))
    print(f"\nchina.jpg {img.shape}, {args.n_colors} colours (MSE in 0-255 units; time in s, best of "
          f"{args.repeat})")
    print(f"{'seed':>4} | {'sklearn MSE':>11} {'time':>7} | {'vqtoolkit MSE':>13} {'time':>7} | "
          f"{'MSE ratio':>9} {'speed-up':>8}")
    for seed, m_sk, t_sk, m_us, t_us in rows:
        print(f"{seed:>4} | {m_sk:>11.2f} {t_sk:>7.3f} | {m_us:>13.2f} {t_us:>7.3f} | "
              f"{m_us / m_sk:>9.3f} {t_sk / t_us:>7.2f}x")
    a = np.array(rows)
    print(f"{'mean':>4} | {a[:, 1].mean():>11.2f} {a[:, 2].mean():>7.3f} | {a[:, 3].mean():>13.2f} "
          f"{a[:, 4].mean():>7.3f} | {a[:, 3].mean() / a[:, 1].mean():>9.3f} "
          f"{a[:, 2].mean() / a[:, 4].mean():>7.2f}x")

    mos = load_texture_mosaic(("brick", "grass", "gravel"), shape=(256, 256))
    print("\ntexture segmentation, brick/grass/gravel mosaic 256x256 (pixel accuracy after matching labels)")
    for seed in range(3):
        t = time.perf_counter()
        seg = segment_texture(mos.image, 3, random_state=seed)
        dt = time.perf_counter() - t
        acc = np.mean(match_labels(mos.truth.ravel(), seg.labels.ravel()) == mos.truth.ravel())
        print(f"seed {seed}: accuracy {acc:.3f}  ({dt:.2f} s)")


if __name__ == "__main__":
    main()
