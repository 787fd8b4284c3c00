"""A script's top level, run in this process, for the runs that must stop
before the script listens: a bad value, a port in use.

Such a run costs a new Python (a Twisted import: most of a quarter of a
second of CPU) to see a few lines of the script's own code. run_here runs
that code here as python would run it, and reports what python would:
stdout, stderr and the exit status. A script that gets past its checks
fails the test: reaching reactor.run() is an error, and a port it left
listening makes the reactor unclean, which trial reports. Each program
still has a real run elsewhere (its row of a spec), and a representative
bad value and port in use are still run for real, so the interpreter's
own part (a SystemExit message on stderr, status 1) is seen too.
"""

import contextlib
import io
import os
import runpy
import sys
from unittest import mock

from runner.paths import ROOT, path


class ReachedTheReactor(AssertionError):
    """The script got past the checks that should have stopped it."""


class _Output(io.TextIOWrapper):
    """A text stream like python's own stdout or stderr, over bytes kept in
    memory: what the script writes is compared as bytes, as a real run's is."""

    def __init__(self):
        super().__init__(io.BytesIO(), encoding="utf-8", errors="backslashreplace",
                         line_buffering=True)

    def value(self):
        self.flush()
        return self.buffer.getvalue()


@contextlib.contextmanager
def working_directory(directory):
    """In `directory` for a while, as a program run from there is
    (contextlib.chdir is Python 3.11's)."""
    before = os.getcwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(before)


@contextlib.contextmanager
def _modules(modules):
    """These entries in sys.modules for a while; only these are put back
    (patch.dict would also drop every module the script imported)."""
    missing = object()
    before = {name: sys.modules.get(name, missing) for name in modules}
    sys.modules.update(modules)
    try:
        yield
    finally:
        for name, module in before.items():
            if module is missing:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def run_here(rel, *args, env=None, modules=None):
    """Run script `rel` (from the repository root) with `args`, as `python
    rel args` would, in this process, to the SystemExit that ends it;
    return (stdout, stderr, exit status) as python would give them. `env`
    is set in os.environ meanwhile, and `modules` in sys.modules (a script
    whose folder holds a module it imports by its plain name gets the one
    this process already has). It runs from the repository root, as
    run_script runs a script, with its folder first on sys.path, as python
    puts it."""
    from twisted.internet import reactor

    script = path(rel)

    def run_forbidden(*a, **kw):
        raise ReachedTheReactor(f"{' '.join([rel, *map(str, args)])}: reached reactor.run()")

    out, err = _Output(), _Output()
    code = None
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.dict(os.environ, env or {}))
        stack.enter_context(working_directory(ROOT))
        stack.enter_context(_modules(modules or {}))
        stack.enter_context(mock.patch.object(sys, "argv", [script, *map(str, args)]))
        stack.enter_context(mock.patch.object(sys, "path", [os.path.dirname(script), *sys.path]))
        stack.enter_context(mock.patch.object(sys, "stdout", out))
        stack.enter_context(mock.patch.object(sys, "stderr", err))
        stack.enter_context(mock.patch.object(reactor, "run", run_forbidden))
        try:
            runpy.run_path(script, run_name="__main__")
        except SystemExit as e:
            code = e.code
    # What python does with the SystemExit that ends a script.
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        err.write(f"{code}\n")
        status = 1
    return out.value(), err.value(), status
