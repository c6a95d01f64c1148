"""MFCC settings and the per-signal computation (see :mod:`vqtoolkit.features.audio`)."""

from __future__ import annotations

import dataclasses
import io
import os
import struct
import sys
import time
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import FileFormatError, ParameterError

__all__ = [
    "MFCCExtractor",
    "PRESETS",
    "load_audio",
    "decode_audio",
    "from_meta",
    "warm_up",
    "default_extractor",
    "DEFAULT_PRESET",
]

FEATURE_TYPE = "mfcc"

#: Named settings. ``'librosa'``: the defaults of ``librosa.feature.mfcc`` (20
#: coefficients, 2048-sample FFT and window, 512-sample hop, 128 mel bands, c0 kept,
#: no deltas, no normalisation). ``'speech'``: 25 ms Hann windows every 10 ms
#: (FFT size the next power of two), 40 mel bands, pre-emphasis 0.97, 13
#: coefficients c1..c13 (c0 dropped) + Δ + ΔΔ (39 columns), per-utterance cepstral
#: mean and variance normalisation. ``'vq'`` (the default front end of
#: :class:`~vqtoolkit.Matcher` and the command line, see :func:`default_extractor`):
#: the 'speech' framing with 20 coefficients c1..c20 + Δ + ΔΔ (60 columns) and *no*
#: per-utterance normalisation, since the utterance mean carries the speaker.
PRESETS: dict[str, dict] = {
    "librosa": {},
    "speech": {
        "win_ms": 25.0,
        "hop_ms": 10.0,
        "n_fft": None,
        "n_mels": 40,
        "n_mfcc": 13,
        "keep_c0": False,
        "preemphasis": 0.97,
        "deltas": 2,
        "cmvn": "meanvar",
    },
}
PRESETS["vq"] = {**PRESETS["speech"], "n_mfcc": 20, "cmvn": None}

#: Name of the preset used when audio reaches a Matcher (or ``vqtoolkit train`` /
#: ``extract``) without feature settings; chosen by measurement on FSDD, see
#: docs/speech_defaults.md and scripts/defaults_speech.py.
DEFAULT_PRESET = "vq"

_CMVN = (None, "mean", "meanvar")


