"""Part 17 exercises 5-6: client 7.1, with got_poem and poem_done inside the
inlineCallbacks generator (exercises/part-17/get-poetry-7.1.py). Every way
out of the generator must still stop the reactor exactly once."""

from twisted.internet import defer
from twisted.trial.unittest import TestCase

from tests import support
from tests.support import ClientRun, poem_bytes

CLIENT = "exercises/part-17/get-poetry-7.1.py"
SCIENCE = poem_bytes("science.txt").decode("utf-8")
ECSTASY = poem_bytes("ecstasy.txt").decode("utf-8")


class BrokenStdout:
    """stdout that fails on write, as when the reader of a pipe has gone."""

    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self):
        pass


class Client71Test(TestCase):

    def setUp(self):
        self.run = ClientRun(self, CLIENT)

    @defer.inlineCallbacks
    def test_poems_printed_from_inside_the_generator(self):
        out, err = yield self.run.run(self.run.xform, self.run.poem_port(SCIENCE.encode()),
                                      self.run.poem_port(ECSTASY.encode()))
        a, b = SCIENCE.lower() + "\n", ECSTASY.lower() + "\n"
        self.assertIn(out, (a + b, b + a))
        self.assertEqual(err, "")

    @defer.inlineCallbacks
    def test_download_failure_still_counts(self):
        refused = support.refused_port(self)
        out, err = yield self.run.run(self.run.xform, refused,
                                      self.run.poem_port(SCIENCE.encode()))
        self.assertEqual(out, SCIENCE.lower() + "\n")
        self.assertRegex(err, r"^The poem download failed: .*Connection refused.*\n$")

    @defer.inlineCallbacks
    def test_every_download_failing_still_stops(self):
        out, err = yield self.run.run(self.run.xform, support.refused_port(self), support.refused_port(self))
        self.assertEqual(out, "")
        self.assertEqual(err.count("The poem download failed:"), 2)

    @defer.inlineCallbacks
    def test_transform_failure_prints_the_original(self):
        broken = self.run.listen_transformer(broken=True)
        out, err = yield self.run.run(broken, self.run.poem_port(ECSTASY.encode()))
        self.assertEqual(out, ECSTASY + "\n")
        self.assertEqual(err, "Cummingsify failed!\n")

    @defer.inlineCallbacks
    def test_transform_server_down(self):
        out, err = yield self.run.run(support.refused_port(self), self.run.poem_port(SCIENCE.encode()))
        self.assertEqual(out, SCIENCE + "\n")
        self.assertEqual(err, "Cummingsify failed!\n")

    @defer.inlineCallbacks
    def test_unforeseen_error_still_stops(self):
        # got_poem's print blows up; the finally clause still counts it.
        out, err = yield self.run.run(self.run.xform, self.run.poem_port(SCIENCE.encode()),
                                      stdout=BrokenStdout())
        self.assertEqual(out, "")
        self.assertEqual(err, "Unexpected error: BrokenPipeError(32, 'Broken pipe')\n")

    @defer.inlineCallbacks
    def test_as_a_program(self):
        result = yield support.run_script(CLIENT, self.run.xform,
                                          self.run.poem_port(SCIENCE.encode()))
        self.assertEqual(result, (SCIENCE.lower().encode() + b"\n", b"", 0))

    @defer.inlineCallbacks
    def test_a_failed_download_makes_the_exit_status_1(self):
        out, err, code = yield support.run_script(CLIENT, self.run.xform,
                                                  self.run.poem_port(SCIENCE.encode()),
                                                  support.free_port(self))
        self.assertEqual((out, code), (SCIENCE.lower().encode() + b"\n", 1))
        self.assertRegex(err.decode(), r"^The poem download failed: .*Connection refused.*\n$")
