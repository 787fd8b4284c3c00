"""Every example with stored output prints exactly that output.

The examples are discovered from the expected/ directories (see
tests/outputs_lib.py): adding an example means adding its expected file
with tools/regen-outputs.py, not writing a test. One test method is
generated per stored file. All examples are started together, a few at a
time on worker threads, when the first of those tests runs; each test
then waits (bounded) for its own example.

Where the tutorial text quotes an output, TEXT_QUOTES below holds those
lines translated to Python 3 reprs, and a test asserts they appear, in
order, in the stored file, so a regenerated file cannot drift from the
text unnoticed.

The two scripts that never stop (simple.py, simple-poll.py) are started,
seen to keep running, and then stopped.
"""

import re

from twisted.internet import reactor, task
from twisted.trial.unittest import TestCase

from tests import outputs_lib, support

# --- stored output -----------------------------------------------------------

_futures = {}


def _result(rel):
    """(stdout, stderr, status) of one example; the first call starts them all."""
    if not _futures:
        _futures.update(outputs_lib.run_all(outputs_lib.stored()))
    return _futures[rel].result(timeout=outputs_lib.TIMEOUT)


def _read(rel):
    return outputs_lib.expected_path(rel).read_text(encoding="utf-8")


def _make_output_test(rel):
    def test(self):
        out, err, code = _result(rel)
        self.assertEqual(outputs_lib.render(rel, out, err, code), _read(rel))

    test.__doc__ = f"{rel} prints its stored output"
    return test


class StoredOutputTests(TestCase):
    """One generated test per file in <dir>/expected/."""

    def test_every_example_has_stored_output(self):
        """No example script without an expected file, and no stale file."""
        self.assertEqual(outputs_lib.stored(), outputs_lib.scripts())


for _rel in outputs_lib.stored():
    _name = "test_" + re.sub(r"\W", "_", _rel[: -len(".py")])
    setattr(StoredOutputTests, _name, _make_output_test(_rel))


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


def _make_quote_test(rel, quoted):
    def test(self):
        stored = _nonblank(_read(rel))
        wanted = _nonblank(outputs_lib.normalize(quoted))
        # The quoted lines appear in the stored file in the same order.
        pos = 0
        for line in wanted:
            self.assertIn(line, stored[pos:], f"{rel}: text line missing")
            pos = stored.index(line, pos) + 1

    test.__doc__ = f"{rel}'s stored output agrees with the text"
    return test


class TextAgreementTests(TestCase):
    """Stored outputs agree with what the tutorial text prints."""

    def test_unhandled_error_reports(self):
        for rel, reported in REPORTS_UNHANDLED.items():
            out, err = outputs_lib.sections(_read(rel))
            self.assertEqual(UNHANDLED in err, reported, rel)
            self.assertNotIn(UNHANDLED, out, rel)

    def test_log_lines_have_twistd_form(self):
        """Every log.py line that is not a traceback continuation is
        'TIMESTAMP [-] message', as in Part 16's twistd output."""
        out, err = outputs_lib.sections(_read("basic-twisted/log.py"))
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


for _rel, _quoted in TEXT_QUOTES.items():
    _name = "test_" + re.sub(r"\W", "_", _rel[: -len(".py")])
    setattr(TextAgreementTests, _name, _make_quote_test(_rel, _quoted))


# --- scripts that never stop -----------------------------------------------------


class NeverStoppingTests(TestCase):
    """simple.py and simple-poll.py run until they are stopped."""

    def _check_keeps_running(self, rel, banner):
        d = support.start_script(self, rel, ready=re.compile(rb"press Ctrl-C"))

        def started(server):
            # Give it a moment in which it could exit by itself; it must not.
            wait = task.deferLater(reactor, 0.3, lambda: server)
            return wait.addCallback(check_running)

        def check_running(server):
            self.assertTrue(server.running(), f"{rel} exited by itself")
            self.assertEqual(server.output, banner)
            return server.stop().addCallback(lambda _: server)

        def stopped(server):
            self.assertFalse(server.running())

        return d.addCallback(started).addCallback(stopped)

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