@dataclass(frozen=True)
class MFCCExtractor:
    """MFCC settings; calling the extractor turns audio into a frame matrix.

    Call it on a file (``extractor(path)``) or a signal (``extractor(y, sr=sr)``);
    the result is a ``(n_frames, n_features)`` float32 matrix, one row per frame.
    Columns are the static coefficients, then Δ, then ΔΔ when asked for.

    Processing order: read and mix to mono → resample to ``sr`` (soxr, only if the
    rate differs) → trim leading/trailing silence → pre-emphasis → MFCC (exactly
    ``librosa.feature.mfcc``) → drop c0 → cepstral mean/variance normalisation of
    the static coefficients → deltas (``librosa.feature.delta``).

    Parameters
    ----------
    sr : int or None
        Target sample rate in Hz; ``None`` keeps each file's own rate. Set it when
        files of different rates must give comparable features.
    n_mfcc : int
        Number of cepstral coefficients returned (c1..c_n_mfcc when ``keep_c0`` is
        false, c0..c_{n_mfcc-1} otherwise).
    n_fft : int or None
        FFT size in samples; ``None`` means the next power of two ≥ the window.
    win_length, hop_length : int or None
        Window and hop in samples. Defaults follow librosa: window ``n_fft``,
        hop a quarter of the window.
    win_ms, hop_ms : float or None
        Window and hop in milliseconds (alternative to the sample counts).
    window : str
        Window function name (``scipy.signal.get_window``).
    center : bool
        Pad the signal so frame ``t`` is centred at ``t * hop``.
    n_mels, fmin, fmax, htk
        Mel filter bank: number of bands, lowest and highest frequency in Hz
        (``fmax=None`` is ``sr / 2``), HTK mel formula.
    lifter : float
        Cepstral liftering coefficient (0 = none), as in librosa.
    preemphasis : float
        Pre-emphasis coefficient (0 = none; 0.97 is usual for speech).
    keep_c0 : bool
        Keep the 0th coefficient (log energy-like).
    deltas : {0, 1, 2}
        Append Δ (1) or Δ and ΔΔ (2) columns.
    delta_width : int
        Odd window length of ``librosa.feature.delta`` (needs that many frames).
    cmvn : {None, 'mean', 'meanvar'}
        Per-utterance cepstral mean (and variance) normalisation.
    trim_db : float or None
        Trim leading and trailing parts quieter than ``trim_db`` below the peak
        (``librosa.effects.trim``); ``None`` keeps everything.
    """

    sr: int | None = None
    n_mfcc: int = 20
    n_fft: int | None = 2048
    win_length: int | None = None
    hop_length: int | None = None
    win_ms: float | None = None
    hop_ms: float | None = None
    window: str = "hann"
    center: bool = True
    n_mels: int = 128
    fmin: float = 0.0
    fmax: float | None = None
    htk: bool = False
    lifter: float = 0.0
    preemphasis: float = 0.0
    keep_c0: bool = True
    deltas: int = 0
    delta_width: int = 9
    cmvn: str | None = None
    trim_db: float | None = None

    def __post_init__(self):
        _check_positive_int("n_mfcc", self.n_mfcc)
        _check_positive_int("n_mels", self.n_mels)
        for name in ("sr", "n_fft", "win_length", "hop_length"):
            if getattr(self, name) is not None:
                _check_positive_int(name, getattr(self, name))
        for name in ("win_ms", "hop_ms"):
            v = getattr(self, name)
            if v is not None and not (isinstance(v, (int, float)) and v > 0):
                raise ParameterError(f"{name}={v!r} must be a positive number of milliseconds")
        if self.win_ms is not None and self.win_length is not None:
            raise ParameterError(
                f"give the window either in samples (win_length={self.win_length}) "
                f"or in milliseconds (win_ms={self.win_ms}), not both"
            )
        if self.hop_ms is not None and self.hop_length is not None:
            raise ParameterError(
                f"give the hop either in samples (hop_length={self.hop_length}) "
                f"or in milliseconds (hop_ms={self.hop_ms}), not both"
            )
        if self.deltas not in (0, 1, 2):
            raise ParameterError(f"deltas={self.deltas!r} must be 0, 1 or 2")
        if not (isinstance(self.delta_width, int) and self.delta_width >= 3
                and self.delta_width % 2 == 1):
            raise ParameterError(f"delta_width={self.delta_width!r} must be an odd integer >= 3")
        if self.cmvn not in _CMVN:
            raise ParameterError(f"cmvn={self.cmvn!r} must be one of {_CMVN}")
        if not 0.0 <= self.preemphasis < 1.0:
            raise ParameterError(f"preemphasis={self.preemphasis!r} must be in [0, 1)")
        if self.lifter < 0:
            raise ParameterError(f"lifter={self.lifter!r} must be a non-negative number")
        if self.fmin < 0 or (self.fmax is not None and self.fmax <= self.fmin):
            raise ParameterError(
                f"fmin={self.fmin!r}, fmax={self.fmax!r}: need 0 <= fmin < fmax"
            )
        if self.trim_db is not None and self.trim_db <= 0:
            raise ParameterError(f"trim_db={self.trim_db!r} must be a positive number of dB")

    # ---------------------------------------------------------------- construction
    @classmethod
    def preset(cls, name: str, **overrides) -> MFCCExtractor:
        """Settings named ``name`` (see :data:`PRESETS`), with ``overrides`` applied."""
        if name not in PRESETS:
            raise ParameterError(f"preset={name!r} is unknown; choose one of {sorted(PRESETS)}")
        return cls(**{**PRESETS[name], **overrides})

    def to_dict(self) -> dict:
        """All settings as a JSON-serialisable dict (inverse of :meth:`from_dict`)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> MFCCExtractor:
        """Rebuild the extractor from :meth:`to_dict` output."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ParameterError(
                f"unknown MFCC settings {unknown}; known settings are {sorted(known)}"
            )
        return cls(**d)

    def to_meta(self) -> dict:
        """The ``features`` slot of a codebook file: ``{"type": "mfcc", "settings": ...}``."""
        return {"type": FEATURE_TYPE, "settings": self.to_dict()}

    # ------------------------------------------------------------------ properties
    @property
    def n_features(self) -> int:
        """Number of columns of the returned matrices."""
        return self.n_mfcc * (1 + self.deltas)

    def frame_params(self, sr: int) -> tuple[int, int, int]:
        """``(n_fft, win_length, hop_length)`` in samples at sample rate ``sr``."""
        if self.win_ms is not None:
            win = max(1, int(round(self.win_ms * sr / 1000.0)))
        else:
            win = self.win_length
        n_fft = self.n_fft
        if n_fft is None:
            n_fft = 1 << max(0, int(np.ceil(np.log2(win)))) if win else 2048
        if win is None:
            win = n_fft
        if win > n_fft:
            raise ParameterError(
                f"window of {win} samples at {sr} Hz is longer than n_fft={n_fft}; "
                f"raise n_fft or use n_fft=None"
            )
        if self.hop_ms is not None:
            hop = max(1, int(round(self.hop_ms * sr / 1000.0)))
        else:
            hop = self.hop_length if self.hop_length is not None else win // 4
        return n_fft, win, hop

    # ------------------------------------------------------------------- extraction
    def __call__(self, source, *, sr: int | None = None) -> np.ndarray:
        """MFCC frames of a file or a signal.

        Parameters
        ----------
        source : str, path-like or ndarray of shape (n_samples,) or (n_samples, n_channels)
            An audio file (anything soundfile reads) or a signal (channels are averaged).
        sr : int, optional
            Sample rate of ``source`` when it is a signal (required then).

        Returns
        -------
        ndarray of shape (n_frames, n_features), float32

        Raises
        ------
        FileFormatError
            The file cannot be used (unreadable, truncated, empty, all silence,
            too short); the message names the file and the reason.
        """
        if isinstance(source, (str, os.PathLike)):
            y, file_sr = load_audio(source)
            return self.compute(y, sr=file_sr, name=str(source))
        if sr is None:
            raise ParameterError("sr is required when calling the extractor on a signal")
        y = np.asarray(source, dtype=np.float32)
        if y.ndim == 2:
            y = y.mean(axis=1, dtype=np.float32)
        elif y.ndim != 1:
            raise ParameterError(
                f"signal of shape {y.shape}: expected (n_samples,) or (n_samples, n_channels)"
            )
        return self.compute(y, sr=sr, name="<signal>")

    def compute(self, y: np.ndarray, *, sr: int, name: str = "<signal>") -> np.ndarray:
        """MFCC frames of a mono float32 signal ``y`` at rate ``sr`` (see ``__call__``)."""
        import librosa

        _check_positive_int("sr", sr)
        if self.sr is not None and sr != self.sr:
            y = librosa.resample(y, orig_sr=sr, target_sr=self.sr, res_type="soxr_hq")
            sr = self.sr
        if y.size == 0:
            raise FileFormatError(f"{name}: zero-length audio (no samples)")
        if not np.all(np.isfinite(y)):
            raise FileFormatError(f"{name}: audio holds NaN or infinite samples")
        if not np.any(y):
            raise FileFormatError(f"{name}: all silence (every sample is zero)")
        peak = float(np.max(np.abs(y)))
        if self.trim_db is not None:
            y, _ = librosa.effects.trim(y, top_db=self.trim_db)
        n_fft, win, hop = self.frame_params(sr)
        need, what = (hop, "one hop") if self.center else (win, "one window")
        if y.size < need:
            raise FileFormatError(
                f"{name}: shorter than one frame ({y.size} samples; {what} is {need} samples)"
            )
        if self.preemphasis:
            y = librosa.effects.preemphasis(y, coef=self.preemphasis)
        with np.errstate(over="ignore", invalid="ignore"):  # non-finite frames are refused below
            M = _mfcc(y, sr, self, n_fft, win, hop)  # (n_coeffs, n_frames)
        if not self.keep_c0:
            M = M[1:]
        if self.cmvn is not None:
            M = M - M.mean(axis=1, keepdims=True)
            if self.cmvn == "meanvar":
                M = M / np.maximum(M.std(axis=1, keepdims=True), 1e-8)
        if self.deltas:
            n_frames = M.shape[1]
            if n_frames < self.delta_width:
                raise FileFormatError(
                    f"{name}: too short for deltas ({n_frames} frames; "
                    f"delta_width={self.delta_width} needs at least that many)"
                )
            parts = [M, _delta(M, self.delta_width, 1)]
            if self.deltas == 2:
                parts.append(_delta(M, self.delta_width, 2))
            M = np.concatenate(parts, axis=0)
        out = np.ascontiguousarray(M.T, dtype=np.float32)
        if not np.isfinite(out).all():  # e.g. float samples of 1e30: the power spectrum overflows
            raise FileFormatError(
                f"{name}: its MFCC frames are not finite (samples up to {peak:.3g}; audio samples "
                "should lie in [-1, 1]): the file is damaged or wrongly scaled"
            )
        return out


