"""Exercises from the Application howto (exercises/application/): a tac
that logs to a DailyLogFile through ILogObserver, a `twistd --logger`
module, a TimerService re-reading the poem (the finger tutorial's "read
status file" step), and the poetry service on a UNIX socket as well as TCP."""

import os
import re

from twisted.application import internet, service
from twisted.internet import defer, reactor, task
from twisted.internet.endpoints import UNIXClientEndpoint, connectProtocol
from twisted.internet.protocol import ServerFactory
from twisted.trial.unittest import TestCase

from tests import support
from tests.support import fetch, listening_ports, load_tac, pidfile, poem_bytes, poll
# Bounded polling, for lines that appear in another process's log file.

APP = "exercises/application"
DAILY = APP + "/poetry-dailylog.tac"
RELOAD = APP + "/poetry-reload.tac"
UNIX = APP + "/poetry-unix.tac"
FASTPOETRY_TAC = "twisted-server/fastpoetry-2.0.tac"
ECSTASY = poem_bytes("ecstasy.txt")
SCIENCE = poem_bytes("science.txt")


def search_file(path, pattern):
    def check():
        try:
            with open(path, "rb") as f:
                return re.search(pattern, f.read())
        except FileNotFoundError:
            return None
    return check


class LogFileTest(TestCase):
    """Both run under twistd: logging is set up by twistd, not by the tac."""

    @defer.inlineCallbacks
    def test_daily_log_file_from_the_tac(self):
        logdir = support.temp_dir(self)
        logfile = os.path.join(logdir, "poetry.log")
        child = support.spawn(
            self, support.twistd_argv("-n", "--pidfile", pidfile(self), "-y", DAILY),
            env={"POETRY_LOGDIR": logdir, "POETRY_PORT": "0"})
        m = yield poll(search_file(logfile, rb"PoetryFactory starting on (\d+)"), what="the port line")
        self.assertEqual((yield fetch(int(m.group(1)))), ECSTASY)
        yield poll(search_file(logfile, rb"\[fastpoetry#info\] sending 2804 bytes of poetry"),
                   what="the sending line")
        # Stopped, it logs everything to the end: the port closing, then
        # twistd's last line.
        yield child.stop()
        # twistd ends as SIGTERM asked, once it has shut down.
        self.assertEqual(child.exit_code(), -15)
        with open(logfile, "rb") as f:
            lines = f.read().splitlines()
        closed = [i for i, line in enumerate(lines)
                  if line.endswith(b"(TCP Port %d Closed)" % int(m.group(1)))]
        self.assertEqual(len(closed), 1, lines[-5:])
        self.assertTrue(lines[-2].endswith(b" Main loop terminated."), lines[-5:])
        self.assertTrue(lines[-1].endswith(b"] Server Shut Down."), lines[-5:])
        self.assertLess(closed[0], len(lines) - 2)
        self.assertEqual(child.output, b"")  # nothing on the terminal

    @defer.inlineCallbacks
    def test_twistd_logger_module(self):
        logfile = os.path.join(support.temp_dir(self), "poetry-twistd.log")
        argv = support.twistd_argv("-n", "--pidfile", pidfile(self),
                                   "--logger", "poetry_logger.logger", "-y", FASTPOETRY_TAC)
        child = support.spawn(self, argv, env={
            "PYTHONPATH": support.path(APP), "POETRY_LOGFILE": logfile, "FASTPOETRY_PORT": "0"})
        m = yield poll(search_file(logfile, rb"PoetryFactory starting on (\d+)"), what="the port line")
        self.assertEqual((yield fetch(int(m.group(1)))), ECSTASY)
        yield poll(search_file(logfile, rb"sending 2804 bytes of poetry to IPv4Address"),
                   what="the sending line")
        self.assertEqual(child.output, b"")



def top_service(application):
    (top,) = list(service.IServiceCollection(application))
    return top


