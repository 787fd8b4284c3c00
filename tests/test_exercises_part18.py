"""Part 18 exercises (exercises/part-18/): client 8.1, which prints nothing
until the DeferredList has fired and then prints from its result; the
fireOnOneCallback / fireOnOneErrback demonstrations; a DeferredList of
DeferredLists; and DeferredDict, whose written semantics (in its banner)
are checked here one by one."""

from twisted.internet import defer
from twisted.trial.unittest import TestCase

from tests import support
from tests.support import ClientRun, poem_bytes

CLIENT = "exercises/part-18/get-poetry-8.1.py"
FIRE_ON_ONE = "exercises/part-18/deferred-list-fire-on-one.py"
NESTED = "exercises/part-18/deferred-list-nested.py"
DICT = "exercises/part-18/deferred-dict.py"
SCIENCE = poem_bytes("science.txt")
ECSTASY = poem_bytes("ecstasy.txt")


class Client81Test(TestCase):

    def setUp(self):
        self.run = ClientRun(self, CLIENT)

    @defer.inlineCallbacks
    def test_nothing_printed_until_the_last_poem_is_in(self):
        # The fast server and the transform server shut their write side
        # and close once the client has read everything and hung up.
        fast_server = support.TestServerFactory(SCIENCE, close="half")
        fast = support.serve(self, fast_server)
        transformer = support.load_script("twisted-server/transformedpoetry-1.0.py")
        watched = support.Watched(transformer.TransformFactory(transformer.TransformService()))
        xform = support.serve(self, watched)
        held = support.TestServerFactory(ECSTASY, close=False)  # sends, never closes
        held_port = support.serve(self, held)
        events = [held.next_connection(), fast_server.next_disconnect(),
                  watched.next_disconnect()]
        done = self.run.run(xform, held_port, support.refused_port(self), fast)
        proto, _, _ = yield defer.gatherResults(events)
        # The refused one failed at once, the fast poem is in (and went to
        # the transform server): the client must still be silent.
        self.assertEqual((self.run.out.getvalue(), self.run.err.getvalue()), ("", ""))
        proto.transport.loseConnection()
        out, err = yield done
        # In address order, not finishing order.
        self.assertEqual(out, ECSTASY.decode().lower() + "\n" + SCIENCE.decode().lower() + "\n")
        self.assertRegex(err, r"^The poem download failed: .*Connection refused.*\n$")

    @defer.inlineCallbacks
    def test_transform_failure_reported_with_the_results(self):
        broken = self.run.listen_transformer(broken=True)
        out, err = yield self.run.run(broken, self.run.poem_port(SCIENCE))
        self.assertEqual((out, err), (SCIENCE.decode() + "\n", "Cummingsify failed!\n"))

    @defer.inlineCallbacks
    def test_as_a_program(self):
        result = yield support.run_script(CLIENT, self.run.xform, self.run.poem_port(SCIENCE))
        self.assertEqual(result, (SCIENCE.lower() + b"\n", b"", 0))

    @defer.inlineCallbacks
    def test_a_failed_download_makes_the_exit_status_1(self):
        out, err, code = yield support.run_script(CLIENT, self.run.xform,
                                                  self.run.poem_port(SCIENCE),
                                                  support.free_port(self))
        self.assertEqual((out, code), (SCIENCE.lower() + b"\n", 1))
        self.assertRegex(err.decode(), r"^The poem download failed: .*Connection refused.*\n$")


