# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint docs bench fuzz clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test,distributed,image,docs]'
	@echo "warming numba's cache (first run only) ..." >&2
	$(PY) -m vqtoolkit._warmup
	@touch $(STAMP)

demo: $(STAMP)
	$(PY) scripts/demo.py --out out

lint: $(STAMP)
	$(VENV)/bin/ruff check vqtoolkit tests benchmarks scripts docs

test: $(STAMP) lint docs
	$(PY) -m pytest -q

# API reference, pages and example gallery; offline, every warning an error
docs: $(STAMP)
	$(PY) -m sphinx -W --keep-going -q -b html docs docs/_build/html
	@echo "docs: docs/_build/html/index.html" >&2

fuzz: $(STAMP)
	$(PY) -m pytest -q -m fuzz

bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) out .pytest_cache docs/_build docs/generated docs/auto_examples