def default_extractor(**overrides) -> MFCCExtractor:
    """The default front end: ``MFCCExtractor.preset(DEFAULT_PRESET, **overrides)``.

    25 ms Hann windows every 10 ms, 40 mel bands, pre-emphasis 0.97, c1..c20 + Δ + ΔΔ
    (60 columns), no per-utterance normalisation. It serves speaker and word models
    alike (FSDD's official split with 32 codewords: speakers 1.000, digits 0.997,
    speaker EER 0; docs/speech_defaults.md).
    """
    return MFCCExtractor.preset(DEFAULT_PRESET, **overrides)


def from_meta(meta: dict) -> MFCCExtractor:
    """Rebuild an extractor from the ``features`` slot written by :meth:`MFCCExtractor.to_meta`."""
    kind = meta.get("type") if isinstance(meta, dict) else None
    if kind != FEATURE_TYPE:
        raise ParameterError(f"features of type {kind!r} are not MFCC (expected 'mfcc')")
    return MFCCExtractor.from_dict(meta.get("settings", {}))


# ----------------------------------------------------------------------- audio input
def load_audio(path) -> tuple[np.ndarray, int]:
    """Read an audio file as a mono float32 signal.

    Parameters
    ----------
    path : str or path-like
        Anything soundfile reads (wav, flac, ogg …); channels are averaged.

    Returns
    -------
    y : ndarray of shape (n_samples,), float32
    sr : int
        The file's sample rate.

    Raises
    ------
    FileFormatError
        Empty, unreadable or truncated file (the message names the file).
    FileNotFoundError
        No such file.
    """
    path = Path(path)
    return decode_audio(path.read_bytes(), name=str(path))


