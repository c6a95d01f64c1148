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
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin

from . import kernels
from ._validation import (
    check_fitted,
    check_n_features,
    check_positive_int,
    check_random_state,
    check_sample_weight,
    check_X,
)
from .errors import ParameterError
from .lloyd import ALGORITHMS, EMPTY_POLICIES, lbg, lloyd, minibatch_step
from .seeding import INIT_METHODS, kmeans_plusplus, random_rows
from .spaces import get_space
from .whitening import Whitener, resolve_whitener

__all__ = ["Codebook", "canonical_order"]


class Codebook(TransformerMixin, ClusterMixin, BaseEstimator):
    """A vector-quantization codebook trained by k-means (Lloyd) or LBG.

    Parameters
    ----------
    n_codewords : int or 'auto', default=8
        Number of codewords ``k``. ``'auto'`` chooses it with
        :func:`vqtoolkit.choose_k` using ``selection``.
    init : {'k-means++', 'random', 'lbg'} or ndarray of shape (n_codewords, n_features)
        Seeding. An array gives the initial codewords in original units.
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
    verbose : bool, default=False
        Print the distortion of each iteration to stderr.

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
    distortion_history_ : ndarray of shape (n_iter_,)
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
        X : array-like, DataFrame or CSR matrix of shape (n_samples, n_features)
        y : ignored
        sample_weight : array-like of shape (n_samples,), optional
            A weight of 2 counts like a repeated row.

        Returns
        -------
        self : Codebook
        """
        if _is_dask(X):
            from . import distributed

            return distributed.fit(self, X, sample_weight=sample_weight)
        if isinstance(self.n_codewords, str) and self.n_codewords == "auto":
            return self._fit_auto(X, sample_weight)
        checked = self._check_params_and_X(X, accept_sparse=True)
        X = checked.X
        n, d = X.shape
        k = self._n_codewords_for(n)
        # unit weights stay None: the kernels then skip the weight array and its multiply
        w = None if sample_weight is None else check_sample_weight(sample_weight, n)
        rng = check_random_state(self.random_state)
        space = get_space(self.metric)
        whitener = resolve_whitener(self.whiten)
        Xw = whitener.fit_transform(X, sample_weight=w) if whitener is not None else X
        Xs, shift = space.to_training(Xw, whitener=whitener, fit=True, sample_weight=w)
        init_centers = self._initial_array(whitener, space, shift, k, d, dtype=Xs.dtype)
        best = None
        for _ in range(self._n_runs()):
            res = self._one_run(Xs, k, w, rng, space, init_centers)
            if best is None or res.distortion < best.distortion:
                best = res
        self._set_result(best, space, whitener, shift, X.dtype)
        self.labels_ = self._relabel(best.codes)
        self.n_features_in_ = d
        if checked.feature_names is not None:
            self.feature_names_in_ = checked.feature_names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.sample_ids_ = (
            np.asarray(checked.ids) if checked.ids is not None else np.arange(n)
        )
        self._space_state = space.state
        return self

    def partial_fit(self, X, y=None, sample_weight=None):
        """Update the codebook with one batch (mini-batch k-means, exact running means).

        The first batch seeds the codebook (k-means++ unless ``init`` is an
        array) and fits the whitener, which then stays fixed. Each codeword
        is afterwards the exact mean of every observation ever assigned to it
        (Sculley 2010 with per-codeword learning rates ``1 / count``). Feed the
        chunks of a memory-mapped ``.npy`` to train on data larger than memory.

        Parameters
        ----------
        X : array-like or CSR matrix of shape (n_batch, n_features)
        y : ignored
        sample_weight : array-like of shape (n_batch,), optional

        Returns
        -------
        self : Codebook
        """
        if _is_dask(X):
            from . import distributed

            return distributed.partial_fit(self, X, sample_weight=sample_weight)
        first = not hasattr(self, "whitened_codebook_") or not hasattr(self, "_batch_counts")
        if first:
            checked = self._check_params_and_X(X, accept_sparse=True)
        else:
            checked = check_X(X, accept_sparse=True, what="Codebook.partial_fit")
            check_n_features(self, checked.X)
        X = checked.X
        w = check_sample_weight(sample_weight, X.shape[0])
        space = get_space(self.metric)
        if first:
            k = self._n_codewords_for(X.shape[0])
            self._rng = check_random_state(self.random_state)
            whitener = resolve_whitener(self.whiten)
            Xw = whitener.fit_transform(X, sample_weight=w) if whitener is not None else X
            Xs, shift = space.to_training(Xw, whitener=whitener, fit=True, sample_weight=w)
            init = self._initial_array(whitener, space, shift, k, X.shape[1])
            if init is None:
                init = kmeans_plusplus(Xs, k, self._rng, sample_weight=w,
                                       n_threads=self.n_threads)
            C = space.project(np.asarray(init, dtype=np.float64))
            self.whitener_ = whitener
            self._shift = shift
            self._space_state = space.state
            self._batch_counts = np.zeros(k)
            self.n_steps_ = 0
            self.n_features_in_ = X.shape[1]
            if checked.feature_names is not None:
                self.feature_names_in_ = checked.feature_names
        else:
            space.state = self._space_state
            Xs = self._to_space(X, space)
            C = self.whitened_codebook_.astype(np.float64) - (
                0 if self._shift is None else self._shift
            )
        C = C.astype(Xs.dtype)
        codes, dist, stats = kernels.assign_accumulate(
            Xs, C, sample_weight=w, metric=space.assign_metric, n_threads=self.n_threads
        )
        newC, counts, never = minibatch_step(C, self._batch_counts, stats,
                                             spherical=space.update == "spherical")
        if never.size:  # keep exactly k codewords: move unused ones to far observations
            far = np.argsort(-dist.astype(np.float64), kind="stable")[: never.size]
            for j, i in zip(never, far):
                newC[j] = Xs[int(i)].toarray().ravel() if sp.issparse(Xs) else Xs[int(i)]
        self._batch_counts = counts
        self.n_steps_ += 1
        self.distortion_ = stats.total_sse / w.sum()
        order = canonical_order(newC + (0 if self._shift is None else self._shift))
        self._batch_counts = self._batch_counts[order]
        newC = newC[order]
        self._store_codebook(newC, space, self.whitener_, self._shift, X.dtype)
        self.counts_ = self._batch_counts.copy()
        return self

    # ---------------------------------------------------------------- inference

    def predict(self, X, sample_weight=None):
        """Index of the nearest codeword for each observation.

        Parameters
        ----------
        X : array-like or CSR matrix of shape (n_samples, n_features)

        Returns
        -------
        codes : ndarray of shape (n_samples,), int64
            (a lazy Dask array for Dask input)
        """
        if _is_dask(X):
            from . import distributed

            return distributed.predict(self, X)
        return self._assign(X)[0]

    def transform(self, X):
        """Euclidean distance of every observation to every codeword, in the training space.

        Parameters
        ----------
        X : array-like or CSR matrix of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_codewords)
        """
        Xs = self._prepare(X)
        C = self._training_codewords(Xs.dtype)
        if get_space(self.metric).assign_metric == "cityblock":  # L1 distances
            from scipy.spatial.distance import cdist

            return cdist(Xs, C, "cityblock").astype(Xs.dtype, copy=False)
        return np.sqrt(kernels.pairwise_sq_distances(Xs, C, n_threads=self.n_threads))

    def score(self, X, y=None, sample_weight=None):
        """Negative distortion of ``X`` (higher is better, as scikit-learn expects).

        Returns
        -------
        float
            ``-(weighted mean squared distance to the nearest codeword)``.
        """
        _, dist = self._assign(X)
        w = check_sample_weight(sample_weight, dist.shape[0])
        return -float(w @ dist.astype(np.float64) / w.sum())

    def quantize(self, X):
        """Codes, distances and distortion of ``X``; see :func:`vqtoolkit.quantize`.

        Returns
        -------
        QuantizeResult
        """
        from .quantization import QuantizeResult

        if _is_dask(X):
            from . import distributed

            return distributed.quantize(self, X)
        codes, dist = self._assign(X)
        dist = dist.astype(np.float64)
        if get_space(self.metric).assign_metric == "cityblock":  # dist is already L1
            return QuantizeResult(codes, dist, float(dist.mean()))
        return QuantizeResult(codes, np.sqrt(dist), float(dist.mean()))

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
            "params": _json_params(self.get_params()),
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
            wmeta, warrays = self.whitener_._to_state()
            meta["whitener"] = wmeta
            arrays.update({f"whitener.{k}": v for k, v in warrays.items()})
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
                wa = {k.split(".", 1)[1]: v for k, v in arrays.items()
                      if k.startswith("whitener.")}
                self.whitener_ = Whitener._from_state(meta["whitener"], wa, path)
            else:
                self.whitener_ = None
        except FileFormatError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise FileFormatError(f"{path}: not a valid codebook file ({exc})") from None
        return self

    # ----------------------------------------------------------------- internals

    def _check_params_and_X(self, X, *, accept_sparse):
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
        return check_X(X, accept_sparse=accept_sparse, what=f"{type(self).__name__}.fit")

    def _n_codewords_for(self, n_samples):
        k = check_positive_int(self.n_codewords, "n_codewords")
        if k > n_samples:
            raise ParameterError(
                f"n_codewords={k} is larger than n_samples={n_samples}, the number of "
                "observations (rows of X)"
            )
        return k

    def _n_runs(self):
        if self.n_init == "auto":
            return 10 if isinstance(self.init, str) and self.init == "random" else 1
        return int(self.n_init)

    def _initial_array(self, whitener, space, shift, k, d, dtype=np.float64):
        if isinstance(self.init, str):
            return None
        init = np.asarray(self.init, dtype=np.float64)
        if init.shape != (k, d):
            raise ParameterError(
                f"init array has shape {init.shape}; expected (n_codewords, n_features) = "
                f"({k}, {d})"
            )
        if whitener is not None:
            init = whitener.transform(init)
        init = space.project(init)
        return (init if shift is None else init - shift).astype(dtype, copy=False)

    def _one_run(self, Xs, k, w, rng, space, init_centers):
        progress = _verbose_printer() if self.verbose else None
        common = dict(sample_weight=w, max_iter=self.max_iter, tol=self.tol, empty=self.empty,
                      update=space.update, metric=space.assign_metric, rng=rng,
                      n_threads=self.n_threads, algorithm=self.algorithm)
        if init_centers is None and self.init == "lbg":
            return lbg(Xs, k, **common)
        if init_centers is not None:
            C0 = init_centers
        elif self.init == "random":
            C0 = random_rows(Xs, k, rng, sample_weight=w)
        else:
            C0 = kmeans_plusplus(Xs, k, rng, sample_weight=w, n_threads=self.n_threads)
        C0 = space.project(np.asarray(C0, dtype=Xs.dtype))
        return lloyd(Xs, C0, progress=progress, **common)

    def _set_result(self, res, space, whitener, shift, dtype):
        trained = res.centers.astype(np.float64) + (0 if shift is None else shift)
        order = canonical_order(trained)
        self._order = order
        self._shift = shift
        self.whitener_ = whitener
        self._store_codebook(res.centers.astype(np.float64)[order], space, whitener, shift, dtype)
        counts = res.counts[order]
        self.counts_ = counts
        self.cluster_distortion_ = np.where(counts > 0, res.sse[order] / np.maximum(counts, 1e-300),
                                            0.0)
        self.distortion_ = float(res.distortion)
        self.n_iter_ = int(res.n_iter)
        self.distortion_history_ = res.history

    def _store_codebook(self, centers, space, whitener, shift, dtype):
        trained = centers + (0 if shift is None else shift)
        self.whitened_codebook_ = trained.astype(dtype)
        original = space.from_training(trained)
        if whitener is not None:
            original = whitener.inverse_transform(original)
        self.codebook_ = np.asarray(original, dtype=np.float64).astype(dtype)

    def _relabel(self, codes):
        inverse = np.empty_like(self._order)
        inverse[self._order] = np.arange(self._order.size)
        return inverse[codes]

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
        options = {"whiten": self.whiten, "n_threads": self.n_threads, **options}
        result = choose_k(X, random_state=self.random_state, **options)
        fitted = result.codebook
        for key, value in vars(fitted).items():
            if key.endswith("_") or key.startswith("_") and not key.startswith("__"):
                setattr(self, key, value)
        self.selection_ = result
        return self

    def _prepare(self, X):
        check_fitted(self, "whitened_codebook_")
        X = check_X(X, accept_sparse=True, what=f"{type(self).__name__}.predict").X
        check_n_features(self, X)
        space = get_space(self.metric)
        space.state = self._space_state
        if self.whitener_ is not None:
            X = self.whitener_.transform(X)
        Xs, _ = space.to_training(X, whitener=self.whitener_, fit=False)
        return Xs

    def _to_space(self, X, space):
        if self.whitener_ is not None:
            X = self.whitener_.transform(X)
        Xs, _ = space.to_training(X, whitener=self.whitener_, fit=False)
        if self._shift is not None:
            Xs = Xs - self._shift.astype(Xs.dtype)
        return Xs

    def _training_codewords(self, dtype):
        return np.ascontiguousarray(self.whitened_codebook_, dtype=dtype)

    def _assign(self, X):
        Xs = self._prepare(X)
        metric = get_space(self.metric).assign_metric
        return kernels.assign(Xs, self._training_codewords(Xs.dtype), metric=metric,
                              n_threads=self.n_threads)

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


