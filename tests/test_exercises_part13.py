"""Part 13 exercises: client 6.1, where PoetryClientFactory makes and fires
its own Deferred (exercises/part-13/get-poetry-fire-it.py). Exercises 1-2
(a named transform, an optional transform server) are today's client,
twisted-client/get-poetry.py."""

from twisted.internet import defer
from twisted.internet.testing import MemoryReactor, StringTransport
from twisted.python.failure import Failure
from twisted.trial.unittest import TestCase

from tests import support
from tests.support import ClientRun, poem_bytes, poem_port

FIRE_IT = "exercises/part-13/get-poetry-fire-it.py"
SCIENCE = poem_bytes("science.txt")
ECSTASY = poem_bytes("ecstasy.txt")


def text(poem):
    return poem.decode("utf-8")


class FactoryFiresItsOwnDeferredTest(TestCase):

    def setUp(self):
        self.module = support.load_script(FIRE_IT)
        self.reactor = MemoryReactor()
        self.d = self.module.get_poetry("10.0.0.1", 10002, reactor=self.reactor)
        host, port, self.factory, _, _ = self.reactor.tcpClients[0]
        self.assertEqual((host, port), ("10.0.0.1", 10002))

    def test_get_poetry_returns_the_deferred_the_factory_made(self):
        self.assertIsInstance(self.factory, self.module.PoetryClientFactory)
        self.assertIs(self.d, self.factory.deferred)

    def test_factory_fires_it_once_with_the_poem(self):
        proto = self.factory.buildProtocol(None)
        proto.makeConnection(StringTransport())
        proto.dataReceived(ECSTASY[:10])
        proto.dataReceived(ECSTASY[10:])
        self.assertNoResult(self.d)
        proto.connectionLost(Failure(Exception("closed")))
        self.assertEqual(self.successResultOf(self.d), text(ECSTASY))
        # Late news cannot fire it again.
        self.assertIsNone(self.factory.deferred)
        self.factory.clientConnectionFailed(None, Failure(Exception("late")))

    def test_factory_fires_it_with_the_connection_failure(self):
        self.factory.clientConnectionFailed(None, Failure(ConnectionRefusedError("no")))
        self.failureResultOf(self.d, ConnectionRefusedError)
        self.assertIsNone(self.factory.deferred)


class FireItProgramTest(TestCase):

    @defer.inlineCallbacks
    def test_poems_cummingsified_and_failures_reported(self):
        run = ClientRun(self, FIRE_IT)
        out, err = yield run.run(run.xform, run.poem_port(SCIENCE), support.refused_port(self))
        self.assertEqual(out, text(SCIENCE).lower() + "\n")
        self.assertEqual(err, "The poem download failed.\n")

    @defer.inlineCallbacks
    def test_transform_failure_prints_the_original(self):
        run = ClientRun(self, FIRE_IT)
        broken = run.listen_transformer(broken=True)
        out, err = yield run.run(broken, run.poem_port(ECSTASY))
        self.assertEqual(out, text(ECSTASY) + "\n")
        self.assertEqual(err, "Cummingsify failed!\n")

    @defer.inlineCallbacks
    def test_as_a_program(self):
        run = ClientRun(self, FIRE_IT)
        result = yield support.run_script(FIRE_IT, run.xform, run.poem_port(SCIENCE))
        self.assertEqual(result, (SCIENCE.lower() + b"\n", b"", 0))

    @defer.inlineCallbacks
    def test_a_failed_download_makes_the_exit_status_1(self):
        """As clients 6.0 to 8.0: the poem that came is printed, and the
        exit status says one did not."""
        run = ClientRun(self, FIRE_IT)
        result = yield support.run_script(FIRE_IT, run.xform, run.poem_port(SCIENCE),
                                          support.free_port(self))
        self.assertEqual(result, (SCIENCE.lower() + b"\n", b"The poem download failed.\n", 1))

    @defer.inlineCallbacks
    def test_stdout_reader_gone_ends_the_run_as_usual(self):
        """`... | head -1`: it used to hang for ever."""
        run = ClientRun(self, FIRE_IT)
        result = yield support.run(support.with_closed_stdout(
            support.script_argv(FIRE_IT, run.xform, run.poem_port(SCIENCE),
                                run.poem_port(ECSTASY))))
        self.assertEqual(result, (b"", b"", 0))



class TodaysClientTest(TestCase):
    """Exercises 1 and 2 are done by today's client, twisted-client/get-poetry.py:
    --transform NAME picks the transform, --no-transform skips the server."""

    TODAY = "twisted-client/get-poetry.py"

    @defer.inlineCallbacks
    def test_transform_by_name_and_no_transform(self):
        # A server that knows a second transform: Part 12's exercise 2.
        module = support.load_script("exercises/part-12/transformedpoetry-backwards.py")
        xform = support.serve(self, module.TransformFactory(module.TransformService()))
        poem = poem_port(self, b"first line\nSecond Line\n")
        named, plain = yield defer.gatherResults([
            support.run_script(self.TODAY, "--transform", "backwards", xform, poem),
            support.run_script(self.TODAY, "--no-transform", poem),
        ])
        self.assertEqual(named, (b"Second Line\nfirst line\n\n", b"", 0))
        self.assertEqual(plain, (b"first line\nSecond Line\n\n", b"", 0))
