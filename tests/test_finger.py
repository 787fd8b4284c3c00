"""The Evolution of Finger (finger/): one spec over every step and program.

The table is tests.support.finger_steps.STEPS, one row per step. Each row
becomes a class (Finger07Spec ...) made of the mixins below that its
features name:

- a real run (Answers): the step run as the README runs it (a script with
  python, a tac under real `twistd -n -y`) on free ports, asked about moshez,
  an unknown user, "/W moshez", zoë, a name that is not UTF-8, two queries
  at once, a query over 1024 bytes, and as `echo moshez | nc -N` asks; then,
  on the same process, what the row's *Run features add (the setter, an
  edit of the status file, a page, a question on IRC, fingerXRclient.py).
  Steps 1-4 have their own runs (refused, held, closed at once, held until
  a line or the deadline).
- in this process, the rest: the FingerProtocol on a StringTransport
  (TacChecks for a tac's, DeferredChecks from step 8 on); the setter (SetterChecks), the status file
  (StatusFileChecks), the pages (PageChecks), the IRC bot on twisted.words'
  own server (IRCChecks) and XML-RPC with real clients (XMLRPCChecks), over
  loopback.

What every step shares (the bad values, a port in use, the address line,
the deadline and the byte limit of each connection) is the contract's, and
tests/test_finger_contract.py runs it over the same table.
"""

import os
import re
import shutil

from twisted.application import service
from twisted.internet import defer, reactor, task
from twisted.internet.error import ConnectionDone, ConnectionRefusedError
from twisted.python.failure import Failure

from finger import contract
from tests.support import refused_port, run_script, start
from tests.support.finger import (
    SIGNED_ON_RE, Unreadable, ask_in_memory, check_answers, connect, expected_bytes,
    factory_of, finger_query, http_get, irc_tester, listening, load_row, load_row_with_irc,
    finger_factory, logged_text, send_half_closed, set_status, start_row, step_argv, wait_for_log,
    write_users, xmlrpc_call,
)
from tests.support.finger_steps import FILE_HAPPY, HAPPY, NO_SUCH_USER, STEPS, TRES_BIEN
from tests.support.spec import VersionSpec

INTERNAL_ERROR = "Internal error in server"
# A users file with a status that holds HTML.
WEB_USERS = 'moshez: happy and well\nzoë: Très bien, merci\neve: <b>bold</b> & "quoted"\n'


class FingerSpec(VersionSpec):
    rows = STEPS

    @classmethod
    def mixins_for(cls, row):
        # Features of other modules' specs (test_finger_frontends) are theirs.
        return tuple(MIXINS[feature] for feature in row.features if feature in MIXINS)

    def onTheSameRun(self, srv):
        """What a row checks on its real run after the answers; each *Run
        mixin adds its part and calls this in turn."""
        return defer.succeed(None)


# --- a real run ---------------------------------------------------------------------------

class Answers:
    """The step, run as the README runs it, answers as a reader expects."""

    @defer.inlineCallbacks
    def test_a_real_run(self):
        row = self.row
        srv = yield start_row(self, row)
        port = srv.ports["finger"]
        asked = {
            "moshez": row.answers["moshez"],
            "nosuchuser": row.answers["unknown"],
            "/W moshez": row.answers["moshez"],  # RFC 1288's /W is ignored
            "zoë": row.answers["zoë"],
            b"mos\xffhez\r\n": row.answers["unknown"],  # not UTF-8: nobody, not a crash
            b"moshez\r\nzo\xc3\xab\r\n": row.answers["moshez"],  # one query a connection
            b"x" * 3000 + b"\r\n": row.tooLong,
        }
        wrong = []
        for query, answer in asked.items():
            got = yield finger_query(port, query)
            if got != expected_bytes(answer):
                wrong.append(f"{query[:20]!r}: expected {expected_bytes(answer)!r}, got {got!r}")
        # As the README asks, `echo moshez | nc -N`: a bare LF, then a
        # half-close at once, which must not make the step drop its answer.
        got = yield send_half_closed(port, b"moshez\n")
        if got != expected_bytes(row.answers["moshez"]):
            wrong.append(f"'moshez' and a half-close: got {got!r}")
        self.assertEqual(wrong, [], "\n".join(wrong) + "\n" + srv.output.decode(errors="replace"))
        yield self.onTheSameRun(srv)
        # The default interface is loopback, and nothing went wrong inside.
        self.assertRegex(srv.output.decode(), r"finger listening on 127\.0\.0\.1:\d+")
        self.assertNotIn(b"Traceback", srv.output)


