"""The Evolution of Finger (finger/): one spec for every step that answers,
and the tests of what each front-end must get right.

The spec is the table STEPS: one row per step, saying how to run it and
what it answers for moshez, for an unknown user, for "/W moshez" (RFC 1288:
the same as moshez) and for a non-ASCII user, zoë. Each row becomes a class
(Finger07Spec ...) that runs the real program once, as the README runs it
(a script with python, a tac under real `twistd -n -y`) on free ports, and
asks it all four, naming the user in any failure. A new step costs a row.

Everything deeper loads a step in this process: a script's module (through
load_script) for protocol cases over StringTransport, a tac through
service.loadApplication for its front-ends over loopback, with real clients
(Agent, an IRC client on twisted.words' own server). The tests start a
process only where the process is what is being tested.
"""

import os

from twisted.internet import defer, reactor
from twisted.internet.error import ConnectionRefusedError
from twisted.internet.testing import StringTransport
from twisted.trial.unittest import TestCase

from tests.support import free_port, load_script, run, start_script
from tests.support.finger import (
    finger_query, irc_server, serve_web, stand_in_finger, start_step, step_argv,
)
from tests.support.spec import VersionSpec

QUERIES = ("moshez", "nosuchuser", "/W moshez", "zoë")
CLOSED = None  # the step closes the connection without a word

NO_SUCH_USER = "No such user"


class Step:
    """One row of the spec: a step, how to run it, what it answers.

    `moshez`, `unknown` and `zoe` are the expected answers (str, sent back
    as UTF-8 with CRLF; CLOSED for no answer). "/W moshez" must be answered
    like "moshez". `roles` are the ports the step announces (the spec waits
    for all of them). `prepare(testcase)` may return (or fire with) more
    environment, for a step that needs a peer started first."""

    def __init__(self, id, rel, moshez, unknown, zoe, *, roles=("finger",), env=None,
                 prepare=None):
        self.id = id
        self.rel = rel
        self.answers = dict(zip(QUERIES, (moshez, unknown, moshez, zoe)))
        self.roles = roles
        self.env = env or {}
        self.prepare = prepare


def expected_bytes(answer):
    return b"" if answer is CLOSED else answer.encode("utf-8") + b"\r\n"


# --- peers that some steps need ------------------------------------------------

def with_stand_in_finger(testcase):
    """Step 9: a `finger` first on PATH that prints its arguments."""
    return {"PATH": stand_in_finger(testcase) + os.pathsep + os.environ.get("PATH", "")}


STATUS_PAGES = {
    "/~moshez": "Happy and well\n".encode("utf-8"),
    "/~zo%C3%AB": "Très bien, merci\n".encode("utf-8"),
}


def with_status_site(testcase):
    """Step 10: a web server holding the statuses, as PREFIX + user."""
    port = serve_web(testcase, STATUS_PAGES)
    return {"FINGER_WEB_PREFIX": f"http://127.0.0.1:{port}/~"}


def with_irc_server(testcase):
    """Step 16: an IRC server on this machine for the bot (never the real one)."""
    port, realm = irc_server(testcase)
    return {"FINGER_IRC_SERVER": f"127.0.0.1:{port}"}


# --- the table -------------------------------------------------------------------

HAPPY, TRES_BIEN = "Happy and well", "Très bien, merci"
FILE_HAPPY = "happy and well"

STEPS = (
    Step("Finger04", "finger/finger04.py", CLOSED, CLOSED, CLOSED),
    Step("Finger05", "finger/finger05.py", NO_SUCH_USER, NO_SUCH_USER, NO_SUCH_USER),
    Step("Finger06", "finger/finger06.py", NO_SUCH_USER, NO_SUCH_USER, NO_SUCH_USER),
    Step("Finger07", "finger/finger07.py", HAPPY, NO_SUCH_USER, TRES_BIEN),
    Step("Finger08", "finger/finger08.py", HAPPY, NO_SUCH_USER, TRES_BIEN),
    Step("Finger09", "finger/finger09.py", "argument: moshez", NO_SUCH_USER, "argument: zoë",
         prepare=with_stand_in_finger),
    Step("Finger10", "finger/finger10.py", HAPPY, NO_SUCH_USER, TRES_BIEN,
         prepare=with_status_site),
    Step("Finger11", "finger/finger11.tac", HAPPY, NO_SUCH_USER, TRES_BIEN),
    Step("Finger12", "finger/finger12.tac", HAPPY, NO_SUCH_USER, TRES_BIEN,
         roles=("finger", "setter")),
    Step("Finger13", "finger/finger13.tac", HAPPY, NO_SUCH_USER, TRES_BIEN,
         roles=("finger", "setter")),
    # From step 14 on, the users come from finger/etc.users.
    Step("Finger14", "finger/finger14.tac", FILE_HAPPY, NO_SUCH_USER, TRES_BIEN),
    Step("Finger15", "finger/finger15.tac", FILE_HAPPY, NO_SUCH_USER, TRES_BIEN,
         roles=("finger", "web")),
    Step("Finger16", "finger/finger16.tac", FILE_HAPPY, NO_SUCH_USER, TRES_BIEN,
         roles=("finger", "web"), prepare=with_irc_server),
    # Steps 17-28 (helper D): rows below this line.
)


