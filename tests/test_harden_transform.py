"""`twistd transformpoetry` against slowloris, and
twisted-server/transform-test on any netcat, or none.

Slowloris: the idle timer restarts on every byte, so a client sending a byte
at a time held its connection, and a --max-connections slot, for ever. A
request must now be complete within --request-timeout seconds of its first
byte. Checked in memory with task.Clock, and once over loopback, where two
trickling clients fill --max-connections 2 and are cut off, after which a
good request is served again.
"""

import os
import stat

from twisted.internet import defer, endpoints, protocol, reactor, task
from twisted.internet.address import IPv4Address
from twisted.internet.testing import StringTransport
from twisted.plugins import transformpoetry_plugin as plugin
from twisted.python import usage
from twisted.trial.unittest import TestCase

from tests import support
from tests.support import PYTHON, capture_log, fetch, netstring

GOOD = netstring(b"cummingsify.HERE IS MY POEM")
GOOD_REPLY = b"15:here is my poem,"
LONG = netstring(b"cummingsify." + b"A" * 500)  # 506 bytes: slow to trickle
PEER = "127.0.0.1:40000"


class SlowRequestInMemoryTest(TestCase):
    """The request deadline, with StringTransport and task.Clock."""

    def setUp(self):
        self.log = capture_log(self)
        self.clock = task.Clock()

    def connect(self, **kw):
        factory = plugin.TransformFactory(plugin.TransformService(), clock=self.clock, **kw)
        proto = factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 40000))
        transport = StringTransport(peerAddress=IPv4Address("TCP", "127.0.0.1", 40000))
        proto.makeConnection(transport)
        return proto, transport

    def trickle(self, proto, data, every=1.0):
        """A byte every `every` seconds (the idle timer never fires)."""
        for i in range(len(data)):
            proto.dataReceived(data[i:i + 1])
            self.clock.advance(every)

    def test_slow_request_is_closed_at_the_deadline(self):
        proto, transport = self.connect(timeout=30, request_timeout=60)
        self.trickle(proto, LONG[:59])  # bytes at t = 0 ... 58; now t = 59
        self.assertFalse(transport.disconnecting)
        self.assertEqual(self.log, [])
        proto.dataReceived(LONG[59:60])  # t = 59
        self.clock.advance(1)            # t = 60: 60 s after the first byte
        self.assertTrue(transport.disconnecting)
        self.assertEqual(transport.value(), b"")
        self.assertEqual(self.log, [
            f"Closed a slow request from {PEER}: not complete within 60s of its "
            "first byte, 60 bytes received"])
        # The rest of a request that was cut off is ignored; no timer is left.
        proto.dataReceived(LONG[60:])
        self.assertEqual(transport.value(), b"")
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_deadline_counts_from_the_first_byte_not_the_connection(self):
        proto, transport = self.connect(timeout=30, request_timeout=60)
        self.clock.advance(20)                # connected, silent, not yet idle
        self.trickle(proto, LONG[:8], every=10)  # first byte at t = 20
        self.assertEqual(self.clock.seconds(), 100)
        self.assertTrue(transport.disconnecting)
        self.assertEqual(self.log, [
            f"Closed a slow request from {PEER}: not complete within 60s of its "
            "first byte, 6 bytes received"])

    def test_request_in_time_is_answered_and_cancels_the_deadline(self):
        proto, transport = self.connect(timeout=30, request_timeout=60)
        self.trickle(proto, GOOD, every=1.5)  # 31 bytes, the last at t = 45
        self.assertEqual(transport.value(), GOOD_REPLY)
        self.assertEqual(self.log, [])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_rejected_request_and_lost_connection_cancel_the_deadline(self):
        proto, transport = self.connect()
        proto.dataReceived(b"x:")  # malformed: rejected at once
        self.assertTrue(transport.disconnecting)
        self.assertEqual(self.clock.getDelayedCalls(), [])
        proto, transport = self.connect()
        proto.dataReceived(GOOD[:5])
        proto.connectionLost(None)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_client_bytes_are_logged_as_text_never_bytes(self):
        # The log used to show "it starts b'007:cummingsify,'".
        cases = [(b"007:cummingsify,", "'007:cummingsify,'"),
                 (b"\xff\xfe:\r\n", r"'\xff\xfe:\r\n'"),  # escaped: one line
                 ("x:é'".encode(), r"'x:é\''")]
        for sent, _ in cases:
            proto, transport = self.connect()
            proto.dataReceived(sent)
            self.assertTrue(transport.disconnecting)
        self.assertEqual(self.log, [
            f"Rejected a request from {PEER}: malformed netstring: it starts {shown}"
            for _, shown in cases])

    def test_option_default_60_and_bad_values(self):
        options = plugin.Options()
        options.parseOptions([])
        self.assertEqual(options["request-timeout"], 60.0)
        options = plugin.Options()
        options.parseOptions(["--request-timeout", "2.5"])
        self.assertEqual(options["request-timeout"], 2.5)
        for bad in ["0", "-1", "inf", "soon"]:
            self.assertRaises(usage.UsageError, plugin.Options().parseOptions,
                              ["--request-timeout", bad])
        service = plugin.service_maker.makeService(options)
        (listening,) = [s for s in service if isinstance(s, plugin.ListeningService)]
        self.assertEqual(listening.factory.request_timeout, 2.5)


