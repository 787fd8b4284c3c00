# Two commands for a fresh machine with Python 3.10+ and make:
#   make demo   set up .venv, then run servers, proxy and client together
#   make test   set up .venv, then run `trial tests` and `python -m pytest`

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: all venv demo test trial pytest bench clean

all: test

# Re-install whenever pyproject.toml changes; the editable install writes a
# .pth naming this directory, which is how twistd finds twisted/plugins/.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10) and "Python 3.10+ is required, found " + sys.version.split()[0])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python tools/demo.py

trial: $(STAMP)
	$(BIN)/trial tests

pytest: $(STAMP)
	$(BIN)/python -m pytest -q

test: $(STAMP)
	$(BIN)/trial tests
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) _trial_temp .pytest_cache twisted/plugins/dropin.cache *.egg-info
	find . -name __pycache__ -prune -exec rm -rf {} +