class DemoOutputTest(TestCase):
    """The demonstrations print exactly what the DeferredList did."""

    @defer.inlineCallbacks
    def test_outputs(self):
        results = yield defer.gatherResults(
            [support.run_script(s) for s in (FIRE_ON_ONE, NESTED)])
        (fire_out, fire_err, fire_code), (nest_out, nest_err, nest_code) = results
        self.assertEqual((fire_err, fire_code, nest_err, nest_code), (b"", 0, b"", 0))
        fire = fire_out.decode()
        # fireOnOneCallback: (result, index) of the first success; the
        # failure before it does not count.
        self.assertIn("  Firing d3.\n  the list fired with: ('poem from d3', 2)\n"
                      "  Firing d1 (too late, nobody waits).\n", fire)
        self.assertIn("  the list fired with: [(False, 'd1 down'), (False, 'd2 down')]\n", fire)
        self.assertIn("  Firing d3 with an error.\n"
                      "  the list failed: FirstError at index 2: chapter 3 is missing\n"
                      "  Firing d2 (too late).\n", fire)
        self.assertIn("  the list fired with: [(True, 'chapter 1'), (True, 'chapter 2')]\n", fire)
        self.assertTrue(fire.endswith("  the list fired with: ('d2 answered', 1)\n"
                                      "  the list failed: FirstError at index 1: d2 down\n"))
        self.assertEqual(nest_out.decode().splitlines()[3],
                         "We got: [(True, [(True, 'a1 result'), (False, Failure('a2 failure'))]),"
                         " (True, [(True, 'b1 result')])]")


class DeferredDictTest(TestCase):
    """One test per numbered rule in DeferredDict's banner."""

    def setUp(self):
        self.module = support.load_script(DICT)
        self.DeferredDict = self.module.DeferredDict

    def test_1_is_a_deferred(self):
        self.assertIsInstance(self.DeferredDict({}), defer.Deferred)

    def test_2_fires_when_all_have_fired_keys_in_mapping_order(self):
        a, b, c = defer.Deferred(), defer.Deferred(), defer.Deferred()
        dd = self.DeferredDict({"c": c, "a": a, "b": b})
        a.callback(1)
        b.callback(2)
        self.assertNoResult(dd)
        c.callback(3)
        result = self.successResultOf(dd)
        self.assertEqual(result, {"c": (True, 3), "a": (True, 1), "b": (True, 2)})
        self.assertEqual(list(result), ["c", "a", "b"])
        self.assertEqual(self.successResultOf(self.DeferredDict({})), {})

    def test_3_never_fails_and_consume_errors(self):
        bad = defer.Deferred()
        dd = self.DeferredDict({"bad": bad, "good": defer.succeed("ok")}, consumeErrors=True)
        bad.errback(ValueError("nope"))
        result = self.successResultOf(dd)
        self.assertEqual(result["good"], (True, "ok"))
        self.assertFalse(result["bad"][0])
        self.assertTrue(result["bad"][1].check(ValueError))
        self.assertIsNone(self.successResultOf(bad))  # consumed
        kept = defer.Deferred()
        dd = self.DeferredDict({"kept": kept})
        kept.errback(ValueError("still mine"))
        self.assertFalse(self.successResultOf(dd)["kept"][0])
        self.failureResultOf(kept, ValueError)  # not consumed: the caller's to handle

    def test_4_mapping_read_once(self):
        a, b = defer.Deferred(), defer.Deferred()
        mapping = {"a": a}
        dd = self.DeferredDict(mapping)
        mapping["b"] = b
        del mapping["a"]
        self.assertNoResult(dd)
        a.callback(1)  # b was added too late to be waited for
        self.assertEqual(self.successResultOf(dd), {"a": (True, 1)})

    def test_5_values_must_be_deferreds(self):
        e = self.assertRaises(TypeError, self.DeferredDict, {"x": 1})
        self.assertIn("'x'", str(e))

    def test_6_cancel_cancels_the_unfired_and_fires(self):
        waiting = defer.Deferred()
        dd = self.DeferredDict({"done": defer.succeed(1), "waiting": waiting},
                               consumeErrors=True)
        dd.cancel()
        result = self.successResultOf(dd)
        self.assertEqual(result["done"], (True, 1))
        self.assertTrue(result["waiting"][1].check(defer.CancelledError))
        self.assertIsNone(self.successResultOf(waiting))  # cancelled, error consumed
        dd.cancel()  # after firing: nothing happens

    def test_gather_dict(self):
        gather = self.module.gather_dict
        self.assertEqual(
            self.successResultOf(gather({"a": defer.succeed(1), "b": defer.succeed(2)})),
            {"a": 1, "b": 2})
        self.failureResultOf(gather({"a": defer.succeed(1), "b": defer.fail(KeyError("b"))}),
                             KeyError)