class Refuses:
    """Step 1: only the reactor runs; it says where nothing listens."""

    @defer.inlineCallbacks
    def test_refuses(self):
        port = refused_port(self)
        srv = yield start(self, step_argv(self.row.rel, "--port", port),
                          ready=rb"finger is not listening on 127\.0\.0\.1:(\d+)")
        self.assertEqual(srv.out.decode().splitlines()[0], f"finger is not listening on "
                         f"127.0.0.1:{port}: connections are refused")
        yield self.assertFailure(finger_query(port, "moshez"), ConnectionRefusedError)
        self.assertTrue(srv.running())


class Holds:
    """Step 2: a connection is held, answered nothing, until its deadline
    (FINGER_TIMEOUT, half a second in this row) closes it."""

    @defer.inlineCallbacks
    def test_holds_the_connection(self):
        srv = yield start_row(self, self.row)
        began = reactor.seconds()
        got = yield finger_query(srv.ports["finger"], "moshez")
        self.assertEqual(got, b"")
        self.assertGreaterEqual(reactor.seconds() - began, 0.45)


class ClosesAtOnceRun:
    """Step 3: closed at once, before any line."""

    @defer.inlineCallbacks
    def onTheSameRun(self, srv):
        yield super().onTheSameRun(srv)
        got = yield finger_query(srv.ports["finger"], b"")  # FINGER_TIMEOUT is 60 s here
        self.assertEqual(got, b"")


class WaitsForALineRun:
    """Step 4: a part of a line is held until the deadline (FINGER_TIMEOUT,
    1 second in this row); a whole one closes it at once."""

    @defer.inlineCallbacks
    def onTheSameRun(self, srv):
        yield super().onTheSameRun(srv)
        began = reactor.seconds()
        got = yield finger_query(srv.ports["finger"], b"mosh")
        self.assertEqual(got, b"")
        self.assertGreaterEqual(reactor.seconds() - began, 0.95)


class ProgramRun:
    """Step 9: only a plain user name reaches `finger`, alone; what it says
    on stderr is logged; without a finger program, one line says so; with
    the machine's own, its answer."""

    @defer.inlineCallbacks
    def onTheSameRun(self, srv):
        yield super().onTheSameRun(srv)
        port = srv.ports["finger"]
        with open(self.runs, encoding="utf-8") as f:
            runs = f.read().splitlines()
        self.assertEqual(sorted(set(runs)), ["['moshez']", "['nosuchuser']", "['zoë']"])
        for query in ("-l", "--help", "-l moshez", "a@b", "moshez@example.com", "two words",
                      "../etc", ""):
            got = yield finger_query(port, query)
            self.assertEqual((query, got), (query, b"No such user\r\n"))
        with open(self.runs, encoding="utf-8") as f:
            self.assertEqual(f.read().splitlines(), runs, "a name that is not plain ran finger")
        yield srv.wait_for("finger said on stderr: finger: nosuchuser: no such user.")
        os.remove(self.finger_program)  # PATH holds no other
        got = yield finger_query(port, "moshez")
        self.assertEqual(got, b"No finger program on this server\r\n")
        if shutil.which("finger"):  # this machine's own (Debian: apt-get install finger)
            os.symlink(shutil.which("finger"), self.finger_program)
            got = yield finger_query(port, "root")
            self.assertTrue(got.startswith(b"Login: root"), got)


class WebSourceRun:
    """Step 10: the name is one quoted path segment; a page of many lines
    is an answer of as many; a page that is not there is "No such user"; an
    HTTP error or a page too big is an internal error, logged once in one
    line."""

    @defer.inlineCallbacks
    def onTheSameRun(self, srv):
        yield super().onTheSameRun(srv)
        port = srv.ports["finger"]
        got = yield finger_query(port, "a/b?c=d#e")
        self.assertEqual(got, b"No such user\r\n")
        self.assertIn("/~a%2Fb%3Fc%3Dd%23e", self.seen)
        got = yield finger_query(port, "lines")  # a page's lines stay lines; an escape goes
        self.assertEqual(got, "Très bien,\r\nmerci [31m\r\n".encode("utf-8"))
        for query in ("broken", "broken", "big"):
            got = yield finger_query(port, query)
            self.assertEqual((query, got), (query, b"Internal error in server\r\n"))
        site = self.prefix.rsplit("/", 1)[0]
        yield srv.wait_for(f"cannot fetch a status from {site}: a page over {64 * 1024} bytes")
        self.assertEqual(srv.err.count(f"cannot fetch a status from {site}: HTTP 500".encode()), 1,
                         srv.err)


