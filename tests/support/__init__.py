"""Shared test tooling, the one place test modules import helpers from.

Split by kind; every public name is available as `from tests.support import
NAME` (resolved lazily, so the demo and the bench can import the blocking
process runner without importing a reactor):

- paths:       ROOT, POETRY, BIN, PYTHON, TWISTD, WARNFLAGS, RESERVED_FD_WARNING,
               PORT_RE, path, poem_bytes, load_script, script_argv, twistd_argv
- environment: child_env, set_env, raise_nofile
- waiting:     with_timeout, poll
- processes:   the one process runner. Under the reactor: spawn, start,
               start_script, run, run_script, Server. Blocking, for the demo
               and the bench: Program, Programs. Shared: STOP_GRACE,
               ready_regex
- servers:     listen, serve, TestServerFactory, free_port, poem_port,
               listen_transformer, tcp_port, Watched, abort_all
- clients:     fetch, Collector, netstring, ClientRun, open_connections,
               connector_dropped, with_closed_stdout
- twistd:      load_tac, pidfile, listening_ports, temp_dir
- logs:        capture_log, quiet
- spec:        VersionSpec

Everything here is written for trial TestCases (twisted.trial.unittest),
which run unchanged under both `trial tests` and `python -m pytest`. The
helpers return Deferreds, register their own cleanups on the test case, and
bound every wait with a timeout, so a test never hangs and never leaves the
reactor dirty.
"""

import importlib

_WHERE = {
    "paths": ("ROOT", "POETRY", "BIN", "PYTHON", "TWISTD", "WARNFLAGS", "RESERVED_FD_WARNING",
              "PORT_RE", "path", "poem_bytes", "load_script", "script_argv", "twistd_argv"),
    "environment": ("child_env", "set_env", "raise_nofile"),
    "waiting": ("with_timeout", "poll"),
    "processes": ("spawn", "start", "start_script", "run", "run_script", "Server",
                  "Program", "Programs", "STOP_GRACE", "ready_regex"),
    "servers": ("listen", "serve", "TestServerFactory", "free_port", "poem_port",
                "listen_transformer", "tcp_port", "Watched", "abort_all"),
    "clients": ("fetch", "netstring", "ClientRun", "open_connections", "connector_dropped",
                "Collector", "with_closed_stdout"),
    "twistd": ("load_tac", "pidfile", "listening_ports", "temp_dir"),
    "logs": ("capture_log", "quiet"),
    "proxy": ("ProxyPrints", "InMemoryProxy"),
    "spec": ("VersionSpec",),
}
_MODULE_OF = {name: module for module, names in _WHERE.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name):
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
