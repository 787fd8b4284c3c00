"""`twistd fastpoetry`: what its cheap per-connection logging still
promises (every connection logged, with its peer and byte count, nothing
lost when the service stops), and its --poem check (a FIFO or anything
that is not a regular file is a usage error, never a hang).

In memory: the ConnectionLog with task.Clock, the service's stop, and the
options. For real: twistd with --logfile and with --nodaemon to stdout,
each serving a burst of clients and then stopped with SIGTERM."""

import os
import re
import signal

from twisted.internet import defer, endpoints, protocol, reactor, task
from twisted.internet.address import IPv4Address
from twisted.logger import formatEvent
from twisted.python import usage
from twisted.trial.unittest import TestCase

from tests import support

plugin = support.load_script("twisted/plugins/fastpoetry_plugin.py")

SCIENCE = support.poem_bytes("science.txt")
STARTED = rb"PoetryFactory starting on (\d+)"
LINE = (rb"sending 663 bytes of poetry to IPv4Address\(type='TCP', "
        rb"host='127\.0\.0\.1', port=(\d+)\)")


def peer(port):
    return IPv4Address("TCP", "127.0.0.1", port)


class ConnectionLogTest(TestCase):
    """One event per reactor turn, one line per connection, in the text's words."""

    def setUp(self):
        self.clock = task.Clock()
        self.events = []
        self.conns = plugin.ConnectionLog(self.clock, observer=self.events.append)

    def lines(self, event):
        return formatEvent(event).split("\n")

    def test_lone_connection_is_the_texts_line(self):
        self.conns.sent(2804, peer(5555))
        self.assertEqual(self.events, [])  # not before the turn ends
        self.clock.advance(0)
        (event,) = self.events
        self.assertEqual(formatEvent(event), "sending 2804 bytes of poetry to "
                         "IPv4Address(type='TCP', host='127.0.0.1', port=5555)")
        self.assertEqual((event["log_namespace"], event["log_level"].name, event["count"]),
                         ("fastpoetry", "info", 1))
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_one_turn_is_one_event_with_a_line_per_connection(self):
        for port in (1001, 1002, 1003):
            self.conns.sent(663, peer(port))
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        self.clock.advance(0)
        (event,) = self.events
        self.assertEqual(self.lines(event), [
            f"sending 663 bytes of poetry to IPv4Address(type='TCP', host='127.0.0.1', "
            f"port={port})" for port in (1001, 1002, 1003)])
        # The next turn starts a new batch.
        self.conns.sent(663, peer(1004))
        self.clock.advance(0)
        self.assertEqual(len(self.events), 2)
        self.assertEqual(self.events[1]["count"], 1)

    def test_waiting_lines_are_bounded(self):
        conns = plugin.ConnectionLog(self.clock, limit=3, observer=self.events.append)
        for port in range(2000, 2007):
            conns.sent(10, peer(port))
        # Two full batches went at once; the seventh line waits for the turn.
        self.assertEqual([e["count"] for e in self.events], [3, 3])
        self.assertEqual(conns.pending, [(10, peer(2006))])
        self.clock.advance(0)
        self.assertEqual([e["count"] for e in self.events], [3, 3, 1])
        logged = [int(m) for e in self.events
                  for m in re.findall(r"port=(\d+)", formatEvent(e))]
        self.assertEqual(logged, list(range(2000, 2007)))

    def test_flush_writes_what_waits_and_cancels_the_turn_call(self):
        self.conns.sent(663, peer(7))
        self.conns.flush()
        self.assertEqual([e["count"] for e in self.events], [1])
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.conns.flush()  # nothing waiting: no empty event
        self.assertEqual(len(self.events), 1)


class ServiceStopTest(TestCase):
    """Stopping the service (what twistd does on SIGTERM) writes every line
    still waiting for the end of the turn, and leaves no call behind."""

    def test_stop_flushes_waiting_lines(self):
        svc = plugin.PoetryService(support.path("poetry/science.txt"))
        svc.startService()
        events = []
        svc.connections.log.observer = events.append
        for port in (3001, 3002):
            svc.connections.sent(len(svc.poem), peer(port))
        self.assertEqual(events, [])
        svc.stopService()
        (event,) = events
        self.assertEqual(re.findall(r"port=(\d+)", formatEvent(event)), ["3001", "3002"])
        self.assertIsNone(svc.connections.call)
        self.assertEqual([c for c in reactor.getDelayedCalls()
                          if c.func == svc.connections.flush], [])