class FingerSpec(VersionSpec):
    rows = STEPS

    @defer.inlineCallbacks
    def test_answers(self):
        """The step, run as the README runs it, answers all four queries."""
        row = self.row
        env = dict(row.env)
        if row.prepare is not None:
            env.update((yield defer.maybeDeferred(row.prepare, self)))
        srv = yield start_step(self, row.rel, roles=row.roles, env=env)
        self.assertIn("finger", srv.ports, srv.output)
        wrong = []
        for query, answer in row.answers.items():
            got = yield finger_query(srv.ports["finger"], query)
            if got != expected_bytes(answer):
                wrong.append(f"{query!r}: expected {expected_bytes(answer)!r}, got {got!r}")
        self.assertEqual(wrong, [], "\n".join(wrong) + "\n" + srv.output.decode(errors="replace"))
        # The default interface is loopback, and nothing went wrong inside.
        self.assertRegex(srv.output.decode(), r"finger listening on 127\.0\.0\.1:\d+")
        self.assertNotIn(b"Traceback", srv.output)


globals().update(FingerSpec.makeTestCaseClasses())


# --- steps 1-3: what they show ---------------------------------------------------

class EarlyStepsTest(TestCase):
    """Step 1 refuses, step 2 holds a connection open, step 3 closes at once."""

    @defer.inlineCallbacks
    def test_step1_refuses(self):
        port = free_port()
        srv = yield start_script(self, "finger/finger01.py", "--port", port,
                                 ready=rb"finger is not listening on 127\.0\.0\.1:(\d+)")
        self.assertEqual(srv.port, port)
        yield self.assertFailure(finger_query(port, "moshez"), ConnectionRefusedError)
        self.assertTrue(srv.running())

    @defer.inlineCallbacks
    def test_step2_holds_the_connection(self):
        srv = yield start_step(self, "finger/finger02.py")
        d = finger_query(srv.ports["finger"], "moshez")
        # Step 3 is closed within a round trip; give step 2 many round trips
        # (a window, not a wait for an event: the event is that nothing comes).
        window = defer.Deferred()
        call = reactor.callLater(0.5, window.callback, None)
        self.addCleanup(lambda: call.active() and call.cancel())
        yield window
        self.assertFalse(d.called, "step 2 closed the connection or answered")
        d.cancel()
        yield self.assertFailure(d, defer.CancelledError)

    @defer.inlineCallbacks
    def test_step3_closes_at_once(self):
        srv = yield start_step(self, "finger/finger03.py")
        got = yield finger_query(srv.ports["finger"], "moshez")
        self.assertEqual(got, b"")


class EarlyStepsInMemoryTest(TestCase):
    """The same, on the protocol alone: step 2 never closes, step 3 always does."""

    def connect(self, rel):
        module = load_script(rel)
        proto = module.FingerFactory().buildProtocol(None)
        transport = StringTransport()
        proto.makeConnection(transport)
        return proto, transport

    def test_step2_does_nothing(self):
        proto, transport = self.connect("finger/finger02.py")
        proto.dataReceived(b"moshez\r\n")
        self.assertFalse(transport.disconnecting)
        self.assertEqual(transport.value(), b"")

    def test_step3_drops(self):
        proto, transport = self.connect("finger/finger03.py")
        self.assertTrue(transport.disconnecting)
        self.assertEqual(transport.value(), b"")


# --- the protocol, in memory ---------------------------------------------------------

ANSWERING_SCRIPTS = ("finger05", "finger06", "finger07", "finger08")


