"""Every example with stored output prints exactly that output.

The examples are discovered from the expected/ directories (see
runner/outputs.py): adding an example means adding its expected
file with tools/regen-outputs.py, not writing a test. ExampleSpec makes one
TestCase class per stored file, named after the script in CamelCase
(Defer4Spec, DeferredList6Spec, InlineCallbacks1Spec, ...), and each runs
only its own example:

    trial tests.test_outputs.DeferredList6Spec
    python -m pytest -k DeferredList6Spec

Where the tutorial text quotes an output, TEXT_QUOTES below holds those
lines translated to Python 3 reprs, and that example's class also asserts
they appear, in order, in the stored file, so a regenerated file cannot
drift from the text unnoticed.

The two scripts that never stop (simple.py, simple-poll.py) are started,
seen to wait in the reactor with nothing to do, and then interrupted.
"""

from twisted.internet import defer
from twisted.trial.unittest import TestCase

from runner import outputs
from tests import support
from tests.support.spec import VersionSpec


def _read(rel):
    return outputs.expected_path(rel).read_text(encoding="utf-8")


# --- agreement with the tutorial text ----------------------------------------

# Lines the text shows for each program, in order, with today's reprs:
# Python 2's <type 'exceptions.Exception'> in a Failure repr is now
# "builtins.Exception: MESSAGE", and exceptions.Exception is
# builtins.Exception. deferred-list-7's output is not quoted in the text.
# Part 16 shows twistd's log lines, which log.py's output must share
# (timestamps are normalized on both sides).
_F2 = "<twisted.python.failure.Failure builtins.Exception: d2 failure>"
TEXT_QUOTES = {
    "deferred-examples/deferred-list-1.py": """\
Empty List.
Adding Callback.
We got: []""",
    "deferred-examples/deferred-list-2.py": """\
One Deferred.
Adding Callback.
Firing d1.
We got: [(True, 'd1 result')]""",
    "deferred-examples/deferred-list-3.py": """\
Two Deferreds.
Adding Callback.
Firing d1.
Firing d2.
We got: [(True, 'd1 result'), (True, 'd2 result')]""",
    "deferred-examples/deferred-list-4.py": """\
Two Deferreds.
Adding Callback.
Firing d2.
Firing d1.
We got: [(True, 'd1 result'), (True, 'd2 result')]""",
    "deferred-examples/deferred-list-5.py": f"""\
Firing d1.
Firing d2 with errback.
We got: [(True, 'd1 result'), (False, {_F2})]""",
    "deferred-examples/deferred-list-6.py": f"""\
Firing d1.
Firing d2 with errback.
We got: [(True, 'd1 result'), (False, {_F2})]
--- stderr ---
Unhandled error in Deferred:
Traceback (most recent call last):
Failure: builtins.Exception: d2 failure""",
    "basic-twisted/log.py": """\
2010-06-23 20:57:14-0700 [-] Log opened.""",
}

# The "Unhandled error in Deferred" report must appear exactly where the text
# says it does, and nowhere the text says it is avoided.
UNHANDLED = "Unhandled error in Deferred:"
REPORTS_UNHANDLED = {
    "deferred-examples/deferred-list-5.py": False,
    "deferred-examples/deferred-list-6.py": True,
    "deferred-examples/deferred-list-7.py": False,
    "deferred-examples/defer-unhandled.py": True,
}


def _nonblank(text):
    return [line for line in text.split("\n") if line.strip()]


class Example:
    """A row of the example spec: a script with stored output, the
    arguments its stored run was made with, and the lines the text quotes
    from its output (None if it quotes none)."""

    def __init__(self, rel):
        self.id = outputs.example_id(rel)
        self.rel = rel
        self.args = outputs.example_args(rel)
        self.quoted = TEXT_QUOTES.get(rel)


class AgreesWithText:
    """For examples whose output the text quotes."""

    def test_stored_output_agrees_with_the_text(self):
        rel = self.row.rel
        stored = _nonblank(_read(rel))
        wanted = _nonblank(outputs.normalize(self.row.quoted))
        # The quoted lines appear in the stored file in the same order.
        pos = 0
        for line in wanted:
            self.assertIn(line, stored[pos:], f"{rel}: text line missing")
            pos = stored.index(line, pos) + 1


class ExampleSpec(VersionSpec):
    """One class per example with stored output."""

    rows = tuple(Example(rel) for rel in outputs.stored())

    @classmethod
    def mixins_for(cls, row):
        return (AgreesWithText,) if row.quoted is not None else ()

    @defer.inlineCallbacks
    def test_prints_its_stored_output(self):
        rel = self.row.rel
        out, err, code = yield support.run(support.script_argv(rel, *self.row.args),
                                           env=outputs.EXAMPLE_ENV, timeout=outputs.TIMEOUT)
        self.assertEqual(outputs.render(rel, out, err, code), _read(rel))


globals().update(ExampleSpec.makeTestCaseClasses())


class StoredOutputTest(TestCase):

    def test_every_example_has_stored_output(self):
        """No example script without an expected file, and no stale file."""
        self.assertEqual(outputs.stored(), outputs.scripts())
        self.assertTrue(set(TEXT_QUOTES) <= set(outputs.stored()), set(TEXT_QUOTES))


