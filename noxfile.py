"""The suite on every Python from 3.10 on that this machine has: `make compat`.

One session, `tests`, once per Python: a fresh virtualenv with the project
and its `test` extra, then both runners, as `make test` and `make pytest`
run them: trial over both cores, the pytest-style tests, and the whole
suite again under pytest. A Python that is not found is skipped, never an
error (CI keeps running `make test` on the machine's own Python).

Where the interpreters come from, first found first:
- pyenv: the newest installed patch release of each X.Y (`pyenv versions`);
- /opt/pythonX.Y: what `../shared/tools/build-python X.Y` builds;
- `pythonX.Y` on PATH (Debian's own python3, say), nox's own search.
pyenv's shims answer for an X.Y only when that version is selected, so the
real bin folders go first on PATH instead; nothing is written to the
checkout (no .python-version).

    make compat                        # every session
    .venv/bin/nox -s tests-3.13        # one Python
    .venv/bin/nox --list               # what would run
"""

import os
import re
import subprocess
from pathlib import Path

import nox

PYTHONS = ["3.10", "3.11", "3.12", "3.13", "3.14"]

# A missing Python is a skip, also where CI=true would make nox fail on it.
nox.options.error_on_missing_interpreters = False
nox.options.sessions = ["tests"]
# Each session's venv is reused from one run to the next; the editable
# install is redone every time, so a changed pyproject.toml is picked up.
nox.options.reuse_venv = "yes"


def pyenv_root():
    try:
        out = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    return Path(out.stdout.strip())


def interpreter_dirs(versions):
    """The bin folder of each X.Y found in pyenv or /opt, newest patch first."""
    found = []
    releases = pyenv_root() / "versions"
    for version in versions:
        pattern = re.compile(rf"{re.escape(version)}\.(\d+)$")
        patches = sorted(
            (int(m.group(1)), p) for p in (releases.glob(f"{version}.*") if releases.is_dir() else [])
            if (m := pattern.match(p.name)) and (p / "bin" / f"python{version}").exists())
        if patches:
            found.append(patches[-1][1] / "bin")
        elif Path(f"/opt/python{version}/bin/python{version}").exists():
            found.append(Path(f"/opt/python{version}/bin"))
    return found


os.environ["PATH"] = os.pathsep.join(
    [*map(str, interpreter_dirs(PYTHONS)), os.environ.get("PATH", "")])


@nox.session(python=PYTHONS)
def tests(session):
    """trial -j2 tests, the pytest-style tests, then pytest -n 2 over the rest."""
    session.install("-e", ".[test]")
    session.run("python", "--version")
    # As make test: DeprecationWarnings are errors here and in every child.
    env = {"PYTHONWARNINGS": "error::DeprecationWarning"}
    session.run("trial", "-j2", "tests", env=env)
    session.run("python", "-m", "pytest", "-q", "tests/pytest_idiom", env=env)
    session.run("python", "-m", "pytest", "-q", "-n", "2", "--ignore=tests/pytest_idiom",
                env=env)