# --- the FingerProtocol, in memory ---------------------------------------------------------

class TacChecks:
    """The tac's FingerProtocol on a StringTransport, with moshez and zoë."""

    def test_a_query_over_1024_bytes(self):
        factory = factory_of(load_row(self, self.row, start=False).app)
        transport = ask_in_memory(factory, b"x" * 3000, b"y" * 3000)
        self.assertEqual(transport.value(), b"Query too long\r\n")
        self.assertTrue(transport.disconnecting)

    def test_a_bare_lf_and_w(self):
        step = load_row(self, self.row, start=False)
        step.service.users = {"moshez": HAPPY, "zoë": TRES_BIEN}
        transport = ask_in_memory(factory_of(step.app), b"/W zo\xc3\xab\n")
        self.assertEqual(transport.value(), "Très bien, merci\r\n".encode("utf-8"))
        self.assertTrue(transport.disconnecting)

    def test_one_query_a_connection(self):
        step = load_row(self, self.row, start=False)
        step.service.users = {"moshez": HAPPY}
        transport = ask_in_memory(factory_of(step.app), b"nobody\r\nmoshez\r\n")
        self.assertEqual(transport.value(), b"No such user\r\n")

    def test_a_failing_lookup_is_an_internal_error_logged_once(self):
        step = load_row(self, self.row, start=False)
        step.service.users = Unreadable()
        transport = ask_in_memory(factory_of(step.app), b"moshez\r\n")
        self.assertEqual(transport.value(), b"Internal error in server\r\n")
        self.assertTrue(transport.disconnecting)
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)

    def test_no_uid_or_gid(self):
        """The listing's Application("finger", uid=1, gid=1) makes twistd
        exit for anyone but root; twistd -u and -g do it instead."""
        process = service.IProcess(load_row(self, self.row, start=False).app)
        self.assertEqual((process.uid, process.gid), (None, None))


class DeferredChecks:
    """The FingerProtocol of steps 8 on, in memory, with getUser's Deferred
    in the test's hands."""

    def test_the_answer_waits_for_getUser(self):
        factory = finger_factory(self, self.row)
        pending = defer.Deferred()
        factory.getUser = lambda user: pending
        transport = ask_in_memory(factory, b"moshez\r\n")
        self.assertEqual((transport.value(), transport.disconnecting), (b"", False))
        pending.callback("zoë est là")
        self.assertEqual(transport.value(), "zoë est là\r\n".encode("utf-8"))
        self.assertTrue(transport.disconnecting)

    def test_a_failure_is_an_internal_error_logged_once(self):
        factory = finger_factory(self, self.row)
        factory.getUser = lambda user: defer.fail(RuntimeError("the backend is down"))
        transport = ask_in_memory(factory, b"moshez\r\n")
        self.assertEqual(transport.value(), b"Internal error in server\r\n")
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)
        factory.getUser = lambda user: 1 / 0  # raises, rather than failing its Deferred
        transport = ask_in_memory(factory, b"moshez\r\n")
        self.assertEqual(transport.value(), b"Internal error in server\r\n")
        self.assertEqual(len(self.flushLoggedErrors(ZeroDivisionError)), 1)

    def test_a_bug_past_the_backend_hangs_up(self):
        """getUser's answer is not text (a bug): the client is hung up on at
        once, not left to its deadline, and the bug is logged once."""
        factory = finger_factory(self, self.row)
        factory.getUser = lambda user: defer.succeed(None)
        transport = ask_in_memory(factory, b"moshez\r\n")
        self.assertTrue(transport.disconnecting)
        self.assertEqual(len(self.flushLoggedErrors(AttributeError)), 1)

    def test_a_hang_up_cancels_the_query(self):
        factory = finger_factory(self, self.row)
        cancelled = []
        factory.getUser = lambda user: defer.Deferred(cancelled.append)
        proto, _ = connect(factory)
        proto.dataReceived(b"moshez\r\n")
        proto.connectionLost(Failure(ConnectionDone()))
        self.assertEqual(len(cancelled), 1)  # and nothing logged: trial would fail the test


