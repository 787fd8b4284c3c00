"""Fault injection against the hardened transform server, `twistd
transformpoetry` (twisted/plugins/transformpoetry_plugin.py).

Every bad input in FAULTS is sent over loopback; the test checks that the
connection is closed with no reply, that the reason is logged through
twisted.logger, and that the server then still serves a good request. The
table runs twice: against the factory listening in this process (one test
per entry), and against the plugin run for real under twistd (one test for
the whole table). Timers and the connection limit are also checked in
memory, with StringTransport and Clock.
"""

import re

from twisted.internet import defer, endpoints, reactor, task
from twisted.internet.address import IPv4Address
from twisted.internet.testing import StringTransport
from twisted.plugins import transformpoetry_plugin as plugin
from twisted.python import usage
from twisted.trial.unittest import TestCase

from tests import support
from tests.support import capture_log, fetch, netstring
from tests.support.spec import Row, VersionSpec, camel_id

GOOD = netstring(b"cummingsify.HERE IS MY POEM")
GOOD_REPLY = b"15:here is my poem,"
IDLE = 0.2  # the idle timeout the servers under test run with, in seconds

# name, bytes the client sends, what the server must log about it
FAULTS = [
    ("unknown_transform", netstring(b"shout.A POEM"), "unknown transform 'shout'"),
    ("no_dot", netstring(b"cummingsify A POEM"),
     "bad request: no '.' after the transform name in 'cummingsify A POEM'"),
    ("dunder_name", netstring(b"__class__.A POEM"), "unknown transform '__class__'"),
    ("private_name", netstring(b"_private.A POEM"), "unknown transform '_private'"),
    ("empty_name", netstring(b".A POEM"), "unknown transform ''"),
    ("factory_method_name", netstring(b"transform.A POEM"), "unknown transform 'transform'"),
    ("not_utf8", netstring(b"cummingsify.\xff\xfe"),
     "not UTF-8: invalid start byte at byte 12"),
    ("over_long", b"100000:" + b"A" * 64,
     "too long: a netstring of 100000 bytes, over the limit of 99999"),
    ("huge_length_prefix", b"12345678901234567890:",
     "too long: a netstring of 1234567890123456... bytes, over the limit of 99999"),
    ("no_length", b"cummingsify.A POEM,", "malformed netstring: it starts 'cummingsify.A PO'"),
    ("leading_zero", b"007:A.B,", "malformed netstring: it starts '007:A.B,'"),
    ("negative_length", b"-3:A.B,", "malformed netstring: it starts '-3:A.B,'"),
    ("missing_comma", b"3:A.B;", "malformed netstring: it starts '3:A.B;'"),
    ("idle_sends_nothing", None,
     f"Closed an idle connection from {{peer}}: nothing for {IDLE:g}s, 0 bytes of a request received"),
    ("half_a_netstring", b"27:cummingsify.HERE",
     f"Closed an idle connection from {{peer}}: nothing for {IDLE:g}s, 19 bytes of a request received"),
]


def reason_pattern(reason):
    """The log line for a reason, as a regex; {peer} is any address."""
    return re.escape(reason).replace(re.escape("{peer}"), r"127\.0\.0\.1:\d+")


class InProcess:
    """The plugin's factory listening in this process, its log captured."""

    def setUp(self):
        self.log = capture_log(self)
        factory = plugin.TransformFactory(plugin.TransformService(), timeout=IDLE)
        self.port = support.listen(self, factory)

    @defer.inlineCallbacks
    def check_fault(self, sent, reason):
        reply = yield fetch(self.port, sent)
        self.assertEqual(reply, b"")
        self.assertEqual(len(self.log), 1, self.log)
        self.assertRegex(self.log[0], r"^(Rejected a request from 127\.0\.0\.1:\d+: |Closed an idle)")
        self.assertRegex(self.log[0], reason_pattern(reason) + "$")
        # ... and the server is still there for the next client.
        self.assertEqual((yield fetch(self.port, GOOD)), GOOD_REPLY)
        self.assertEqual(len(self.log), 1)



