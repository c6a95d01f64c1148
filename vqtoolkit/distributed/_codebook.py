"""Codebook.fit / partial_fit / predict / quantize for Dask arrays (called by Codebook)."""

from __future__ import annotations

import numpy as np

from .. import kernels
from .._validation import check_fitted, check_random_state
from ..codebook import canonical_order
from ..errors import ParameterError
from ..lloyd import lloyd, minibatch_step
from ..seeding import kmeans_plusplus
from ..spaces import CosineSpace, EuclideanSpace, far_from_origin, get_space
from ..whitening import resolve_whitener
from ._cluster import _client
from ._engine import Blocks, dask_lbg, dask_lloyd
from ._prepare import check_dask_weight, check_dask_X, weighted_moments, whitener_from_moments

__all__ = ["fit", "partial_fit", "predict", "quantize", "INIT_SAMPLE_SIZE"]

#: Rows drawn for k-means++ seeding (dask config ``vqtoolkit.init-sample-size``).
INIT_SAMPLE_SIZE = 100_000


def fit(est, X, sample_weight=None):
    """``Codebook.fit`` on a Dask array; see :mod:`vqtoolkit.distributed`."""
    if isinstance(est.n_codewords, str):
        raise ParameterError(
            f"n_codewords={est.n_codewords!r} is not supported for Dask input; give an integer"
        )
    X = check_dask_X(X, what=f"{type(est).__name__}.fit")
    n, d = X.shape
    est._check_params_and_X(np.zeros((1, d), dtype=X.dtype), accept_sparse=False)
    k = est._n_codewords_for(n)
    space = _space(est.metric)
    rng = check_random_state(est.random_state)
    client = _client()
    w = check_dask_weight(sample_weight, X)
    prep = _Prepared(X, w, est.whiten, space)
    init_centers = est._initial_array(prep.whitener, space, prep.shift, k, d)
    blocks = Blocks(client, *client.persist([prep.Xs] + ([w] if w is not None else [])))
    progress = _printer() if est.verbose else None
    common = dict(wsum=prep.wsum, max_iter=est.max_iter, tol=est.tol, empty=est.empty,
                  update=space.update, metric=space.assign_metric, rng=rng,
                  n_threads=est.n_threads or 1)
    best = None
    sampled = init_centers is None and est.init == "k-means++" and n > _sample_size()
    # on a sample, the n_init restarts run in memory (cheap); the best seeds one run here
    for _ in range(1 if sampled else est._n_runs()):
        if init_centers is None and est.init == "lbg":
            mean = prep.training_mean(blocks)
            res = dask_lbg(blocks, k, mean, **common)
        else:
            if init_centers is not None:
                C0 = init_centers
            elif est.init == "random":
                C0 = _random_rows(blocks, k, rng, w)
            else:
                C0 = _kmeans_plusplus_sample(blocks, k, rng, w, est.n_threads,
                                             restarts=est._n_runs(), lloyd_options=common)
            C0 = space.project(np.asarray(C0, dtype=np.float64))
            res = dask_lloyd(blocks, C0, progress=progress, **common)
        if best is None or res.distortion < best.distortion:
            best = res
    del blocks
    est._set_result(best, space, prep.whitener, prep.shift, X.dtype)
    inverse = np.empty_like(est._order)
    inverse[est._order] = np.arange(est._order.size)
    est.labels_ = prep.Xs.map_blocks(
        _labels_chunk, best.centers, inverse, space.assign_metric, est.n_threads or 1,
        dtype=np.int64, drop_axis=1,
    )
    est.n_features_in_ = d
    if hasattr(est, "feature_names_in_"):
        del est.feature_names_in_
    import dask.array as da

    est.sample_ids_ = da.arange(n, chunks=(X.chunks[0],))
    est._space_state = space.state
    return est


