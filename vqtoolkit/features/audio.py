"""Audio front end: MFCC frames from audio files, one row per frame.

- :class:`MFCCExtractor` holds the settings (a small frozen dataclass, stored in
  codebook files through :meth:`MFCCExtractor.to_meta` / :func:`from_meta`);
  ``extractor(path)`` or ``extractor(y, sr=sr)`` returns an
  ``(n_frames, n_features)`` float32 matrix equal to ``librosa.feature.mfcc``
  (transposed) on the same settings.
- :func:`extract_many` runs an extractor over files, folders or glob patterns in
  parallel processes, caches per-file results on disk (keyed by file contents and
  settings), and returns a :class:`FeatureSet`: one stacked matrix, a
  per-utterance index with labels parsed from the file names, and the list of
  files that could not be used, each with the reason.
- :func:`warm_up` compiles librosa's numba kernels (first run only) and says so.

Presets (:data:`PRESETS`): ``'librosa'`` (librosa's defaults), ``'speech'``
(25 ms windows, 10 ms hop, 13 coefficients + Δ + ΔΔ, CMVN) and ``'vq'`` (the same
framing, 20 coefficients + Δ + ΔΔ, no CMVN: the default front end of ``Matcher``
and of the command line).
"""

from ._batch import AUDIO_EXTENSIONS, default_cache_dir, extract_many, find_audio_files
from ._mfcc import PRESETS, MFCCExtractor, decode_audio, from_meta, load_audio, warm_up
from .featureset import FeatureSet, Utterance

__all__ = [
    "MFCCExtractor",
    "PRESETS",
    "extract_many",
    "FeatureSet",
    "Utterance",
    "load_audio",
    "decode_audio",
    "from_meta",
    "warm_up",
    "find_audio_files",
    "default_cache_dir",
    "AUDIO_EXTENSIONS",
]
