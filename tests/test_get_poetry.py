"""Today's client, twisted-client/get-poetry.py: its protocols in memory,
its timeout on a fake clock, its command line, and end-to-end runs for each
option and each kind of failure.

The shared spec in test_clients.py already runs it against paced servers,
a dead port and every server version; this module covers what only this
client does.
"""

import contextlib
import io

from twisted.internet import defer, protocol
from twisted.internet.error import ConnectionDone, ConnectionLost
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase, TestCase

from tests import support
from tests.support import listen, load_script, poem_bytes, refused_port, run_script, serve

gp = load_script("twisted-client/get-poetry.py")
xform_server = load_script("twisted-server/transformedpoetry-1.0.py")
slow = load_script("twisted-server/slowpoetry.py")

CLIENT = "twisted-client/get-poetry.py"
REFUSED = "Connection was refused by other side"


def text(name):
    return poem_bytes(name).decode("utf-8")


class PoetryProtocolTest(SynchronousTestCase):
    """A poem is what arrives before a clean close, and nothing else."""

    def connect(self):
        proto = gp.PoetryProtocol()
        transport = StringTransport()
        proto.makeConnection(transport)
        return proto, transport, proto.finished

    def test_clean_close_is_the_poem(self):
        proto, _, d = self.connect()
        data = poem_bytes("alla-sera.txt")
        # Split inside a two-byte character: only the whole is decoded.
        cut = data.index("ï".encode()) + 1
        proto.dataReceived(data[:cut])
        proto.dataReceived(data[cut:])
        proto.connectionLost(Failure(ConnectionDone()))
        self.assertEqual(self.successResultOf(d), data.decode("utf-8"))

    def test_reset_is_a_failure(self):
        proto, _, d = self.connect()
        proto.dataReceived(b"Half a poem")
        proto.connectionLost(Failure(ConnectionLost("reset")))
        self.failureResultOf(d, ConnectionLost)

    def test_nothing_is_a_failure(self):
        proto, _, d = self.connect()
        proto.connectionLost(Failure(ConnectionDone()))
        f = self.failureResultOf(d, gp.PoetryError)
        self.assertIn("without sending a poem", str(f.value))

    def test_cut_inside_a_character_is_a_failure(self):
        proto, _, d = self.connect()
        proto.dataReceived("quïete".encode()[:3])
        proto.connectionLost(Failure(ConnectionDone()))
        f = self.failureResultOf(d, gp.PoetryError)
        self.assertIn("not UTF-8", str(f.value))

    def test_cancel_drops_the_connection(self):
        proto, transport, d = self.connect()
        d.cancel()
        self.failureResultOf(d, defer.CancelledError)
        self.assertTrue(transport.disconnected)
        # The close that follows must not fire the Deferred again.
        proto.connectionLost(Failure(ConnectionDone()))


class TransformClientProtocolTest(SynchronousTestCase):

    def connect(self, name="cummingsify", poem="Ïl Poema"):
        proto = gp.TransformClientProtocol(name, poem)
        transport = StringTransport()
        proto.makeConnection(transport)
        return proto, transport, proto.finished

    def test_request_and_reply(self):
        proto, transport, d = self.connect()
        self.assertEqual(transport.value(), support.netstring("cummingsify.Ïl Poema".encode()))
        proto.dataReceived(support.netstring("ïl poema".encode()))
        self.assertEqual(self.successResultOf(d), "ïl poema")
        self.assertTrue(transport.disconnecting)
        proto.connectionLost(Failure(ConnectionDone()))

    def test_close_without_reply_is_a_failure(self):
        proto, _, d = self.connect(name="nosuch")
        proto.connectionLost(Failure(ConnectionDone()))
        f = self.failureResultOf(d, gp.PoetryError)
        self.assertIn("without a reply", str(f.value))


