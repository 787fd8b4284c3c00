"""The process runner: spawn a program, keep its output, wait (bounded)
for the line that names its port, and stop it with SIGTERM, then SIGKILL.

Two flavours share the argv, the environment, the ready-line regex and the
stop policy defined here:

- under the reactor, for tests: `spawn`, `start`, `start_script`, `run`,
  `run_script`, and `Server` (output kept in memory);
- blocking (subprocess and time), for tools/demo.py and bench/harness.py,
  which must not run a reactor: `Program` and `Programs` (output written to
  a log file, never to a pipe that could fill up and block the program),
  and `run_to_end` for a command that is run to its end (the checked
  examples of runner.outputs, `make clean` in tests/test_clean.py).

What does not use it: the bench's measurements (bench_clients.py, and
harness.run_loop's load clients) start their processes with subprocess
directly, to pin them to a CPU and time them, which is the bench's concern.

This module imports no Twisted at module level, so the blocking flavour
costs the demo and the bench no reactor; the reactor flavour imports it when
first used.
"""

import re
import signal
import subprocess
import time
from pathlib import Path

from .environment import child_env
from .paths import PORT_RE, ROOT, script_argv

# The stop policy: SIGTERM, then SIGKILL if the program is still there
# STOP_GRACE seconds later. Every program here stops on SIGTERM within a
# fraction of a second; the grace only bounds a program that hangs.
STOP_GRACE = 10
# How long a program may take to print its ready line.
START_TIMEOUT = 15


def ready_regex(pattern):
    """A bytes regex from a bytes or str pattern, compiled or not (the ready
    line is searched for in raw output)."""
    if isinstance(pattern, re.Pattern):
        if isinstance(pattern.pattern, bytes):
            return pattern
        return re.compile(pattern.pattern.encode(), pattern.flags & ~re.UNICODE)
    if isinstance(pattern, str):
        pattern = pattern.encode()
    return re.compile(pattern)


def _port_of(match):
    return int(match.group(1)) if match.groups() else None


def _shown(argv):
    return " ".join(map(str, argv))


# -- reactor flavour, for tests ----------------------------------------------

def _reactor():
    from twisted.internet import reactor

    return reactor


def _watcher_class():
    from twisted.internet import defer, protocol

    class Watcher(protocol.ProcessProtocol):
        """Collects a child's output, fires the waiters whose regex the
        output matches, and, when the process is gone, each Deferred that
        ended() has handed out."""

        def __init__(self):
            self.out = b""
            self.err = b""
            self.status = None
            self.waiters = []      # (regex, Deferred): output waiters
            self.end_waiters = []  # Deferreds fired with the status at the end
            self.listeners = []

        def ended(self):
            """A new Deferred that fires with the exit status (ProcessDone
            or ProcessTerminated) once the process is gone; at once if it
            already is. Each caller gets its own, so no callback sees
            another's result."""
            if self.status is not None:
                return defer.succeed(self.status)
            d = defer.Deferred()
            self.end_waiters.append(d)
            return d

        def outReceived(self, data):
            self.out += data
            self.check()

        def errReceived(self, data):
            self.err += data
            self.check()

        def check(self):
            for listener in self.listeners:
                listener(self.out, self.err)
            for item in list(self.waiters):
                regex, d = item
                m = regex.search(self.out) or regex.search(self.err)
                if m:
                    self.waiters.remove(item)
                    d.callback(m)

        def processEnded(self, reason):
            self.status = reason.value
            waiters, self.waiters = self.waiters, []
            for regex, d in waiters:
                d.errback(AssertionError(
                    f"process exited before its output matched {regex.pattern!r}:\n"
                    + (self.out + self.err).decode("utf-8", "replace")))
            end_waiters, self.end_waiters = self.end_waiters, []
            for d in end_waiters:
                d.callback(reason.value)

    return Watcher


