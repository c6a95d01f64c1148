"""Separate codebooks per feature stream (static, Δ / ΔΔ), fused at the score level.

A frame of MFCCs with deltas is three vectors glued together: the static
cepstra, their first and their second time derivatives. One codebook over the
glued vector spends its codewords on the joint distribution; separate
codebooks per *stream* quantize each part on its own, and the scores are
fused (Soong & Rosenberg 1988, "On the use of instantaneous and transitional
spectral information in speaker recognition", used separate static and
delta codebooks in this way). :class:`StreamMatcher` trains one
:class:`~vqtoolkit.Matcher` per stream on that stream's columns and fuses the
distortions as a weighted sum, each stream divided by its mean training
distortion so that the streams count on one scale::

    D(X, c) = sum_s w_s D_s(X, c) / scale_s

Everything else is the Matcher's: inputs, ``predict`` / ``verify``, score
normalisations, and ``adapt='affine'`` (one map per stream, each fitted to the
batch without labels).
"""

from __future__ import annotations

import numpy as np

from ._validation import check_fitted, check_positive_int, check_random_state
from .adaptation import ADAPT_ITER
from .errors import FileFormatError, ParameterError
from .features._mfcc import default_extractor
from .io import json_params, nest_state, nested_arrays
from .matcher import ADAPTATIONS, Matcher, MatchScores, _features_meta, _labels

__all__ = ["StreamMatcher", "stream_columns"]


def stream_columns(n_features, streams=None, front_end=None):
    """Column indices of every stream.

    Parameters
    ----------
    n_features : int
    streams : None, int or sequence of sequences of int
        ``None``: static and dynamic, from the front end's ``deltas``: the first
        ``n_features / (deltas + 1)`` columns, then the rest (Δ and ΔΔ). An
        int ``s``: ``s`` equal consecutive blocks. A sequence: the columns of
        each stream.
    front_end : MFCCExtractor, optional
        Needed for ``streams=None``.

    Returns
    -------
    list of ndarray of int64
    """
    if streams is None:
        deltas = getattr(front_end, "deltas", 0) or 0
        if deltas < 1 or n_features % (deltas + 1):
            raise ParameterError(
                f"streams=None splits static from delta columns, but the front end {front_end!r} "
                f"has no deltas for {n_features} features; pass streams= (an int or column lists)"
            )
        m = n_features // (deltas + 1)
        return [np.arange(m), np.arange(m, n_features)]
    if isinstance(streams, (int, np.integer)) and not isinstance(streams, bool):
        s = check_positive_int(streams, "streams")
        if n_features % s:
            raise ParameterError(f"streams={s} does not divide {n_features} features")
        return list(np.arange(n_features).reshape(s, -1))
    try:
        cols = [np.asarray(c, dtype=np.int64).ravel() for c in streams]
    except (TypeError, ValueError):
        raise ParameterError(f"streams={streams!r}: expected None, an int or column lists") from None
    bad = [c for c in cols if c.size == 0 or c.min() < 0 or c.max() >= n_features]
    if not cols or bad:
        raise ParameterError(f"streams={streams!r}: every stream needs columns in [0, {n_features})")
    return cols