class TextAgreementTests(TestCase):
    """Stored outputs agree with what the tutorial text prints."""

    def test_unhandled_error_reports(self):
        for rel, reported in REPORTS_UNHANDLED.items():
            out, err = outputs.sections(_read(rel))
            self.assertEqual(UNHANDLED in err, reported, rel)
            self.assertNotIn(UNHANDLED, out, rel)

    def test_log_lines_have_twistd_form(self):
        """Every log.py line that is not a traceback continuation is
        'TIMESTAMP [-] message', as in Part 16's twistd output."""
        out, err = outputs.sections(_read("basic-twisted/log.py"))
        self.assertEqual(err, "")
        heads = [line for line in _nonblank(out) if not line.startswith("\t")]
        self.assertEqual(
            heads,
            [
                "YYYY-MM-DD HH:MM:SS+ZZZZ [-] Log opened.",
                "YYYY-MM-DD HH:MM:SS+ZZZZ [-] This will be logged.",
                "YYYY-MM-DD HH:MM:SS+ZZZZ [-] Unhandled Error",
                "YYYY-MM-DD HH:MM:SS+ZZZZ [-] And this, with its traceback:",
            ],
        )
        self.assertNotIn("will not be logged", out)


# --- the Deferred simulator, beyond its stored run --------------------------------

SIMULATOR = "deferred-examples/deferred-simulator.py"


class DeferredSimulatorTest(TestCase):
    """Part 9's simulator reads its pairs from stdin too, and says what is
    wrong with a pair in one line."""

    @defer.inlineCallbacks
    def test_pairs_piped_in_draw_what_the_arguments_draw(self):
        proc = support.spawn(self, support.script_argv(SIMULATOR))
        pairs = "\n".join(outputs.example_args(SIMULATOR))
        proc.transport.write(f"# a comment line\n{pairs}  # and one at the end\n\n".encode())
        proc.transport.closeStdin()
        out, err, code = yield proc.result()
        stored, _ = outputs.sections(_read(SIMULATOR))
        self.assertEqual((out.decode(), err, code), (stored, b"", 0))

    @defer.inlineCallbacks
    def test_what_each_firing_did_stage_by_stage(self):
        # fail, then an errback that recovers, then a passthru callback.
        out, err, code = yield support.run_script(SIMULATOR, "--narrow", "f oops p", "p r fine",
                                                  "p f never")
        self.assertEqual((err, code), (b"", 0))
        text = out.decode()
        self.assertIn("d.callback(initial)\ninitial\n  |\n1: callback -> oops*\n  |\n"
                      "2: errback -> fine\n  |\n3: callback -> fine\n  |\nfine\n", text)
        self.assertIn("d.errback(initial*)\ninitial*\n  |\n1: errback -> initial*\n  |\n"
                      "2: errback -> fine\n  |\n3: callback -> fine\n  |\nfine\n", text)

    @defer.inlineCallbacks
    def test_a_line_that_is_not_a_pair_is_a_usage_error(self):
        for args, message in [
                (["r good f"], "fail needs a VALUE"),
                (["r good x bad"], "'x' is not return, fail or passthru (r, f, p)"),
                (["r good f bad p"], "unexpected 'p' after the pair"),
                (["r toolongavalue p"], "'toolongavalue' is not a VALUE: letters and digits "
                                        "only, at most 10")]:
            out, err, code = yield support.run_script(SIMULATOR, *args)
            self.assertEqual((out, code), (b"", 2), args)
            self.assertTrue(err.decode().endswith(f"error: {message}\n"), err)
        proc = support.spawn(self, support.script_argv(SIMULATOR))
        proc.transport.write(b"r good f bad\nr\n")
        proc.transport.closeStdin()
        out, err, code = yield proc.result()
        self.assertEqual((out, code), (b"", 2))
        self.assertTrue(err.endswith(b"error: line 2: return needs a VALUE\n"), err)


# --- scripts that never stop -----------------------------------------------------


def waiting_in_the_kernel(pid):
    """True once the process sleeps in a poll/epoll/select call: the
    reactor waiting for an event, with nothing else to do."""
    try:
        with open(f"/proc/{pid}/wchan") as f:
            wchan = f.read()
    except OSError:
        return False
    return any(word in wchan for word in ("poll", "select"))


class NeverStoppingTests(TestCase):
    """simple.py and simple-poll.py run until they are stopped."""

    @defer.inlineCallbacks
    def _check_keeps_running(self, rel, banner):
        server = yield support.start_script(self, rel, ready=rb"press Ctrl-C")
        # It printed its banner and went to sleep in the reactor's poll:
        # with no timers and no sockets, nothing will ever wake it but a
        # signal. (If it had exited by itself, this wait would fail.)
        yield support.poll(lambda: not server.running() or waiting_in_the_kernel(server.pid),
                           what=f"{rel} waiting in the reactor")
        self.assertTrue(server.running(), f"{rel} exited by itself")
        self.assertEqual(server.output, banner)
        # Ctrl-C, as the banner says: a clean stop, nothing more printed.
        server.signal("INT")
        code = yield server.wait()
        self.assertEqual((code, server.output), (0, banner))

    def test_simple(self):
        return self._check_keeps_running(
            "basic-twisted/simple.py",
            b"Running the reactor with nothing to do; press Ctrl-C to stop.\n",
        )

    def test_simple_poll(self):
        return self._check_keeps_running(
            "basic-twisted/simple-poll.py",
            b"Running the PollReactor with nothing to do; press Ctrl-C to stop.\n",
        )
