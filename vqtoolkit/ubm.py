"""A universal background codebook and class codebooks MAP-adapted from it (VQ-UBM).

The *universal background model* (UBM) is one codebook trained on the frames
of every class together. A class model is the UBM moved towards that class's
frames by maximum a posteriori adaptation of the centroids (Hautamäki,
Kinnunen, Kärkkäinen, Tuononen, Saastamoinen & Fränti, "Maximum a posteriori
adaptation of the centroid model for speaker verification", IEEE Signal
Processing Letters 15, 2008; Kinnunen, Hautamäki et al. 2008 compare it with
per-class clustering): every UBM centroid ``c_j`` attracts the class frames
nearest to it, ``n_j`` of them with mean ``x̄_j``, and becomes::

    c_j' = (n_j x̄_j + r c_j) / (n_j + r)

with the *relevance factor* ``r`` (8-16 in the papers). A centroid that
attracts many frames moves to their mean; one that attracts none stays where
the UBM put it, so every class model shares the UBM's numbering and, where the
class has no data, its values. ``r -> inf`` gives the UBM itself, ``r = 0``
the class means of the attracted centroids.

An utterance ``X`` is scored by its distortion against each class model,
lowest wins, and, for verification, by the distortion *difference*
``D(X, class) - D(X, UBM)`` (``MatchScores.normalized('ubm')``), which
removes what the utterance's own variability adds to every class alike.
``'tnorm'`` (test normalisation, Auckenthaler et al. 2000) centres and scales
a class's distortion by the mean and standard deviation of the utterance's
distortions against the other classes, the cohort codebooks.

:class:`UBMMatcher` is a :class:`~vqtoolkit.Matcher` in everything else: the
same inputs (matrices, a FeatureSet, audio paths with the default front end),
``predict`` / ``verify`` / ``top_n``, unsupervised adaptation to a new speaker
(``score(X, adapt='affine')``, the affine map then moves the UBM too) and one
``.npz`` file without pickle. With ``class_codebook_size=k`` the classes get
the Matcher's own per-class k-means codebooks (identical for the same
``random_state``) and the UBM serves only to normalise the scores.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from . import kernels
from ._progress import estimator_verbose
from ._validation import check_fitted, check_positive_int, check_random_state
from .adaptation import ADAPT_ITER
from .codebook import Codebook
from .errors import FileFormatError, ParameterError
from .io import json_params, nest_state, nested_arrays
from .matcher import (
    NORMALIZATIONS,
    Matcher,
    MatchScores,
    _bar,
    _features_meta,
    _label,
)
from .whitening import Whitener

__all__ = ["UBMMatcher", "BackgroundScores", "map_adapt", "t_norm", "UBM_NORMALIZATIONS"]

#: Score normalisations of :meth:`BackgroundScores.normalized` (lower is better for all).
UBM_NORMALIZATIONS = NORMALIZATIONS + ("ubm", "tnorm")


def map_adapt(X, codewords, relevance, *, n_threads=None):
    """MAP-adapt centroids to the frames ``X``: ``c_j' = (n_j x̄_j + r c_j) / (n_j + r)``.

    Parameters
    ----------
    X : ndarray of shape (n_frames, n_features)
        The frames of one class.
    codewords : ndarray of shape (n_codewords, n_features)
        The background centroids ``c_j``.
    relevance : float
        ``r >= 0``; ``numpy.inf`` returns the centroids unchanged.
    n_threads : int, optional
        Threads of the assignment kernel; results do not depend on it.

    Returns
    -------
    adapted : ndarray of shape (n_codewords, n_features), dtype of ``X``
        Centroids that attract no frame keep their value.
    counts : ndarray of shape (n_codewords,), float64
        ``n_j``, the frames each centroid attracts.
    """
    r = _check_relevance(relevance)
    X = np.ascontiguousarray(X)
    C = np.ascontiguousarray(codewords, dtype=X.dtype)
    if X.ndim != 2 or C.ndim != 2 or X.shape[1] != C.shape[1]:
        raise ParameterError(f"map_adapt: frames of shape {X.shape} and codewords of shape "
                             f"{C.shape} need the same number of columns")
    codes, _ = kernels.assign(X, C, n_threads=n_threads)
    sums, counts = kernels.accumulate(X, codes, C.shape[0])
    C64 = C.astype(np.float64)
    if np.isinf(r):
        return C.copy(), counts
    hit = counts > 0
    adapted = C64.copy()
    adapted[hit] = (sums[hit] + r * C64[hit]) / (counts[hit] + r)[:, None]
    return adapted.astype(X.dtype), counts


def t_norm(D):
    """Test normalisation: each class against the other classes as cohort codebooks.

    Parameters
    ----------
    D : ndarray of shape (n_utterances, n_classes)
        Distortions (at least three classes).

    Returns
    -------
    ndarray of shape (n_utterances, n_classes), float64
        ``(D[i, c] - mean_{c' != c} D[i, c']) / std_{c' != c} D[i, c']``; lower is better.
    """
    D = np.asarray(D, dtype=np.float64)
    c = D.shape[1]
    if c < 3:
        raise ParameterError(f"normalize='tnorm' needs at least three classes, got {c}")
    s1 = D.sum(axis=1, keepdims=True) - D
    s2 = (D * D).sum(axis=1, keepdims=True) - D * D
    mu = s1 / (c - 1)
    var = np.maximum(s2 / (c - 1) - mu * mu, 0.0)
    sd = np.sqrt(var)
    return (D - mu) / np.where(sd > 0, sd, 1.0)


@dataclass(frozen=True)
class BackgroundScores(MatchScores):
    """:class:`~vqtoolkit.matcher.MatchScores` with the distortion against the background codebook.

    Attributes
    ----------
    background : ndarray of shape (n_utterances,), float64
        Distortion of each utterance against the UBM (mapped too with
        ``adapt='affine'``).
    """

    background: np.ndarray | None = None

    def normalized(self, method="ubm") -> np.ndarray:
        """Distortions made comparable across utterances (lower is better).

        Parameters
        ----------
        method : {'ubm', 'tnorm', None, 'min', 'cohort', 'zscore'}
            ``'ubm'``: ``D(X, class) - D(X, UBM)``. ``'tnorm'``: see
            :func:`t_norm`. The others: :meth:`MatchScores.normalized`.

        Returns
        -------
        ndarray of shape (n_utterances, n_classes), float64
        """
        if method == "ubm":
            return self.distortion - self.background[:, None]
        if method == "tnorm":
            return t_norm(self.distortion)
        if method not in NORMALIZATIONS:
            raise ParameterError(f"normalize={method!r} is not one of {UBM_NORMALIZATIONS}")
        return super().normalized(method)


class UBMMatcher(Matcher):
    """Class codebooks MAP-adapted from a universal background codebook (VQ-UBM).

    Parameters
    ----------
    n_codewords : int, default=128
        Codewords of the background codebook (and so of every adapted class model).
    relevance : float, default=16.0
        Relevance factor ``r`` of the adaptation, ``>= 0``.
    class_codebook_size : int, optional
        ``None``: MAP-adapted class models. An int: per-class k-means codebooks
        of that size, as :class:`~vqtoolkit.Matcher` trains them (the same
        codebooks for the same ``random_state``); the UBM then only normalises
        scores.
    features, whiten, init, n_init, max_iter, tol, n_jobs, cache, n_threads, random_state, verbose
        As for :class:`~vqtoolkit.Matcher`; ``init`` … ``tol`` go to the UBM's
        :class:`~vqtoolkit.Codebook` (and the class codebooks).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    ubm_ : Codebook
        The background codebook, in the whitened space.
    class_codebooks_ : ndarray of shape (n_classes, n_class_codewords, n_features)
        Class codewords in the whitened space, in the order of ``classes_``.
    counts_ : ndarray of shape (n_classes, n_codewords), float64
        Training frames each UBM centroid attracted per class (MAP models only;
        zeros otherwise).
    whitener_ : Whitener or None
    n_features_in_ : int
    features_ : MFCCExtractor or None

    Examples
    --------
    >>> import numpy as np
    >>> from vqtoolkit.ubm import UBMMatcher
    >>> rng = np.random.default_rng(0)
    >>> utts = [rng.normal(c, 1.0, size=(60, 3)) for c in (0, 0, 1.5, 1.5)]  # overlapping classes
    >>> m = UBMMatcher(8, random_state=0).fit(utts, ["a", "a", "b", "b"])
    >>> m.predict([rng.normal(c, 1.0, size=(60, 3)) for c in (0, 1.5)]).tolist()
    ['a', 'b']
    """

    def __init__(self, n_codewords=128, *, relevance=16.0, class_codebook_size=None, features=None,
                 whiten="standard", init="k-means++", n_init=1, max_iter=300, tol=1e-4, n_jobs=None,
                 cache=True, n_threads=None, random_state=None, verbose=False):
        self.n_codewords = n_codewords
        self.relevance = relevance
        self.class_codebook_size = class_codebook_size
        self.features = features
        self.whiten = whiten
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.n_jobs = n_jobs
        self.cache = cache
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y):
        """Train the background codebook and the class models.

        Parameters
        ----------
        X : list of ndarray of shape (n_frames_i, n_features), FeatureSet, or list of paths
        y : array-like of shape (n_utterances,)
            Class of each utterance (at least two classes).

        Returns
        -------
        self : UBMMatcher
        """
        k = check_positive_int(self.n_codewords, "n_codewords")
        r = _check_relevance(self.relevance)
        kc = self.class_codebook_size
        if kc is not None:
            kc = check_positive_int(kc, "class_codebook_size")
        classes, frame_class, Xw, whitener, used = self._training_frames(X, y)
        if Xw.shape[0] < k:
            raise ParameterError(f"{Xw.shape[0]} training frames, fewer than n_codewords={k}")
        rng = check_random_state(self.random_state)
        seeds = rng.randint(0, np.iinfo(np.int32).max, size=classes.size)  # as Matcher draws them
        ubm_seed = int(rng.randint(0, np.iinfo(np.int32).max))
        verbose = estimator_verbose(self)
        ubm = self._codebook(k, ubm_seed).fit(Xw)
        C = np.ascontiguousarray(ubm.codebook_, dtype=Xw.dtype)
        books, counts = [], np.zeros((classes.size, k))
        for j in _bar(range(classes.size), verbose, "class models"):
            frames = Xw[frame_class == j]
            if kc is None:
                adapted, counts[j] = map_adapt(frames, C, r, n_threads=self.n_threads)
                books.append(adapted)
                continue
            if frames.shape[0] < kc:
                raise ParameterError(
                    f"class {_label(classes[j])!r} has {frames.shape[0]} frames, fewer than "
                    f"class_codebook_size={kc}"
                )
            books.append(self._codebook(kc, int(seeds[j])).fit(frames).codebook_)
        self.classes_ = classes
        self.ubm_ = ubm
        self.class_codebooks_ = np.stack(books).astype(Xw.dtype)
        self.counts_ = counts
        self.whitener_ = whitener
        self.n_features_in_ = Xw.shape[1]
        self.features_ = used if used is not None else self.features
        return self

    def _codebook(self, k, seed):
        return Codebook(k, init=self.init, n_init=self.n_init, max_iter=self.max_iter, tol=self.tol,
                        n_threads=self.n_threads, random_state=seed)

    def score(self, X, *, per_frame=False, adapt=None, adapt_iter=ADAPT_ITER) -> BackgroundScores:
        """Distortion of each utterance against every class model and the UBM.

        Parameters
        ----------
        X : list of ndarray of shape (n_frames_i, n_features), FeatureSet, or list of paths
        per_frame : bool
            Also return every frame's squared distance to every class model.
        adapt : {None, 'affine'}
            As :meth:`vqtoolkit.Matcher.score`: one affine map, fitted to the
            batch without labels, moves every class model and the UBM.
        adapt_iter : int, default=16
            Most decision / least-squares rounds of the adaptation (as
            :meth:`vqtoolkit.Matcher.score`).

        Returns
        -------
        BackgroundScores
            ``normalized('ubm')`` gives ``D(X, class) - D(X, UBM)``.
        """
        check_fitted(self, "class_codebooks_")
        lens, Xw, adapt_iter = self._scoring_frames(X, adapt, adapt_iter)
        books = [C.astype(np.float64) for C in self.class_codebooks_]
        ubm = self.ubm_.codebook_.astype(np.float64)
        transform = None
        if adapt == "affine":
            transform = self._fit_affine(Xw, lens, books, adapt_iter)
            A, b = transform
            books, ubm = [C @ A + b for C in books], ubm @ A + b
        D, frames, _ = self._distortions(Xw, lens, books + [ubm], per_frame=per_frame)
        split = None
        if per_frame:
            split = tuple(np.split(frames[:, :-1], np.cumsum(lens)[:-1]))
        return BackgroundScores(D[:, :-1], self.classes_.copy(), split, transform, D[:, -1].copy())

    # -------------------------------------------------------------------- files

    def _to_state(self):
        """``(meta, arrays)`` of the fitted matcher, as stored in its file."""
        check_fitted(self, "class_codebooks_")
        params = self.get_params()
        params["features"] = None
        arrays = {"classes": self.classes_, "class_codebooks": self.class_codebooks_,
                  "counts": self.counts_}
        meta = {
            "kind": "ubm_matcher",
            "params": json_params(params),
            "n_features_in": int(self.n_features_in_),
            "n_classes": int(self.classes_.size),
            "features": _features_meta(self._front_end()),
            "whitener": None,
            "ubm": nest_state(arrays, "ubm.", self.ubm_),
        }
        if self.whitener_ is not None:
            meta["whitener"] = nest_state(arrays, "whitener.", self.whitener_)
        return meta, arrays

    @classmethod
    def _from_state(cls, meta, arrays, path):
        """Rebuild from :meth:`_to_state` output; ``path`` names the file in errors."""
        try:
            params = dict(meta["params"])
            if isinstance(params.get("whiten"), dict):
                params["whiten"] = params["whiten"]["method"]
            if meta.get("features"):
                from .features.audio import from_meta

                params["features"] = from_meta(meta["features"])
            self = cls(**params)
            self.features_ = params.get("features")
            self.classes_ = arrays["classes"]
            self.class_codebooks_ = arrays["class_codebooks"]
            self.counts_ = arrays["counts"]
            self.n_features_in_ = int(meta["n_features_in"])
            self.ubm_ = Codebook._from_state(meta["ubm"], nested_arrays(arrays, "ubm."), path)
            self.whitener_ = (Whitener._from_state(meta["whitener"], nested_arrays(arrays, "whitener."),
                                                   path) if meta.get("whitener") else None)
            d = self.n_features_in_
            books = self.class_codebooks_
            if self.classes_.ndim != 1 or books.ndim != 3 or books.shape[0] != self.classes_.size:
                raise ValueError(f"class codebooks of shape {books.shape} for "
                                 f"{self.classes_.size} classes")
            if books.shape[2] != d or self.ubm_.n_features_in_ != d:
                raise ValueError(f"codebooks of {books.shape[2]} / {self.ubm_.n_features_in_} "
                                 f"features, the matcher {d}")
        except FileFormatError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise FileFormatError(f"{path}: not a valid UBM matcher file ({exc})") from None
        return self


def _check_relevance(r):
    if isinstance(r, bool) or not isinstance(r, numbers.Real) or not (r >= 0):
        raise ParameterError(f"relevance={r!r} must be a number >= 0 (numpy.inf keeps the UBM)")
    return float(r)
