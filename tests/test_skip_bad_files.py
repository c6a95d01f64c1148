"""The Python API is strict with bad audio by default and skips it when asked.

Strict: ``Matcher.fit`` / ``predict`` on paths raise ``FileFormatError`` naming
the bad file. Skipping: ``extract_many(..., strict=False)`` returns the good
files' features and lists every bad file with its reason; a Matcher fitted on
that FeatureSet is the one fitted on the good files alone.
"""

import numpy as np
import pytest
import soundfile as sf

from vqtoolkit import FileFormatError, Matcher
from vqtoolkit.features.audio import MFCCExtractor, extract_many

SR = 8000


def _tone_file(path, f0, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(SR // 2) / SR
    y = 0.4 * np.sin(2 * np.pi * f0 * t) + 0.05 * rng.normal(size=t.size)
    sf.write(path, y.astype(np.float32), SR)
    return str(path)


@pytest.fixture
def corpus(tmp_path):
    good = [_tone_file(tmp_path / f"{c}_{i}.wav", f0, 10 * j + i)
            for j, (c, f0) in enumerate([("low", 300.0), ("high", 1500.0)]) for i in range(3)]
    labels = ["low"] * 3 + ["high"] * 3
    bad = tmp_path / "low_9.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt ")  # truncated header
    huge = tmp_path / "high_9.wav"  # float samples x 1e30: non-finite features
    sf.write(huge, (np.ones(SR // 2) * 1e30).astype(np.float32), SR, subtype="FLOAT")
    return good, labels, [str(bad), str(huge)]


FRONT = MFCCExtractor.preset("vq")


def test_strict_by_default_names_the_bad_file(corpus):
    good, labels, (bad, huge) = corpus
    m = Matcher(4, features=FRONT, cache=False, n_jobs=1, random_state=0)
    with pytest.raises(FileFormatError, match="low_9.wav"):
        m.fit(good + [bad], labels + ["low"])
    m.fit(good, labels)
    with pytest.raises(FileFormatError, match="high_9.wav"):
        m.predict([good[0], huge])


def test_skipping_by_parameter_gives_the_fit_on_the_good_files(corpus):
    good, labels, bad = corpus
    with pytest.warns(UserWarning, match=r"2 of 8 files could not be used: .*low_9.wav.*high_9.wav"):
        fs = extract_many(good[:3] + [bad[0]] + good[3:] + [bad[1]], FRONT,
                          labels="regex:(?P<cls>[a-z]+)_", cache=False, n_jobs=1, strict=False)
    assert [f for f, _ in fs.failures] == bad
    assert all(reason for _, reason in fs.failures)
    assert fs.files == good
    skipped = Matcher(4, features=FRONT, cache=False, n_jobs=1, random_state=0).fit(fs, fs.labels("cls"))
    only_good = Matcher(4, features=FRONT, cache=False, n_jobs=1, random_state=0).fit(good, labels)
    assert list(skipped.classes_) == list(only_good.classes_)
    for a, b in zip(skipped.codebooks_, only_good.codebooks_):
        np.testing.assert_array_equal(a.codebook_, b.codebook_)
    with pytest.warns(UserWarning, match="2 of 8 files"):
        test = extract_many(good + bad, FRONT, cache=False, n_jobs=1, strict=False)
    assert len(test) == len(good)
    np.testing.assert_array_equal(skipped.score(test).distortion, only_good.score(good).distortion)
