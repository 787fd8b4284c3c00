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

import io
import os
import shutil
import sys

from twisted.application import service
from twisted.internet import defer, protocol, reactor, task
from twisted.internet.error import ConnectionDone, ConnectionRefusedError
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from twisted.trial.unittest import SkipTest, TestCase

from tests.support import (
    TestServerFactory, capture_log, listen, load_script, path, poll, run, serve,
    set_env, start_script,
)
from tests.support.finger import (
    dead_port, find_service, finger_query, http_get, irc_server, irc_tester, load_step, serve_web,
    set_status, stand_in_finger, start_application, start_step, step_argv, temp_dir,
)
from tests.support.finger import send_half_closed, with_certificate, with_homes  # steps 17-28
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
    environment, for a step that needs a peer started first. `then(testcase,
    server)` may check more on the same running process (another front-end,
    a change of state), so that one process start serves the whole row."""

    def __init__(self, id, rel, moshez, unknown, zoe, *, roles=("finger",), env=None,
                 prepare=None, then=None):
        self.id = id
        self.rel = rel
        self.answers = dict(zip(QUERIES, (moshez, unknown, moshez, zoe)))
        self.roles = roles
        self.env = env or {}
        self.prepare = prepare
        self.then = then


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
    testcase.irc = irc_server(testcase)
    return {"FINGER_IRC_SERVER": f"127.0.0.1:{testcase.irc[0]}"}


def with_users_copy(testcase):
    """Step 14: a copy of finger/etc.users that the row then edits, re-read
    every 0.2 s."""
    name = os.path.join(temp_dir(testcase), "etc.users")
    shutil.copyfile(path("finger/etc.users"), name)
    testcase.users_file = name
    return {"FINGER_USERS_FILE": name, "FINGER_RELOAD": "0.2"}


# --- more checks on the same running step ----------------------------------------

@defer.inlineCallbacks
def then_set_status(testcase, srv):
    """Steps 12, 13, for real: the setter, then a finger query that shows it."""
    yield set_status(srv.ports["setter"], "moshez", "Out to lunch")
    got = yield finger_query(srv.ports["finger"], "moshez")
    testcase.assertEqual(got, b"Out to lunch\r\n")


@defer.inlineCallbacks
def then_edit_users(testcase, srv):
    """Step 14, for real: an edit of the file shows once the server logs
    that it has read the file again; a removed user is gone."""
    with open(testcase.users_file, "w", encoding="utf-8") as f:
        f.write("bob: away\nzoë: partie\n")
    yield srv.wait_for(b"read 2 users from ")
    for query, answer in {"bob": "away", "zoë": "partie", "moshez": NO_SUCH_USER}.items():
        got = yield finger_query(srv.ports["finger"], query)
        testcase.assertEqual((query, got), (query, expected_bytes(answer)))


@defer.inlineCallbacks
def then_web_page(testcase, srv):
    """Step 15, for real: zoë's page, with a real HTTP client."""
    code, ctype, body = yield http_get(f"http://127.0.0.1:{srv.ports['web']}/zo%C3%AB")
    testcase.assertEqual((code, ctype), (200, "text/html; charset=utf-8"))
    testcase.assertIn("<h1>zoë</h1><p>Très bien, merci</p>".encode("utf-8"), body)


@defer.inlineCallbacks
def then_ask_on_irc(testcase, srv):
    """Step 16, for real: PRIVMSG fingerbot :moshez on the test's IRC server."""
    port, realm = testcase.irc
    yield realm.logged_in("fingerbot")
    tester = yield irc_tester(testcase, port)
    reply = yield tester.ask("fingerbot", "moshez")
    testcase.assertEqual(reply, "Status of moshez: happy and well")
    yield srv.wait_for(f"irc signed on to 127.0.0.1:{port} as fingerbot")