class StreamMatcher(Matcher):
    """One codebook per class and feature stream; distortions fused over the streams.

    Parameters
    ----------
    n_codewords : int, default=32
        Codewords per class and stream.
    streams : None, int or sequence of sequences of int
        See :func:`stream_columns`; ``None`` is static versus Δ + ΔΔ of the front end.
    weights : sequence of float, optional
        Weight of each stream in the fusion; equal by default.
    features, whiten, init, n_init, max_iter, tol, n_jobs, cache, n_threads, random_state, verbose
        As for :class:`~vqtoolkit.Matcher` (whitening is fitted per stream).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    matchers_ : list of Matcher
        One per stream, fitted on that stream's columns.
    columns_ : list of ndarray of int64
    scales_ : ndarray of shape (n_streams,)
        Mean training distortion of each stream's class codebooks.
    n_features_in_ : int
    features_ : MFCCExtractor or None
    """

    def __init__(self, n_codewords=32, *, streams=None, weights=None, features=None,
                 whiten="standard", init="k-means++", n_init=1, max_iter=300, tol=1e-4, n_jobs=None,
                 cache=True, n_threads=None, random_state=None, verbose=False):
        self.n_codewords = n_codewords
        self.streams = streams
        self.weights = weights
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
        """Train one Matcher per stream.

        Parameters
        ----------
        X : list of ndarray of shape (n_frames_i, n_features), FeatureSet, or list of paths
        y : array-like of shape (n_utterances,)

        Returns
        -------
        self : StreamMatcher
        """
        front = self.features if self.features is not None else default_extractor()
        utts, used = self._utterances(X, "StreamMatcher.fit", front)
        used = used if used is not None else self.features
        d = utts[0].shape[1]
        cols = stream_columns(d, self.streams, used)
        weights = self._weights(len(cols))
        y = _labels(y)
        rng = check_random_state(self.random_state)
        matchers = []
        for c in cols:
            m = Matcher(self.n_codewords, whiten=self.whiten, init=self.init, n_init=self.n_init,
                        max_iter=self.max_iter, tol=self.tol, n_threads=self.n_threads,
                        random_state=int(rng.randint(0, np.iinfo(np.int32).max)), verbose=self.verbose)
            matchers.append(m.fit([u[:, c] for u in utts], y))
        self.matchers_ = matchers
        self.columns_ = cols
        self.weights_ = weights
        self.scales_ = np.array([np.mean([cb.distortion_ for cb in m.codebooks_]) for m in matchers])
        self.classes_ = matchers[0].classes_
        self.n_features_in_ = d
        self.features_ = used
        return self

    def _weights(self, n):
        if self.weights is None:
            return np.ones(n)
        w = np.asarray(self.weights, dtype=np.float64).ravel()
        if w.shape != (n,) or not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ParameterError(f"weights={self.weights!r}: expected {n} non-negative numbers")
        return w

    def score(self, X, *, per_frame=False, adapt=None, adapt_iter=ADAPT_ITER) -> MatchScores:
        """Fused distortion of each utterance against every class.

        Parameters
        ----------
        X : list of ndarray of shape (n_frames_i, n_features), FeatureSet, or list of paths
        per_frame : bool
            Also return the fused per-frame distances.
        adapt : {None, 'affine'}
            One affine map per stream, each fitted to the batch without labels.
        adapt_iter : int, default=16
            Most decision / least-squares rounds of the adaptation (as
            :meth:`vqtoolkit.Matcher.score`).

        Returns
        -------
        MatchScores
            ``transform`` is None; each stream's map is in its own scores.
        """
        check_fitted(self, "matchers_")
        if adapt not in ADAPTATIONS:
            raise ParameterError(f"adapt={adapt!r} is not one of {ADAPTATIONS}")
        utts, _ = self._utterances(X, "StreamMatcher.score", self._front_end())
        if utts[0].shape[1] != self.n_features_in_:
            raise ParameterError(f"utterances have {utts[0].shape[1]} features, but the "
                                 f"StreamMatcher was fitted with {self.n_features_in_}")
        D, frames = 0.0, 0.0
        for m, c, w, s in zip(self.matchers_, self.columns_, self.weights_, self.scales_):
            sc = m.score([u[:, c] for u in utts], per_frame=per_frame, adapt=adapt,
                         adapt_iter=adapt_iter)
            D = D + (w / s) * sc.distortion
            if per_frame:
                frames = [f0 + (w / s) * f for f0, f in
                          zip(frames if isinstance(frames, list) else [0.0] * len(utts),
                              sc.frame_distances)]
        return MatchScores(D, self.classes_.copy(), tuple(frames) if per_frame else None)

    # -------------------------------------------------------------------- files

    def _to_state(self):
        """``(meta, arrays)`` of the fitted matcher, as stored in its file."""
        check_fitted(self, "matchers_")
        params = self.get_params()
        params["features"] = None
        params["streams"] = [c.tolist() for c in self.columns_]
        meta = {"kind": "stream_matcher", "params": json_params(params),
                "n_features_in": int(self.n_features_in_),
                "features": _features_meta(self._front_end()), "streams": []}
        arrays = {"scales": self.scales_, "weights": self.weights_}
        for s, m in enumerate(self.matchers_):
            meta["streams"].append(nest_state(arrays, f"stream{s}.", m))
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
            self.n_features_in_ = int(meta["n_features_in"])
            self.columns_ = stream_columns(self.n_features_in_, params["streams"])
            self.matchers_ = [Matcher._from_state(sm, nested_arrays(arrays, f"stream{s}."), path)
                              for s, sm in enumerate(meta["streams"])]
            self.scales_ = arrays["scales"]
            self.weights_ = arrays["weights"]
            if len(self.matchers_) != len(self.columns_) or self.scales_.shape != (len(self.columns_),):
                raise ValueError(f"{len(self.matchers_)} stream matchers for {len(self.columns_)} streams")
            self.classes_ = self.matchers_[0].classes_
        except FileFormatError:
            raise
        except (KeyError, TypeError, ValueError, ParameterError) as exc:
            raise FileFormatError(f"{path}: not a valid stream matcher file ({exc})") from None
        return self
