"""SIGHUP for the hardened twistd services, `twistd transformpoetry` and
`twistd poetryproxy`.

SIGHUP's default action killed twistd on the spot: no log line, and a stale
pidfile. What it means now (both plugins' banners say so): with a log file,
re-open it, as rotation tools that move the file away expect; with no log
file (twistd -n logging to stdout, whose terminal went away), stop cleanly,
as SIGTERM does, so twistd removes its pidfile; with syslog, log it and go
on. twistd's own SIGUSR1 (rotate the log file) is left as it is.

The HangupService both plugins share (twisted/plugins/_hardened.py) is
checked in memory, and how each plugin sets it up by one spec
(TransformHangupSpec, ProxyHangupSpec); then each plugin runs for real
under twistd, one behaviour each.
"""

import os
import re
import signal

from twisted.internet import defer
from twisted.logger import Logger
from twisted.plugins import _hardened, poetryproxy_plugin, transformpoetry_plugin
from twisted.python.logfile import LogFile
from twisted.scripts.twistd import ServerOptions
from twisted.trial.unittest import TestCase

from tests import support
from tests.support import capture_log, fetch, netstring
from tests.support.spec import VersionSpec


class _Reactor:
    """Records reactor.stop()."""

    stopped = 0

    def stop(self):
        self.stopped += 1


class HangupServiceTest(TestCase):
    """The HangupService both plugins use (twisted/plugins/_hardened.py), in
    memory."""

    def setUp(self):
        self.log = capture_log(self, "hangup-test")
        self.logger = Logger(namespace="hangup-test")
        self.reactor = _Reactor()

    def hangup(self, logfile, **kw):
        return _hardened.HangupService(logfile, self.logger, reactor=self.reactor, **kw)

    def test_log_file_is_reopened(self):
        # A fresh directory, removed at cleanup (the one pidfile() makes).
        directory = os.path.dirname(support.pidfile(self))
        logfile = LogFile("twistd.log", directory)
        self.addCleanup(logfile.close)
        path = os.path.join(directory, "twistd.log")
        logfile.write("before\n")
        os.rename(path, path + ".1")  # what logrotate does first
        self.hangup(path).hangup()
        logfile.write("after\n")
        logfile.flush()
        with open(path + ".1") as f:
            self.assertEqual(f.read(), "before\n")
        with open(path) as f:
            self.assertEqual(f.read(), "after\n")
        self.assertEqual(self.log, [f"SIGHUP: re-opening the log file {path}.",
                                    f"SIGHUP: re-opened the log file {path}."])
        self.assertEqual(self.reactor.stopped, 0)

    def test_a_log_file_twistd_does_not_have_is_an_error_not_a_stop(self):
        # What SIGHUP does if twistd ever stops writing through a LogFile
        # that twistd_log_files can find (twistd's real run is
        # TwistdHangupTest): it says so, and serving goes on.
        path = os.path.join(os.path.dirname(support.pidfile(self)), "twistd.log")
        self.hangup(path).hangup()
        self.assertEqual(self.reactor.stopped, 0)
        self.assertEqual(self.log, [
            f"SIGHUP: twistd's log file {path} was not found, so it cannot be re-opened; "
            "still logging to the old file."])

    def test_no_log_file_stops_cleanly(self):
        self.hangup(None).hangup()
        self.assertEqual(self.reactor.stopped, 1)
        self.assertEqual(self.log, [
            "SIGHUP: no log file to re-open (logging to stdout); stopping."])

    def test_syslog_goes_on(self):
        self.hangup(None, syslog=True).hangup()
        self.assertEqual(self.reactor.stopped, 0)
        self.assertEqual(self.log, [
            "SIGHUP: logging to syslog, there is no log file to re-open."])

    def test_handler_is_installed_while_running_and_then_restored(self):
        before = signal.getsignal(signal.SIGHUP)
        self.addCleanup(signal.signal, signal.SIGHUP, before)
        hangup = self.hangup(None)
        hangup.privilegedStartService()  # twistd calls it before the reactor runs
        self.assertEqual(signal.getsignal(signal.SIGHUP), hangup.received)
        hangup.startService()
        hangup.stopService()
        self.assertEqual(signal.getsignal(signal.SIGHUP), before)