@defer.inlineCallbacks
def then_half_close(testcase, srv):
    """Steps 17-28, for real: asked as the README asks, `printf 'moshez\\r\\n'
    | nc -N`, which half-closes right after the line; the answer still comes
    (19b's comes from a program, after the half-close has arrived)."""
    got = yield send_half_closed(srv.ports["finger"], "moshez")
    testcase.assertEqual(got, expected_bytes(testcase.row.answers["moshez"]))


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
         roles=("finger", "setter"), then=then_set_status),
    Step("Finger13", "finger/finger13.tac", HAPPY, NO_SUCH_USER, TRES_BIEN,
         roles=("finger", "setter"), then=then_set_status),
    # From step 14 on, the users come from finger/etc.users (14: a copy).
    Step("Finger14", "finger/finger14.tac", FILE_HAPPY, NO_SUCH_USER, TRES_BIEN,
         prepare=with_users_copy, then=then_edit_users),
    Step("Finger15", "finger/finger15.tac", FILE_HAPPY, NO_SUCH_USER, TRES_BIEN,
         roles=("finger", "web"), then=then_web_page),
    Step("Finger16", "finger/finger16.tac", FILE_HAPPY, NO_SUCH_USER, TRES_BIEN,
         roles=("finger", "web"), prepare=with_irc_server, then=then_ask_on_irc),
    # Steps 17-28 (helper D): rows below this line.
    # Users from finger/etc.users; no IRC bot in these runs (the bot of steps
    # 17-28 is tested in-process, in tests/test_finger_frontends.py).
    Step("Finger17", "finger/finger17.tac", FILE_HAPPY, NO_SUCH_USER, TRES_BIEN,
         roles=("finger", "web"), env={"FINGER_IRC_SERVER": ""},
         then=then_half_close),
    Step("Finger18", "finger/finger18.tac", FILE_HAPPY, NO_SUCH_USER, TRES_BIEN,
         roles=("finger", "web"), env={"FINGER_IRC_SERVER": ""},
         then=then_half_close),
    Step("Finger19", "finger/finger19.tac", FILE_HAPPY, NO_SUCH_USER, TRES_BIEN,
         roles=("finger", "web"), env={"FINGER_IRC_SERVER": ""},
         then=then_half_close),
    Step("Finger19a", "finger/finger19a.tac", FILE_HAPPY, NO_SUCH_USER, TRES_BIEN,
         roles=("finger", "setter", "web"), env={"FINGER_IRC_SERVER": ""},
         then=then_half_close),
    # The name reaches finger(1) after "--", so that no name is an option.
    Step("Finger19b", "finger/finger19b.tac", "argument: --\nargument: moshez",
         NO_SUCH_USER, "argument: --\nargument: zoë",
         roles=("finger", "web"), env={"FINGER_IRC_SERVER": ""},
         prepare=with_stand_in_finger,
         then=then_half_close),
    Step("Finger19c", "finger/finger19c.tac", FILE_HAPPY, NO_SUCH_USER, TRES_BIEN,
         roles=("finger", "web"), env={"FINGER_IRC_SERVER": ""}, prepare=with_homes,
         then=then_half_close),
    Step("Finger20", "finger/finger20.tac", FILE_HAPPY, NO_SUCH_USER, TRES_BIEN,
         roles=("finger", "web"), env={"FINGER_IRC_SERVER": ""},
         then=then_half_close),
    Step("Finger21", "finger/finger21.tac", FILE_HAPPY, NO_SUCH_USER, TRES_BIEN,
         roles=("finger", "web", "pb"),
         env={"FINGER_IRC_SERVER": "", "FINGER_PB_PORT": "0"}, then=then_half_close),
    Step("Finger22", "finger/finger22.tac", FILE_HAPPY, NO_SUCH_USER, TRES_BIEN,
         roles=("finger", "web", "pb", "https"), env={"FINGER_IRC_SERVER": ""},
         prepare=with_certificate,
         then=then_half_close),
    # The organized finger's short tac; FINGER_CERT set turns HTTPS on.
    Step("FingerTac", "finger/finger.tac", FILE_HAPPY, NO_SUCH_USER, TRES_BIEN,
         roles=("finger", "setter", "web", "https", "pb"), env={"FINGER_IRC_SERVER": ""},
         prepare=with_certificate,
         then=then_half_close),
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
        # Asked as the README asks, `echo moshez | nc -N`: a bare LF, then a
        # half-close at once, which must not make the step drop its answer.
        got = yield send_half_closed(srv.ports["finger"], b"moshez\n")
        if got != expected_bytes(row.answers["moshez"]):
            wrong.append(f"'moshez' with a half-close: expected "
                         f"{expected_bytes(row.answers['moshez'])!r}, got {got!r}")
        self.assertEqual(wrong, [], "\n".join(wrong) + "\n" + srv.output.decode(errors="replace"))
        if row.then is not None:
            yield row.then(self, srv)
        # The default interface is loopback, and nothing went wrong inside.
        self.assertRegex(srv.output.decode(), r"finger listening on 127\.0\.0\.1:\d+")
        self.assertNotIn(b"Traceback", srv.output)


globals().update(FingerSpec.makeTestCaseClasses())


# --- steps 1-3: what they show ---------------------------------------------------

class EarlyStepsTest(TestCase):
    """Step 1 refuses, step 2 holds a connection open, step 3 closes at once."""

    @defer.inlineCallbacks
    def test_step1_refuses(self):
        port = dead_port(self)
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
        call = reactor.callLater(0.25, window.callback, None)
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
    """The same, on the protocol alone: step 2 never closes, step 3 always
    does, step 4 after a line."""

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

    def test_step4_waits_for_the_line(self):
        """Step 4 keeps the connection until a whole line is in, then closes
        without a word (which the spec, seeing only the close, cannot tell
        from step 3)."""
        proto, transport = self.connect("finger/finger04.py")
        proto.dataReceived(b"mosh")
        self.assertFalse(transport.disconnecting)
        proto.dataReceived(b"ez\r\n")
        self.assertTrue(transport.disconnecting)
        self.assertEqual(transport.value(), b"")


# --- the protocol, in memory ---------------------------------------------------------

ANSWERING_SCRIPTS = ("finger05", "finger06", "finger07", "finger08")
TAC_STEPS = ("finger11", "finger12", "finger13", "finger14", "finger15", "finger16")


