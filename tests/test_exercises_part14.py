"""Part 14 exercises. Exercise 4, a transformation proxy that uses an
external transform server, is exercises/part-14/poetry-proxy-xform.py.
Exercises 2 (cache expiry) and 3 (one upstream fetch, with waiters) are done
by proxy 4.0, twisted-server/poetry-proxy-4.0.py; the tests at the bottom
show that behaviour in memory."""

from twisted.internet import defer, reactor
from twisted.internet.error import ConnectionDone
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.python.failure import Failure
from twisted.trial.unittest import TestCase

from tests import support
from tests.support import fetch, listen_transformer, netstring, poem_bytes, quiet

XPROXY = "exercises/part-14/poetry-proxy-xform.py"
PROXY4 = "twisted-server/poetry-proxy-4.0.py"
SCIENCE = poem_bytes("science.txt")


class TransformationProxyTest(TestCase):

    def setUp(self):
        self.out = quiet(self)
        module = support.load_script(XPROXY)
        self.upstream = listen_transformer(self)
        proxy = module.TransformProxy("127.0.0.1", self.upstream, reactor)
        self.port = support.listen(self, module.TransformProxyFactory(proxy))

    @defer.inlineCallbacks
    def test_request_passed_to_the_external_server(self):
        reply = yield fetch(self.port, send=netstring(b"cummingsify." + SCIENCE))
        self.assertEqual(reply, netstring(SCIENCE.lower()))
        self.assertEqual(self.out.getvalue(),
                         "Passing a cummingsify request to the transform server.\n")

    @defer.inlineCallbacks
    def test_refusals_behave_like_the_real_server(self):
        # Unknown transform: the real server closes, and so do we.
        replies = yield defer.gatherResults([
            fetch(self.port, send=netstring(b"nosuch.poem")),
            fetch(self.port, send=netstring(b"no dot at all")),
        ])
        self.assertEqual(replies, [b"", b""])
        self.assertIn("Transform failed: Connection was closed cleanly.", self.out.getvalue())

    @defer.inlineCallbacks
    def test_transform_server_down(self):
        module = support.load_script(XPROXY)
        proxy = module.TransformProxy("127.0.0.1", support.refused_port(self), reactor)
        port = support.listen(self, module.TransformProxyFactory(proxy))
        self.assertEqual((yield fetch(port, send=netstring(b"cummingsify.X"))), b"")
        self.assertIn("Transform failed: Connection was refused", self.out.getvalue())

    @defer.inlineCallbacks
    def test_both_sides_as_a_program(self):
        poems = support.serve(self, support.TestServerFactory(SCIENCE))
        server = yield support.start_script(
            self, XPROXY, poems, self.upstream, ready=rb"Proxying transforms on .*port=(\d+)")
        poem_port = int(support.PORT_RE.search(server.output).group(1))
        poem, transformed = yield defer.gatherResults([
            fetch(poem_port), fetch(server.port, send=netstring(b"cummingsify.ABC"))])
        self.assertEqual((poem, transformed), (SCIENCE, b"3:abc,"))
        self.assertEqual((yield fetch(poem_port)), SCIENCE)
        yield server.wait_for(b"Using cached poem.")


class Proxy40PointsTest(TestCase):
    """Exercises 2 and 3, in proxy 4.0, driven in memory."""

    def setUp(self):
        self.out = quiet(self)
        self.reactor = MemoryReactorClock()
        module = support.load_script(PROXY4)
        self.service = module.ProxyService("10.0.0.1", 10001, expiry=7200.0,
                                           reactor=self.reactor)

    def serve_upstream(self, index, poem):
        factory = self.reactor.tcpClients[index][2]
        proto = factory.buildProtocol(None)
        proto.makeConnection(StringTransport())
        proto.dataReceived(poem)
        proto.connectionLost(Failure(ConnectionDone()))

    def test_exercise_3_one_fetch_for_simultaneous_requests(self):
        waiters = [self.service.get_poem() for _ in range(3)]
        self.assertEqual(len(self.reactor.tcpClients), 1)
        for d in waiters:
            self.assertNoResult(d)
        self.serve_upstream(0, SCIENCE)
        self.assertEqual([self.successResultOf(d) for d in waiters], [SCIENCE] * 3)
        self.assertEqual(self.out.getvalue(), "Fetching poem from server.\n")

    def test_exercise_2_cached_poem_expires_after_two_hours(self):
        self.service.get_poem()
        self.serve_upstream(0, SCIENCE)
        self.reactor.advance(7199)
        self.assertEqual(self.successResultOf(self.service.get_poem()), SCIENCE)
        self.assertEqual(len(self.reactor.tcpClients), 1)
        self.reactor.advance(1)
        d = self.service.get_poem()
        self.assertEqual(len(self.reactor.tcpClients), 2)
        self.serve_upstream(1, b"a new poem\n")
        self.assertEqual(self.successResultOf(d), b"a new poem\n")
        self.assertEqual(self.out.getvalue().splitlines(), [
            "Fetching poem from server.", "Using cached poem.",
            "Cached poem expired.", "Fetching poem from server."])