def canonical_order(codewords):
    """Permutation that sorts codewords lexicographically (first feature first).

    Parameters
    ----------
    codewords : ndarray of shape (n_codewords, n_features)

    Returns
    -------
    ndarray of shape (n_codewords,), int64
    """
    C = np.asarray(codewords)
    if C.shape[1] <= 64:
        return np.lexsort(C.T[::-1]).astype(np.int64)
    # many features (TF-IDF): np.lexsort would copy every column; compare rows instead
    import functools

    def cmp(i, j):
        diff = np.flatnonzero(C[i] != C[j])
        if diff.size == 0:  # equal rows keep their order, as lexsort (stable) does
            return (i > j) - (i < j)
        return -1 if C[i, diff[0]] < C[j, diff[0]] else 1

    return np.array(sorted(range(C.shape[0]), key=functools.cmp_to_key(cmp)), dtype=np.int64)


def _json_params(params):
    out = {}
    for key, value in params.items():
        if isinstance(value, np.ndarray):
            out[key] = value.tolist()
        elif isinstance(value, Whitener):
            out[key] = {"method": value.method, "eps": value.eps}
        elif isinstance(value, (np.integer, np.floating)):
            out[key] = value.item()
        elif isinstance(value, np.random.RandomState):
            out[key] = None
        elif hasattr(value, "to_training"):  # a metric space object: its name
            out[key] = value.name
        else:
            out[key] = value
    return out


def _verbose_printer():
    import sys

    def show(it, J):
        print(f"iteration {it}: distortion {J:.6g}", file=sys.stderr)

    return show
