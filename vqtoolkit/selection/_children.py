"""The split trial of many clusters at once, from per-code passes over the rows (no gathered members).

G-means and X-means try to split each cluster ``j`` of a k-means result in
two: two children at ``c ± s sqrt(2 λ / π)`` (``s`` the principal direction
of the members, ``λ`` its eigenvalue), refined by 2-means on the members.
Here this runs for all the clusters tested in a round together, through the
per-code operations of the rows backend (:mod:`vqtoolkit.backends`), so the
rows stay where they are (in memory or on the Dask workers):

* principal directions: one pass of per-code scatter matrices (``d <= 256``,
  then ``numpy.linalg.eigh``; in batches of at most 64 MB of matrices), or a
  power iteration of one pass per step (wider rows), started from the member
  farthest from the center;
* 2-means: every row goes to the nearer of its parent's two children; one
  pass serves all parents, and each parent follows the stop rule of
  :func:`vqtoolkit.lloyd.lloyd` (codes unchanged, relative decrease of
  distortion at most ``tol``, ``max_iter`` passes) on its own;
* projections for the normality and unimodality tests: one float per row
  (:meth:`group_projections`), the only per-row values that move.

The results equal those of running :func:`vqtoolkit.lloyd.lloyd` on each
cluster's members (as G-means did before) up to floating-point rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..kernels import AssignStats
from ..lloyd import _fix_empty

__all__ = ["TwoMeans", "split_all", "pair_projections", "WIDE", "SCATTER_BYTES"]

WIDE = 256  # above this many features, the principal direction comes from a power iteration
SCATTER_BYTES = 1 << 26  # scatter matrices computed per pass (64 MB)
POWER_STEPS = 50


@dataclass(frozen=True)
class TwoMeans:
    """The 2-means split of one cluster.

    Attributes
    ----------
    children : ndarray of shape (2, n_features), float64
    counts : ndarray of shape (2,)
        Members of each child.
    sse : ndarray of shape (2,)
        Sum of squared distances of each child's members to it.
    """

    children: np.ndarray
    counts: np.ndarray
    sse: np.ndarray


def split_all(rows, codes, centers, sizes, todo, rng, *, max_iter=100, tol=1e-6):
    """2-means split of every cluster in ``todo``, from ``c ± s sqrt(2λ/π)``.

    Parameters
    ----------
    rows : rows backend
    codes : ndarray or Dask array of shape (n_samples,)
        Codes of the last pass against ``centers``.
    centers : ndarray of shape (k, n_features), float64
    sizes : ndarray of shape (k,), int
        Members of each code.
    todo : sequence of int
        Clusters to split.
    rng : numpy.random.RandomState
        Splits a child that loses all its members (as :func:`vqtoolkit.lloyd.lloyd` does).

    Returns
    -------
    dict
        ``{j: TwoMeans or None}``; None where the split is impossible (no
        spread, or a child empty at the end).
    """
    k, d = centers.shape
    todo = [int(j) for j in todo]
    if not todo:
        return {}
    directions = _principal_all(rows, codes, centers, sizes, todo)
    children = np.zeros((k, 2, d))
    state = {}  # j -> [passes, distortion history, status]
    out = {}
    for j in todo:
        s, lam = directions[j]
        if lam <= 0:
            out[j] = None
            continue
        m = s * np.sqrt(2 * lam / np.pi)
        children[j] = [centers[j] + m, centers[j] - m]
        state[j] = [0, [], "run"]
    runner = rows.children(codes)
    final = {}
    while state:
        mask = np.zeros(k, dtype=bool)
        mask[list(state)] = True
        tot = runner.step(children, mask)
        for j in sorted(state):
            st = state[j]
            if st[2] == "final":  # the pass after the last update (lloyd's closing pass)
                final[j] = tot
                del state[j]
                continue
            st[0] += 1
            J = float(tot.sse[j].sum()) / sizes[j]
            st[1].append(J)
            if st[0] > 1 and tot.changed[j] == 0:
                final[j] = tot
                del state[j]
                continue
            cnt = tot.counts[j]
            new = np.array(children[j], copy=True)
            nz = cnt > 0
            new[nz] = tot.sums[j][nz] / cnt[nz, None]
            empties = np.flatnonzero(~nz)
            if empties.size:
                stats = AssignStats(tot.sums[j].copy(), cnt.copy(), tot.sse[j].copy())
                new = _fix_empty(None, None, new, empties, stats, "split", rng, st[0], 2)
            children[j] = new
            h = st[1]
            if (len(h) > 1 and (h[-2] - J) <= tol * J) or st[0] >= max_iter:
                st[2] = "final"
    for j, tot in final.items():
        cnt = tot.counts[j]
        out[j] = None if np.any(cnt <= 0) else TwoMeans(children[j].copy(), cnt.copy(),
                                                          tot.sse[j].copy())
    return out


def pair_projections(rows, codes, centers, pairs):
    """Members of both codes of every pair ``(i, j)`` projected on ``c_i - c_j``.

    Pairs that share a code go to different passes (a row has one direction
    per pass). Returns ``{(i, j): ndarray}`` (members of ``i``, then of ``j``).
    """
    k, d = centers.shape
    layers = []
    for i, j in pairs:
        for layer in layers:
            if not layer[1] & {i, j}:
                break
        else:
            layer = ([], set())
            layers.append(layer)
        layer[0].append((i, j))
        layer[1].update((i, j))
    out = {}
    for layer, _ in layers:
        dirs = np.zeros((k, d))
        mask = np.zeros(k, dtype=bool)
        for i, j in layer:
            dirs[i] = dirs[j] = centers[i] - centers[j]
            mask[i] = mask[j] = True
        got = dict(zip(np.flatnonzero(mask).tolist(), rows.group_projections(codes, dirs, mask)))
        for i, j in layer:
            out[(i, j)] = np.concatenate([got[i], got[j]])
    return out


# ---------------------------------------------------------------------- internals


def _principal_all(rows, codes, centers, sizes, todo):
    """Leading eigenvector and eigenvalue of each ``todo`` cluster's covariance about its center."""
    k, d = centers.shape
    out = {}
    denom = np.maximum(np.asarray(sizes, dtype=np.float64) - 1, 1)
    if d <= WIDE:
        batch = max(1, SCATTER_BYTES // (8 * d * d))
        for b in range(0, len(todo), batch):
            part = todo[b:b + batch]
            mask = np.zeros(k, dtype=bool)
            mask[part] = True
            S = rows.group_scatter(codes, centers, mask)
            for i, j in enumerate(np.flatnonzero(mask)):
                vals, vecs = np.linalg.eigh(S[i] / denom[j])
                out[int(j)] = (vecs[:, -1], float(vals[-1]))
        return out
    # power iteration for wide rows, from the member farthest from the center
    mask = np.zeros(k, dtype=bool)
    mask[todo] = True
    far = rows.group_farthest(codes, centers, mask)
    V = np.zeros((k, d))
    V[todo] = np.asarray(rows.take(far[todo]), dtype=np.float64) - centers[todo]
    V[todo] /= np.where(np.linalg.norm(V[todo], axis=1) > 0, np.linalg.norm(V[todo], axis=1), 1.0)[:, None]
    lam = np.zeros(k)
    for _ in range(POWER_STEPS):
        if not mask.any():
            break
        W = rows.group_power(codes, centers, V, mask) / denom[:, None]
        for j in np.flatnonzero(mask):
            w = W[j]
            lam_new = float(np.linalg.norm(w))
            if lam_new <= 0:
                out[int(j)] = (V[j].copy(), 0.0)
                mask[j] = False
                continue
            w = w / lam_new
            done = abs(lam_new - lam[j]) <= 1e-8 * lam_new
            V[j], lam[j] = w, lam_new
            if done:
                mask[j] = False
    for j in todo:
        out.setdefault(j, (V[j].copy(), float(lam[j])))
    return out