class _Trickler(protocol.Protocol):
    """Sends `data` one byte every `every` seconds; `lost` fires with the
    reactor time the server closed the connection."""

    def __init__(self, data, every):
        self.data = data
        self.every = every
        self.lost = defer.Deferred()
        self.gone = defer.Deferred()  # for the cleanup only
        self.first_byte_at = None

    def connectionMade(self):
        self.sent = 0
        self.sending = task.LoopingCall(self.send_one)

    def start(self):
        """Send the first byte now, then one every `every` seconds."""
        self.sending.start(self.every, now=True)

    def send_one(self):
        if self.sent < len(self.data):
            if self.first_byte_at is None:
                self.first_byte_at = reactor.seconds()
            self.transport.write(self.data[self.sent:self.sent + 1])
            self.sent += 1

    def connectionLost(self, reason):
        if self.sending.running:
            self.sending.stop()
        self.gone.callback(None)
        self.lost.callback(reactor.seconds())

    def drop(self):
        """At cleanup: hang up if the server has not, and wait till gone."""
        if not self.gone.called:
            self.transport.abortConnection()
        return self.gone


class SlowlorisLoopbackTest(TestCase):
    """Two tricklers fill --max-connections 2; the deadline frees the slots."""

    @defer.inlineCallbacks
    def test_tricklers_are_cut_off_and_the_server_serves_again(self):
        log = capture_log(self)
        factory = plugin.TransformFactory(plugin.TransformService(), timeout=10,
                                          max_connections=2, request_timeout=0.2)
        port = support.listen(self, factory)
        endpoint = endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", port, timeout=10)
        tricklers = []
        for _ in range(2):
            trickler = yield support.with_timeout(
                endpoints.connectProtocol(endpoint, _Trickler(LONG, every=0.02)), 10, "connect")
            self.addCleanup(trickler.drop)
            tricklers.append(trickler)
        # While they are connected, both slots are taken: a third client is
        # refused. Then they trickle; the deadline runs from the first byte.
        self.assertEqual((yield fetch(port, GOOD)), b"")
        for trickler in tricklers:
            trickler.start()
        closed_at = yield support.with_timeout(
            defer.gatherResults([t.lost for t in tricklers]), 10, "the tricklers to be cut off")
        for trickler, at in zip(tricklers, closed_at, strict=True):
            self.assertGreaterEqual(at - trickler.first_byte_at, 0.2)
            self.assertLess(trickler.sent, len(LONG))
        slow = [line for line in log if line.startswith("Closed a slow request from 127.0.0.1:")]
        self.assertEqual(len(slow), 2, log)
        for line in slow:
            self.assertRegex(line, r"not complete within 0\.2s of its first byte, \d+ bytes received$")
        self.assertEqual((yield fetch(port, GOOD)), GOOD_REPLY)


FAKE_NCAT = """\
#!/bin/sh
# Like ncat, the nc of Fedora and RHEL: no -q option.
echo "Ncat: Unknown option -q" >&2
exit 2
"""


class TransformTestScriptTest(TestCase):
    """twisted-server/transform-test sends with Python whatever netcat the
    system has (here an ncat-like `nc` on PATH, which rejects -q)."""

    def setUp(self):
        bin_dir = support.temp_dir(self)
        nc = os.path.join(bin_dir, "nc")
        with open(nc, "w") as f:
            f.write(FAKE_NCAT)
        os.chmod(nc, stat.S_IRWXU)
        self.env = {"PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""), "PYTHON": PYTHON}

    def run_script(self, port):
        return support.run(["sh", support.path("twisted-server/transform-test"), str(port)],
                           env=self.env)

    @defer.inlineCallbacks
    def test_prints_the_texts_reply(self):
        port = support.listen(self, plugin.TransformFactory(plugin.TransformService()))
        self.assertEqual((yield self.run_script(port)), (b"15:here is my poem,\n", b"", 0))

    @defer.inlineCallbacks
    def test_dead_port_is_one_line_and_exit_1(self):
        port = support.refused_port(self)
        self.assertEqual((yield self.run_script(port)), (
            b"", f"transform-test: cannot talk to localhost:{port}: "
                 "[Errno 111] Connection refused\n".encode(), 1))

    @defer.inlineCallbacks
    def test_no_reply_is_one_line_and_exit_1(self):
        port = support.serve(self, support.TestServerFactory(poem=b"", close=True))
        self.assertEqual((yield self.run_script(port)), (
            b"", f"transform-test: the server on localhost:{port} closed the connection "
                 "without a reply\n".encode(), 1))

    @defer.inlineCallbacks
    def test_port_out_of_range_is_a_usage_error(self):
        out, err, code = yield self.run_script(70000)
        self.assertEqual((out, code), (b"", 2))
        self.assertTrue(err.endswith(b" PORT (PORT must be from 1 to 65535, not '70000')\n"), err)