# --- the setter (steps 12, 13) ------------------------------------------------------------

class SetterChecks:
    """The setter over loopback: a user and a status, then finger says it."""

    @defer.inlineCallbacks
    def test_a_status_set_is_answered(self):
        step = load_row(self, self.row)
        setter = step.ports["setter"]
        yield set_status(setter, "moshez", "Out to lunch")
        yield set_status(setter, "zoë", "À la plage ☀")
        # A last line without its line end counts; a trailing empty line is fine.
        yield set_status(setter, b"bob\nat home")
        yield set_status(setter, b"carol\r\nin Paris\r\n\r\n")
        # No control character but TAB reaches a finger client (RFC 1288).
        yield set_status(setter, b"dave\r\nfoo\rPRIVMSG x :y\x1b[31m\tz\r\n")
        yield check_answers(self, step.ports["finger"], {
            "moshez": "Out to lunch", "/W zoë": "À la plage ☀", "bob": "at home",
            "carol": "in Paris", "dave": "foo PRIVMSG x :y [31m\tz"})

    @defer.inlineCallbacks
    def test_junk_is_ignored_and_logged(self):
        step = load_row(self, self.row)
        junk = {
            b"": "it sent 0 lines, not two (a user, then a status)",
            b"moshez\r\n": "it sent 1 line, not two (a user, then a status)",
            b"moshez\r\nA\r\nB\r\n": "it sent 3 lines, not two (a user, then a status)",
            b"mos\xffhez\r\nX\r\n": "a line that is not UTF-8",
            b"x" * 5000: "a line over 1024 bytes",
            b"two words\r\nX\r\n": "'two words' is not a user name",
        }
        for data, why in junk.items():
            yield set_status(step.ports["setter"], data)
            lines = [line for line in logged_text(step.log) if line.startswith("setter: ignored")]
            self.assertRegex(lines[-1], r"^setter: ignored a connection from 127\.0\.0\.1:\d+: "
                             + re.escape(why) + "$")
        self.assertEqual(len(lines), len(junk))
        yield check_answers(self, step.ports["finger"], {"moshez": HAPPY, "two words": NO_SUCH_USER})

    def test_a_client_cut_off_at_its_deadline_sets_nothing(self):
        step = load_row(self, self.row, start=False)
        clock = task.Clock()
        proto, transport = connect(contract.Guard(factory_of(step.app, "setter"), clock))
        clock.advance(30)
        proto.dataReceived(b"moshez\r\nAway\r\n")
        clock.advance(29.9)
        self.assertFalse(transport.disconnecting)
        clock.advance(0.1)
        self.assertTrue(transport.disconnecting)
        proto.connectionLost(Failure(ConnectionDone()))
        self.assertEqual(step.service.users["moshez"], HAPPY)
        self.assertEqual(logged_text(step.log)[-1], "setter: ignored a connection from "
                         "127.0.0.1:7: silent for 60 seconds (FINGER_TIMEOUT) after 2 lines")

    def test_the_setter_listens_on_loopback_only(self):
        """FINGER_IFACE moves finger, never the setter. (Loaded, not started:
        the tests listen on loopback only.)"""
        step = load_row(self, self.row, {"FINGER_IFACE": "0.0.0.0"}, start=False)
        where = {role: s.description for role, s in listening(step.app).items()}
        self.assertIn(":interface=0.0.0.0", where["finger"])
        self.assertIn(":interface=127.0.0.1", where["setter"])

    @defer.inlineCallbacks
    def test_the_users_are_bounded(self):
        step = load_row(self, self.row, {"FINGER_MAX_USERS": "3"})
        self.patch(contract, "_warned", set())  # warned once a process: this test's own
        for user in ("bob", "carol", "dave", "moshez"):
            yield set_status(step.ports["setter"], user, "here")
        yield check_answers(self, step.ports["finger"], {
            "bob": "here", "carol": NO_SUCH_USER, "dave": NO_SUCH_USER, "moshez": "here"})
        refused = [line for line in logged_text(step.log) if "new users are refused" in line]
        self.assertEqual(refused, ["setter: 3 users already (FINGER_MAX_USERS): "
                                   "new users are refused"])


