"""Pattern matching by quantization distortion: one codebook per class.

A :class:`Matcher` trains one :class:`~vqtoolkit.Codebook` per class (speaker,
word, …) on that class's frames. A new utterance, a matrix of frames of shape
``(n_frames, n_features)``, is quantized with every class codebook; its
*distortion* against class ``c`` is the mean squared Euclidean distance of its
frames to their nearest codeword of ``c``'s codebook. The class with the
lowest distortion wins (Soong, Rosenberg, Rabiner & Juang 1985 for speakers;
Shore & Burton 1983 for words).

Whitening is fitted once, on the frames of all classes, and every codebook
lives in that shared space, so distortions against different classes are
measured on the same scale and compared fairly.

Inputs are lists of per-utterance feature matrices, a FeatureSet, or audio
file paths (MFCCs of ``features``, by default the 'vq' preset, one setting for
speakers and words); a saved matcher keeps its feature settings, so it scores
new audio files directly after :func:`vqtoolkit.load`.

Speaker adaptation (``score(X, adapt="affine")``): when every utterance of a
batch comes from one new speaker (or one new channel), one affine map of the
codeword space, ``c -> c A + b`` shared by all class codebooks, is fitted to the
batch without labels, by alternating decisions and least squares (a VQ form of
MLLR, Leggetter & Woodland 1995): score with the mapped codebooks, take each
utterance's winning class, pair every frame with its nearest codeword of that
class, and refit ``A, b`` to map those codewords onto the frames. Because the
map is shared, it moves the codebooks towards the speaker without favouring a
class.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator

from . import kernels
from ._progress import DEPRECATED, estimator_verbose, progress_bar
from ._validation import check_fitted, check_positive_int, check_random_state, check_X
from .adaptation import ADAPT_ITER, fit_affine
from .codebook import Codebook
from .errors import FileFormatError, ParameterError
from .features._mfcc import default_extractor
from .io import json_params, nest_state, nested_arrays
from .whitening import Whitener, resolve_whitener

__all__ = ["Matcher", "MatchScores", "VerificationResult", "NORMALIZATIONS", "ADAPTATIONS"]

#: Score normalisations of :meth:`MatchScores.normalized` (lower is better for all).
NORMALIZATIONS = (None, "min", "cohort", "zscore")

#: Test-time adaptations of :meth:`Matcher.score` (see the module docstring).
ADAPTATIONS = (None, "affine")


@dataclass(frozen=True)
class MatchScores:
    """Distortion of every utterance against every class codebook.

    Attributes
    ----------
    distortion : ndarray of shape (n_utterances, n_classes), float64
        Mean squared distance of each utterance's frames to their nearest
        codeword of each class (whitened space). Lower is a better match.
    classes : ndarray of shape (n_classes,)
        Class labels, in the column order of ``distortion``.
    frame_distances : tuple of ndarray of shape (n_frames_i, n_classes), or None
        Squared distance of every frame to its nearest codeword of every
        class, one matrix per utterance (only when asked for).
    transform : tuple (A, b) or None
        With ``adapt='affine'``: the fitted map ``c -> c @ A + b`` of the
        (whitened) codewords, ``A`` of shape (n_features, n_features), ``b`` of
        shape (n_features,), float64; the distortions are against the mapped
        codebooks. ``None`` without adaptation.
    """

    distortion: np.ndarray
    classes: np.ndarray
    frame_distances: tuple | None = None
    transform: tuple | None = None

    def predict(self) -> np.ndarray:
        """Class of lowest distortion for each utterance: ndarray of shape (n_utterances,)."""
        return self.classes[np.argmin(self.distortion, axis=1)]

    def top_n(self, n: int = 3) -> np.ndarray:
        """The ``n`` best classes of each utterance, best first.

        Returns
        -------
        ndarray of shape (n_utterances, n)
        """
        n = check_positive_int(n, "n")
        if n > self.classes.size:
            raise ParameterError(f"n={n} is larger than the number of classes ({self.classes.size})")
        order = np.argsort(self.distortion, axis=1, kind="stable")[:, :n]
        return self.classes[order]

    def normalized(self, method="cohort") -> np.ndarray:
        """Distortions made comparable across utterances (lower is better).

        Parameters
        ----------
        method : {None, 'min', 'cohort', 'zscore'}
            ``None``: the raw distortion. ``'min'``: divided by the utterance's
            lowest distortion (the best class scores 1). ``'cohort'``: the
            distortion of class ``c`` divided by the lowest distortion among
            the *other* classes (below 1 exactly when ``c`` wins; needs two
            classes). ``'zscore'``: centred and scaled by the mean and standard
            deviation of the utterance's distortions over all classes.

        Returns
        -------
        ndarray of shape (n_utterances, n_classes), float64
        """
        D = self.distortion
        if method is None:
            return D.copy()
        if method == "min":
            return D / np.maximum(D.min(axis=1, keepdims=True), np.finfo(np.float64).tiny)
        if method == "cohort":
            if D.shape[1] < 2:
                raise ParameterError("normalize='cohort' needs at least two classes")
            part = np.partition(D, 1, axis=1)
            best, second = part[:, :1], part[:, 1:2]
            others = np.where(D <= best, second, best)  # lowest of the other classes
            # a tie at the minimum: each tied class's competitor is the other tied one
            return D / np.maximum(others, np.finfo(np.float64).tiny)
        if method == "zscore":
            sd = D.std(axis=1, keepdims=True)
            return (D - D.mean(axis=1, keepdims=True)) / np.where(sd > 0, sd, 1.0)
        raise ParameterError(f"normalize={method!r} is not one of {NORMALIZATIONS}")


@dataclass(frozen=True)
class VerificationResult:
    """Accept / reject decisions for claimed classes.

    Attributes
    ----------
    accept : ndarray of shape (n_utterances,), bool
        True where ``score <= threshold``.
    score : ndarray of shape (n_utterances,), float64
        Normalised distortion of each utterance against its claimed class.
    threshold : float
    """

    accept: np.ndarray
    score: np.ndarray
    threshold: float


class Matcher(BaseEstimator):
    """Classify utterances by their quantization distortion against per-class codebooks.

    Parameters
    ----------
    n_codewords : int, default=32
        Codewords per class codebook.
    features : MFCCExtractor, optional
        Feature settings used when audio file paths are given to ``fit``,
        ``score`` …; saved with the matcher. ``None``: audio gets the default
        front end, the ``'vq'`` preset (kept in ``features_`` and saved files).
    whiten : None, {'scale', 'standard', 'pca', 'zca'} or Whitener, default='standard'
        Whitening fitted on the frames of all classes before the codebooks.
    init, n_init, max_iter, tol
        Passed to each class's :class:`~vqtoolkit.Codebook`.
    n_jobs : int, optional
        Processes for feature extraction from audio files.
    cache : bool or path-like, default=True
        Feature cache of :func:`~vqtoolkit.features.audio.extract_many`.
    n_threads : int, optional
        Threads for the kernels; results do not depend on it.
    random_state : None, int or RandomState
        Seeds every class codebook (one seed drawn per class, in class order).
    verbose : bool or None, default=False
        Progress bars on stderr over classes, files and scoring: ``None`` shows
        them only when stderr is a terminal, ``True`` always (as plain lines
        when stderr is not a terminal).
    progress : bool
        Deprecated alias of ``verbose`` (FutureWarning); removed in the next release.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    codebooks_ : list of Codebook
        One per class, trained in the whitened space.
    whitener_ : Whitener or None
    n_features_in_ : int
    features_ : MFCCExtractor or None
        The front end that made the training frames (None for bare matrices).

    Examples
    --------
    >>> import numpy as np
    >>> from vqtoolkit import Matcher
    >>> rng = np.random.default_rng(0)
    >>> utts = [rng.normal(c, 1.0, size=(40, 3)) for c in (0, 0, 5, 5)]
    >>> m = Matcher(n_codewords=4, random_state=0).fit(utts, ["a", "a", "b", "b"])
    >>> m.predict([rng.normal(5, 1.0, size=(30, 3))]).tolist()
    ['b']
    """

    def __init__(self, n_codewords=32, *, features=None, whiten="standard", init="k-means++",
                 n_init=1, max_iter=300, tol=1e-4, n_jobs=None, cache=True, n_threads=None,
                 random_state=None, verbose=False, progress=DEPRECATED):
        self.n_codewords = n_codewords
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
        self.progress = progress

    # ------------------------------------------------------------------ fitting

    def fit(self, X, y):
        """Train one codebook per class.

        Parameters
        ----------
        X : list of ndarray of shape (n_frames_i, n_features), FeatureSet, or list of paths
            Utterances; audio files need ``features``.
        y : array-like of shape (n_utterances,)
            Class of each utterance (at least two classes).

        Returns
        -------
        self : Matcher
        """
        k = check_positive_int(self.n_codewords, "n_codewords")
        classes, frame_class, Xw, whitener, used = self._training_frames(X, y)
        rng = check_random_state(self.random_state)
        seeds = rng.randint(0, np.iinfo(np.int32).max, size=classes.size)
        codebooks = []
        for j in _bar(range(classes.size), estimator_verbose(self), "codebooks"):
            frames = Xw[frame_class == j]
            if frames.shape[0] < k:
                smallest = int(min(np.count_nonzero(frame_class == c) for c in range(classes.size)))
                raise ParameterError(
                    f"class {_label(classes[j])!r} has {frames.shape[0]} frames, fewer than "
                    f"n_codewords={k}; use at most {smallest} codewords (the smallest class's "
                    "frames), or more audio per class"
                )
            cb = Codebook(k, init=self.init, n_init=self.n_init, max_iter=self.max_iter,
                          tol=self.tol, n_threads=self.n_threads, random_state=int(seeds[j]))
            codebooks.append(cb.fit(frames))
        self.classes_ = classes
        self.codebooks_ = codebooks
        self.whitener_ = whitener
        self.n_features_in_ = Xw.shape[1]
        self.features_ = used if used is not None else self.features
        return self

    def _training_frames(self, X, y):
        """``(classes, frame_class, Xw, whitener, used)``: the checked, whitened training frames."""
        front = self.features if self.features is not None else default_extractor()
        utts, used = self._utterances(X, f"{type(self).__name__}.fit", front)
        y = _labels(y)
        if y.shape[0] != len(utts):
            raise ParameterError(f"y has {y.shape[0]} labels for {len(utts)} utterances")
        classes, inverse = np.unique(y, return_inverse=True)
        if classes.size < 2:
            raise ParameterError(f"y holds {classes.size} class; matching needs at least two")
        Xall = np.concatenate(utts)
        whitener = resolve_whitener(self.whiten)
        Xw = np.ascontiguousarray(whitener.fit_transform(Xall) if whitener is not None else Xall)
        return classes, np.repeat(inverse, [u.shape[0] for u in utts]), Xw, whitener, used

    def _scoring_frames(self, X, adapt, adapt_iter):
        """``(lens, Xw, adapt_iter)``: the checked, whitened frames of the utterances to score."""
        if adapt not in ADAPTATIONS:
            raise ParameterError(f"adapt={adapt!r} is not one of {ADAPTATIONS}")
        adapt_iter = check_positive_int(adapt_iter, "adapt_iter")
        name = type(self).__name__
        utts, _ = self._utterances(X, f"{name}.score", self._front_end())
        Xall = np.concatenate(utts)
        if Xall.shape[1] != self.n_features_in_:
            raise ParameterError(
                f"utterances have {Xall.shape[1]} features, but the {name} was fitted with "
                f"{self.n_features_in_}"
            )
        Xw = self.whitener_.transform(Xall) if self.whitener_ is not None else Xall
        return np.array([u.shape[0] for u in utts]), np.ascontiguousarray(Xw), adapt_iter

    # ---------------------------------------------------------------- inference

    def score(self, X, *, per_frame=False, adapt=None, adapt_iter=ADAPT_ITER) -> MatchScores:
        """Distortion of each utterance against every class codebook.

        Unlike scikit-learn's ``score(X, y)``, this returns the score matrix;
        use :func:`vqtoolkit.evaluation.accuracy` for accuracy.

        Parameters
        ----------
        X : list of ndarray of shape (n_frames_i, n_features), FeatureSet, or list of paths
        per_frame : bool
            Also return every frame's squared distance to every class codebook.
        adapt : {None, 'affine'}
            ``'affine'``: first fit one affine map of all codebooks to the
            batch ``X`` without labels (see the module docstring), then score
            against the mapped codebooks. Use it when all of ``X`` comes from
            one speaker or channel unseen in training, with enough frames to
            fit ``n_features * (n_features + 1)`` numbers (hundreds of
            utterances work best; the result depends on the whole batch).
        adapt_iter : int, default=16
            Most decision / least-squares rounds of the adaptation (fewer when
            the pairing of frames to codewords repeats). FSDD digits of an
            unseen speaker, mean of seeds 0-2: 0.965 after 4 rounds, 0.970
            after 8, 0.973 after 16 (docs/speech_defaults.md).

        Returns
        -------
        MatchScores
        """
        check_fitted(self, "codebooks_")
        lens, Xw, adapt_iter = self._scoring_frames(X, adapt, adapt_iter)
        books = [cb.codebook_.astype(np.float64) for cb in self.codebooks_]
        transform = None
        if adapt == "affine":
            transform = self._fit_affine(Xw, lens, books, adapt_iter)
            A, b = transform
            books = [C @ A + b for C in books]
        D, frames, _ = self._distortions(Xw, lens, books, per_frame=per_frame)
        split = tuple(np.split(frames, np.cumsum(lens)[:-1])) if per_frame else None
        return MatchScores(D, self.classes_.copy(), split, transform)

    def _distortions(self, Xw, lens, books, *, per_frame=False, codes=False):
        """Per-utterance distortions ``D`` and optionally per-frame distances / nearest codewords."""
        starts = np.r_[0, np.cumsum(lens)[:-1]]
        D = np.empty((lens.size, len(books)))
        frames = np.empty((Xw.shape[0], len(books))) if per_frame else None
        labels = np.empty((Xw.shape[0], len(books)), dtype=np.int64) if codes else None
        for j in _bar(range(len(books)), estimator_verbose(self), "scoring"):
            C = np.ascontiguousarray(books[j], dtype=Xw.dtype)
            lab, dist = kernels.assign(Xw, C, n_threads=self.n_threads)
            dist = dist.astype(np.float64)
            D[:, j] = np.add.reduceat(dist, starts) / lens
            if per_frame:
                frames[:, j] = dist
            if codes:
                labels[:, j] = lab
        return D, frames, labels

    def _fit_affine(self, Xw, lens, books, n_iter):
        """``(A, b)`` mapping every codebook onto the frames ``Xw`` (:func:`.adaptation.fit_affine`)."""
        return fit_affine(Xw, lens, books, n_iter, self._distortions)

    def predict(self, X, *, adapt=None) -> np.ndarray:
        """Class of lowest distortion for each utterance.

        Parameters
        ----------
        X : list of ndarray, FeatureSet, or list of paths
        adapt : {None, 'affine'}
            See :meth:`score`.

        Returns
        -------
        ndarray of shape (n_utterances,)
        """
        return self.score(X, adapt=adapt).predict()

    def top_n(self, X, n=3) -> np.ndarray:
        """The ``n`` best classes for each utterance, best first.

        Returns
        -------
        ndarray of shape (n_utterances, n)
        """
        return self.score(X).top_n(n)

    def verify(self, X, claimed, *, threshold, normalize="cohort") -> VerificationResult:
        """Accept or reject a claimed class for each utterance.

        Parameters
        ----------
        X : list of ndarray, FeatureSet, or list of paths
        claimed : array-like of shape (n_utterances,)
            The class each utterance claims to be.
        threshold : float
            Accept when the normalised distortion is at most ``threshold``; with
            ``'cohort'``, 1.0 accepts exactly when the claimed class wins.
            :func:`vqtoolkit.evaluation.equal_error_rate` finds the threshold
            at which false accepts and false rejects balance.
        normalize : {None, 'min', 'cohort', 'zscore'}
            See :meth:`MatchScores.normalized`.

        Returns
        -------
        VerificationResult
        """
        scores = self.score(X)
        claimed = _labels(claimed)
        if claimed.shape[0] != scores.distortion.shape[0]:
            raise ParameterError(
                f"claimed has {claimed.shape[0]} entries for {scores.distortion.shape[0]} utterances"
            )
        cols = self._class_columns(claimed)
        s = scores.normalized(normalize)[np.arange(cols.size), cols]
        threshold = float(threshold)
        return VerificationResult(s <= threshold, s, threshold)

    def _class_columns(self, labels):
        pos = {str(c): j for j, c in enumerate(self.classes_)}
        unknown = sorted({str(c) for c in labels} - set(pos))
        if unknown:
            raise ParameterError(
                f"unknown class(es) {unknown[:5]}; this Matcher knows {self.classes_.tolist()}"
            )
        return np.array([pos[str(c)] for c in labels], dtype=np.int64)

    # -------------------------------------------------------------------- files

    def save(self, path):
        """Write the fitted matcher to one ``.npz`` file (no pickle, atomic).

        The file holds every class's codebook, the class labels, the whitening
        and the feature settings; :func:`vqtoolkit.load` reads it back.

        Returns
        -------
        pathlib.Path
        """
        from .io import write_archive

        return write_archive(path, *self._to_state())

    def _to_state(self):
        """``(meta, arrays)`` of the fitted matcher, as stored in a matcher file."""
        check_fitted(self, "codebooks_")
        params = self.get_params()
        params["features"] = None
        params.pop("progress", None)  # deprecated alias of verbose
        meta = {
            "kind": "matcher",
            "params": json_params(params),
            "n_features_in": int(self.n_features_in_),
            "n_classes": int(self.classes_.size),
            "features": _features_meta(self._front_end()),
            "whitener": None,
            "codebooks": [],
        }
        arrays = {"classes": self.classes_}
        if self.whitener_ is not None:
            meta["whitener"] = nest_state(arrays, "whitener.", self.whitener_)
        for j, cb in enumerate(self.codebooks_):
            meta["codebooks"].append(nest_state(arrays, f"codebook{j}.", cb))
        return meta, arrays

    @classmethod
    def _from_state(cls, meta, arrays, path):
        """Rebuild a matcher from :meth:`_to_state` output; ``path`` names the file in errors."""
        try:
            params = dict(meta["params"])
            params.pop("progress", None)  # files written before verbose replaced it
            if isinstance(params.get("whiten"), dict):
                params["whiten"] = params["whiten"]["method"]
            if meta.get("features"):
                from .features.audio import from_meta

                params["features"] = from_meta(meta["features"])
            self = cls(**params)
            self.features_ = params.get("features")
            self.classes_ = arrays["classes"]
            self.n_features_in_ = int(meta["n_features_in"])
            if meta.get("whitener"):
                wa = nested_arrays(arrays, "whitener.")
                self.whitener_ = Whitener._from_state(meta["whitener"], wa, path)
            else:
                self.whitener_ = None
            self.codebooks_ = [
                Codebook._from_state(cmeta, nested_arrays(arrays, f"codebook{j}."), path)
                for j, cmeta in enumerate(meta["codebooks"])
            ]
            if self.classes_.ndim != 1 or len(self.codebooks_) != self.classes_.size:
                raise ValueError(
                    f"{len(self.codebooks_)} codebooks for {self.classes_.size} classes"
                )
            d = self.n_features_in_
            wrong = [j for j, cb in enumerate(self.codebooks_) if cb.n_features_in_ != d]
            if wrong:
                raise ValueError(f"codebook {wrong[0]} has {self.codebooks_[wrong[0]].n_features_in_}"
                                 f" features, the matcher {d}")
            if self.whitener_ is not None and self.whitener_.components_.shape != (d, d):
                raise ValueError(f"whitener for {self.whitener_.components_.shape[0]} features, "
                                 f"expected {d}")
        except FileFormatError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise FileFormatError(f"{path}: not a valid matcher file ({exc})") from None
        return self

    # ----------------------------------------------------------------- internals

    def _utterances(self, X, what, front):
        """``(utterance matrices, extractor that made them or None)`` from matrices, a
        FeatureSet or audio paths; ``front`` is the extractor for audio paths."""
        used = None
        if hasattr(X, "utterances") and hasattr(X, "index"):  # FeatureSet
            utts, used = X.utterances(), getattr(X, "extractor", None)
        elif isinstance(X, (str, os.PathLike)):
            utts, used = self._extract([X], front), front
        elif isinstance(X, np.ndarray):
            raise ParameterError(
                f"{what}: got one array of shape {X.shape}; pass a list of utterance "
                "matrices (e.g. [X] for a single utterance)"
            )
        else:
            try:
                items = list(X)
            except TypeError:
                raise ParameterError(
                    f"{what}: expected a list of utterance matrices or audio paths, "
                    f"got {type(X).__name__}"
                ) from None
            if not items:
                raise ParameterError(f"{what}: no utterances given")
            if all(isinstance(x, (str, os.PathLike)) for x in items):
                utts, used = self._extract(items, front), front
            else:
                utts = [check_X(u, what=f"{what}: utterance {i}").X for i, u in enumerate(items)]
        if not utts:
            raise ParameterError(f"{what}: no utterances given")
        widths = {u.shape[1] for u in utts}
        if len(widths) > 1:
            raise ParameterError(f"{what}: utterances have different feature counts {sorted(widths)}")
        dtype = np.result_type(*[u.dtype for u in utts])
        return [np.asarray(u, dtype=dtype) for u in utts], used

    def _front_end(self):
        """The extractor for audio paths: ``features``, else the one ``fit`` used."""
        return self.features if self.features is not None else getattr(self, "features_", None)

    def _extract(self, paths, front):
        from .features.audio import MFCCExtractor, extract_many

        if front is None:
            raise ParameterError(
                "audio file paths given to a Matcher fitted on feature matrices: pass "
                "features=MFCCExtractor(...) with the settings that made the training matrices"
            )
        if not isinstance(front, MFCCExtractor):
            raise ParameterError(
                "audio file paths need feature settings: pass features=MFCCExtractor(...) "
                f"(got features={front!r})"
            )
        fs = extract_many([str(p) for p in paths], front, n_jobs=self.n_jobs,
                          cache=self.cache, strict=True, verbose=estimator_verbose(self))
        return fs.utterances()


def _labels(y):
    y = np.asarray(y)
    if y.ndim != 1:
        raise ParameterError(f"labels must be 1-D, got shape {y.shape}")
    if y.dtype == object:
        y = y.astype(str)
    return y


def _features_meta(features):
    if features is None:
        return None
    if hasattr(features, "to_meta"):
        return features.to_meta()
    raise ParameterError(
        f"features={features!r} cannot be saved; expected an MFCCExtractor or None"
    )


def _bar(iterable, verbose, desc):
    return progress_bar(iterable, desc=desc, verbose=verbose)


def _label(value):
    """A class label as the user wrote it (a NumPy scalar prints as its Python value)."""
    return value.item() if isinstance(value, np.generic) else value