class InProcessFaultsTest(InProcess, TestCase):
    """Good requests against the factory listening in this process (the
    faults: FaultSpec)."""

    @defer.inlineCallbacks
    def test_good_request_logs_nothing(self):
        self.assertEqual((yield fetch(self.port, GOOD)), GOOD_REPLY)
        self.assertEqual(self.log, [])

    @defer.inlineCallbacks
    def test_second_request_on_one_connection_is_ignored(self):
        # One request per connection, as in the text: the reply, then close.
        reply = yield fetch(self.port, GOOD + netstring(b"shout.MORE"))
        self.assertEqual(reply, GOOD_REPLY)
        self.assertEqual(self.log, [])


class FaultSpec(InProcess, VersionSpec):
    """Each fault of FAULTS against the plugin's factory listening in this
    process, one class per fault (UnknownTransformFaultSpec, ...)."""

    rows = tuple(Row(camel_id(name), sent=sent, reason=reason) for name, sent, reason in FAULTS)
    suffix = "FaultSpec"

    def test_closed_logged_and_still_serving(self):
        return self.check_fault(self.row.sent, self.row.reason)


globals().update(FaultSpec.makeTestCaseClasses())


class ExplodingFactory(plugin.TransformFactory):

    def xform_explode(self, poem):
        raise ValueError("this transform always fails")


class ProtocolTest(TestCase):
    """The protocol in memory: StringTransport for the wire, Clock for time."""

    def setUp(self):
        self.log = capture_log(self)
        self.clock = task.Clock()

    def connect(self, factory):
        proto = factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 40000))
        transport = StringTransport(peerAddress=IPv4Address("TCP", "127.0.0.1", 40000))
        proto.makeConnection(transport)
        return proto, transport

    def factory(self, **kw):
        return plugin.TransformFactory(plugin.TransformService(), clock=self.clock, **kw)

    def test_default_idle_timeout_is_30_seconds_and_data_resets_it(self):
        options = plugin.Options()
        options.parseOptions([])
        proto, transport = self.connect(self.factory(timeout=options["timeout"]))
        self.assertEqual(options["timeout"], 30.0)
        self.clock.advance(29.9)
        proto.dataReceived(b"27:")
        self.clock.advance(29.9)
        self.assertFalse(transport.disconnecting)
        self.clock.advance(0.1)
        self.assertTrue(transport.disconnecting)
        self.assertEqual(self.log, [
            "Closed an idle connection from 127.0.0.1:40000: nothing for 30s, "
            "3 bytes of a request received"])
        proto.connectionLost(None)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_answer_cancels_the_idle_timer(self):
        proto, transport = self.connect(self.factory())
        proto.dataReceived(GOOD)
        self.assertEqual(transport.value(), GOOD_REPLY)
        self.assertTrue(transport.disconnecting)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_rejection_cancels_the_idle_timer(self):
        proto, transport = self.connect(self.factory())
        proto.dataReceived(netstring(b"__class__.x"))
        self.assertEqual((transport.value(), transport.disconnecting), (b"", True))
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_failing_transform_is_logged_not_unhandled(self):
        factory = ExplodingFactory(plugin.TransformService(), clock=self.clock)
        proto, transport = self.connect(factory)
        proto.dataReceived(netstring(b"explode.A POEM"))
        self.assertEqual((transport.value(), transport.disconnecting), (b"", True))
        self.assertEqual(self.log, ["Transform 'explode' failed for 127.0.0.1:40000"])
        errors = self.flushLoggedErrors(ValueError)
        self.assertEqual(len(errors), 1)

    def test_netstring_split_across_packets(self):
        proto, transport = self.connect(self.factory())
        for byte in GOOD:
            proto.dataReceived(bytes([byte]))
        self.assertEqual(transport.value(), GOOD_REPLY)
        self.assertEqual(self.log, [])

    def test_too_long_prefix_split_across_packets(self):
        proto, transport = self.connect(self.factory())
        for chunk in (b"10", b"0000", b":AB"):
            proto.dataReceived(chunk)
        self.assertTrue(transport.disconnecting)
        self.assertEqual(self.log, [
            "Rejected a request from 127.0.0.1:40000: too long: a netstring of "
            "100000 bytes, over the limit of 99999"])

    def test_connection_limit(self):
        factory = self.factory(max_connections=2)
        addr = IPv4Address("TCP", "127.0.0.1", 40001)
        first, _ = self.connect(factory)
        self.connect(factory)
        self.assertIsNone(factory.buildProtocol(addr))
        self.assertEqual(self.log, [
            "Refused a connection from 127.0.0.1: too many connections "
            "(2 open, the limit is 2)"])
        first.connectionLost(None)
        self.assertIsNotNone(factory.buildProtocol(addr))

    def test_options_reject_bad_values(self):
        for args, message in [
            (["--timeout", "0"], "Parameter type enforcement failed: 0 is not a positive number of seconds"),
            (["--timeout", "soon"], "Parameter type enforcement failed: could not convert string to float: 'soon'"),
            (["--max-connections", "-1"], "Parameter type enforcement failed: -1 is negative"),
            (["--port", "65536"], "Parameter type enforcement failed: 65536 is not a port number"),
            (["--backlog", "0"], "--backlog must be at least 1."),
            (["--colour", "red"], "option --colour not recognized"),
        ]:
            e = self.assertRaises(usage.UsageError, plugin.Options().parseOptions, args)
            self.assertEqual(str(e), message, args)