class SetterRun:
    """Steps 12, 13 for real: the setter, then finger says it."""

    @defer.inlineCallbacks
    def onTheSameRun(self, srv):
        yield super().onTheSameRun(srv)
        yield set_status(srv.ports["setter"], "moshez", "Out to lunch")
        got = yield finger_query(srv.ports["finger"], "moshez")
        self.assertEqual(got, b"Out to lunch\r\n")


# --- the status file (steps 14 on) -----------------------------------------------------------

class StatusFileChecks:
    """The users file, read again every FINGER_RELOAD seconds (a fraction of one here):
    an edit shows; removed users stay in step 14 and go from step 15 on; a
    bad line is skipped and logged; an unreadable file keeps the users."""

    @defer.inlineCallbacks
    def test_an_edit_is_read_again(self):
        users = write_users(self, "moshez: happy\nzoë: là\n")
        step = load_row(self, self.row, {"FINGER_USERS_FILE": users, "FINGER_RELOAD": "0.05"})
        yield check_answers(self, step.ports["finger"], {"moshez": "happy", "zoë": "là"})
        write_users(self, "bob: away\nzoë: partie\neve: red\x1b[31m\x07\ttab\n", users)
        yield wait_for_log(step.log, f"read 3 users from {users}")
        yield check_answers(self, step.ports["finger"], {
            "bob": "away", "zoë": "partie", "eve": "red [31m \ttab",
            "moshez": "happy" if self.row.keepsRemovedUsers else NO_SUCH_USER})

    def test_the_file_is_read_every_FINGER_RELOAD_seconds(self):
        step = load_row(self, self.row, {"FINGER_RELOAD": "0.2"})
        left = step.service.call.getTime() - reactor.seconds()
        self.assertTrue(0 < left <= 0.2, left)

    @defer.inlineCallbacks
    def test_a_bad_line_and_an_unreadable_file(self):
        users = write_users(self, "bob: away\nno colon here\n")
        step = load_row(self, self.row, {"FINGER_USERS_FILE": users, "FINGER_RELOAD": "0.05"})
        self.assertIn(f"{users}:2: skipped 'no colon here': not 'user: status'",
                      logged_text(step.log))
        os.rename(users, users + ".away")
        yield wait_for_log(step.log, f"cannot read {users}: ")
        yield check_answers(self, step.ports["finger"], {"bob": "away"})
        os.rename(users + ".away", users)
        with open(users, "a", encoding="utf-8") as f:
            f.write("carol: back\n")
        yield wait_for_log(step.log, f"read 2 users from {users}")
        yield check_answers(self, step.ports["finger"], {"bob": "away", "carol": "back"})
        skipped = [line for line in logged_text(step.log) if "skipped" in line]
        self.assertEqual(len(skipped), 1, "a bad line is logged once, not at every reading")


class EditRun:
    """Step 14 for real: an edit shows once the step says it read the file."""

    @defer.inlineCallbacks
    def onTheSameRun(self, srv):
        yield super().onTheSameRun(srv)
        write_users(self, "bob: away\nzoë: partie\n", self.users_file)
        yield srv.wait_for(f"read 2 users from {self.users_file}")
        yield check_answers(self, srv.ports["finger"], {
            "bob": "away", "zoë": "partie", "moshez": FILE_HAPPY})  # step 14 keeps moshez


# --- the web pages (steps 15-17) --------------------------------------------------------------