def decode_audio(data: bytes, *, name: str) -> tuple[np.ndarray, int]:
    """Decode audio file contents ``data`` (see :func:`load_audio`); ``name`` is for messages."""
    import soundfile as sf

    if len(data) == 0:
        raise FileFormatError(f"{name}: empty file (0 bytes)")
    problem = _wav_truncation(data)
    if problem:
        raise FileFormatError(f"{name}: truncated WAV file ({problem})")
    try:
        y, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        why = getattr(exc, "error_string", None) or str(exc)
        raise FileFormatError(f"{name}: not a readable audio file ({why})") from None
    if y.shape[0] == 0:
        raise FileFormatError(f"{name}: zero-length audio (no samples)")
    y = y[:, 0] if y.shape[1] == 1 else y.mean(axis=1, dtype=np.float32)
    return np.ascontiguousarray(y), int(sr)


def _wav_truncation(data: bytes) -> str:
    """Why a RIFF/WAVE file is truncated ('' when it is complete or not a WAV)."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return ""
    pos = 12
    while pos + 8 <= len(data):
        chunk, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        if chunk == b"data":
            have = len(data) - pos - 8
            if size != 0xFFFFFFFF and have < size:
                return f"header promises {size} bytes of audio, file holds {have}"
            return ""
        pos += 8 + size + (size & 1)
    if pos > len(data):
        return f"a chunk runs past the end of the file at byte {len(data)}"
    return ""


# ------------------------------------------------------------------------ MFCC core
@lru_cache(maxsize=32)
def _mel_basis(sr, n_fft, n_mels, fmin, fmax, htk):
    import librosa

    return librosa.filters.mel(
        sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk, norm="slaney"
    )


@lru_cache(maxsize=32)
def _window(window, win_length):
    import librosa

    w = librosa.filters.get_window(window, win_length, fftbins=True)
    w.setflags(write=False)
    return w


def _mfcc(y, sr, s: MFCCExtractor, n_fft, win, hop) -> np.ndarray:
    """``librosa.feature.mfcc`` with the mel basis and window cached across calls."""
    import librosa

    n_coeffs = s.n_mfcc if s.keep_c0 else s.n_mfcc + 1
    if n_coeffs > s.n_mels:
        raise ParameterError(
            f"n_mfcc={s.n_mfcc} (keep_c0={s.keep_c0}) needs {n_coeffs} of the "
            f"n_mels={s.n_mels} mel bands; lower n_mfcc or raise n_mels"
        )
    with warnings.catch_warnings():  # librosa warns when n_fft exceeds a short signal
        warnings.filterwarnings("ignore", message="n_fft=.*too large", category=UserWarning)
        D = librosa.stft(
            y, n_fft=n_fft, hop_length=hop, win_length=win, window=_window(s.window, win),
            center=s.center, pad_mode="constant",
        )
    S = np.abs(D) ** 2
    mel = np.einsum("...ft,mf->...mt", S, _mel_basis(sr, n_fft, s.n_mels, s.fmin, s.fmax, s.htk),
                    optimize=True)
    return librosa.feature.mfcc(
        S=librosa.power_to_db(mel), n_mfcc=n_coeffs, dct_type=2, norm="ortho", lifter=s.lifter
    )


@lru_cache(maxsize=16)
def _delta_operators(width, order):
    """Interior filter and edge maps of ``librosa.feature.delta(width, order, mode='interp')``.

    The Savitzky-Golay filter is linear, so its polynomial fits at the two edges are
    fixed ``(width, width // 2)`` matrices: computed once here by filtering unit
    impulses, instead of one least-squares fit per row and per call.
    """
    from scipy.signal import savgol_coeffs, savgol_filter

    half = width // 2
    S = savgol_filter(np.eye(width), width, polyorder=order, deriv=order, axis=-1, mode="interp")
    coeffs = savgol_coeffs(width, order, deriv=order)
    return coeffs, S[:, :half].copy(), S[:, width - half:].copy()


def _delta(M, width, order):
    """``librosa.feature.delta(M, width=width, order=order)`` along the last axis (frames)."""
    from scipy.ndimage import convolve1d

    coeffs, left, right = _delta_operators(width, order)
    half = width // 2
    out = convolve1d(M, coeffs, axis=-1, mode="constant")
    out[:, :half] = M[:, :width] @ left
    out[:, -half:] = M[:, -width:] @ right
    return out


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ParameterError(f"{name}={value!r} must be a positive integer")


# ------------------------------------------------------------------------ first run
_WARM = False


def warm_up(*, verbose: bool = True) -> float:
    """Compile (or load from numba's cache) librosa's kernels before real work.

    The first MFCC call in a fresh environment compiles librosa's numba kernels
    (measured 17 s on an idle 2-core machine, 72 s on a busy one; numba caches the result on disk, after
    which the first call of a process costs ~1.5 s of imports). When the call
    looks like a cold compile, a one-line note goes to stderr first.

    Parameters
    ----------
    verbose : bool
        Print the note (stderr) when compiling.

    Returns
    -------
    float
        Seconds spent.
    """
    global _WARM
    if _WARM:
        return 0.0
    t0 = time.perf_counter()
    if verbose and not _numba_cache_present():
        print(
            "vqtoolkit: compiling librosa's numba kernels (first run only, about 20-60 s)…",
            file=sys.stderr, flush=True,
        )
    y = np.sin(np.linspace(0, 400 * np.pi, 8000)).astype(np.float32)
    MFCCExtractor.preset("speech").compute(y, sr=8000)
    _WARM = True
    return time.perf_counter() - t0


def _numba_cache_present() -> bool:
    """Whether librosa's numba cache (index files) exists already."""
    try:
        import importlib.util

        spec = importlib.util.find_spec("librosa")
        root = Path(spec.origin).parent if spec and spec.origin else None
    except (ImportError, ValueError):
        return False
    cache_dir = os.environ.get("NUMBA_CACHE_DIR")
    roots = [Path(cache_dir)] if cache_dir else ([root] if root else [])
    for r in roots:
        if r.is_dir() and next(r.rglob("*.nbi"), None) is not None:
            return True
    return False