class Server:
    """A program running in a child process under the reactor, with the port
    it announced (`port`, None until known)."""

    def __init__(self, argv, env=None, cwd=None):
        self.argv = [str(a) for a in argv]
        self.watcher = _watcher_class()()
        # A child inherits an ignored SIGINT (a test run started in the
        # background ignores it); un-ignore it for the fork, so that a test
        # can press Ctrl-C in the child as a reader would.
        ignored = signal.getsignal(signal.SIGINT) == signal.SIG_IGN
        if ignored:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        # Twisted starts a child with posix_spawn where it can, and with
        # fork() where it cannot: when the child needs another working
        # directory. Python 3.12 and later warn (a DeprecationWarning, so an
        # error here) when a process with threads forks, and pytest-xdist's
        # workers have a thread. So sh gives the child its directory, and
        # Twisted can always spawn; `exec` keeps the program's pid.
        spawned = ["/bin/sh", "-c", 'cd -- "$1" && shift && exec "$@"', "sh",
                   str(cwd or ROOT), *self.argv]
        try:
            self.transport = _reactor().spawnProcess(
                self.watcher, spawned[0], spawned, env=child_env(env), path=None)
        finally:
            if ignored:
                signal.signal(signal.SIGINT, signal.SIG_IGN)
        self.pid = self.transport.pid
        self.port = None

    @property
    def out(self):
        return self.watcher.out

    @property
    def err(self):
        return self.watcher.err

    @property
    def output(self):
        return self.watcher.out + self.watcher.err

    def running(self):
        return self.watcher.status is None

    def exit_code(self):
        """0, the exit status, minus the signal that killed it, or None
        while it runs."""
        from twisted.internet.error import ProcessDone, ProcessTerminated

        s = self.watcher.status
        if isinstance(s, ProcessDone):
            return 0
        if isinstance(s, ProcessTerminated):
            return s.exitCode if s.exitCode is not None else -s.signal
        return None

    def signal(self, name):
        """Send a signal ("INT", "TERM", ...) if the process still runs."""
        if self.running():
            self.transport.signalProcess(name)

    def stop(self, timeout=STOP_GRACE):
        """SIGTERM, then SIGKILL if it is still there `timeout` seconds
        later. Fires when the process has been reaped."""
        from twisted.internet import defer

        if not self.running():
            return defer.succeed(self.watcher.status)
        self.signal("TERM")
        call = _reactor().callLater(timeout, lambda: self.running() and self.signal("KILL"))
        d = self.watcher.ended()
        d.addBoth(lambda r: (call.active() and call.cancel(), r)[1])
        return d

    def wait_for(self, pattern, timeout=10):
        """Fire with the match once stdout or stderr matches `pattern` (a
        compiled regex, a bytes regex, or a str taken literally); bounded
        in time."""
        from twisted.internet import defer

        if isinstance(pattern, str):
            pattern = re.escape(pattern.encode())
        regex = ready_regex(pattern)
        d = defer.Deferred()
        item = (regex, d)
        self.watcher.waiters.append(item)
        self.watcher.check()
        if not d.called and not self.running():
            self.watcher.waiters.remove(item)
            d.errback(AssertionError(
                f"process had exited; its output never matched {regex.pattern!r}:\n"
                + self.output.decode("utf-8", "replace")))

        def give_up(result, t):
            if item in self.watcher.waiters:
                self.watcher.waiters.remove(item)
            raise AssertionError(
                f"output never matched {regex.pattern!r} within {t}s; output:\n"
                + self.output.decode("utf-8", "replace"))

        return d.addTimeout(timeout, _reactor(), onTimeoutCancel=give_up)

    def watch(self, listener):
        """Call listener(stdout so far, stderr so far) whenever output arrives."""
        self.watcher.listeners.append(listener)

    def wait(self, timeout=10):
        """Wait (bounded) for the process to exit by itself; fires with its
        exit code as exit_code() gives it."""
        from .waiting import with_timeout

        d = self.watcher.ended().addCallback(lambda _: self.exit_code())
        return with_timeout(d, timeout, f"exit of {_shown(self.argv)}")

    def result(self, timeout=30):
        """Fires with (stdout, stderr, exit code) once it has exited."""
        d = self.wait(timeout)
        return d.addCallback(lambda code: (self.out, self.err, code))


def spawn(testcase, argv, env=None, cwd=None):
    """Start argv (from the repo root unless cwd says otherwise) and return
    its Server at once; at cleanup it is stopped (TERM, then KILL)."""
    server = Server(argv, env=env, cwd=cwd)
    testcase.addCleanup(server.stop)
    return server


def start(testcase, argv, ready=PORT_RE, env=None, cwd=None, timeout=START_TIMEOUT):
    """Spawn argv, wait (bounded) until its output matches `ready`, and stop
    it at cleanup. Fires with the Server; its .port is the first group of
    the match, when the regex has one."""
    server = spawn(testcase, argv, env=env, cwd=cwd)
    d = server.wait_for(ready_regex(ready), timeout)

    def started(match):
        server.port = _port_of(match)
        return server

    return d.addCallback(started)


def start_script(testcase, rel, *args, ready=PORT_RE, env=None, cwd=None,
                 timeout=START_TIMEOUT):
    """Start `python -W... SCRIPT ARGS` and wait for its port line."""
    return start(testcase, script_argv(rel, *args), ready=ready, env=env, cwd=cwd,
                 timeout=timeout)