def tac_finger_factory(rel):
    """The finger factory of a tac, loaded (not started), with the users
    moshez and zoë wherever that step keeps its users."""
    app = load_step(rel)
    server = [s for s in service.IServiceCollection(app) if getattr(s, "role", "") == "finger"]
    factory = server[0].args[1]
    holder = factory if hasattr(factory, "users") else find_service(app, "users")
    holder.users = {"moshez": HAPPY, "zoë": TRES_BIEN}
    return factory


class FingerProtocolTest(TestCase):
    """Protocol cases on StringTransport, for every script step that answers."""

    def connect(self, name, factory=None):
        if factory is None and name in TAC_STEPS:
            factory = tac_finger_factory(f"finger/{name}.tac")
        if factory is None:
            module = load_script(f"finger/{name}.py")
            factory = (module.FingerFactory(moshez=HAPPY, zoë=TRES_BIEN)
                       if name >= "finger07" else module.FingerFactory())
        proto = factory.buildProtocol(None)
        # The idle timeout (TimeoutMixin, step 8 on) runs on our clock.
        proto.callLater = self.clock.callLater
        transport = StringTransport()
        proto.makeConnection(transport)
        return proto, transport

    def setUp(self):
        self.clock = task.Clock()

    def each(self, names, data, expected):
        for name in names:
            proto, transport = self.connect(name)
            for chunk in data:
                proto.dataReceived(chunk)
            self.assertEqual((name, transport.value()), (name, expected))
            self.assertTrue(transport.disconnecting, name)

    def test_line_too_long(self):
        """A query longer than MAX_LENGTH gets one clear line, then the door."""
        self.each(ANSWERING_SCRIPTS + TAC_STEPS, [b"x" * 3000, b"y" * 3000],
                  b"Query too long\r\n")

    def test_step4_too_long_closes(self):
        self.each(("finger04",), [b"x" * 20000], b"")

    def test_bare_lf_and_w(self):
        """nc sends a bare LF; RFC 1288's /W is ignored."""
        self.each(("finger07", "finger08") + TAC_STEPS, [b"/W moshez\n"],
                  b"Happy and well\r\n")

    def test_not_utf8(self):
        """Bytes that are not UTF-8 are nobody, not a crash."""
        self.each(("finger07", "finger08") + TAC_STEPS, [b"mos\xffhez\r\n"],
                  b"No such user\r\n")

    def test_one_query_per_connection(self):
        """From step 8 on, only the first line is answered, even when two
        arrive together."""
        self.each(("finger08",) + TAC_STEPS, [b"moshez\r\nzo\xc3\xab\r\n"],
                  b"Happy and well\r\n")

    def test_silent_client_is_hung_up(self):
        """From step 8 on, a client gets 60 seconds to send its query."""
        for name in ("finger08", "finger09", "finger10") + TAC_STEPS:
            factory = None
            if name in ("finger09", "finger10"):
                module = load_script(f"finger/{name}.py")
                factory = (module.FingerFactory("http://127.0.0.1:1/~") if name == "finger10"
                           else module.FingerFactory())
            proto, transport = self.connect(name, factory)
            self.clock.advance(59)
            self.assertFalse(transport.disconnecting, name)
            proto.dataReceived(b"mosh")  # a part of a line is not a query
            self.clock.advance(1)
            self.assertTrue(transport.disconnecting, name)
            self.assertEqual(transport.value(), b"", name)

    def test_answered_client_has_no_timer(self):
        """Once the line is in, the timeout is off: an answer that takes
        longer than 60 seconds (step 9, 10) is not cut off by it."""
        proto, transport = self.connect("finger14")
        proto.dataReceived(b"moshez\r\n")
        self.assertEqual(self.clock.getDelayedCalls(), [])

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
        """parse_args of a script, which must exit: its exit code or message."""
        module = load_script(rel)
        set_env(self, **env)
        with self.assertRaises(SystemExit) as caught:
            module.parse_args(list(argv))
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

    def test_port_option_wins(self):
        """--port wins over FINGER_PORT, even over a bad one; without
        --port, FINGER_PORT, and without either, the text's 1079."""
        for rel in SCRIPTS:
            module = load_script(rel)
            set_env(self, FINGER_PORT="abc")
            self.assertEqual((rel, module.parse_args(["--port", "7"]).port), (rel, 7))
            set_env(self, FINGER_PORT="5")
            self.assertEqual((rel, module.parse_args([]).port), (rel, 5))
            set_env(self, FINGER_PORT=None)
            args = module.parse_args([])
            self.assertEqual((rel, args.port, args.iface), (rel, 1079, "127.0.0.1"))

    def test_bad_port_option(self):
        """--port x is argparse's usage error, exit status 2."""
        err = quiet_stderr(self)
        for rel in SCRIPTS:
            code = self.parse(rel, {}, ["--port", "x"])
            self.assertEqual((rel, code), (rel, 2))
            self.assertEqual(err.getvalue().splitlines()[-1],
                             f"{os.path.basename(rel)}: error: argument --port: must be a port "
                             f"number from 0 to 65535, not 'x'")

    def test_port_taken(self):
        """A port that cannot be bound is one line, before anything runs."""
        taken = listen(self, protocol.ServerFactory())
        for rel in SCRIPTS[1:]:
            module = load_script(rel)
            args = module.parse_args(["--port", str(taken)])
            with self.assertRaises(SystemExit) as caught:
                module.listen(protocol.ServerFactory(), args)
            self.assertEqual(caught.exception.code,
                             f"{os.path.basename(rel)}: Couldn't listen on 127.0.0.1:{taken}: "
                             f"[Errno 98] Address already in use.")


