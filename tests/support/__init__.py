"""Shared test tooling: one loader for hyphenated scripts, one set of
fixtures for starting servers and running programs.

Everything here is written for trial TestCases (twisted.trial.unittest),
which run unchanged under both `trial tests` and `python -m pytest`. The
helpers return Deferreds, register their own cleanups on the test case, and
bound every wait with a timeout, so a test never hangs and never leaves the
reactor dirty.
"""

import importlib.util
import os
import re
import sys
from pathlib import Path

from twisted.internet import defer, protocol, reactor, task
from twisted.internet.error import ProcessDone, ProcessTerminated
from twisted.internet.utils import getProcessOutputAndValue
from twisted.python.failure import Failure

ROOT = Path(__file__).resolve().parent.parent.parent
POETRY = ROOT / "poetry"
BIN = Path(sys.executable).parent
PYTHON = sys.executable
# Every program under test runs with DeprecationWarnings turned into errors.
# ResourceWarnings are shown, not raised: Twisted itself keeps a spare /dev/null
# descriptor open in every listening process (tcp._reservedFD) and Python
# reports it at exit; clients never listen, so their stderr stays exact.
WARNFLAGS = ("-W", "error::DeprecationWarning", "-W", "default::ResourceWarning")

# The line a server prints at start-up names its port, e.g.
# "Serving poetry/ecstasy.txt on IPv4Address(type='TCP', host='127.0.0.1', port=43211)."
PORT_RE = re.compile(rb"port[= ]?(\d+)")


def path(rel):
    """Absolute path of a file in the repository, as a str."""
    return str(ROOT / rel)


def poem_bytes(name):
    """The exact bytes of a poem in poetry/."""
    return (POETRY / name).read_bytes()


_loaded = {}


def load_script(rel):
    """Import a script file (hyphens and all) as a module without running
    its main(). Modules are cached, so a script is executed once."""
    full = ROOT / rel
    if full in _loaded:
        return _loaded[full]
    name = "script_" + re.sub(r"\W", "_", rel)
    spec = importlib.util.spec_from_file_location(name, full)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    _loaded[full] = module
    return module


def child_env(extra=None):
    """Environment for a child process: unbuffered, strict about warnings."""
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONWARNINGS"] = "error::DeprecationWarning,default::ResourceWarning"
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if extra:
        env.update(extra)
    return env


def with_timeout(d, seconds, what="operation"):
    """Bound a Deferred in time; on expiry it fails with a clear message."""

    def on_timeout(result, timeout):
        if isinstance(result, Failure) and result.check(
            defer.CancelledError
        ):
            raise AssertionError(f"{what} did not finish within {seconds}s")
        return result

    return d.addTimeout(seconds, reactor, onTimeoutCancel=on_timeout)


def run(argv, env=None, cwd=None, timeout=30):
    """Run a command; fire with (stdout, stderr, exit code) as bytes, bytes, int.

    getProcessOutputAndValue reports a signal death as a negative-free
    failure tuple; we turn that into an exit code too, so tests can assert."""
    d = getProcessOutputAndValue(
        argv[0], argv[1:], env=child_env(env), path=str(cwd or ROOT)
    )

    def by_signal(f):
        out, err, sig = f.value
        return out, err, -sig

    d.addErrback(by_signal)
    return with_timeout(d, timeout, " ".join(map(str, argv)))


def run_script(rel, *args, env=None, cwd=None, timeout=30):
    """Run `python -W error::DeprecationWarning SCRIPT ARGS` from the repo root."""
    argv = [PYTHON, *WARNFLAGS, path(rel), *map(str, args)]
    return run(argv, env=env, cwd=cwd, timeout=timeout)


def twistd_argv(*args):
    """The real twistd of this venv (twistd does not add cwd to sys.path,
    so plugins are found only through the editable install)."""
    return [str(BIN / "twistd"), *map(str, args)]


class _Watcher(protocol.ProcessProtocol):
    """Collects a child's output, fires `ready` when a line matches, and
    `ended` when the process is gone."""

    def __init__(self, ready_re):
        self.ready_re = ready_re
        self.out = b""
        self.err = b""
        self.ready = defer.Deferred()
        self.ended = defer.Deferred()
        self.status = None
        self.waiters = []

    def outReceived(self, data):
        self.out += data
        self._check()

    def errReceived(self, data):
        self.err += data
        self._check()

    def _check(self):
        if self.ready is not None:
            m = self.ready_re.search(self.out) or self.ready_re.search(self.err)
            if m:
                d, self.ready = self.ready, None
                d.callback(m)
        for item in list(self.waiters):
            regex, d = item
            m = regex.search(self.out + self.err)
            if m:
                self.waiters.remove(item)
                d.callback(m)

    def processEnded(self, reason):
        self.status = reason.value
        if self.ready is not None:
            d, self.ready = self.ready, None
            d.errback(
                AssertionError(
                    "process exited before it was ready:\n"
                    + (self.out + self.err).decode("utf-8", "replace")
                )
            )
        self.ended.callback(reason.value)