def partial_fit(est, X, sample_weight=None):
    """``Codebook.partial_fit`` on a Dask array: the whole array is one batch."""
    X = check_dask_X(X, what=f"{type(est).__name__}.partial_fit")
    n, d = X.shape
    first = not hasattr(est, "whitened_codebook_") or not hasattr(est, "_batch_counts")
    space = _space(est.metric)
    client = _client()
    w = check_dask_weight(sample_weight, X)
    if first:
        est._check_params_and_X(np.zeros((1, d), dtype=X.dtype), accept_sparse=False)
        k = est._n_codewords_for(n)
        est._rng = check_random_state(est.random_state)
        prep = _Prepared(X, w, est.whiten, space)
        blocks = Blocks(client, *client.persist([prep.Xs] + ([w] if w is not None else [])))
        init = est._initial_array(prep.whitener, space, prep.shift, k, d)
        if init is None:
            init = _kmeans_plusplus_sample(blocks, k, est._rng, w, est.n_threads)
        C = space.project(np.asarray(init, dtype=np.float64))
        est.whitener_ = prep.whitener
        est._shift = prep.shift
        est._space_state = space.state
        est._batch_counts = np.zeros(k)
        est.n_steps_ = 0
        est.n_features_in_ = d
        wsum = prep.wsum
    else:
        if d != est.n_features_in_:
            raise ParameterError(
                f"X has {d} features (shape {X.shape}), but {type(est).__name__} was fitted "
                f"with {est.n_features_in_} features"
            )
        space.state = est._space_state
        light = _light(est)
        Xs = X.map_blocks(_to_space_chunk, light, space, dtype=X.dtype)
        wsum, _ = weighted_moments(X, w, what=f"{type(est).__name__}.partial_fit")
        blocks = Blocks(client, *client.persist([Xs] + ([w] if w is not None else [])))
        C = est.whitened_codebook_.astype(np.float64) - (0 if est._shift is None else est._shift)
    C = C.astype(X.dtype)
    steps, total = blocks.run(C, space.assign_metric, est.n_threads or 1)
    stats = total.stats
    newC, counts, never = minibatch_step(C, est._batch_counts, stats,
                                         spherical=space.update == "spherical")
    if never.size:  # keep exactly k codewords: move unused ones to far observations
        newC[never] = blocks.take(blocks.farthest(steps, never.size))
    del steps, blocks
    est.n_steps_ += 1
    est.distortion_ = stats.total_sse / wsum
    order = canonical_order(newC + (0 if est._shift is None else est._shift))
    est._batch_counts = counts[order]
    est._store_codebook(newC[order], space, est.whitener_, est._shift, X.dtype)
    est.counts_ = est._batch_counts.copy()
    return est


def predict(est, X):
    """Lazy codes of a Dask array: ``Codebook.predict`` applied to every chunk."""
    check_fitted(est, "whitened_codebook_")
    X = check_dask_X(X, what=f"{type(est).__name__}.predict")
    _check_features(est, X)
    return X.map_blocks(_predict_chunk, _light(est), dtype=np.int64, drop_axis=1)


def quantize(est, X):
    """``Codebook.quantize`` on a Dask array.

    Returns
    -------
    QuantizeResult
        ``codes`` and ``distances`` are lazy Dask arrays; ``distortion`` is a
        float (computed by this call).
    """
    import dask.array as da

    from ..quantization import QuantizeResult

    check_fitted(est, "whitened_codebook_")
    X = check_dask_X(X, what=f"{type(est).__name__}.quantize")
    _check_features(est, X)
    pair = X.map_blocks(_quantize_chunk, _light(est), dtype=np.float64, chunks=(X.chunks[0], (2,)))
    sq = pair[:, 1]
    return QuantizeResult(pair[:, 0].astype(np.int64), da.sqrt(sq), float(sq.mean().compute()))


# ------------------------------------------------------------------- helpers


class _Prepared:
    """Whitener, centring shift and the lazy training-space array of a Dask input."""

    def __init__(self, X, w, whiten, space):
        whitener = resolve_whitener(whiten)
        self._w = w
        self.wsum, mean = weighted_moments(X, w, what="Codebook.fit")
        Xw = X
        if whitener is not None:
            order = 2 if whitener.method in ("scale", "standard") else 3
            _, second = weighted_moments(X, w, mean=mean, order=order)
            whitener = whitener_from_moments(whitener, mean, second, X.dtype)
            Xw = X.map_blocks(_transform_chunk, whitener, dtype=X.dtype)
        self.whitener = whitener
        self.shift = None
        if isinstance(space, CosineSpace):
            self.Xs = Xw.map_blocks(_normalize_chunk, dtype=X.dtype)
            return
        self.Xs = Xw
        if (whitener is None or whitener.method == "scale") and X.dtype == np.float32:
            # the in-memory rule (vqtoolkit.spaces): centre float32 data far from the origin
            if whitener is not None:
                _, mean = weighted_moments(Xw, w)
            _, var = weighted_moments(Xw, w, mean=mean, order=2)
            if far_from_origin(mean, var):
                self.shift = mean
                self.Xs = Xw.map_blocks(_shift_chunk, mean.astype(X.dtype), dtype=X.dtype)

    def training_mean(self, blocks):
        """Weighted mean of the training-space data (for LBG)."""
        import dask.array as da

        Xs = da.concatenate([
            da.from_delayed(f, shape=(int(b - a), blocks.shape[1]), dtype=blocks.dtype)
            for f, a, b in zip(blocks.x, blocks.offsets[:-1], blocks.offsets[1:])
        ])
        return weighted_moments(Xs, self._w)[1]


