"""Scatter plots of clustered observations, in 2-D, 3-D or any dimension through a projection."""

from __future__ import annotations

import numpy as np

from .._validation import check_random_state, check_X
from ..errors import ParameterError
from ._common import axes_figure, finish
from ._palette import cluster_colors, label_colors

__all__ = ["plot_clusters", "PROJECTIONS"]

PROJECTIONS = ("pca", "isomap", "tsne", None)
_MAX_EMBED = 3000  # Isomap / t-SNE cost grows fast with the number of points


def plot_clusters(X, labels=None, *, codebook=None, projection="pca", projection_kwargs=None, dims=None,
                  max_points=50_000, legend=None, title=None, ax=None, random_state=0, path=None):
    """Observations coloured by cluster, with the codewords marked.

    Cluster ``i`` is drawn in colour ``i`` of :func:`cluster_colors`, so a
    codebook with canonical numbering gets the same colours on every run.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    labels : array-like of shape (n_samples,), optional
        Cluster of every observation (integers >= 0; negative = noise, grey).
        Other label values (strings …) are numbered in sorted order. When
        omitted, the codes of ``X`` against ``codebook`` are used.
    codebook : ndarray of shape (n_codewords, n_features) or fitted Codebook, optional
        Codewords in the units of ``X``, drawn as large markers with a black edge.
    projection : {'pca', 'isomap', 'tsne', None} or object with ``fit_transform``
        How data with more features than ``dims`` are mapped to ``dims``
        dimensions; ``None`` keeps the first ``dims`` features. Isomap and
        t-SNE (scikit-learn) embed at most 3,000 observations (a random subset).
    projection_kwargs : dict, optional
        Extra arguments for the scikit-learn estimator of ``projection``
        (e.g. ``{'perplexity': 50}`` for t-SNE, ``{'n_neighbors': 20}`` for Isomap).
    dims : {2, 3}, optional
        Plot dimensions; default 3 for 3-feature data, else 2.
    max_points : int, default=50_000
        Draw at most this many observations (a random subset).
    legend : bool, optional
        Default: a legend when there are at most 12 clusters.
    title : str, optional
    ax : matplotlib Axes, optional
        Draw into this axes (``projection='3d'`` axes for ``dims=3``).
    random_state : None, int or RandomState, default=0
        For subsets and the projection.
    path : str or path-like, optional
        Save the figure there; the suffix picks the format (any of :data:`SAVE_FORMATS`).

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or the figure of ``ax``.
    """
    X = np.asarray(check_X(X, what="plot_clusters").X, dtype=np.float64)
    n, d = X.shape
    C = _codewords(codebook, d)
    labels = _labels(labels, X, codebook, C)
    if dims is None:
        dims = 3 if d == 3 else 2
    if dims not in (2, 3):
        raise ParameterError(f"dims={dims!r} must be 2 or 3")
    rng = check_random_state(random_state)
    keep = np.arange(n)
    nonlinear = isinstance(projection, str) and projection in ("isomap", "tsne")
    limit = min(max_points, _MAX_EMBED) if nonlinear and d > dims else max_points
    if n > limit:
        keep = np.sort(rng.choice(n, size=limit, replace=False))
    P, PC, axis_names = _project(X[keep], C, projection, dims, rng, dict(projection_kwargs or {}))
    lab = labels[keep]
    fig, ax = axes_figure(ax, (7, 6) if dims == 2 else (7, 6.5), projection="3d" if dims == 3 else None)
    size = float(np.clip(3000.0 / max(len(keep), 1), 1.0, 30.0))
    coords = [P[:, j] for j in range(dims)]
    ax.scatter(*coords, c=label_colors(lab), s=size, linewidths=0, rasterized=len(keep) > 5000)
    k_all = int(max(labels.max() + 1, 0 if C is None else C.shape[0], 1))
    if PC is not None:
        cols = cluster_colors(max(PC.shape[0], 1))
        big = 90 if PC.shape[0] <= 50 else 45
        ax.scatter(*[PC[:, j] for j in range(dims)], c=cols, s=big, marker="o",
                   edgecolors="black", linewidths=1.2, zorder=3)
    if legend is None:
        legend = k_all <= 12
    if legend:
        from matplotlib.lines import Line2D

        pal = cluster_colors(k_all)
        handles = [Line2D([], [], ls="", marker="o", color=pal[i], label=str(i)) for i in range(k_all)]
        if PC is not None:
            handles.append(Line2D([], [], ls="", marker="o", mfc="white", mec="black", label="codeword"))
        ax.legend(handles=handles, title="cluster", fontsize="small", loc="best")
    for j, name in enumerate(axis_names):
        getattr(ax, ("set_xlabel", "set_ylabel", "set_zlabel")[j])(name)
    shown = f"{len(keep):,} of {n:,}" if len(keep) < n else f"{n:,}"
    ax.set_title(title or f"{shown} observations, {k_all} clusters")
    return finish(fig, path)