class PageChecks:
    """The pages, with a real HTTP client: UTF-8, escaped, a 500 on error."""

    @defer.inlineCallbacks
    def test_the_pages(self):
        step = load_row(self, self.row, {"FINGER_USERS_FILE": write_users(self, WEB_USERS)})
        unknown = self.row.webUnknown
        pages = {
            "/moshez": "<h1>moshez</h1><p>happy and well</p>",
            "/zo%C3%AB": "<h1>zoë</h1><p>Très bien, merci</p>",
            "/eve": "<h1>eve</h1><p>&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;</p>",
            "/%3Cscript%3E": f"<h1>&lt;script&gt;</h1><p>{unknown}</p>",
            "/nosuchuser": f"<h1>nosuchuser</h1><p>{unknown}</p>",
            "/": f"<h1></h1><p>{unknown}</p>",
        }
        for page, body in pages.items():
            got = yield http_get(step.url(page))
            self.assertEqual((page, got), (page, (200, "text/html; charset=utf-8", body)))

    @defer.inlineCallbacks
    def test_a_path_that_is_not_utf8(self):
        step = load_row(self, self.row)
        code, ctype, body = yield http_get(step.url("/%FF"))
        self.assertEqual(code, 400, body)

    @defer.inlineCallbacks
    def test_a_failing_lookup_is_a_500_logged_once(self):
        step = load_row(self, self.row)
        root = factory_of(step.app, "web").resource
        (root if hasattr(root, "users") else step.service).users = Unreadable()
        code, ctype, body = yield http_get(step.url("/moshez"))
        self.assertEqual(code, 500)
        self.assertIn(f"<h1>{INTERNAL_ERROR}</h1>", body)
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)

    @defer.inlineCallbacks
    def test_a_method_the_page_does_not_take(self):
        step = load_row(self, self.row)
        code, ctype, body = yield http_get(step.url("/moshez"), method=b"POST")
        self.assertEqual(code, 405, body)


class PageRun:
    """Step 15 for real: zoë's page."""

    @defer.inlineCallbacks
    def onTheSameRun(self, srv):
        yield super().onTheSameRun(srv)
        got = yield http_get(f"http://127.0.0.1:{srv.ports['web']}/zo%C3%AB")
        self.assertEqual(got, (200, "text/html; charset=utf-8",
                               "<h1>zoë</h1><p>Très bien, merci</p>"))


# --- IRC (steps 16, 17) -------------------------------------------------------------------------

class IRCChecks:
    """The bot on twisted.words' own IRC server, asked by a real IRC client:
    PRIVMSG fingerbot :moshez, answered "moshez: STATUS" as the listing does."""

    @defer.inlineCallbacks
    def test_the_bot_answers_in_private(self):
        step = yield load_row_with_irc(self, self.row, {
            "FINGER_USERS_FILE": write_users(self, WEB_USERS)})
        asked = {
            "moshez": "moshez: happy and well",
            "zoë": "zoë: Très bien, merci",
            "nosuchuser": "nosuchuser: No such user",
            "eve": 'eve: <b>bold</b> & "quoted"',
        }
        for query, reply in asked.items():
            got = yield step.tester.ask("fingerbot", query)
            self.assertEqual(got, reply)
        self.assertIn(f"irc signed on to 127.0.0.1:{step.ircPort} as fingerbot",
                      logged_text(step.log))

    @defer.inlineCallbacks
    def test_a_status_cannot_send_a_second_command(self):
        step = yield load_row_with_irc(self, self.row)
        step.service.users["evil"] = "fine\r\nQUIT :injected\nPRIVMSG tester :second"
        got = yield step.tester.ask("fingerbot", "evil")
        self.assertEqual(got, "evil: fine  QUIT :injected PRIVMSG tester :second")
        got = yield step.tester.ask("fingerbot", "moshez")
        self.assertEqual(got, f"moshez: {FILE_HAPPY}")
        self.assertEqual(len(step.tester.replies), 2)

    @defer.inlineCallbacks
    def test_a_failing_lookup_is_answered_and_logged_once(self):
        step = yield load_row_with_irc(self, self.row)
        step.service.users = Unreadable()
        got = yield step.tester.ask("fingerbot", "moshez")
        self.assertEqual(got, f"moshez: {INTERNAL_ERROR}")
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)

    def test_a_message_that_is_not_utf8_is_answered(self):
        """In memory (twisted.words' server takes UTF-8 only); and one said in
        a channel is not."""
        step = load_row(self, self.row, start=False)
        bot, transport = connect(step.service.getIRCBot("fingerbot"))
        transport.clear()
        bot.dataReceived(b":someone!x@host PRIVMSG fingerbot :caf\xe9\r\n")
        self.assertEqual(transport.value().decode("utf-8"),
                         "PRIVMSG someone :caf\ufffd: No such user\r\n")
        self.assertFalse(transport.disconnecting)
        transport.clear()
        bot.dataReceived(b":someone!x@host PRIVMSG #finger :moshez\r\n")
        self.assertEqual(transport.value(), b"", "a message said in a channel is not answered")

    @defer.inlineCallbacks
    def test_the_bot_comes_back(self):
        """Cut from the server's side, the bot comes back (ClientService)."""
        step = yield load_row_with_irc(self, self.row)
        back = step.realm.next_login("fingerbot", timeout=15)
        step.realm.drop("fingerbot")
        yield back
        got = yield step.tester.ask("fingerbot", "zoë")
        self.assertEqual(got, "zoë: Très bien, merci")