class ReloadTest(TestCase):

    def setUp(self):
        self.poem_file = os.path.join(support.temp_dir(self), "poem.txt")
        self.write(b"first version\n")
        self.top = top_service(load_tac(self, RELOAD, POETRY_FILE=self.poem_file,
                                        POETRY_PORT="0", POETRY_RELOAD="0.02"))
        (self.port,) = listening_ports(self.top)

    def write(self, data):
        with open(self.poem_file, "wb") as f:
            f.write(data)

    @defer.inlineCallbacks
    def served_soon(self, expected, timeout=5):
        """Fetch until the server sends `expected` (bounded)."""
        deadline = reactor.seconds() + timeout
        while True:
            poem = yield fetch(self.port)
            if poem == expected:
                return poem
            if reactor.seconds() > deadline:
                raise AssertionError(f"still serving {poem!r} after {timeout}s")
            yield task.deferLater(reactor, 0.02, lambda: None)

    @defer.inlineCallbacks
    def test_edits_are_served_without_a_restart(self):
        self.assertEqual((yield fetch(self.port)), b"first version\n")
        self.write(b"second version\n")
        yield self.served_soon(b"second version\n")

    @defer.inlineCallbacks
    def test_unreadable_file_keeps_the_old_poem(self):
        os.remove(self.poem_file)
        (poetry_service,) = [s for s in self.top if hasattr(s, "reload")]
        poetry_service.reload()  # what the timer does; must not fail
        self.assertEqual((yield fetch(self.port)), b"first version\n")
        self.write(b"back again\n")
        yield self.served_soon(b"back again\n")

    def test_timer_is_a_child_service(self):
        (timer,) = [s for s in self.top if isinstance(s, internet.TimerService)]
        self.assertEqual(timer.step, 0.02)
        self.assertTrue(timer.running)


class ReloadStartTest(TestCase):

    @defer.inlineCallbacks
    def test_a_poem_file_that_cannot_be_read_is_one_line_before_any_port(self):
        """With nothing read, the server served 0 bytes and warned every few
        seconds that it kept "the old poem". The port given is in use, so
        the line shows the file was checked before any port was bound."""
        missing = os.path.join(support.temp_dir(self), "poem.txt")
        taken = support.listen(self, ServerFactory())
        out, err, code = yield support.run(
            support.twistd_argv("-n", "--pidfile", pidfile(self), "-y", RELOAD),
            env={"POETRY_FILE": missing, "POETRY_PORT": str(taken)})
        self.assertEqual((out, err, code), (
            b"", f"poetry-reload.tac: cannot read POETRY_FILE {missing!r}: "
                 f"No such file or directory\n".encode(), 1))


class UnixSocketTest(TestCase):

    @defer.inlineCallbacks
    def test_same_poem_over_tcp_and_unix_socket(self):
        socket_path = os.path.join(support.temp_dir(self), "poetry.sock")
        top = top_service(load_tac(self, UNIX, POETRY_SOCKET=socket_path, POETRY_PORT="0",
                                   POETRY_FILE=support.path("poetry/science.txt")))
        (tcp_port,) = listening_ports(top)
        (unix_server,) = [s for s in top if isinstance(s, internet.UNIXServer)]
        (tcp_server,) = [s for s in top if isinstance(s, internet.TCPServer)]
        self.assertIs(unix_server.args[1], tcp_server.args[1])  # one factory for both
        proto = yield connectProtocol(UNIXClientEndpoint(reactor, socket_path, timeout=5),
                                      support.Collector())
        over_unix = yield support.with_timeout(proto.lost, 10, "the poem over the UNIX socket")
        over_tcp = yield fetch(tcp_port)
        self.assertEqual((over_unix, over_tcp), (SCIENCE, SCIENCE))

    @defer.inlineCallbacks
    def test_a_socket_another_server_holds_is_one_line(self):
        """The lock file beside the socket names a live server (this test's
        process): a second one says so in one line and exits 1."""
        socket_path = os.path.join(support.temp_dir(self), "poetry.sock")
        load_tac(self, UNIX, POETRY_SOCKET=socket_path, POETRY_PORT="0",
                 POETRY_FILE=support.path("poetry/science.txt"))
        pid = pidfile(self)
        out, err, code = yield support.run(
            support.twistd_argv("-n", "--pidfile", pid, "-y", UNIX),
            env={"POETRY_SOCKET": socket_path, "POETRY_PORT": "0"})
        self.assertEqual(code, 1)
        self.assertIn(f"[stderr#error] poetry-unix.tac: cannot listen on {socket_path}: "
                      f"another server is using it\n".encode(), out)
        self.assertNotIn(b"Traceback", out + err)
        self.assertFalse(os.path.exists(pid))
