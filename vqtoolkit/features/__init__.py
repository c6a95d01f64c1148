"""Feature extractors: every one returns a matrix with one row per observation.

- :mod:`vqtoolkit.features.audio`: MFCC frames from audio files (librosa).
- :mod:`vqtoolkit.features.text`: TF-IDF document vectors (scikit-learn).
- :mod:`vqtoolkit.features.image`: per-pixel texture features (Gabor energies); colour
  quantization and texture segmentation are in :mod:`vqtoolkit.images`.

Submodules are imported on demand so that ``import vqtoolkit`` stays light.
"""