def quiet_stderr(testcase):
    """Capture what argparse writes on stderr; returns the buffer."""
    buffer = io.StringIO()
    testcase.patch(sys, "stderr", buffer)
    return buffer


# --- step 9: what reaches the finger program ----------------------------------------

class Step9Test(TestCase):
    """Step 9 in this process, over loopback, with a stand-in `finger` first
    on PATH that records every run's arguments."""

    def setUp(self):
        self.module = load_script("finger/finger09.py")
        self.port = listen(self, self.module.FingerFactory())
        self.log = capture_log(self, "finger")
        self.runs = os.path.join(temp_dir(self), "runs")

    def stand_in(self):
        set_env(self, PATH=stand_in_finger(self), FINGER_STAND_IN_LOG=self.runs)

    def recorded_runs(self):
        if not os.path.exists(self.runs):
            return []
        with open(self.runs, encoding="utf-8") as f:
            return [eval(line) for line in f]  # each line is repr(list of str)

    @defer.inlineCallbacks
    def test_no_option_and_no_other_host_reaches_finger(self):
        self.stand_in()
        asked = {
            "moshez": "argument: moshez",
            "/W zoë": "argument: zoë",
            "-l": NO_SUCH_USER,
            "--help": NO_SUCH_USER,
            "-l moshez": NO_SUCH_USER,
            "a@b": NO_SUCH_USER,
            "moshez@example.com": NO_SUCH_USER,
            "two words": NO_SUCH_USER,
            "../etc": NO_SUCH_USER,
            "": NO_SUCH_USER,
        }
        for query, answer in asked.items():
            got = yield finger_query(self.port, query)
            self.assertEqual((query, got), (query, expected_bytes(answer)))
        # Only the two plain names ever reached the program, each alone.
        self.assertEqual(self.recorded_runs(), [["moshez"], ["zoë"]])
        for refused in ("-l", "--help", "a@b", "two words"):
            self.assertIn(f"not asking finger about {refused!r}: not a plain user name",
                          self.log)

    @defer.inlineCallbacks
    def test_stderr_is_not_an_internal_error(self):
        """finger says "no such user" on stderr: the client gets No such user,
        the log gets what finger said."""
        self.stand_in()
        got = yield finger_query(self.port, "nosuchuser")
        self.assertEqual(got, b"No such user\r\n")
        self.assertEqual(self.recorded_runs(), [["nosuchuser"]])
        self.assertIn("finger 'nosuchuser' said on stderr: finger: nosuchuser: no such user.",
                      self.log)

    @defer.inlineCallbacks
    def test_no_finger_program(self):
        set_env(self, PATH=temp_dir(self))
        got = yield finger_query(self.port, "moshez")
        self.assertEqual(got, b"No finger program on this server\r\n")
        self.assertIn("cannot answer about 'moshez': there is no finger program on PATH",
                      self.log)

    @defer.inlineCallbacks
    def test_real_finger(self):
        """When the system's finger is installed (Debian: apt-get install
        finger), ask it about root, and make sure an option still never
        reaches it."""
        if shutil.which("finger") is None:
            raise SkipTest("no finger program installed (Debian: apt-get install finger)")
        got = yield finger_query(self.port, "root")
        self.assertTrue(got.startswith(b"Login: root"), got)
        self.assertTrue(got.endswith(b"\r\n"), got)
        got = yield finger_query(self.port, "-l")
        self.assertEqual(got, b"No such user\r\n")
        got = yield finger_query(self.port, "nosuchuser")
        self.assertEqual(got, b"No such user\r\n")

    @defer.inlineCallbacks
    def test_hung_finger_is_killed(self):
        """A finger that never answers: at the timeout the client gets
        "Internal error in server", the error is logged once, and the
        process is killed (trial would find its pipes in the reactor)."""
        self.stand_in()
        factory = self.module.FingerFactory()
        factory.timeout = 0.2
        port = listen(self, factory)
        got = yield finger_query(port, "hang")
        self.assertEqual(got, b"Internal error in server\r\n")
        errors = self.flushLoggedErrors(RuntimeError)
        self.assertEqual([str(e.value) for e in errors],
                         ["finger 'hang' gave no answer within 0.2 seconds"])
        self.assertEqual(self.recorded_runs(), [["hang"]])
        # Reaped: nothing of the process is left in the reactor.
        yield poll(lambda: not [r for r in reactor.getReaders()
                                if type(r).__name__ == "ProcessReader"],
                   what="the killed finger's pipes closing")


# --- step 10: a web server as the source ----------------------------------------------

