"""
Choosing k with G-means
=======================

G-means splits a codeword while the points around it do not look Gaussian
(Anderson-Darling test along the split direction). Here the data hold seven
blobs; nothing about k is given but an upper bound.
"""

from sklearn.datasets import make_blobs

from vqtoolkit import choose_k
from vqtoolkit.plotting import plot_clusters

X, y = make_blobs(n_samples=2100, centers=7, cluster_std=0.6, center_box=(-15, 15), random_state=0)
result = choose_k(X, method="gmeans", k_range=(1, 20), random_state=0)
print("k =", result.k)

# %%
# The codewords found, in the units of ``X``:
plot_clusters(X, codebook=result.codewords, projection=None, title=f"G-means: k = {result.k}")