def _space(metric):
    space = get_space(metric)
    if type(space) not in (EuclideanSpace, CosineSpace):
        raise ParameterError(
            f"metric={metric!r} is not supported for Dask input; use 'euclidean' or 'cosine'"
        )
    return space


def _check_features(est, X):
    if X.shape[1] != est.n_features_in_:
        raise ParameterError(
            f"X has {X.shape[1]} features (shape {X.shape}), but {type(est).__name__} was "
            f"fitted with {est.n_features_in_} features"
        )


def _light(est):
    """A copy of a fitted codebook with only what assignment needs (cheap to ship to workers)."""
    light = type(est)(**est.get_params())
    for key in ("whitened_codebook_", "codebook_", "whitener_", "n_features_in_", "_space_state",
                "_shift"):
        if hasattr(est, key):
            setattr(light, key, getattr(est, key))
    light.n_threads = est.n_threads or 1  # one thread per task: Dask runs the tasks in parallel
    return light


def _random_rows(blocks, k, rng, w):
    n = blocks.shape[0]
    ww = np.ones(n) if w is None else np.asarray(w.compute(), dtype=np.float64)
    positive = int((ww > 0).sum())
    if positive < k:
        raise ParameterError(f"init='random' needs {k} rows with positive weight; X has {positive}")
    idx = rng.choice(n, size=k, replace=False, p=ww / ww.sum())
    return blocks.take(idx)


def _sample_size():
    import dask

    return int(dask.config.get("vqtoolkit.init-sample-size", INIT_SAMPLE_SIZE))


def _kmeans_plusplus_sample(blocks, k, rng, w, n_threads, *, restarts=1, lloyd_options=None):
    """Seed codewords: k-means++ on the whole data when it has at most ``INIT_SAMPLE_SIZE`` rows.

    Larger data: a uniform sample of that size is drawn, and ``restarts`` runs of
    k-means++ followed by Lloyd on the sample (in memory, shared kernels) are made;
    the codebook with the lowest distortion on the sample seeds the run on the cluster.
    """
    n = blocks.shape[0]
    m = _sample_size()
    if m >= n:
        rows = np.arange(n)
    else:
        rows = np.sort(rng.choice(n, size=max(m, k), replace=False))
    sample = blocks.take(rows)
    ws = np.ones(rows.size) if w is None else np.asarray(w[rows].compute(), dtype=np.float64)
    if m >= n or lloyd_options is None:
        return kmeans_plusplus(sample, k, rng, sample_weight=ws, n_threads=n_threads)
    opts = {key: v for key, v in lloyd_options.items() if key not in ("wsum", "n_threads")}
    best = None
    for _ in range(restarts):
        C0 = kmeans_plusplus(sample, k, rng, sample_weight=ws, n_threads=n_threads)
        res = lloyd(sample, C0, sample_weight=ws, n_threads=n_threads, **opts)
        if best is None or res.distortion < best.distortion:
            best = res
    return best.centers


def _printer():
    import sys

    def show(it, J):
        print(f"iteration {it}: distortion {J:.6g}", file=sys.stderr)

    return show


# chunk functions (run on the workers)


def _transform_chunk(x, whitener):
    return whitener.transform(x)


def _shift_chunk(x, shift):
    return x - shift


def _normalize_chunk(x):
    return CosineSpace().to_training(x)[0]


def _to_space_chunk(x, light, space):
    return light._to_space(x, space)


def _labels_chunk(x, C, inverse, metric, n_threads):
    return inverse[kernels.assign(x, C, metric=metric, n_threads=n_threads)[0]]


def _predict_chunk(x, light):
    return light._assign(x)[0]


def _quantize_chunk(x, light):
    codes, dist = light._assign(x)
    return np.column_stack([codes.astype(np.float64), dist.astype(np.float64)])