class Step10Test(TestCase):
    """Step 10 in this process against a small twisted.web server."""

    def setUp(self):
        self.module = load_script("finger/finger10.py")
        self.log = capture_log(self, "finger")

    def serve(self, prefix, timeout=None):
        factory = self.module.FingerFactory(prefix)
        if timeout is not None:
            factory.timeout = timeout
        return listen(self, factory)

    @defer.inlineCallbacks
    def test_http_status_is_checked(self):
        seen = []
        web = serve_web(self, {
            "/~moshez": b"Happy and well\n",
            "/~zo%C3%AB": "Très bien,\nmerci\n".encode("utf-8"),
            "/~broken": 500,
            "/~big": b"x" * (70 * 1024),
        }, seen)
        port = self.serve(f"http://127.0.0.1:{web}/~")
        asked = {
            "moshez": "Happy and well",
            "zoë": "Très bien,\r\nmerci",
            "nosuchuser": NO_SUCH_USER,
            "a/b?c=d#e": NO_SUCH_USER,
            "broken": "Internal error in server",
            "big": "Internal error in server",
        }
        for query, answer in asked.items():
            got = yield finger_query(port, query)
            self.assertEqual((query, got), (query, expected_bytes(answer)))
        # The user name is one quoted path segment: it adds no path or query.
        self.assertIn("/~a%2Fb%3Fc%3Dd%23e", seen)
        # A wrong web server is one warning each, with no traceback.
        warned = [line for line in self.log if line.startswith("cannot fetch a status: ")]
        self.assertEqual(warned, [
            f"cannot fetch a status: http://127.0.0.1:{web}/~broken: HTTP status 500",
            f"cannot fetch a status: http://127.0.0.1:{web}/~big: "
            f"the page is over {64 * 1024} bytes",
        ])

    @defer.inlineCallbacks
    def test_dead_web_server(self):
        dead = dead_port(self)
        port = self.serve(f"http://127.0.0.1:{dead}/~")
        got = yield finger_query(port, "moshez")
        self.assertEqual(got, b"Internal error in server\r\n")
        self.assertEqual(self.log, [
            f"cannot fetch a status: http://127.0.0.1:{dead}/~moshez: "
            f"Connection was refused by other side: 111: Connection refused."])

    @defer.inlineCallbacks
    def test_unexpected_failure_keeps_its_traceback(self):
        """A bug (here: the page cannot be decoded into an answer) is not a
        network error: the protocol's errback logs it with its traceback."""
        web = serve_web(self, {"/~moshez": b"Happy"})
        factory = self.module.FingerFactory(f"http://127.0.0.1:{web}/~")

        def broken(body, code, url):
            raise KeyError("a bug")

        factory.gotPage = broken
        got = yield finger_query(listen(self, factory), "moshez")
        self.assertEqual(got, b"Internal error in server\r\n")
        self.assertEqual(len(self.flushLoggedErrors(KeyError)), 1)

    @defer.inlineCallbacks
    def test_silent_web_server_times_out(self):
        silent = serve(self, TestServerFactory(poem=None))
        port = self.serve(f"http://127.0.0.1:{silent}/~", timeout=0.2)
        got = yield finger_query(port, "moshez")
        self.assertEqual(got, b"Internal error in server\r\n")
        self.assertEqual(self.log, [
            f"cannot fetch a status: http://127.0.0.1:{silent}/~moshez: "
            f"no page within 0.2 seconds"])


# --- steps 11-16 in this process ------------------------------------------------------

def write_users(testcase, text):
    """A users file for one test; returns its absolute path."""
    name = os.path.join(temp_dir(testcase), "users")
    with open(name, "w", encoding="utf-8") as f:
        f.write(text)
    return name