class TimeoutTest(SynchronousTestCase):
    """The timeout covers connecting and the whole download, on a fake clock."""

    def start(self):
        reactor = MemoryReactorClock()
        d = gp.with_timeout(reactor, gp.get_poetry(reactor, "127.0.0.1", 10002), 5)
        host, port, factory, timeout, bind = reactor.tcpClients[0]
        self.assertEqual((host, port), ("127.0.0.1", 10002))
        return reactor, d, factory

    def test_connect_timeout(self):
        reactor, d, _ = self.start()
        reactor.advance(4.9)
        self.assertNoResult(d)
        reactor.advance(0.1)
        self.failureResultOf(d, defer.TimeoutError)
        self.assertTrue(reactor.connectors[0].stoppedConnecting)

    def test_silent_server_is_cut_off(self):
        reactor, d, factory = self.start()
        proto = factory.buildProtocol(None)
        transport = StringTransport()
        proto.makeConnection(transport)
        reactor.advance(3)
        proto.dataReceived(b"some of a poem")  # data does not reset the clock
        reactor.advance(2)
        self.failureResultOf(d, defer.TimeoutError)
        self.assertTrue(transport.disconnected)
        self.assertEqual(reactor.getDelayedCalls(), [])

    def test_poem_in_time(self):
        reactor, d, factory = self.start()
        proto = factory.buildProtocol(None)
        proto.makeConnection(StringTransport())
        proto.dataReceived(b"A poem\n")
        proto.connectionLost(Failure(ConnectionDone()))
        self.assertEqual(self.successResultOf(d), "A poem\n")
        self.assertEqual(reactor.getDelayedCalls(), [])


    def test_the_timeout_says_how_long_in_words(self):
        for seconds, words in ((1, "1 second"), (0.5, "0.5 seconds"), (10, "10 seconds")):
            self.assertEqual(gp.describe(defer.TimeoutError(), seconds),
                             f"no answer within {words}")


class CommandLineTest(SynchronousTestCase):

    def parse(self, *argv):
        return gp.parse_args(list(argv))

    def usage_error(self, *argv):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), self.assertRaises(SystemExit) as cm:
            self.parse(*argv)
        self.assertEqual(cm.exception.code, 2)
        self.assertIn("usage:", err.getvalue())
        return err.getvalue()

    def test_compatible_with_8_0(self):
        args = self.parse("10001", "10002", "example.org:10003")
        self.assertEqual(args.xform_addr, ("127.0.0.1", 10001))
        self.assertEqual(args.addresses, [("127.0.0.1", 10002), ("example.org", 10003)])
        self.assertEqual((args.transform, args.timeout), ("cummingsify", gp.DEFAULT_TIMEOUT))

    def test_options(self):
        args = self.parse("--no-transform", "--timeout", "2.5", "10002")
        self.assertEqual((args.xform_addr, args.addresses, args.timeout),
                         (None, [("127.0.0.1", 10002)], 2.5))
        self.assertEqual(self.parse("--transform", "shout", "1", "2").transform, "shout")

    def test_usage_errors(self):
        self.usage_error()
        self.assertIn("the port must be a number", self.usage_error("10001", "x"))
        self.assertIn("no such port", self.usage_error("10001", "70000"))
        self.assertIn("at least one poetry server", self.usage_error("10001"))
        self.assertIn("invalid timeout", self.usage_error("--timeout", "0", "1", "2"))
        self.assertIn("invalid timeout", self.usage_error("--timeout", "soon", "1", "2"))
        self.assertIn("invalid transform name", self.usage_error("--transform", "a.b", "1", "2"))
        self.assertIn("not allowed with", self.usage_error("--transform", "x", "--no-transform", "1"))


