"""Shared test tooling, the one place test modules import helpers from.

Every public name is available as `from tests.support import NAME`
(resolved lazily, so importing one costs no reactor until it needs one).
What the demo and the bench share with the tests lives outside the tests,
in the `runner` package, and is re-exported here:

- runner.paths:       ROOT, POETRY, BIN, PYTHON, TWISTD, WARNFLAGS, PORT_RE,
                      path, poem_bytes, load_script, script_argv, twistd_argv
- runner.environment: child_env, raise_nofile
- runner.waiting:     with_timeout, poll
- runner.processes:   spawn, start, start_script, run, run_script, Server
                      (under the reactor); Program, Programs, run_to_end
                      (blocking); STOP_GRACE, ready_regex
- environment:        patch_env, temp_dir, process_temp_dir (and set_env,
                      patch_env's old name)
- servers:            listen, serve, TestServerFactory, refused_port,
                      poem_port, listen_transformer, tcp_port, Watched,
                      abort_all (and free_port, refused_port's old name)
- clients:            fetch, Collector, netstring, ClientRun,
                      open_connections, connector_dropped, with_closed_stdout
- twistd:             load_tac, pidfile, listening_ports
- inprocess:          run_here (a script's top level, in this process),
                      working_directory
- logs:               capture_log, quiet
- proxy:              ProxyPrints, InMemoryProxy
- spec:               VersionSpec

Everything here is written for trial TestCases (twisted.trial.unittest),
which run unchanged under both `trial tests` and `python -m pytest`. The
helpers return Deferreds, register their own cleanups on the test case, and
bound every wait with a timeout, so a test never hangs and never leaves the
reactor dirty.
"""

import importlib

_WHERE = {
    "runner.paths": ("ROOT", "POETRY", "BIN", "PYTHON", "TWISTD", "WARNFLAGS", "PORT_RE",
                     "path", "poem_bytes", "load_script", "script_argv", "twistd_argv"),
    "runner.environment": ("child_env", "raise_nofile"),
    "runner.waiting": ("with_timeout", "poll"),
    "runner.processes": ("spawn", "start", "start_script", "run", "run_script", "Server",
                         "Program", "Programs", "run_to_end", "STOP_GRACE", "ready_regex"),
    ".environment": ("patch_env", "set_env", "temp_dir", "process_temp_dir"),
    ".servers": ("listen", "serve", "TestServerFactory", "refused_port", "free_port",
                 "poem_port", "listen_transformer", "tcp_port", "Watched", "abort_all"),
    ".clients": ("fetch", "netstring", "ClientRun", "open_connections", "connector_dropped",
                 "Collector", "with_closed_stdout"),
    ".twistd": ("load_tac", "pidfile", "listening_ports"),
    ".inprocess": ("run_here", "working_directory"),
    ".logs": ("capture_log", "quiet"),
    ".proxy": ("ProxyPrints", "InMemoryProxy"),
    ".spec": ("VersionSpec",),
}
_MODULE_OF = {name: module for module, names in _WHERE.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name):
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