class SetterTest(TestCase):
    """Steps 12 and 13: the setter, then a finger query that shows it."""

    @defer.inlineCallbacks
    def check_setter(self, rel):
        log = capture_log(self, "finger")
        ports = start_application(self, load_step(rel))
        setter, finger = ports["setter"], ports["finger"]
        yield set_status(setter, "moshez", "Out to lunch")
        got = yield finger_query(finger, "moshez")
        self.assertEqual((rel, got), (rel, b"Out to lunch\r\n"))
        yield set_status(setter, "zoë", "À la plage ☀")
        got = yield finger_query(finger, "/W zoë")
        self.assertEqual((rel, got), (rel, "À la plage ☀\r\n".encode("utf-8")))
        # A last line without its line end counts; a trailing empty line is fine.
        yield set_status(setter, None, None, raw=b"bob\nat home")
        yield set_status(setter, None, None, raw=b"carol\r\nin Paris\r\n\r\n")
        for user, status in (("bob", b"at home"), ("carol", b"in Paris")):
            got = yield finger_query(finger, user)
            self.assertEqual((rel, got), (rel, status + b"\r\n"))
        # A bare CR (or any control character but TAB) never reaches a
        # finger client: RFC 1288 asks servers to filter them.
        yield set_status(setter, None, None, raw=b"dave\r\nfoo\rPRIVMSG x :y\x1b[31m\tz\r\n")
        got = yield finger_query(finger, "dave")
        self.assertEqual((rel, got), (rel, b"foo PRIVMSG x :y [31m\tz\r\n"))
        # Junk changes nothing, is logged, and raises nothing.
        junk = {
            b"": "0 line(s) instead of two",
            b"moshez\r\n": "1 line(s) instead of two",
            b"moshez\r\nA\r\nB\r\n": "more than two lines",
            b"mos\xffhez\r\nX\r\n": "a line that is not UTF-8",
            b"x" * 5000: "a line over 1024 bytes",
            b"two words\r\nX\r\n": "'two words' is not a user name",
        }
        for raw, why in junk.items():
            yield set_status(setter, None, None, raw=raw)
            self.assertTrue(any(line.startswith("setter: ignored a connection from ")
                                and why in line for line in log), (rel, why, log))
        got = yield finger_query(finger, "moshez")
        self.assertEqual((rel, got), (rel, b"Out to lunch\r\n"))

    def test_step12(self):
        return self.check_setter("finger/finger12.tac")

    def test_step13(self):
        return self.check_setter("finger/finger13.tac")

    def test_silent_setter_client(self):
        """The setter hangs up on a client silent for 60 seconds and sets
        nothing, even when it sent a user and a status first."""
        for rel in ("finger/finger12.tac", "finger/finger13.tac"):
            log = capture_log(self, "finger")
            app = load_step(rel)
            setter = [s for s in service.IServiceCollection(app)
                      if getattr(s, "role", "") == "setter"][0].args[1]
            clock = task.Clock()
            proto = setter.buildProtocol(None)
            proto.callLater = clock.callLater
            transport = StringTransport()
            proto.makeConnection(transport)
            clock.advance(30)
            proto.dataReceived(b"moshez\r\nAway\r\n")
            clock.advance(59)
            self.assertFalse(transport.disconnecting, rel)
            clock.advance(1)
            self.assertTrue(transport.disconnecting, rel)
            proto.connectionLost(Failure(ConnectionDone()))
            self.assertTrue(log[-1].endswith(": silent for 60 seconds"), (rel, log))
            holder = setter.fingerFactory if hasattr(setter, "fingerFactory") else find_service(
                app, "users")
            self.assertEqual((rel, holder.users["moshez"]), (rel, HAPPY))

    def test_setter_listens_on_loopback_only(self):
        """FINGER_IFACE moves finger, never the setter. (Only loaded, not
        started: the tests listen on loopback only.)"""
        for rel in ("finger/finger12.tac", "finger/finger13.tac"):
            app = load_step(rel, {"FINGER_IFACE": "0.0.0.0"})
            interfaces = {s.role: s.kwargs["interface"]
                          for s in service.IServiceCollection(app) if hasattr(s, "role")}
            self.assertEqual((rel, interfaces),
                             (rel, {"finger": "0.0.0.0", "setter": "127.0.0.1"}))


FILE_STEPS = ("finger/finger14.tac", "finger/finger15.tac", "finger/finger16.tac")


class StatusFileTest(TestCase):
    """Steps 14-16 re-read the status file on a LoopingCall (driven here by a
    task.Clock): edits show, removed users go, bad lines are skipped and
    logged once, an unreadable file keeps the users we had."""

    @defer.inlineCallbacks
    def check_status_file(self, rel):
        log = capture_log(self, "finger")
        users = write_users(self, "moshez: happy\nzoë: là\n")
        app = load_step(rel, {"FINGER_USERS_FILE": users, "FINGER_RELOAD": "5",
                              "FINGER_IRC_SERVER": f"127.0.0.1:{dead_port(self)}"})
        svc = find_service(app, "getUser")
        svc.clock = clock = task.Clock()
        port = start_application(self, app)["finger"]

        @defer.inlineCallbacks
        def ask(expected):
            for query, answer in expected.items():
                got = yield finger_query(port, query)
                self.assertEqual((rel, query, got), (rel, query, expected_bytes(answer)))

        yield ask({"moshez": "happy", "zoë": "là"})
        with open(users, "w", encoding="utf-8") as f:
            f.write("# moshez is gone\nzoë: ici\nno colon here\ntwo words: x\nbob:  out  \n"
                    "eve: red\x1b[31m\x07\ttab\n")
        clock.advance(4.9)
        yield ask({"moshez": "happy"})  # not yet: the period is 5 s
        clock.advance(0.1)
        yield ask({"moshez": NO_SUCH_USER, "zoë": "ici", "bob": "out",
                   "two words": NO_SUCH_USER, "eve": "red [31m \ttab"})
        skipped = [line for line in log if "skipped, not 'user: status'" in line]
        self.assertEqual(len(skipped), 2, log)
        self.assertIn(f"{users}, line 3: skipped, not 'user: status': 'no colon here'", skipped)
        clock.advance(5)
        self.assertEqual(len([line for line in log if "skipped" in line]), 2,
                         "a bad line is logged once, not at every re-read")
        os.rename(users, users + ".away")
        clock.advance(5)
        clock.advance(5)
        yield ask({"bob": "out"})
        cannot = [line for line in log if line.startswith(f"cannot read {users}")]
        self.assertEqual(len(cannot), 1, log)
        self.assertTrue(cannot[0].endswith("keeping the 3 users I had"), cannot)
        os.rename(users + ".away", users)
        with open(users, "a", encoding="utf-8") as f:
            f.write("carol: back\n")
        clock.advance(5)
        yield ask({"carol": "back", "bob": "out"})

    def test_step14(self):
        return self.check_status_file("finger/finger14.tac")

    def test_step15(self):
        return self.check_status_file("finger/finger15.tac")

    def test_step16(self):
        return self.check_status_file("finger/finger16.tac")