class Server:
    """A program running in a child process, with the port it announced."""

    def __init__(self, transport, watcher, port):
        self.transport = transport
        self.watcher = watcher
        self.port = port
        self.pid = transport.pid

    @property
    def output(self):
        return self.watcher.out + self.watcher.err

    def running(self):
        return self.watcher.status is None

    def exit_code(self):
        s = self.watcher.status
        if isinstance(s, ProcessDone):
            return 0
        if isinstance(s, ProcessTerminated):
            return s.exitCode if s.exitCode is not None else -s.signal
        return None

    def stop(self, timeout=10):
        """SIGTERM, then wait (bounded) for the process to be gone; SIGKILL
        if it will not go. Fires when the process has been reaped."""
        if self.watcher.status is not None:
            return defer.succeed(self.watcher.status)
        try:
            self.transport.signalProcess("TERM")
        except Exception:
            pass
        d = defer.Deferred()
        self.watcher.ended.addBoth(lambda r: d.called or d.callback(r))

        def kill():
            if not d.called:
                try:
                    self.transport.signalProcess("KILL")
                except Exception:
                    pass

        call = reactor.callLater(timeout, kill)
        d.addBoth(lambda r: (call.active() and call.cancel(), r)[1])
        return d

    def wait_for(self, pattern, timeout=10):
        """Fire with the match once the output (stdout + stderr) matches
        `pattern` (bytes regex or bytes); bounded in time."""
        regex = re.compile(pattern if isinstance(pattern, bytes) else re.escape(pattern.encode()))
        d = defer.Deferred()
        self.watcher.waiters.append((regex, d))
        self.watcher._check()

        def give_up(result, t):
            item = (regex, d)
            if item in self.watcher.waiters:
                self.watcher.waiters.remove(item)
            raise AssertionError(
                f"output never matched {regex.pattern!r} within {t}s; output:\n"
                + self.output.decode("utf-8", "replace")
            )

        return d.addTimeout(timeout, reactor, onTimeoutCancel=give_up)

    def wait(self, timeout=10):
        """Wait (bounded) for the process to exit by itself."""
        d = defer.Deferred()
        self.watcher.ended.addBoth(lambda r: d.called or d.callback(r))
        return with_timeout(d, timeout, f"process {self.pid} exit")


@defer.inlineCallbacks
def start(testcase, argv, ready=PORT_RE, env=None, cwd=None, timeout=15):
    """Spawn argv, wait (bounded) until its output matches `ready`, and
    register a cleanup that stops it. `ready` is a regex (compiled, bytes or
    str). Fires with a Server whose .port is the first group of the match
    (when there is one)."""
    if isinstance(ready, (bytes, str)):
        ready = re.compile(ready.encode() if isinstance(ready, str) else ready)
    watcher = _Watcher(ready)
    transport = reactor.spawnProcess(
        watcher, argv[0], list(map(str, argv)), env=child_env(env),
        path=str(cwd or ROOT),
    )
    server = Server(transport, watcher, None)
    testcase.addCleanup(server.stop)
    try:
        m = yield with_timeout(watcher.ready, timeout, f"start of {argv}")
    except AssertionError as e:
        raise AssertionError(
            f"{e}\noutput so far:\n{watcher.out.decode(errors='replace')}"
            f"{watcher.err.decode(errors='replace')}"
        )
    if m.groups():
        server.port = int(m.group(1))
    return server


def start_script(testcase, rel, *args, ready=PORT_RE, env=None, timeout=15):
    """Start `python SCRIPT ARGS` from the repo root and wait for its port."""
    argv = [PYTHON, *WARNFLAGS, path(rel), *map(str, args)]
    return start(testcase, argv, ready=ready, env=env, timeout=timeout)


def listen(testcase, factory, backlog=50):
    """listenTCP on 127.0.0.1 port 0 in this process; returns the port
    number and stops listening at cleanup."""
    port = reactor.listenTCP(0, factory, backlog=backlog, interface="127.0.0.1")
    testcase.addCleanup(port.stopListening)
    return port.getHost().port


