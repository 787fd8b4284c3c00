"""Checked example output: one implementation shared by the regeneration tool
(tools/regen-outputs.py) and the test (tests/test_outputs.py, one
<Example>Spec class per stored file).

Every deterministic example script has its expected output stored next to
it, in <dir>/expected/<script>.txt. The file looks like this:

    $ python deferred-examples/defer-4.py
    [exit status 1]
    ...stdout...
    --- stderr ---
    ...stderr...

The first line is the command a reader types from the repository root. The
"[exit status N]" line is present only when N is not 0, and the stderr
section only when the program wrote to stderr. Both streams are normalized
(see normalize()) so that the file is the same on every machine and run.

The test runs each example under the reactor (tests.support.run) with the
argv and environment given here; the tool runs them all at once, blocking
(processes.run_to_end), on a few worker threads.
"""

import re
import shlex
import sysconfig
from concurrent.futures import ThreadPoolExecutor

from .paths import ROOT, script_argv
from .processes import run_to_end

# Directories holding checked examples; each has an expected/ subdirectory.
EXAMPLE_DIRS = ("basic-twisted", "deferred-examples", "inline-callbacks")

# Scripts that never stop by design; they are tested by running them
# briefly, and have no stored output.
NONSTOP = frozenset({"basic-twisted/simple.py", "basic-twisted/simple-poll.py"})

# Timers in the examples are multiplied by this when they are checked.
TIME_SCALE_VAR = "TUTORIAL_TIME_SCALE"
CHECK_TIME_SCALE = "0.01"

STDERR_MARK = "--- stderr ---"

# How many examples run at once (2 cores; each is mostly interpreter start).
WORKERS = 4
TIMEOUT = 60


def scripts():
    """Every example script (repo-relative, '/'-separated) that should have
    stored output, sorted."""
    found = []
    for d in EXAMPLE_DIRS:
        for p in sorted((ROOT / d).glob("*.py")):
            rel = f"{d}/{p.name}"
            if rel not in NONSTOP:
                found.append(rel)
    return found


def expected_path(rel):
    """<dir>/expected/<script>.txt for a script 'dir/script.py'."""
    p = ROOT / rel
    return p.parent / "expected" / (p.stem + ".txt")


def stored():
    """Scripts that have stored output, from the expected/ directories."""
    found = []
    for d in EXAMPLE_DIRS:
        for p in sorted((ROOT / d / "expected").glob("*.txt")):
            found.append(f"{d}/{p.stem}.py")
    return found


# Examples that take arguments, and the ones their stored run is made with.
EXAMPLE_ARGS = {
    "deferred-examples/deferred-simulator.py": ("r good f bad", "p r fixed", "f oops p"),
}


def example_args(rel):
    return EXAMPLE_ARGS.get(rel, ())


def command_line(rel):
    return " ".join(["$ python", rel, *map(shlex.quote, example_args(rel))])


# How every check runs an example: from the repo root, with
# DeprecationWarnings as errors (script_argv) and timers scaled down.
EXAMPLE_ENV = {TIME_SCALE_VAR: CHECK_TIME_SCALE}


def example_id(rel):
    """The spec row id of an example: its file name in CamelCase
    ('deferred-examples/deferred-list-6.py' -> 'DeferredList6')."""
    stem = rel.rsplit("/", 1)[-1][: -len(".py")]
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", stem))


def run_example(rel, timeout=TIMEOUT):
    """Run one example the way the test does, without a reactor. Returns
    (stdout bytes, stderr bytes, exit status)."""
    return run_to_end(script_argv(rel, *example_args(rel)), env=EXAMPLE_ENV, timeout=timeout)


def run_all(rels, workers=WORKERS):
    """Start every example on a small thread pool; returns {rel: Future}.
    Each future's result is what run_example returns."""
    pool = ThreadPoolExecutor(max_workers=workers)
    futures = {rel: pool.submit(run_example, rel) for rel in rels}
    pool.shutdown(wait=False)
    return futures


# --- normalization ---------------------------------------------------------

_SITE = re.compile(r"""[^\s"'(]*/(?:site|dist)-packages/""")
_STDLIB = sysconfig.get_paths()["stdlib"].rstrip("/") + "/"
_LIB_LINE = re.compile(r'(File "<(?:site-packages|stdlib)>/[^"]*", line )\d+')
_CARETS = re.compile(r"^\s*[~^]+\s*$")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
_TIMESTAMP = re.compile(
    r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:[+-]\d\d:?\d\d|Z)?"
)
_PORT = re.compile(r"(port[= ]|127\.0\.0\.1:|localhost:)\d+")
_TIMESTAMP_TEXT = "YYYY-MM-DD HH:MM:SS+ZZZZ"


def normalize(text):
    """Make output stable across machines and runs:

    - site-packages paths become '<site-packages>/', the standard library
      '<stdlib>/', and the repository root '.';
    - line numbers in tracebacks of library code become 'N' (ours stay);
    - caret lines under traceback source lines (their shape depends on
      the Python version) are dropped;
    - memory addresses become 0x..., log timestamps a fixed pattern,
      and port numbers PORT.
    """
    text = _SITE.sub("<site-packages>/", text)
    text = text.replace(_STDLIB, "<stdlib>/")
    text = text.replace(str(ROOT) + "/", "./").replace(str(ROOT), ".")
    text = _LIB_LINE.sub(r"\1N", text)
    text = _ADDRESS.sub("0x...", text)
    text = _TIMESTAMP.sub(_TIMESTAMP_TEXT, text)
    text = _PORT.sub(r"\1PORT", text)
    lines = [line for line in text.split("\n") if not _CARETS.match(line)]
    return "\n".join(lines)


def render(rel, out, err, code):
    """The stored form of one run (see the module docstring)."""
    parts = [command_line(rel) + "\n"]
    if code != 0:
        parts.append(f"[exit status {code}]\n")
    parts.append(normalize(out.decode("utf-8", "replace")))
    if err:
        if parts[-1] and not parts[-1].endswith("\n"):
            parts.append("\n")
        parts.append(STDERR_MARK + "\n")
        parts.append(normalize(err.decode("utf-8", "replace")))
    return "".join(parts)


def sections(stored_text):
    """Split a stored file into (stdout text, stderr text), without the
    command and exit status lines."""
    lines = stored_text.split("\n")
    body = lines[1:]
    if body and body[0].startswith("[exit status "):
        body = body[1:]
    text = "\n".join(body)
    out, sep, err = text.partition(STDERR_MARK + "\n")
    return out, err