WEB_USERS = 'moshez: happy and well\nzoë: Très bien, merci\n<script>: <b>bold</b> & "quoted"\n'


class WebTest(TestCase):
    """Steps 15 and 16: the site, with a real HTTP client."""

    @defer.inlineCallbacks
    def check_web(self, rel):
        users = write_users(self, WEB_USERS)
        app = load_step(rel, {"FINGER_USERS_FILE": users,
                              "FINGER_IRC_SERVER": f"127.0.0.1:{dead_port(self)}"})
        web = start_application(self, app)["web"]
        base = f"http://127.0.0.1:{web}"

        code, ctype, body = yield http_get(base + "/moshez")
        self.assertEqual((rel, code, ctype), (rel, 200, "text/html; charset=utf-8"))
        self.assertIn(b"<h1>moshez</h1><p>happy and well</p>", body)

        code, ctype, body = yield http_get(base + "/zo%C3%AB")
        self.assertEqual((rel, code), (rel, 200))
        self.assertIn("<h1>zoë</h1><p>Très bien, merci</p>".encode("utf-8"), body)

        code, ctype, body = yield http_get(base + "/%3Cscript%3E")
        self.assertEqual((rel, code), (rel, 200))
        self.assertIn(b"<h1>&lt;script&gt;</h1>"
                      b"<p>&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;</p>", body)
        self.assertNotIn(b"<script>", body)
        self.assertNotIn(b"<b>", body)

        code, ctype, body = yield http_get(base + "/nosuchuser")
        self.assertIn(b"<h1>nosuchuser</h1><p>No such user</p>", body)

        code, ctype, body = yield http_get(base + "/")
        self.assertEqual((rel, code), (rel, 200))
        self.assertIn(b'<a href="/moshez">/moshez</a>', body)

        code, ctype, body = yield http_get(base + "/%FF")
        self.assertEqual((rel, code), (rel, 400))

    def test_step15(self):
        return self.check_web("finger/finger15.tac")

    def test_step16(self):
        return self.check_web("finger/finger16.tac")


class Unreadable(dict):
    """A users dict whose every lookup fails: a stand-in for any fault
    behind getUser."""

    def get(self, user, default=None):
        raise RuntimeError(f"cannot look up {user!r}")


class FailingServiceTest(TestCase):
    """Whatever fails behind getUser: finger answers "Internal error in
    server" and closes, the web gives a 500 page, IRC says so too; each
    failure is logged once."""

    @defer.inlineCallbacks
    def check_failures(self, rel, holder="service", irc=False):
        env = {}
        if irc:
            ircPort, realm = irc_server(self)
            env["FINGER_IRC_SERVER"] = f"127.0.0.1:{ircPort}"
        app = load_step(rel, env)
        ports = start_application(self, app)
        if holder == "factory":  # steps 11, 12: the FingerFactory holds the users
            finger = [s for s in service.IServiceCollection(app) if getattr(s, "role", 0) == "finger"]
            finger[0].args[1].users = Unreadable()
        else:
            find_service(app, "users").users = Unreadable()

        got = yield finger_query(ports["finger"], "moshez")
        self.assertEqual((rel, got), (rel, b"Internal error in server\r\n"))
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)
        if "web" in ports:
            code, ctype, body = yield http_get(f"http://127.0.0.1:{ports['web']}/moshez")
            self.assertEqual((rel, code), (rel, 500))
            self.assertIn(b"Internal error in server", body)
            self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)
        if irc:
            yield realm.logged_in("fingerbot")
            tester = yield irc_tester(self, ircPort)
            reply = yield tester.ask("fingerbot", "moshez")
            self.assertEqual(reply, "Status of moshez: Internal error in server")
            self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)

    def test_step11(self):
        return self.check_failures("finger/finger11.tac", holder="factory")

    def test_step12(self):
        return self.check_failures("finger/finger12.tac", holder="factory")

    def test_step13(self):
        return self.check_failures("finger/finger13.tac")

    def test_step14(self):
        return self.check_failures("finger/finger14.tac")

    def test_step15(self):
        return self.check_failures("finger/finger15.tac")

    def test_step16(self):
        return self.check_failures("finger/finger16.tac", irc=True)