class _Fetch(protocol.Protocol):
    """A client that remembers its own port, so the log can be checked
    against the peers that really connected."""

    def __init__(self):
        self.data = []
        self.done = defer.Deferred()

    def connectionMade(self):
        self.port = self.transport.getHost().port

    def dataReceived(self, data):
        self.data.append(data)

    def connectionLost(self, reason):
        self.done.callback((self.port, b"".join(self.data)))


class TwistdLoggingTest(TestCase):
    """The real plugin under twistd: a burst of clients, then SIGTERM; every
    connection is in the log, once, with the client's own port."""

    CLIENTS = 40

    def setUp(self):
        self.tmp = support.temp_dir(self, prefix="fastpoetry-")

    @defer.inlineCallbacks
    def burst(self, port):
        endpoint = endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", port, timeout=10)
        protos = yield defer.gatherResults([
            endpoints.connectProtocol(endpoint, _Fetch()) for _ in range(self.CLIENTS)])
        got = yield support.with_timeout(
            defer.gatherResults([p.done for p in protos]), 20, "the burst")
        self.assertEqual({data for _, data in got}, {SCIENCE})
        return sorted(port for port, _ in got)

    def check_log(self, text, client_ports):
        logged = sorted(int(p) for p in re.findall(LINE, text))
        self.assertEqual(logged, client_ports)
        # A clean stop: twistd shuts down, then re-raises SIGTERM so that
        # its parent sees how it ended (hence the signal as exit status).
        self.assertIn(b"Received SIGTERM, shutting down.", text)
        self.assertIn(b"Server Shut Down.", text)
        self.assertNotIn(b"Traceback", text)

    @defer.inlineCallbacks
    def test_logfile(self):
        logfile = os.path.join(self.tmp, "twistd.log")
        argv = support.twistd_argv("-n", "--pidfile=", f"--logfile={logfile}", "fastpoetry",
                                   "--port", "0", "--poem", support.path("poetry/science.txt"))
        # twistd -n --logfile prints nothing: all we wait for is its end.
        server = support.spawn(self, argv, cwd=self.tmp)

        def started():
            if os.path.exists(logfile):
                with open(logfile, "rb") as f:
                    return re.search(STARTED, f.read())

        m = yield support.poll(started, what="the port line in twistd.log")
        ports = yield self.burst(int(m.group(1)))
        server.signal("TERM")
        self.assertEqual((yield server.wait(10)), -signal.SIGTERM)
        with open(logfile, "rb") as f:
            self.check_log(f.read(), ports)

    @defer.inlineCallbacks
    def test_nodaemon_stdout(self):
        argv = support.twistd_argv("-n", "--pidfile=", "fastpoetry", "--port", "0",
                                   "--poem", support.path("poetry/science.txt"))
        server = yield support.start(self, argv, ready=STARTED, cwd=self.tmp)
        ports = yield self.burst(server.port)
        server.transport.signalProcess("TERM")
        yield server.wait(10)
        self.assertEqual(server.exit_code(), -signal.SIGTERM)
        self.check_log(server.watcher.out, ports)


class PoemMustBeARegularFileTest(TestCase):
    """Opening a FIFO for reading blocks until someone
    writes, so --poem naming one hung option checking with no output."""

    def setUp(self):
        self.tmp = support.temp_dir(self, prefix="fastpoetry-")
        self.fifo = os.path.join(self.tmp, "poem.fifo")
        os.mkfifo(self.fifo)
        # Hold the FIFO open read-write, so an open() for reading would not
        # block without the check: the test fails instead of hanging.
        fd = os.open(self.fifo, os.O_RDWR | os.O_NONBLOCK)
        self.addCleanup(os.close, fd)

    def message(self, path):
        return f"cannot read poem {path!r}: not a regular file"

    def test_fifo_is_a_usage_error(self):
        e = self.assertRaises(usage.UsageError, plugin.Options().parseOptions,
                              ["--poem", self.fifo])
        self.assertEqual(str(e), self.message(self.fifo))

    def test_directory_is_a_usage_error(self):
        e = self.assertRaises(usage.UsageError, plugin.Options().parseOptions,
                              ["--poem", self.tmp])
        self.assertEqual(str(e), self.message(self.tmp))

    @defer.inlineCallbacks
    def test_twistd_exits_with_usage_before_binding(self):
        out, err, code = yield support.run(
            support.twistd_argv("-n", "--pidfile=", "fastpoetry", "--port", "0",
                                "--poem", self.fifo), cwd=self.tmp, timeout=20)
        output = out + err
        self.assertEqual(code, 1, output)
        self.assertIn(self.message(self.fifo).encode(), output)
        self.assertIn(b"Usage: twistd [options]", output)
        self.assertIn(b"--poem=     The file containing the poem.", output)
        self.assertNotIn(b"starting on", output)
        self.assertNotIn(b"Traceback", output)
