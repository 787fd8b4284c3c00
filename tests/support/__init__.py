"""Shared test tooling, the one place test modules import helpers from.

Split by kind, all re-exported here so that `from tests.support import X`
works for every public helper:

- paths:       ROOT, POETRY, PYTHON, TWISTD, WARNFLAGS, PORT_RE, path,
               poem_bytes, load_script, script_argv, twistd_argv
- environment: child_env
- waiting:     with_timeout, poll
- processes:   run, run_script, start, start_script, Server
- servers:     listen, serve, TestServerFactory, free_port, poem_port,
               listen_transformer
- clients:     fetch, netstring, ClientRun, open_connections
- twistd:      load_tac, pidfile, listening_ports
- logs:        capture_log, quiet
- spec:        VersionSpec (import it from tests.support.spec)

Everything here is written for trial TestCases (twisted.trial.unittest),
which run unchanged under both `trial tests` and `python -m pytest`. The
helpers return Deferreds, register their own cleanups on the test case, and
bound every wait with a timeout, so a test never hangs and never leaves the
reactor dirty.
"""

from .paths import (
    BIN, POETRY, PORT_RE, PYTHON, ROOT, TWISTD, WARNFLAGS,
    load_script, path, poem_bytes, script_argv, twistd_argv,
)
from .environment import child_env
from .waiting import poll, with_timeout
from .processes import Server, run, run_script, start, start_script
from .servers import (
    TestServerFactory, free_port, listen, listen_transformer, poem_port, serve,
)
from .clients import ClientRun, fetch, netstring, open_connections
from .twistd import listening_ports, load_tac, pidfile
from .logs import capture_log, quiet

__all__ = [
    "BIN", "POETRY", "PORT_RE", "PYTHON", "ROOT", "TWISTD", "WARNFLAGS",
    "load_script", "path", "poem_bytes", "script_argv", "twistd_argv",
    "child_env", "poll", "with_timeout",
    "Server", "run", "run_script", "start", "start_script",
    "TestServerFactory", "free_port", "listen", "listen_transformer",
    "poem_port", "serve",
    "ClientRun", "fetch", "netstring", "open_connections",
    "listening_ports", "load_tac", "pidfile",
    "capture_log", "quiet",
]