class IRCTest(TestCase):
    """Step 16's bot on twisted.words' own IRC server, asked by a real IRC
    client: PRIVMSG fingerbot :moshez."""

    @defer.inlineCallbacks
    def test_bot_answers_in_private(self):
        ircPort, realm = irc_server(self)
        users = write_users(self, WEB_USERS)
        log = capture_log(self, "finger")
        app = load_step("finger/finger16.tac", {
            "FINGER_USERS_FILE": users, "FINGER_IRC_SERVER": f"127.0.0.1:{ircPort}"})
        svc = find_service(app, "users")
        start_application(self, app)
        yield realm.logged_in("fingerbot")
        tester = yield irc_tester(self, ircPort)
        asked = {
            "moshez": "Status of moshez: happy and well",
            "zoë": "Status of zoë: Très bien, merci",
            "nosuchuser": "Status of nosuchuser: No such user",
            "<script>": 'Status of <script>: <b>bold</b> & "quoted"',
        }
        for query, reply in asked.items():
            got = yield tester.ask("fingerbot", query)
            self.assertEqual(got, reply)
        # It answered, so it has seen the server's welcome, and said so.
        self.assertIn(f"irc signed on to 127.0.0.1:{ircPort} as fingerbot", log)

        # A status cannot smuggle in a second IRC command.
        svc.users["evil"] = "fine\r\nQUIT :injected\nPRIVMSG tester :second"
        got = yield tester.ask("fingerbot", "evil")
        self.assertEqual(got, "Status of evil: fine QUIT :injected PRIVMSG tester :second")
        got = yield tester.ask("fingerbot", "moshez")
        self.assertEqual(got, "Status of moshez: happy and well")
        self.assertEqual(len(tester.replies), len(asked) + 2)

        # Cut from the server's side, the bot comes back (ClientService).
        back = realm.next_login("fingerbot", timeout=15)
        realm.drop("fingerbot")
        yield back
        got = yield tester.ask("fingerbot", "zoë")
        self.assertEqual(got, "Status of zoë: Très bien, merci")


# --- configuration of the tacs ---------------------------------------------------------

TACS = [f"finger/finger{n}.tac" for n in range(11, 17)]


class TacConfigurationTest(TestCase):
    """A bad value is one line naming the tac and the variable, before
    anything is bound (the tac exits while twistd loads it)."""

    def bad(self, rel, env):
        with self.assertRaises(SystemExit) as caught:
            load_step(rel, env)
        return caught.exception.code

    def test_bad_values(self):
        for rel in TACS:
            name = os.path.basename(rel)
            text = open(path(rel), encoding="utf-8").read()
            cases = {"FINGER_PORT": ("x", "must be a port number from 0 to 65535, not 'x'")}
            if "FINGER_SETTER_PORT" in text:
                cases["FINGER_SETTER_PORT"] = ("65536", "must be a port number from 0 to 65535, "
                                               "not '65536'")
            if "FINGER_WEB_PORT" in text:
                cases["FINGER_WEB_PORT"] = ("-1", "must be a port number from 0 to 65535, not '-1'")
            if "FINGER_USERS_FILE" in text:
                cases["FINGER_USERS_FILE"] = ("/nonexistent/users",
                                              "names no file that can be read: '/nonexistent/users'")
                cases["FINGER_RELOAD"] = ("0", "must be a number of seconds greater than 0, not '0'")
            if "FINGER_IRC_SERVER" in text:
                cases["FINGER_IRC_SERVER"] = ("irc.libera.chat", "must be HOST:PORT, "
                                              "not 'irc.libera.chat'")
                cases["FINGER_IRC_NICK"] = ("finger bot", "must be an IRC nickname, "
                                            "not 'finger bot'")
            for variable, (value, message) in cases.items():
                self.assertEqual(self.bad(rel, {variable: value}), f"{name}: {variable} {message}")

    def test_no_uid_gid(self):
        """The text's Application("finger", uid=1, gid=1) made twistd fail for
        anyone but root; ours runs as whoever starts it."""
        for rel in TACS:
            app = load_step(rel, {"FINGER_IRC_SERVER": "127.0.0.1:1"})
            process = service.IProcess(app)
            self.assertEqual((rel, process.uid, process.gid), (rel, None, None))

    def test_port_taken(self):
        """A port that cannot be bound (in use; 79 for anyone but root) is
        one line, from the service that could not bind it."""
        taken = listen(self, protocol.ServerFactory())
        for rel in TACS:
            app = load_step(rel, {"FINGER_PORT": str(taken)})
            with self.assertRaises(SystemExit) as caught:
                service.IService(app).privilegedStartService()
            self.assertEqual(caught.exception.code,
                             f"{os.path.basename(rel)}: finger cannot listen on 127.0.0.1:{taken}: "
                             f"[Errno 98] Address already in use")
            # (The finger port is each tac's first: nothing was bound before it.)

    @defer.inlineCallbacks
    def test_setter_port_taken(self):
        """A reader who moves only finger to 1079 learns that it is the setter
        that clashed (both default to 1079)."""
        taken = listen(self, protocol.ServerFactory())
        for rel in ("finger/finger12.tac", "finger/finger13.tac"):
            app = load_step(rel, {"FINGER_SETTER_PORT": str(taken)})
            with self.assertRaises(SystemExit) as caught:
                service.IService(app).privilegedStartService()
            self.assertEqual(caught.exception.code,
                             f"{os.path.basename(rel)}: setter cannot listen on "
                             f"127.0.0.1:{taken}: [Errno 98] Address already in use")
            # The finger port, bound first, is let go.
            yield service.IService(app).stopService()

    @defer.inlineCallbacks
    def test_as_a_reader_sees_them(self):
        """Under real twistd: a missing users file is one line and exit 1,
        with no traceback."""
        out, err, code = yield run(step_argv("finger/finger14.tac"),
                                   env={"FINGER_PORT": "0", "FINGER_USERS_FILE": "nope"})
        self.assertEqual(code, 1)
        self.assertEqual(without_resource_warnings(err),
                         ["finger14.tac: FINGER_USERS_FILE names no file that can be read: 'nope'"])
        self.assertNotIn(b"Traceback", out + err)