class _Collect(protocol.Protocol):
    def connectionMade(self):
        self.data = []
        if self.factory.send is not None:
            self.transport.write(self.factory.send)

    def dataReceived(self, data):
        self.data.append(data)

    def connectionLost(self, reason):
        d, self.factory.done = self.factory.done, None
        if d is not None:
            d.callback(b"".join(self.data))


class _CollectFactory(protocol.ClientFactory):
    protocol = _Collect

    def __init__(self, send):
        self.send = send
        self.connector = None
        # Cancelling the fetch hangs up on the server.
        self.done = defer.Deferred(self._cancel)

    def _cancel(self, d):
        self.done = None
        self.connector.disconnect()

    def clientConnectionFailed(self, connector, reason):
        d, self.done = self.done, None
        if d is not None:
            d.errback(reason)


def fetch(port, send=None, host="127.0.0.1", timeout=10):
    """Connect, optionally send bytes, and fire with every byte received
    until the server closes. A raw peer for exact-bytes assertions.
    Cancelling the returned Deferred drops the connection."""
    factory = _CollectFactory(send)
    d = factory.done
    factory.connector = reactor.connectTCP(host, port, factory, timeout=timeout)

    def on_timeout(result, t):
        raise AssertionError(f"no close from {host}:{port} within {timeout}s")

    return d.addTimeout(timeout, reactor, onTimeoutCancel=on_timeout)


def netstring(data):
    """Encode bytes as a netstring."""
    return b"%d:%s," % (len(data), data)


def free_port():
    """A port on 127.0.0.1 where nothing listens (bound, then released).
    Used for connection-refused paths."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Held(protocol.Protocol):
    """Server side of a TestServerFactory connection."""

    gone = None

    def connectionMade(self):
        self.gone = defer.Deferred()
        f = self.factory
        f.connections += 1
        f.open.add(self)
        if f.poem is not None:
            self.transport.write(f.poem)
            if f.close:
                self.transport.loseConnection()
        f._notify(f._made, self)

    def connectionLost(self, reason):
        self.factory.open.discard(self)
        self.factory._notify(self.factory._lost, self)
        gone, self.gone = self.gone, None
        if gone is not None:
            gone.callback(None)


class TestServerFactory(protocol.ServerFactory):
    """An in-process upstream for proxy and client tests that counts its
    connections. By default it serves `poem` and closes; with poem=None it
    accepts and stays silent. Waiters fire on connect and on disconnect.
    `serve(testcase, factory)` listens and, at cleanup, drops whatever
    connections are still open so the reactor is left clean."""

    protocol = _Held
    __test__ = False  # a helper, not a test class, whatever its name says

    def __init__(self, poem=None, close=True):
        self.poem = poem
        self.close = close
        self.connections = 0
        self.open = set()
        self._made = []
        self._lost = []

    def _notify(self, waiters, proto):
        while waiters:
            waiters.pop(0).callback(proto)

    def next_connection(self, timeout=10):
        d = defer.Deferred()
        self._made.append(d)
        return with_timeout(d, timeout, "an upstream connection")

    def next_disconnect(self, timeout=10):
        d = defer.Deferred()
        self._lost.append(d)
        return with_timeout(d, timeout, "an upstream disconnect")

    def drop_all(self):
        """Abort open connections; fires once they are all gone."""
        waits = []
        for p in list(self.open):
            if p.gone is not None:
                waits.append(p.gone)
            p.transport.abortConnection()
        return with_timeout(defer.gatherResults(waits), 10, "dropping connections")


def serve(testcase, factory, backlog=50):
    """Listen with a TestServerFactory (or any factory with drop_all) on
    127.0.0.1:0; at cleanup stop listening and drop open connections."""
    port = listen(testcase, factory, backlog=backlog)
    if hasattr(factory, "drop_all"):
        testcase.addCleanup(factory.drop_all)
    return port


def poll(check, timeout=10, interval=0.05, what="condition"):
    """Wait, bounded, for check() to be true: for things no Deferred tells
    us about, such as a daemon (not our child) writing its log."""
    deadline = reactor.seconds() + timeout

    @defer.inlineCallbacks
    def loop():
        while True:
            value = check()
            if value:
                return value
            if reactor.seconds() > deadline:
                raise AssertionError(f"{what} not seen within {timeout}s")
            yield task.deferLater(reactor, interval, lambda: None)

    return loop()