class Plugin:
    def __init__(self, id, module, namespace, args):
        self.id = id
        self.module = module
        self.namespace = namespace
        self.args = args  # the plugin's own options, for makeService


class HangupSpec(VersionSpec):
    """How each plugin's makeService sets up its HangupService."""

    rows = (
        Plugin("Transform", transformpoetry_plugin, "transformpoetry", []),
        Plugin("Proxy", poetryproxy_plugin, "poetryproxy", ["--server", "10001"]),
    )
    suffix = "HangupSpec"

    def test_make_service_finds_twistds_log_file(self):
        cases = [
            (["-n", "--logfile", "x.log"], os.path.abspath("x.log"), False),
            ([], os.path.abspath("twistd.log"), False),  # a daemon's default
            (["-n"], None, False),                        # stdout
            (["-n", "--logfile", "-"], None, False),      # stdout
            (["--syslog"], None, True),
        ]
        tapname = self.row.module.service_maker.tapname
        for twistd_args, logfile, syslog in cases:
            config = ServerOptions()
            config.parseOptions([*twistd_args, tapname, *self.row.args])
            top = list(self.row.module.service_maker.makeService(config.subOptions))
            # First, so that its handler is in place before the port line.
            hangup = top[0]
            self.assertIsInstance(hangup, _hardened.HangupService)
            self.assertEqual((hangup.logfile, hangup.syslog), (logfile, syslog), twistd_args)
            self.assertEqual(hangup.log.namespace, self.row.namespace)


globals().update(HangupSpec.makeTestCaseClasses())


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return b""


class TwistdHangupTest(TestCase):
    """The plugins run for real; SIGHUP sent to the twistd process."""

    @defer.inlineCallbacks
    def test_transformpoetry_reopens_its_log_file(self):
        pid = support.pidfile(self)
        tmp = os.path.dirname(pid)
        log = os.path.join(tmp, "twistd.log")
        server = support.spawn(self, support.twistd_argv(
            "-n", "--logfile", log, "--pidfile", pid, "transformpoetry", "--port", "0"), cwd=tmp)
        ready = re.compile(rb"Serving transforms on .*port=(\d+)\)")
        port = int((yield support.poll(lambda: ready.search(read(log)), what="the port line"))
                   .group(1))
        os.rename(log, log + ".1")
        server.signal("HUP")
        yield support.poll(lambda: b"SIGHUP: re-opened the log file" in read(log),
                           what="the re-opened log file")
        # Still serving, and logging into the new file.
        self.assertEqual((yield fetch(port, netstring(b"shout.A POEM"))), b"")
        yield support.poll(lambda: b"unknown transform 'shout'" in read(log),
                           what="the rejection in the new log file")
        server.signal("TERM")
        # twistd ends with the signal that stopped it, as Unix programs do.
        self.assertEqual((yield server.wait()), -signal.SIGTERM)
        self.assertFalse(os.path.exists(pid))
        old, new = read(log + ".1"), read(log)
        self.assertTrue(old.endswith(
            f"[transformpoetry#info] SIGHUP: re-opening the log file {log}.\n".encode()), old)
        self.assertNotIn(b"unknown transform", old)
        self.assertIn(f"[transformpoetry#info] SIGHUP: re-opened the log file {log}.\n".encode(),
                      new)
        self.assertIn(b"Server Shut Down.", new)

    @defer.inlineCallbacks
    def test_poetryproxy_logging_to_stdout_stops_cleanly(self):
        pid = support.pidfile(self)
        tmp = os.path.dirname(pid)
        server = yield support.start(self, support.twistd_argv(
            "-n", "--pidfile", pid, "poetryproxy", "--port", "0",
            "--server", support.refused_port(self)), cwd=tmp)
        self.assertTrue(os.path.exists(pid))
        server.signal("HUP")
        self.assertEqual((yield server.wait()), 0)
        self.assertFalse(os.path.exists(pid))
        self.assertIn(b"[poetryproxy#info] SIGHUP: no log file to re-open (logging to stdout); "
                      b"stopping.\n", server.output)
        self.assertIn(b"Server Shut Down.", server.output)