class Reset(protocol.Protocol):
    """Sends half a poem, then resets the connection."""

    def connectionMade(self):
        self.transport.write(self.factory.poem[: len(self.factory.poem) // 2])
        self.transport.abortConnection()


class EndToEndTest(TestCase):
    """The real client against servers in this process (the transform
    server and the slow server are the repository's own code)."""

    def paced(self, name, num_bytes=200, delay=0.03):
        return serve(self, slow_factory(poem_bytes(name), num_bytes, delay))

    def xform(self):
        return listen(self, xform_server.TransformFactory(xform_server.TransformService()))

    @defer.inlineCallbacks
    def test_options(self):
        x = self.xform()
        # The first poem takes longest, so arrival order is not argument order.
        first, second = self.paced("science.txt", 100), self.paced("fascination.txt", 300)
        third = serve(self, support.TestServerFactory(poem=poem_bytes("alla-sera.txt")))
        runs = yield defer.gatherResults([
            run_script(CLIENT, x, first, second, f"localhost:{third}"),
            run_script(CLIENT, "--no-transform", first, third),
            run_script(CLIENT, "--transform", "nosuch", x, second),
            run_script(CLIENT),
        ])
        default, plain, unknown, usage = runs
        self.assertEqual(default, (
            "".join(text(n).lower() + "\n"
                    for n in ("science.txt", "fascination.txt", "alla-sera.txt")).encode(),
            b"", 0))
        self.assertEqual(plain, (
            (text("science.txt") + "\n" + text("alla-sera.txt") + "\n").encode(), b"", 0))
        self.assertEqual(unknown, (
            (text("fascination.txt") + "\n").encode(),
            f"The nosuch transform of the poem from 127.0.0.1:{second} failed (the transform "
            f"server closed the connection without a reply); here it is untransformed.\n"
            .encode(), 0))
        out, err, code = usage
        self.assertEqual((out, code), (b"", 2))
        self.assertTrue(err.startswith(b"usage: get-poetry.py"), err)
        self.assertNotIn(b"Traceback", err)

    @defer.inlineCallbacks
    def test_failures(self):
        x = self.xform()
        good = serve(self, support.TestServerFactory(poem=poem_bytes("science.txt")))
        silent = serve(self, support.TestServerFactory(poem=None))
        reset_factory = protocol.ServerFactory.forProtocol(Reset)
        reset_factory.poem = poem_bytes("ecstasy.txt")
        reset = listen(self, reset_factory)
        dead, dead_xform = refused_port(self), refused_port(self)
        runs = yield defer.gatherResults([
            run_script(CLIENT, "--timeout", "0.5", x, silent, good, dead, reset),
            run_script(CLIENT, dead_xform, good),
            run_script(CLIENT, "--timeout", "0.5", silent, good),
        ])
        mixed, no_xform, silent_xform = runs
        out, err, code = mixed
        self.assertEqual((out, code), ((text("science.txt").lower() + "\n").encode(), 1))
        lines = err.decode().splitlines()
        self.assertEqual(len(lines), 3, lines)
        self.assertEqual(lines[0], f"The poem download from 127.0.0.1:{silent} failed: "
                                   "no answer within 0.5 seconds")
        self.assertTrue(lines[1].startswith(
            f"The poem download from 127.0.0.1:{dead} failed: {REFUSED}"), lines[1])
        # A reset before Twisted has seen the connection made is a connect error.
        self.assertRegex(lines[2], rf"^The poem download from 127\.0\.0\.1:{reset} failed: "
                                   r"(Connection to the other side was lost in a non-clean "
                                   r"fashion|.*Connection reset by peer)")
        for run, why in ((no_xform, REFUSED), (silent_xform, "no answer within 0.5 seconds")):
            out, err, code = run
            self.assertEqual((out, code), ((text("science.txt") + "\n").encode(), 0))
            self.assertTrue(err.decode().startswith(
                f"The cummingsify transform of the poem from 127.0.0.1:{good} failed ({why}"),
                err)
            self.assertTrue(err.endswith(b"; here it is untransformed.\n"), err)


def slow_factory(poem, num_bytes, delay):
    factory = slow.PoetryFactory(poem, num_bytes, delay)

    factory.drop_all = lambda: support.abort_all(factory.clients)
    return factory