def _codewords(codebook, d):
    if codebook is None:
        return None
    C = getattr(codebook, "codebook_", codebook)
    C = np.asarray(C, dtype=np.float64)
    if C.ndim != 2 or C.shape[1] != d or C.shape[0] == 0:
        raise ParameterError(f"codebook has shape {C.shape}; expected (n_codewords, {d}) to match X")
    return C


def _labels(labels, X, codebook, C):
    if labels is None:
        if C is None:
            raise ParameterError("give labels, or a codebook to compute them from")
        if hasattr(codebook, "predict"):
            return np.asarray(codebook.predict(X), dtype=np.int64)
        from ..quantization import quantize

        return quantize(X, C).codes
    lab = np.asarray(labels)
    if lab.shape != (X.shape[0],):
        raise ParameterError(f"labels has shape {lab.shape}; expected ({X.shape[0]},) to match X")
    if lab.dtype.kind in "iu":
        return lab.astype(np.int64)
    if lab.dtype.kind == "f" and np.all(lab == np.round(lab)):
        return lab.astype(np.int64)
    return np.unique(lab, return_inverse=True)[1].astype(np.int64).ravel()


def _project(X, C, projection, dims, rng, kwargs):
    d = X.shape[1]
    if d <= dims and (projection is None or isinstance(projection, str)):
        pad = dims - d
        P = np.hstack([X, np.zeros((X.shape[0], pad))])
        PC = None if C is None else np.hstack([C, np.zeros((C.shape[0], pad))])
        return P, PC, [f"x{j}" for j in range(d)] + [""] * pad
    if projection is None:
        return X[:, :dims], None if C is None else C[:, :dims], [f"x{j}" for j in range(dims)]
    seed = int(rng.randint(2**31 - 1))
    if projection == "pca":
        from sklearn.decomposition import PCA

        model = PCA(**{"n_components": dims, "random_state": seed, **kwargs}).fit(X)
        ratio = model.explained_variance_ratio_
        names = [f"PC{j + 1} ({100 * ratio[j]:.0f}% of variance)" for j in range(dims)]
        return model.transform(X), None if C is None else model.transform(C), names
    if projection == "isomap":
        from sklearn.manifold import Isomap

        model = Isomap(**{"n_components": dims, "n_neighbors": min(10, X.shape[0] - 1), **kwargs}).fit(X)
        return model.embedding_, None if C is None else model.transform(C), \
            [f"Isomap {j + 1}" for j in range(dims)]
    if projection == "tsne":
        from sklearn.manifold import TSNE

        both = X if C is None else np.vstack([X, C])
        perplexity = float(min(30.0, max(2.0, (both.shape[0] - 1) / 3)))
        params = {"n_components": dims, "perplexity": perplexity, "init": "pca", "random_state": seed}
        from threadpoolctl import threadpool_limits

        # OpenMP threads only slow small embeddings down (and badly on a busy machine)
        with threadpool_limits(limits=1 if both.shape[0] < 1000 else None):
            E = TSNE(**{**params, **kwargs}).fit_transform(both)
        return E[: X.shape[0]], None if C is None else E[X.shape[0]:], [f"t-SNE {j + 1}" for j in range(dims)]
    if hasattr(projection, "fit_transform"):
        if C is not None and hasattr(projection, "transform"):
            P = projection.fit_transform(X)
            PC = projection.transform(C)
        else:
            both = X if C is None else np.vstack([X, C])
            E = projection.fit_transform(both)
            P, PC = E[: X.shape[0]], None if C is None else E[X.shape[0]:]
        P = np.asarray(P)
        if P.ndim != 2 or P.shape[1] < dims:
            raise ParameterError(f"projection gave shape {P.shape}; expected at least {dims} columns")
        return P[:, :dims], None if PC is None else np.asarray(PC)[:, :dims], \
            [f"{type(projection).__name__} {j + 1}" for j in range(dims)]
    raise ParameterError(
        f"projection={projection!r} is not one of {PROJECTIONS} or an object with fit_transform"
    )