def run(argv, env=None, cwd=None, timeout=30):
    """Run a command to its end; fire with (stdout, stderr, exit code), the
    code negative for a signal. Killed (and the test failed) if it runs
    past `timeout`."""
    from .waiting import with_timeout

    server = Server(argv, env=env, cwd=cwd)
    done = server.watcher.ended().addCallback(
        lambda _: (server.out, server.err, server.exit_code()))

    def overrun(result, t):
        server.signal("KILL")
        return server.watcher.ended().addCallback(lambda _: result)

    d = with_timeout(done, timeout, _shown(argv))
    d.addErrback(lambda f: overrun(f, timeout))
    return d


def run_script(rel, *args, env=None, cwd=None, timeout=30):
    """Run `python -W error::DeprecationWarning SCRIPT ARGS` from the repo root."""
    return run(script_argv(rel, *args), env=env, cwd=cwd, timeout=timeout)


# -- blocking flavour, for the demo and the bench ---------------------------

def run_to_end(argv, env=None, cwd=None, timeout=60):
    """Run a command to its end without a reactor, stdin closed, with the
    children's environment plus `env`, from the repo root unless cwd says
    otherwise. Returns (stdout bytes, stderr bytes, exit status, negative
    for a signal); past `timeout` seconds it is killed and
    subprocess.TimeoutExpired raised."""
    proc = subprocess.run([str(a) for a in argv], cwd=str(cwd or ROOT), env=child_env(env),
                          capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return proc.stdout, proc.stderr, proc.returncode


class Program:
    """A program started without a reactor. Its output goes to `logpath`;
    wait_ready() polls that file (bounded) for the ready line."""

    def __init__(self, argv, logpath, cwd=None, env=None, ready=PORT_RE,
                 timeout=START_TIMEOUT):
        self.argv = [str(a) for a in argv]
        self.logpath = Path(logpath)
        self.ready_re = ready_regex(ready)
        self.timeout = timeout
        self.port = None
        with open(self.logpath, "wb") as log:
            self.proc = subprocess.Popen(
                self.argv, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, cwd=str(cwd or ROOT), env=child_env(env))
        self.pid = self.proc.pid

    def output(self):
        """Everything it has printed so far (stdout and stderr), as text."""
        return self.logpath.read_bytes().decode("utf-8", "replace")

    def running(self):
        return self.proc.poll() is None

    def wait_ready(self):
        """Wait (bounded) for the ready line and set .port. If it exits or
        takes too long, stop it and raise RuntimeError with its output."""
        deadline = time.monotonic() + self.timeout
        while True:
            m = self.ready_re.search(self.logpath.read_bytes())
            if m:
                self.port = _port_of(m)
                return self
            if not self.running() or time.monotonic() > deadline:
                self.stop()
                why = (f"exit {self.proc.returncode}" if self.proc.returncode is not None
                       and self.proc.returncode >= 0 else f"no ready line in {self.timeout}s")
                raise RuntimeError(
                    f"{_shown(self.argv)} did not start ({why}):\n{self.output()[-2000:]}")
            time.sleep(0.02)  # a file cannot be waited on; poll it

    def stop(self, grace=STOP_GRACE):
        """SIGTERM, then SIGKILL after `grace` seconds; returns the exit code."""
        if self.running():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.wait()


class Programs:
    """Programs started together and stopped together, in reverse order, at
    the end of a `with` block (also on errors and Ctrl-C), so nothing is
    left running. Logs go to TMPDIR/NAME.log."""

    program = Program

    def __init__(self, tmpdir):
        self.tmpdir = Path(tmpdir)
        self.started = []

    def start(self, name, argv, **kw):
        """Start one program and wait for its ready line."""
        return self.start_all([(name, argv, kw)])[0]

    def start_all(self, specs):
        """Start several programs at once, then wait for each to be ready:
        [(name, argv, keywords)] -> [Program]."""
        progs = []
        for name, argv, kw in specs:
            prog = self.program(argv, self.tmpdir / f"{name}.log", **kw)
            prog.name = name
            self.started.append(prog)
            progs.append(prog)
        for prog in progs:
            prog.wait_ready()
        return progs

    def stop(self, prog):
        prog.stop()
        self.started.remove(prog)

    def stop_all(self):
        """Stop every program, newest first; the names of any that would
        not go (none: SIGKILL always does)."""
        for prog in reversed(self.started):
            prog.stop()
        left = [p.name for p in self.started if p.running()]
        self.started = []
        return left

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop_all()
