"""The README's Python snippets run, in order, in one namespace (as a reader would paste them)."""

import os
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
FENCE = re.compile(r"```python\n(.*?)```", re.S)


def _snippets():
    return FENCE.findall(README.read_text(encoding="utf-8"))


def test_readme_has_snippets():
    assert len(_snippets()) >= 4


def test_readme_snippets_run(tmp_path, monkeypatch, data_dir):
    """Needs the evaluation data: several snippets read it (skipped without it, failing under CI)."""
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VQTOOLKIT_DATA", str(data_dir))
    namespace = {"__name__": "__readme__"}
    for i, code in enumerate(_snippets()):
        try:
            exec(compile(code, f"README.md snippet {i + 1}", "exec"), namespace)
        except Exception as exc:  # pragma: no cover - the message is what matters
            pytest.fail(f"README snippet {i + 1} failed: {exc!r}\n{code}")
    assert os.getcwd() == str(tmp_path)
