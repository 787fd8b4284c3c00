"""Running programs as child processes from a test, under the reactor."""

import re

from twisted.internet import defer, protocol, reactor
from twisted.internet.error import ProcessDone, ProcessTerminated
from twisted.internet.utils import getProcessOutputAndValue

from .environment import child_env
from .paths import PORT_RE, ROOT, script_argv
from .waiting import with_timeout


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
    return run(script_argv(rel, *args), env=env, cwd=cwd, timeout=timeout)


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
    return start(testcase, script_argv(rel, *args), ready=ready, env=env, timeout=timeout)
