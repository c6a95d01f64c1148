"""
Whitened k-means, codewords back in real units
==============================================

Two features in very different units: without whitening, k-means only sees
the first one. ``Codebook(whiten='zca')`` clusters in the whitened space and
reports the codewords in the units of ``X`` (exact inverse whitening).
"""

import matplotlib.pyplot as plt
import numpy as np

from vqtoolkit import Codebook
from vqtoolkit.plotting import plot_clusters

rng = np.random.default_rng(0)
centers = np.array([[0.0, 0.0], [0.0, 3.0], [2000.0, 1.5]])
X = np.vstack([rng.normal(c, [300.0, 0.4], size=(300, 2)) for c in centers])

fig, axes = plt.subplots(1, 2, figsize=(9, 4))
for ax, whiten in zip(axes, [None, "zca"]):
    cb = Codebook(3, whiten=whiten, random_state=0).fit(X)
    plot_clusters(X, cb.labels_, codebook=cb, projection=None, ax=ax,
                  title=f"whiten={whiten!r}: distortion {cb.distortion_:.3g}")
fig.tight_layout()

# %%
# The codewords are in the units of ``X``, whatever space k-means ran in:
print(cb.codebook_)
assert np.allclose(cb.codebook_, cb.whitener_.inverse_transform(cb.whitened_codebook_))
