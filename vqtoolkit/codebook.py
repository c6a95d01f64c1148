"""The Codebook estimator: k-means codebooks with whitening and exact inverse whitening.

Pipeline inside :meth:`Codebook.fit`::

    X (original units) ── Whitener ──> metric space ──> seeding ──> Lloyd ──> canonical order
                                                                                   │
    codebook_ (original units) <── Whitener.inverse_transform <── whitened_codebook_

Distortion (``distortion_``) is the weighted mean *squared* Euclidean distance
from each observation to its nearest codeword, measured in the space the
codebook was trained in (after whitening and the metric's mapping). scipy's
``kmeans`` reports the mean *non-squared* distance instead.

Canonical numbering: after fitting, codewords are sorted lexicographically by
their coordinates in the training space (first feature first, ties broken by
the next). Two runs that converge to the same solution therefore number their
clusters identically, whatever the seed that led there.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin

from . import kernels
from ._feature_names import CodewordFeaturesOutMixin, check_feature_names, check_input, record_feature_names
from ._state_checks import codebook_problem
from ._validation import (
    check_fitted,
    check_n_features,
    check_positive_int,
    check_random_state,
    check_sample_weight,
    check_X,
)
from .backends import InMemoryRows
from .errors import ParameterError
from .fitting import (
    FitSettings,
    canonical_order,
    fit_rows,
    minibatch_rows,
    pass_printer,
    seed_first_batch,
)
from .io import json_params, nest_state, nested_arrays
from .lloyd import ALGORITHMS, EMPTY_POLICIES
from .seeding import INIT_METHODS
from .spaces import TrainingSpace, get_space
from .whitening import Whitener, resolve_whitener

__all__ = ["Codebook", "canonical_order"]


class Codebook(CodewordFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator):
    """A vector-quantization codebook trained by k-means (Lloyd) or LBG.

    Parameters
    ----------
    n_codewords : int or 'auto', default=8
        Number of codewords ``k``. ``'auto'`` chooses it with
        :func:`vqtoolkit.choose_k` using ``selection``.
    init : {'k-means++', 'greedy-k-means++', 'random', 'lbg'} or ndarray of shape (n_codewords, n_features)
        Seeding. ``'k-means++'``: k-means|| for dense data above 10,000 rows, exact greedy
        k-means++ otherwise (``'greedy-k-means++'`` always). An array gives the initial
        codewords in original units.
    n_init : int or 'auto', default='auto'
        Independent runs; the one with the lowest distortion is kept. ``'auto'``
        means 1 for ``'k-means++'``, ``'lbg'`` and arrays, 10 for ``'random'``.
    max_iter : int, default=300
        Maximum Lloyd passes per run (per refinement for LBG).
    tol : float, default=1e-4
        Stop when the relative decrease of distortion is at most ``tol``; 0
        iterates until the codes stop changing.
    whiten : None, {'scale', 'standard', 'pca', 'zca'} or Whitener, default=None
        Whitening applied before clustering; codewords are mapped back.
    metric : {'euclidean', 'cosine'} or other registered metric, default='euclidean'
        ``'cosine'`` is spherical k-means: rows and codewords have unit length
        and assignment is by largest cosine similarity.
    empty : {'split', 'relocate', 'error'}, default='split'
        A codeword that loses all observations is replaced by splitting the
        codeword with the largest distortion (``'split'``), moved to the
        observation farthest from its codeword (``'relocate'``), or an
        :class:`~vqtoolkit.EmptyClusterError` is raised.
    selection : str or dict, optional
        Method (and options) for ``n_codewords='auto'``, e.g. ``'gmeans'``.
    algorithm : {'auto', 'lloyd', 'hamerly'}, default='auto'
        How each Lloyd pass finds the nearest codewords. ``'lloyd'`` computes
        every distance; ``'hamerly'`` keeps a lower bound per observation on
        its distance to every other codeword (Hamerly 2010) and recomputes
        only the rows whose code may have changed, giving the same iterates (up to
        floating-point near-ties) with fewer distance computations, for
        ``O(n_samples)`` extra memory. ``'hamerly'`` applies to dense input
        with a squared-Euclidean assignment ('euclidean', 'cosine') and falls
        back to ``'lloyd'`` otherwise (sparse input, L1 metrics); ``'auto'``
        means ``'hamerly'`` where it applies.
    n_threads : int, optional
        Threads for the kernels; results do not depend on it.
    random_state : None, int or RandomState
    verbose : bool or None, default=False
        Print the distortion of each iteration to stderr (``None``: only if stderr is a terminal).

    Attributes
    ----------
    codebook_ : ndarray of shape (n_codewords, n_features)
        Codewords in original units (float32 for float32 input).
    whitened_codebook_ : ndarray of shape (n_codewords, n_features)
        Codewords in the training space.
    labels_ : ndarray of shape (n_samples,), int64
    distortion_ : float
    cluster_distortion_ : ndarray of shape (n_codewords,)
        Mean squared distance of each codeword's members.
    counts_ : ndarray of shape (n_codewords,)
        Total sample weight of each codeword's members.
    n_iter_ : int
    distortion_history_ : ndarray of shape (``n_iter_``,)
    whitener_ : Whitener or None
    n_features_in_ : int
    feature_names_in_ : ndarray of str, only for DataFrame input
    sample_ids_ : ndarray of shape (n_samples,)
        The DataFrame index of the training rows, or positions for arrays.
    """

    def __init__(self, n_codewords=8, *, init="k-means++", n_init="auto", max_iter=300,
                 tol=1e-4, whiten=None, metric="euclidean", empty="split", selection=None,
                 n_threads=None, random_state=None, verbose=False, algorithm="auto"):
        self.n_codewords = n_codewords
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.whiten = whiten
        self.metric = metric
        self.empty = empty
        self.selection = selection
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose
        self.algorithm = algorithm

    # ------------------------------------------------------------------ fitting

    def fit(self, X, y=None, sample_weight=None):
        """Train the codebook.

        Parameters
        ----------
        X : array-like, DataFrame, CSR matrix or Dask array of shape (n_samples, n_features)
            A Dask array (dense or CSR blocks) is fitted on its cluster by the
            same driver, with the same result.
        y : ignored
        sample_weight : array-like of shape (n_samples,), optional
            A weight of 2 counts like a repeated row.

        Returns
        -------
        self : Codebook
        """
        if isinstance(self.n_codewords, str) and self.n_codewords == "auto":
            return self._fit_auto(X, sample_weight)
        self._check_params()
        return self._fit(X, sample_weight, check_positive_int(self.n_codewords, "n_codewords"),
                         self.init, self._n_runs())

    def _fit(self, X, sample_weight, n_codewords, init, n_init):
        """Fit with these three settings (the parameters' or those ``'auto'`` chose)."""
        rows, ids, names = self._rows(X, sample_weight, "fit")
        settings = FitSettings(
            n_codewords=n_codewords, init=init, n_init=n_init, max_iter=self.max_iter,
            tol=self.tol, empty=self.empty, algorithm=self.algorithm,
            progress=pass_printer(self.verbose))
        space = TrainingSpace.resolve(self.whiten, self.metric)
        fitted = fit_rows(rows, space, settings, check_random_state(self.random_state))
        self._set_fitted(fitted, rows.dtype)
        self.labels_ = rows.labels(fitted.result.codes, fitted.inverse)
        self._set_input_info(rows, ids, names)
        return self

    def partial_fit(self, X, y=None, sample_weight=None):
        """Update the codebook with one batch (mini-batch k-means, exact running means).

        The first batch seeds the codebook (k-means++ unless ``init`` is an
        array) and fits the whitener, which then stays fixed. Each codeword
        is afterwards the exact mean of every observation ever assigned to it
        (Sculley 2010 with per-codeword learning rates ``1 / count``). Feed the
        chunks of a memory-mapped ``.npy`` to train on data larger than memory,
        or a Dask array (one batch).

        Parameters
        ----------
        X : array-like, CSR matrix or Dask array of shape (n_batch, n_features)
        y : ignored
        sample_weight : array-like of shape (n_batch,), optional

        Returns
        -------
        self : Codebook
        """
        first = not hasattr(self, "whitened_codebook_") or not hasattr(self, "_batch_counts")
        if first:
            self._check_params()
        else:
            check_feature_names(self, X)
        rows, _, names = self._rows(X, sample_weight, "partial_fit")
        if first:
            k = check_positive_int(self.n_codewords, "n_codewords")
            if k > rows.shape[0]:
                raise ParameterError(
                    f"n_codewords={k} is larger than n_samples={rows.shape[0]}, the number of "
                    "observations (rows of X)"
                )
            self._rng = check_random_state(self.random_state)
            space = TrainingSpace.resolve(self.whiten, self.metric)
            C = seed_first_batch(self.init, k, space, self._rng)
            counts = np.zeros(k)
        else:
            check_n_features(self, rows)
            space = self._space()
            C = self.whitened_codebook_.astype(np.float64) - _or0(self._shift)
            counts = self._batch_counts
        newC, counts, distortion = minibatch_rows(rows, space, C, counts, self._rng, first=first)
        if first:
            self.whitener_ = space.whitener
            self._shift = space.shift
            self._space_state = space.metric.state
            self.n_steps_ = 0
            self.n_features_in_ = rows.shape[1]
            if names is not None:
                self.feature_names_in_ = names
        self.n_steps_ += 1
        self.distortion_ = distortion
        whitened, original = space.codewords_out(newC)
        order = canonical_order(whitened)
        self._batch_counts = counts[order]
        self.whitened_codebook_ = whitened[order].astype(rows.dtype)
        self.codebook_ = original[order].astype(rows.dtype)
        self.counts_ = self._batch_counts.copy()
        return self

    # ---------------------------------------------------------------- inference

    def predict(self, X, sample_weight=None):
        """Index of the nearest codeword for each observation.

        Parameters
        ----------
        X : array-like, CSR matrix or Dask array of shape (n_samples, n_features)

        Returns
        -------
        codes : ndarray of shape (n_samples,), int64
            (a lazy Dask array for Dask input)
        """
        return self._map(X, "predict", "_codes_rows", np.int64, None)

    def transform(self, X):
        """Distance of every observation to every codeword, in the training space.

        Euclidean distance, or L1 distance for ``metric='cityblock'``.

        Parameters
        ----------
        X : array-like, CSR matrix or Dask array of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_codewords)
            (a lazy Dask array for Dask input); columns ``codebook0``… in ``set_output``
        """
        check_fitted(self, "whitened_codebook_")
        return self._map(X, "transform", "_distances_rows", self.whitened_codebook_.dtype,
                         self.whitened_codebook_.shape[0])

    def score(self, X, y=None, sample_weight=None):
        """Negative distortion of ``X`` (higher is better, as scikit-learn expects).

        Returns
        -------
        float
            ``-(weighted mean squared distance to the nearest codeword)`` (L1 for
            ``'cityblock'``); a lazy 0-d Dask array for Dask input.
        """
        dist = self._map(X, "score", "_dist_rows", np.float64, None)
        if _is_dask(dist):
            from .distributed import lazy_weighted_mean

            return -lazy_weighted_mean(dist, sample_weight)
        w = check_sample_weight(sample_weight, dist.shape[0])
        return -float(w @ dist / w.sum())

    def quantize(self, X):
        """Codes, distances and distortion of ``X``; see :func:`vqtoolkit.quantize`.

        Returns
        -------
        QuantizeResult
            For Dask input, ``codes``, ``distances`` and ``distortion`` are lazy
            Dask arrays.
        """
        from .quantization import QuantizeResult

        pair = self._map(X, "quantize", "_quantize_rows", np.float64, 2)
        l1 = self._metric_space().assign_metric == "cityblock"  # distances are L1 already
        sq = pair[:, 1]
        dist = sq if l1 else np.sqrt(sq)
        codes = pair[:, 0].astype(np.int64)
        mean = sq.mean()
        return QuantizeResult(codes, dist, mean if _is_dask(mean) else float(mean))

    # ------------------------------------------------------- which cluster is which

    def members(self, cluster):
        """Ids of the training rows assigned to ``cluster``.

        Parameters
        ----------
        cluster : int

        Returns
        -------
        ndarray
            Entries of the DataFrame index the codebook was fitted on, or row
            positions for plain arrays.
        """
        check_fitted(self, "labels_")
        k = self.whitened_codebook_.shape[0]
        if not isinstance(cluster, numbers.Integral) or not 0 <= cluster < k:
            raise ParameterError(f"cluster={cluster!r} must be an integer in [0, {k})")
        return self.sample_ids_[self.labels_ == cluster]

    def summary(self):
        """One row per codeword: size, distortion and coordinates in original units.

        Returns
        -------
        pandas.DataFrame or dict of ndarray
            Columns ``size`` (total weight), ``distortion`` (mean squared
            distance of the members, training space), then one column per
            feature (named after the DataFrame columns, else ``x0, x1, …``).
            A dict of columns when pandas is not installed.
        """
        check_fitted(self, "codebook_")
        names = self._feature_names()
        cols = {"size": self.counts_, "distortion": self.cluster_distortion_}
        for j, name in enumerate(names):
            cols[name] = self.codebook_[:, j]
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover
            return cols
        frame = pd.DataFrame(cols)
        frame.index.name = "codeword"
        return frame

    @property
    def cluster_centers_(self):
        """Alias of ``codebook_`` for scikit-learn users."""
        return self.codebook_

    # -------------------------------------------------------------------- files

    def save(self, path):
        """Write the fitted codebook to ``path`` (``.npz``, no pickle, atomic).

        Returns
        -------
        pathlib.Path
        """
        from .io import write_archive

        return write_archive(path, *self._to_state())

    def _to_state(self):
        """``(meta, arrays)`` of the fitted codebook, as stored in a codebook file."""
        check_fitted(self, "codebook_")
        meta = {
            "kind": "codebook",
            "params": json_params(self.get_params()),
            "n_features_in": int(self.n_features_in_),
            "distortion": float(self.distortion_),
            "n_iter": int(getattr(self, "n_iter_", 0)),
            "feature_names": None if not hasattr(self, "feature_names_in_")
            else [str(x) for x in self.feature_names_in_],
            "whitener": None,
            "space": self._space_state,
            "features": getattr(self, "features_meta_", None),
        }
        arrays = {
            "codebook": self.codebook_,
            "whitened_codebook": self.whitened_codebook_,
            "counts": self.counts_,
            "cluster_distortion": self.cluster_distortion_,
        }
        if getattr(self, "_shift", None) is not None:
            arrays["shift"] = self._shift
        if self.whitener_ is not None:
            meta["whitener"] = nest_state(arrays, "whitener.", self.whitener_)
        return meta, arrays

    @classmethod
    def _from_state(cls, meta, arrays, path):
        """Rebuild a codebook from :meth:`_to_state` output; ``path`` names the file in errors."""
        from .errors import FileFormatError

        try:
            params = dict(meta["params"])
            if isinstance(params.get("init"), list):
                params["init"] = np.asarray(params["init"])
            if isinstance(params.get("whiten"), dict):
                params["whiten"] = params["whiten"]["method"]
            self = cls(**params)
            self.codebook_ = arrays["codebook"]
            self.whitened_codebook_ = arrays["whitened_codebook"]
            self.counts_ = arrays["counts"]
            self.cluster_distortion_ = arrays["cluster_distortion"]
            self._shift = arrays.get("shift")
            self.distortion_ = float(meta["distortion"])
            self.n_iter_ = int(meta.get("n_iter", 0))
            self.n_features_in_ = int(meta["n_features_in"])
            if meta.get("feature_names"):
                self.feature_names_in_ = np.asarray(meta["feature_names"], dtype=object)
            self._space_state = meta.get("space")
            self.features_meta_ = meta.get("features")
            if meta.get("whitener"):
                wa = nested_arrays(arrays, "whitener.")
                self.whitener_ = Whitener._from_state(meta["whitener"], wa, path)
            else:
                self.whitener_ = None
        except FileFormatError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise FileFormatError(f"{path}: not a valid codebook file ({exc})") from None
        problem = codebook_problem(self)
        if problem:
            raise FileFormatError(f"{path}: not a valid codebook file ({problem})")
        return self

    # ----------------------------------------------------------------- internals

    def _check_params(self):
        if self.init is not None and not isinstance(self.init, str):
            pass
        elif self.init not in INIT_METHODS:
            raise ParameterError(
                f"init={self.init!r} is not one of {INIT_METHODS} or an array of codewords"
            )
        if self.empty not in EMPTY_POLICIES:
            raise ParameterError(f"empty={self.empty!r} is not one of {EMPTY_POLICIES}")
        if self.algorithm not in ALGORITHMS:
            raise ParameterError(f"algorithm={self.algorithm!r} is not one of {ALGORITHMS}")
        check_positive_int(self.max_iter, "max_iter")
        if not (isinstance(self.tol, numbers.Real) and self.tol >= 0):
            raise ParameterError(f"tol={self.tol!r} must be a non-negative number")
        if self.n_init != "auto":
            check_positive_int(self.n_init, "n_init")
        get_space(self.metric)
        resolve_whitener(self.whiten)

    def _rows(self, X, sample_weight, method):
        """``(rows backend, sample ids or None, feature names or None)`` for fit / partial_fit."""
        what = f"{type(self).__name__}.{method}"
        if _is_dask(X):
            from .distributed import DaskRows

            return DaskRows.from_input(X, sample_weight, n_threads=self.n_threads, what=what), \
                None, None
        checked = check_X(X, accept_sparse=True, what=what)
        X = checked.X
        # unit weights stay None: the kernels then skip the weight array and its multiply
        w = None if sample_weight is None else check_sample_weight(sample_weight, X.shape[0])
        return InMemoryRows(X, w, n_threads=self.n_threads, what=what), checked.ids, \
            checked.feature_names

    def _set_fitted(self, fitted, dtype):
        res = fitted.result
        order = fitted.order
        self.whitener_ = fitted.space.whitener
        self._shift = fitted.space.shift
        self._space_state = fitted.space.metric.state
        self.whitened_codebook_ = fitted.whitened.astype(dtype)
        self.codebook_ = fitted.original.astype(dtype)
        counts = res.counts[order]
        self.counts_ = counts
        self.cluster_distortion_ = np.where(counts > 0, res.sse[order] / np.maximum(counts, 1e-300),
                                            0.0)
        self.distortion_ = float(res.distortion)
        self.n_iter_ = int(res.n_iter)
        self.distortion_history_ = res.history

    def _set_input_info(self, rows, ids, names):
        n, d = rows.shape
        self.n_features_in_ = d
        record_feature_names(self, names)
        self.sample_ids_ = rows.sample_ids() if ids is None else np.asarray(ids)

    def _n_runs(self):
        if self.n_init == "auto":
            return 10 if isinstance(self.init, str) and self.init == "random" else 1
        return int(self.n_init)

    def _fit_auto(self, X, sample_weight):
        from .selection import choose_k

        if sample_weight is not None:
            raise ParameterError(
                "sample_weight is not supported with n_codewords='auto' (choose_k tests "
                "unweighted clusters); pass an integer n_codewords, or repeat rows instead"
            )
        options = self.selection if isinstance(self.selection, dict) else {
            "method": self.selection or "gmeans"
        }
        options = {"whiten": self.whiten, "n_threads": self.n_threads, "verbose": self.verbose, **options}
        result = choose_k(X, random_state=self.random_state, **options)
        self._check_params()
        self._fit(X, None, result.k, result.codewords, 1)  # refine the chosen codewords
        self.selection_ = result
        return self

    # -- inference: one chunk function per method; Dask maps it over the chunks

    def _space(self):
        """The fitted training space (whitener, metric state, shift)."""
        return TrainingSpace(self.whitener_, self._metric_space(), self._shift)

    def _metric_space(self):
        space = get_space(self.metric)
        if getattr(self, "_space_state", None) is not None:
            space.state = self._space_state
        return space

    def _map(self, X, method, chunk_fn, dtype, n_out):
        """Apply the chunk method ``chunk_fn`` to ``X`` (validated); Dask input gives a lazy array."""
        check_fitted(self, "whitened_codebook_")
        if _is_dask(X):
            from .distributed import check_dask_X, map_rows

            X = check_dask_X(X, what=f"{type(self).__name__}.{method}")
            check_n_features(self, X)
            return map_rows(X, getattr(self._light(), chunk_fn), dtype=dtype, n_out=n_out)
        return getattr(self, chunk_fn)(check_input(self, X, method))

    def _light(self):
        """A copy with only what assignment needs (cheap to ship to Dask workers)."""
        light = type(self)(**self.get_params())
        for key in ("whitened_codebook_", "whitener_", "n_features_in_", "_space_state", "_shift"):
            setattr(light, key, getattr(self, key, None))
        light.n_threads = self.n_threads or 1  # one thread per task: Dask runs tasks in parallel
        return light

    def _prepare(self, X):
        """Validated rows -> whitened units (the space of ``whitened_codebook_``)."""
        return self._space().transform(X)

    def _assign_rows(self, X):
        Xs = self._prepare(X)
        C = np.ascontiguousarray(self.whitened_codebook_, dtype=Xs.dtype)
        return kernels.assign(Xs, C, metric=self._metric_space().assign_metric,
                              n_threads=self.n_threads)

    def _codes_rows(self, X):
        return self._assign_rows(X)[0]

    def _dist_rows(self, X):
        return self._assign_rows(X)[1].astype(np.float64)

    def _distances_rows(self, X):
        Xs = self._prepare(X)
        C = np.ascontiguousarray(self.whitened_codebook_, dtype=Xs.dtype)
        if self._metric_space().assign_metric == "cityblock":  # L1 distances
            from scipy.spatial.distance import cdist

            return cdist(Xs, C, "cityblock").astype(Xs.dtype, copy=False)
        return np.sqrt(kernels.pairwise_sq_distances(Xs, C, n_threads=self.n_threads))

    def _quantize_rows(self, X):
        codes, dist = self._assign_rows(X)
        return np.column_stack([codes.astype(np.float64), dist.astype(np.float64)])

    def _feature_names(self):
        if hasattr(self, "feature_names_in_"):
            return [str(x) for x in self.feature_names_in_]
        return [f"x{j}" for j in range(self.n_features_in_)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _is_dask(X):
    return type(X).__module__.split(".")[0] == "dask"


def _or0(shift):
    return 0 if shift is None else shift
