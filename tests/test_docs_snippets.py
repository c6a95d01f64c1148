"""The Python snippets of the README and of every page in ``docs/`` run.

Each page runs in its own namespace, its snippets in order (as a reader would
paste them), in a temporary working directory. Pages whose snippets read the
evaluation data skip without it (and fail under ``CI=true``).
"""

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"```python\n(.*?)```", re.S)
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _snippets(page):
    return FENCE.findall(page.read_text(encoding="utf-8"))


def test_readme_has_snippets():
    assert len(_snippets(ROOT / "README.md")) >= 3


@pytest.mark.parametrize("page", [p for p in PAGES if _snippets(p)], ids=lambda p: p.name)
def test_page_snippets_run(page, tmp_path, monkeypatch, data_dir):
    import matplotlib
    import matplotlib.pyplot as plt

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VQTOOLKIT_DATA", str(data_dir))
    namespace = {"__name__": f"__{page.stem}__"}
    try:
        for i, code in enumerate(_snippets(page)):
            try:
                exec(compile(code, f"{page.name} snippet {i + 1}", "exec"), namespace)
            except Exception as exc:  # pragma: no cover - the message is what matters
                pytest.fail(f"{page.name} snippet {i + 1} failed: {exc!r}\n{code}")
    finally:
        plt.close("all")
    assert os.getcwd() == str(tmp_path)
