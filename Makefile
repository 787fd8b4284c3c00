# Two commands for a fresh machine with Python 3.10+ and make:
#   make demo   set up .venv, then run servers, proxy and client together
#   make test   set up .venv, then run `trial tests` and the pytest-style tests
#   (make pytest: the whole suite again under pytest, as CI does)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: all venv demo test trial pytest pytest-idiom lint compat bench bench-setup bench-publish clean

all: test

# Re-install whenever pyproject.toml changes; the editable install writes a
# .pth naming this directory, which is how twistd finds twisted/plugins/.
# Three things keep the set-up short (20 s before, on 2 cores):
# - Where $(PYTHON) has pip 22.3 or later, that pip installs into the venv
#   (pip --python), pip included, so the venv is made without first
#   bootstrapping a pip of its own (ensurepip, which compiles it: 3 s).
#   Elsewhere the venv gets its pip from ensurepip, as usual.
# - pip compiles what it installs one file at a time (6 s); compileall does
#   it over every core, and leaves out the dependencies' own test suites,
#   which nothing here imports. (Compiled here, not left to the first
#   import: where PYTHONDONTWRITEBYTECODE is set, as in many containers, a
#   module without its .pyc would be compiled again by every process.)
HOST_PIP_OK := $(PYTHON) -c 'import sys; from pip import __version__ as v; sys.exit(tuple(map(int, v.split(".")[:2])) < (22, 3))' 2>/dev/null
SITE_PACKAGES = $$($(BIN)/python -c 'import sysconfig; print(*{sysconfig.get_path(p) for p in ("purelib", "platlib")})')

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10) and "Python 3.10+ is required, found " + sys.version.split()[0])'
	if $(HOST_PIP_OK); then \
	    test -x $(BIN)/python || $(PYTHON) -m venv --without-pip $(VENV); \
	    $(PYTHON) -m pip --python $(BIN)/python install --quiet --no-compile -e ".[test]" pip; \
	else \
	    test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); \
	    $(BIN)/python -m pip install --quiet --no-compile -e ".[test]"; \
	fi
	$(BIN)/python -m compileall -q -j 0 -x '/site-packages/.*/tests?/' $(SITE_PACKAGES)
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python tools/demo.py

# DeprecationWarnings are errors in the test processes and in every child.
STRICT := PYTHONWARNINGS=error::DeprecationWarning

# make test runs every test once: trial runs every TestCase; then pytest
# runs the pytest-twisted tests (tests/pytest_idiom), which trial never sees.
# Three trial workers on two cores: most of the work is in the programs the
# tests start, and while one worker's test waits (a deadline, a reconnect,
# a paced server), a third keeps both cores busy (fresh clone, 2 cores:
# -j2 60 s, -j3 54 s, -j4 54 s with more CPU).
test: trial pytest-idiom

trial: $(STAMP)
	$(STRICT) $(BIN)/trial -j3 tests

pytest-idiom: $(STAMP)
	$(STRICT) $(BIN)/python -m pytest -q tests/pytest_idiom

# make pytest runs the whole suite under pytest: the TestCases over both
# cores (pytest-xdist), then the pytest-twisted tests in a process of their
# own, because once one of them has run the reactor no trial TestCase can
# follow it in that process. (A plain `python -m pytest` runs everything in
# one process; tests/conftest.py puts those last.) CI (.ci/run) runs make
# test, then make pytest.
pytest: $(STAMP)
	$(STRICT) $(BIN)/python -m pytest -q -n 2 --ignore=tests/pytest_idiom
	$(MAKE) --no-print-directory pytest-idiom

# make lint runs ruff (configured in pyproject.toml) over the .py and tac
# files; .ci/run runs it after the tests. The lint extra (ruff, pinned) is
# installed here, never by make test. No cache: the whole check takes well
# under a second, and leaves nothing in the checkout.
LINT_STAMP := $(VENV)/.installed-lint

$(LINT_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[lint]"
	touch $(LINT_STAMP)

lint: $(LINT_STAMP)
	$(BIN)/ruff check --no-cache .

# make compat runs the suite (trial, then pytest, as make test and make
# pytest do) on every Python from 3.10 to 3.14 that this machine has, each in
# a virtualenv of its own under .nox/; a missing one is skipped (noxfile.py
# says where they are looked for). nox is a dev tool: the compat extra puts
# it in .venv here, never through make test.
COMPAT_STAMP := $(VENV)/.installed-compat

$(COMPAT_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[compat]"
	touch $(COMPAT_STAMP)

compat: $(COMPAT_STAMP)
	$(BIN)/nox

# The bench extra (matplotlib, for the plots) is installed here, never by
# `make test`. A run writes to bench/out/ (ignored by git) and compiles
# bench/loadgen.c there with cc; `make bench-publish` then makes that run
# the committed copy (bench/results/ and the table in bench/README.md).
BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	touch $(BENCH_STAMP)

bench-setup: $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python bench/run.py

bench-publish: $(STAMP)
	$(BIN)/python bench/run.py --publish

# Part 1's pictures, drawn from a real run of the Part 2 clients against
# three slow servers (about 20 s): docs/figures/*.png, with the traces they
# are drawn from and run.json. matplotlib comes with the bench extra.
.PHONY: figures
figures: $(BENCH_STAMP)
	$(BIN)/python tools/figures.py

# twistd writes a dropin.cache beside every plugin folder it scans (ours and
# exercises/part-16's); trial -j3 leaves _trial_temp* and its lock files;
# `make bench` writes its runs to bench/out/, `make compat` its virtualenvs
# to .nox/. The READMEs' twistd commands
# leave logs (twistd.log, and the Application exercises' poetry.log and
# poetry-twistd.log) and the UNIX socket exercise's poetry.sock; they are
# kept while twistd.pid names a running daemon, which is still using them
# (its pidfile is never removed here: twistd removes it when it stops).
RUN_FILES := twistd.log twistd.log.* poetry.log poetry.log.* poetry-twistd.log \
	poetry.sock poetry.sock.lock

clean:
	rm -rf $(VENV) _trial_temp* .pytest_cache *.egg-info build bench/out .nox
	find . \( -name __pycache__ -o -name dropin.cache \) -prune -exec rm -rf {} +
	@if [ -f twistd.pid ] && kill -0 "$$(cat twistd.pid)" 2>/dev/null; then \
	    echo "make clean: twistd.pid names a running daemon; its logs are kept" >&2; \
	else \
	    rm -f $(RUN_FILES); \
	fi
