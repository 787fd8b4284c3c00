"""Part 11 exercises: a select() server with no Twisted, a reactor server
with our own sockets, several poems on several ports (exercises/part-11/).
Exercise 3, the slow server, is twisted-server/slowpoetry.py and is tested
in test_servers.py."""

import ast
import re

from twisted.internet import defer, reactor
from twisted.trial.unittest import TestCase

from tests import support
from tests.support import fetch, poem_bytes, quiet

SELECT = "exercises/part-11/select-poetry-server.py"
LOWLEVEL = "exercises/part-11/lowlevel-poetry-server.py"
MULTI = "exercises/part-11/multipoetry.py"
SCIENCE = poem_bytes("science.txt")
ECSTASY = poem_bytes("ecstasy.txt")


class SelectServerTest(TestCase):

    @defer.inlineCallbacks
    def test_two_slow_clients_are_served_at_once(self):
        # 663 bytes in 50-byte chunks, 20 ms apart. A server that served one
        # client after the other would send the first the whole poem before
        # it took the second from the listen queue; this one takes both in
        # before either is done.
        server = yield support.start_script(
            self, SELECT, "--num-bytes", "50", "--delay", "0.02", "poetry/science.txt")
        self.assertIn(b"Serving poetry/science.txt on 127.0.0.1 port %d." % server.port,
                      server.output)
        poems = yield defer.gatherResults([fetch(server.port), fetch(server.port)])
        self.assertEqual(poems, [SCIENCE, SCIENCE])
        yield server.wait_for(rb"(?s)(Sent the whole poem.*){2}")
        events = re.findall(rb"wants poetry!|Sent the whole poem", server.output)
        self.assertEqual(events, [b"wants poetry!"] * 2 + [b"Sent the whole poem"] * 2)

    @defer.inlineCallbacks
    def test_client_leaving_early_does_not_stop_the_server(self):
        server = yield support.start_script(
            self, SELECT, "--num-bytes", "10", "--delay", "0.05", "poetry/science.txt")
        early = fetch(server.port)
        yield server.wait_for(b"wants poetry!")
        early.cancel()  # hang up after the first chunk or so
        yield self.assertFailure(early, defer.CancelledError)
        yield server.wait_for(b"went away early.")
        # The loop is still serving.
        server2 = yield support.start_script(
            self, SELECT, "poetry/ecstasy.txt")
        self.assertEqual((yield fetch(server2.port)), ECSTASY)
        self.assertTrue(server.running())

    @defer.inlineCallbacks
    def test_missing_poem_is_a_usage_error(self):
        out, err, code = yield support.run_script(SELECT, "no/such/poem.txt")
        self.assertEqual((out, code), (b"", 2))
        self.assertIn(b"cannot read poem 'no/such/poem.txt'", err)
        self.assertTrue(err.startswith(b"usage:"))


class LowLevelServerTest(TestCase):
    """Runs in-process: the descriptors are handed to the test's reactor."""

    def listen(self, poem, num_bytes=0):
        module = support.load_script(LOWLEVEL)
        listener = module.PoetryListener(poem, "127.0.0.1", 0, num_bytes, reactor)
        listener.start()
        self.addCleanup(listener.stop)
        return listener

    @defer.inlineCallbacks
    def test_serves_exact_bytes_to_several_clients(self):
        out = quiet(self)
        listener = self.listen(ECSTASY, num_bytes=100)
        port = listener.address()[1]
        poems = yield defer.gatherResults([fetch(port) for _ in range(3)])
        self.assertEqual(poems, [ECSTASY] * 3)
        self.assertEqual(out.getvalue().count("wants poetry!"), 3)
        self.assertEqual(out.getvalue().count("Sent the whole poem"), 3)
        self.assertEqual(listener.senders, set())

    def test_no_protocols_transports_or_factories(self):
        # The point of the exercise: from Twisted it takes only the reactor
        # and the two descriptor interfaces; the sockets are its own.
        with open(support.path(LOWLEVEL)) as f:
            tree = ast.parse(f.read())
        imported = {
            (node.module, alias.name)
            for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            for alias in node.names if node.module.startswith("twisted")
        }
        self.assertEqual(imported, {
            ("twisted.internet", "reactor"),
            ("twisted.internet.interfaces", "IReadDescriptor"),
            ("twisted.internet.interfaces", "IWriteDescriptor"),
        })

    @defer.inlineCallbacks
    def test_runs_as_a_program_and_stops_cleanly(self):
        server = yield support.start_script(self, LOWLEVEL, "poetry/science.txt")
        self.assertEqual((yield fetch(server.port)), SCIENCE)
        yield server.stop()
        self.assertEqual(server.exit_code(), 0)


class MultiPoetryTest(TestCase):

    def test_poem_spec(self):
        spec = support.load_script(MULTI).poem_spec
        self.assertEqual(spec("poetry/a.txt:10001"), ("poetry/a.txt", 10001))
        self.assertEqual(spec("poetry/a.txt"), ("poetry/a.txt", 0))

    @defer.inlineCallbacks
    def test_each_poem_on_its_own_port(self):
        server = yield support.start_script(
            self, MULTI, "poetry/science.txt", "poetry/ecstasy.txt",
            ready=re.compile(rb"(?s)science.txt on .*port=(\d+).*ecstasy.txt on .*port=(\d+)\)\."))
        ports = [int(p) for p in support.PORT_RE.findall(server.output)]
        self.assertEqual(len(ports), 2)
        poems = yield defer.gatherResults([fetch(ports[0]), fetch(ports[1])])
        self.assertEqual(poems, [SCIENCE, ECSTASY])

    @defer.inlineCallbacks
    def test_two_poems_on_one_port_is_a_usage_error(self):
        out, err, code = yield support.run_script(
            MULTI, "poetry/science.txt:10001", "poetry/ecstasy.txt:10001")
        self.assertEqual((out, code), (b"", 2))
        self.assertIn(b"each poem needs a port of its own", err)