class FingerProtocolTest(TestCase):
    """Protocol cases on StringTransport, for every script step that answers."""

    def connect(self, name, factory=None):
        module = load_script(f"finger/{name}.py")
        if factory is None:
            factory = (module.FingerFactory(moshez=HAPPY, zoë=TRES_BIEN)
                       if name >= "finger07" else module.FingerFactory())
        proto = factory.buildProtocol(None)
        transport = StringTransport()
        proto.makeConnection(transport)
        return proto, transport

    def each(self, names, data, expected):
        for name in names:
            proto, transport = self.connect(name)
            for chunk in data:
                proto.dataReceived(chunk)
            self.assertEqual((name, transport.value()), (name, expected))
            self.assertTrue(transport.disconnecting, name)

    def test_line_too_long(self):
        """A query longer than MAX_LENGTH gets one clear line, then the door."""
        self.each(ANSWERING_SCRIPTS, [b"x" * 3000, b"y" * 3000], b"Query too long\r\n")

    def test_step4_too_long_closes(self):
        self.each(("finger04",), [b"x" * 20000], b"")

    def test_bare_lf_and_w(self):
        """nc sends a bare LF; RFC 1288's /W is ignored."""
        self.each(("finger07", "finger08"), [b"/W moshez\n"], b"Happy and well\r\n")

    def test_not_utf8(self):
        """Bytes that are not UTF-8 are nobody, not a crash."""
        self.each(("finger07", "finger08"), [b"mos\xffhez\r\n"], b"No such user\r\n")

    def test_one_query_per_connection(self):
        """Step 8 answers the first line only, even when two arrive together."""
        self.each(("finger08",), [b"moshez\r\nzo\xc3\xab\r\n"], b"Happy and well\r\n")

    def test_step8_errback(self):
        """A getUser that fails (Deferred) or raises: the client gets
        "Internal error in server", the connection closes, the error is
        logged once."""
        module = load_script("finger/finger08.py")

        class Failing(module.FingerFactory):
            def getUser(self, user):
                if user == "raise":
                    raise RuntimeError("getUser raised")
                return defer.fail(RuntimeError("getUser failed"))

        for query in (b"moshez\r\n", b"raise\r\n"):
            proto, transport = self.connect("finger08", Failing())
            proto.dataReceived(query)
            self.assertEqual(transport.value(), b"Internal error in server\r\n")
            self.assertTrue(transport.disconnecting)
            self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)

    def test_step8_waits_for_the_deferred(self):
        """Nothing is written before getUser's Deferred fires."""
        module = load_script("finger/finger08.py")
        pending = defer.Deferred()

        class Slow(module.FingerFactory):
            def getUser(self, user):
                return pending

        proto, transport = self.connect("finger08", Slow())
        proto.dataReceived(b"moshez\r\n")
        self.assertEqual(transport.value(), b"")
        self.assertFalse(transport.disconnecting)
        pending.callback("zoë est là")
        self.assertEqual(transport.value(), "zoë est là\r\n".encode("utf-8"))
        self.assertTrue(transport.disconnecting)


# --- configuration: bad values -------------------------------------------------------

SCRIPTS = [f"finger/finger{n:02d}.py" for n in range(1, 11)]


def without_resource_warnings(err):
    """stderr's lines, less the ResourceWarning line that the tests' own
    -W default::ResourceWarning makes Python print at exit."""
    return [line for line in err.decode().splitlines() if "ResourceWarning" not in line]


class ScriptConfigurationTest(TestCase):
    """A bad value is one line naming the program and the variable, and a
    non-zero exit, before anything is bound."""

    def parse(self, rel, env, argv=()):
        module = load_script(rel)
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            with self.assertRaises(SystemExit) as caught:
                module.parse_args(list(argv))
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k)
                else:
                    os.environ[k] = v
        return caught.exception.code

    def test_bad_finger_port_in_every_script(self):
        name_of = os.path.basename
        for rel in SCRIPTS:
            if not hasattr(load_script(rel), "parse_args"):
                continue
            for bad in ("abc", "70000", "-1"):
                code = self.parse(rel, {"FINGER_PORT": bad})
                self.assertEqual(
                    code,
                    f"{name_of(rel)}: FINGER_PORT must be a port number from 0 to 65535, "
                    f"not {bad!r}")

    @defer.inlineCallbacks
    def test_bad_values_as_a_reader_sees_them(self):
        """For real: a bad --port is argparse's usage error (exit 2); a bad
        FINGER_PORT or a port already taken is one line (exit 1)."""
        out, err, code = yield run(step_argv("finger/finger07.py", "--port", "x"))
        self.assertEqual(code, 2)
        self.assertEqual(err.decode().splitlines()[-1],
                         "finger07.py: error: argument --port: must be a port number "
                         "from 0 to 65535, not 'x'")
        out, err, code = yield run(step_argv("finger/finger08.py"), env={"FINGER_PORT": "abc"})
        self.assertEqual((out, err, code), (
            b"", b"finger08.py: FINGER_PORT must be a port number from 0 to 65535, not 'abc'\n", 1))
        taken = yield start_step(self, "finger/finger05.py")
        port = taken.ports["finger"]
        out, err, code = yield run(step_argv("finger/finger05.py", "--port", port))
        self.assertEqual(code, 1)
        self.assertEqual(without_resource_warnings(err), [
            f"finger05.py: Couldn't listen on 127.0.0.1:{port}: [Errno 98] Address already in use."])