class HeldConnections:
    """Client connections that stay open, sending nothing, until asked to
    send their request."""

    def __init__(self, testcase, port):
        self.endpoint = endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", port, timeout=10)
        self.protocols = []
        testcase.addCleanup(self.drop)

    @defer.inlineCallbacks
    def open(self, n):
        for _ in range(n):
            proto = yield support.with_timeout(
                endpoints.connectProtocol(self.endpoint, support.Collector()), 10, "connect")
            self.protocols.append(proto)

    def ask(self, request):
        """Send the request on each connection; fire with the replies once
        the server has closed every one. (A close from our side would not
        tell us the server has let go of its end.)"""
        protocols, self.protocols = self.protocols, []
        for proto in protocols:
            proto.transport.write(request)
        replies = defer.gatherResults([proto.lost for proto in protocols])
        return support.with_timeout(replies, 10, "replies on the held connections")

    def drop(self):
        for proto in self.protocols:
            proto.transport.abortConnection()


class TwistdTransformTest(TestCase):
    """The plugin run for real: `twistd -n transformpoetry`."""

    READY = rb"Serving transforms on IPv4Address\(type='TCP', host='127\.0\.0\.1', port=(\d+)\)\."

    def start(self, *options):
        argv = support.twistd_argv("-n", "--pidfile=", "transformpoetry", "--port", "0", *options)
        return support.start(self, argv, ready=self.READY)

    @defer.inlineCallbacks
    def test_every_fault_is_logged_and_the_server_keeps_serving(self):
        server = yield self.start("--timeout", str(IDLE))
        for name, sent, reason in FAULTS:
            self.assertEqual((yield fetch(server.port, sent)), b"", name)
            yield server.wait_for(reason_pattern(reason).encode())
            self.assertEqual((yield fetch(server.port, GOOD)), GOOD_REPLY, name)
        self.assertEqual(server.output.count(b"[transformpoetry#warn]"), len(FAULTS))
        self.assertNotIn(b"Unhandled", server.output)
        self.assertNotIn(b"Traceback", server.output)

    @defer.inlineCallbacks
    def test_connection_limit(self):
        server = yield self.start("--max-connections", "2")
        held = HeldConnections(self, server.port)
        yield held.open(2)
        # The kernel queues the third connection behind the two held ones,
        # so the server has both open when it accepts it.
        self.assertEqual((yield fetch(server.port)), b"")
        yield server.wait_for(rb"Refused a connection from 127\.0\.0\.1: too many "
                              rb"connections \(2 open, the limit is 2\)")
        # The held clients are still served; once they are done, new ones are.
        self.assertEqual((yield held.ask(GOOD)), [GOOD_REPLY] * 2)
        self.assertEqual((yield fetch(server.port, GOOD)), GOOD_REPLY)
        self.assertNotIn(b"Traceback", server.output)