class IRCRun:
    """Step 16 for real, on the test's IRC server."""

    @defer.inlineCallbacks
    def onTheSameRun(self, srv):
        yield super().onTheSameRun(srv)
        port, realm = self.irc
        yield realm.logged_in("fingerbot")
        tester = yield irc_tester(self, port)
        reply = yield tester.ask("fingerbot", "moshez")
        self.assertEqual(reply, "moshez: happy and well")
        match = yield srv.wait_for(SIGNED_ON_RE.pattern.encode())
        self.assertEqual(match.group(0).decode(), f"irc signed on to 127.0.0.1:{port} as fingerbot")


# --- XML-RPC (step 17) --------------------------------------------------------------------------

class XMLRPCChecks:
    """/RPC2's getUser, asked by fingerXRclient.py and by xmlrpc.client."""

    @defer.inlineCallbacks
    def test_fingerXRclient(self):
        step = load_row(self, self.row)
        for user, status in (("zoë", TRES_BIEN), ("nosuchuser", NO_SUCH_USER)):
            out, err, code = yield run_script("finger/fingerXRclient.py", "--port",
                                              step.ports["web"], user)
            self.assertEqual((out.decode("utf-8"), err, code), (status + "\n", b"", 0))

    @defer.inlineCallbacks
    def test_a_failing_lookup_is_a_fault_logged_once(self):
        step = load_row(self, self.row)
        step.service.users = Unreadable()
        out, err, code = yield run_script("finger/fingerXRclient.py", "--port", step.ports["web"])
        self.assertEqual((out, err.decode(), code), (
            b"", f"fingerXRclient.py: {step.url('/RPC2')}: {INTERNAL_ERROR}\n", 1))
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)

    @defer.inlineCallbacks
    def test_a_wrong_call_is_a_fault_that_says_so(self):
        step = load_row(self, self.row)
        got = yield xmlrpc_call(step.ports["web"], "getUser", "moshez")
        self.assertEqual(got, FILE_HAPPY)  # a str, never Binary
        got = yield xmlrpc_call(step.ports["web"], "getUser")
        self.assertEqual(got.faultString, "getUser: missing a required argument: 'user'")
        got = yield xmlrpc_call(step.ports["web"], "getUser", "moshez", "extra")
        self.assertEqual(got.faultString, "getUser: too many positional arguments")

    @defer.inlineCallbacks
    def test_fingerXRclient_with_no_server(self):
        dead = refused_port(self)
        out, err, code = yield run_script("finger/fingerXRclient.py", "--port", dead)
        self.assertEqual((out, err.decode(), code), (
            b"", f"fingerXRclient.py: http://127.0.0.1:{dead}/RPC2: Connection refused\n", 1))


class XMLRPCRun:
    """Step 17 for real: fingerXRclient.py, as its banner runs it."""

    @defer.inlineCallbacks
    def onTheSameRun(self, srv):
        yield super().onTheSameRun(srv)
        out, err, code = yield run_script("finger/fingerXRclient.py", "--port", srv.ports["web"],
                                          "moshez")
        self.assertEqual((out, err, code), (b"happy and well\n", b"", 0))


MIXINS = {
    "answers": Answers, "refuses": Refuses, "holds": Holds, "closesAtOnce": ClosesAtOnceRun,
    "waitsForALine": WaitsForALineRun, "program": ProgramRun, "webSource": WebSourceRun,
    "tac": TacChecks, "deferreds": DeferredChecks, "setter": SetterChecks, "setterRun": SetterRun,
    "statusFile": StatusFileChecks, "editRun": EditRun, "page": PageChecks, "pageRun": PageRun,
    "irc": IRCChecks, "ircRun": IRCRun, "xmlrpc": XMLRPCChecks, "xmlrpcRun": XMLRPCRun,
}

globals().update(FingerSpec.makeTestCaseClasses())
