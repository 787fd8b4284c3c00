"""Finger steps 18-22, the organized finger, the plugin and the proxy: their
front-ends, each asked by a real client, as a reader's programs ask them.

The rows are tests.support.finger_steps.STEPS, the table of tests/test_finger.py
(which runs each step for real and checks its finger port). Each row whose
features name one of the mixins below becomes a class here (Finger20FrontEnds
...), made of those mixins; a step is loaded in this process as twistd loads
it, on free loopback ports:

- pages: UserStatusTree and UserStatus with a real HTTP client: each user's
  page, the user list, escaping, a 500 logged once, a 405, a 414;
- rpc2, rpc2Users: UserStatusXR with xmlrpc.client: getUser (and getUsers),
  a fault logged once, a call that names no method;
- statusOf: the IRC bot on twisted.words' own server, "Status of USER: ...";
- pb: the Perspective Broker root with Twisted's PB client, and the deadline
  and byte limit of a PB connection;
- pbClient: fingerPBclient.py, for real, against the step;
- https: the same pages over TLS, checked against the step's certificate;
  a FINGER_CERT that is no certificate is one line before anything listens;
- plan: step 19c's .plan files (FINGER_HOMES);
- proxy: fingerproxy.tac against upstreams on this machine, and one real
  run.

The plugin (`twistd finger`) is one program, not a row: PluginTest.

    trial tests.test_finger_frontends.Finger22FrontEnds
    python -m pytest -k Finger22FrontEnds
"""

import io
import os
import sys
from unittest import mock
from urllib.parse import quote

from twisted.internet import defer, protocol, reactor
from twisted.python import usage
from twisted.trial.unittest import TestCase

from finger import contract
from tests.support import (
    TestServerFactory, fetch, load_script, path, refused_port, run_script, serve, temp_dir,
)
from tests.support.finger import (
    Unreadable, check_answers, expected_bytes, factory_of, finger_query, http_get, https_get,
    listening, load_plugin, load_prepared, load_row_with_irc, logged_text, make_certificate, page_parts,
    pb_call, send_half_closed, set_status, start_plugin, start_row, trickling_server, user_links,
    wait_for_log, write_homes, write_users, xmlrpc_call,
)
from tests.support.finger_steps import FILE_HAPPY, HAPPY, NO_SUCH_USER, STEPS, TRES_BIEN
from tests.support.spec import VersionSpec

INTERNAL_ERROR = "Internal error in server"
# What a PB server says first, to every client: the dialects it speaks.
PB_HELLO = b"\x02\x80\x02\x82pb\x04\x82none"


class FrontEndSpec(VersionSpec):
    rows = ()  # the rows of STEPS with a feature of MIXINS, set below
    suffix = "FrontEnds"

    @classmethod
    def mixins_for(cls, row):
        return tuple(MIXINS[feature] for feature in row.features if feature in MIXINS)

    def three(self):
        """The row's three users and what each front-end must answer for
        them: the same text as its finger port."""
        answers = self.row.answers
        return {"moshez": answers["moshez"], "nosuchuser": answers["unknown"],
                "zoë": answers["zoë"]}

    def backend(self, step):
        """The service the step's web site serves (so a test can make its
        getUser or getUsers fail, or answer what the test wants)."""
        return factory_of(step.app, "web").resource.service

    def failing(self, step):
        """Make the step's backend fail every lookup (its users too, where a
        front-end holds its getUser from before: step 18's bot)."""
        backend = self.backend(step)
        backend.getUser = backend.getUsers = lambda *args: defer.fail(RuntimeError("down"))
        if isinstance(getattr(backend, "users", None), dict):
            backend.users = Unreadable()


# --- the web site (steps 18 on) -----------------------------------------------------------------

class UserStatusPages:
    """UserStatusTree and UserStatus, asked by a real HTTP client."""

    @defer.inlineCallbacks
    def test_each_user_has_a_page(self):
        step = load_prepared(self, self.row)
        for user, status in self.three().items():
            code, ctype, body = yield http_get(step.url("/" + quote(user)))
            self.assertEqual((user, code, ctype), (user, 200, "text/html; charset=utf-8"))
            self.assertEqual(page_parts(body), (user, status))

    @defer.inlineCallbacks
    def test_the_name_and_the_status_are_escaped(self):
        step = load_prepared(self, self.row)
        self.backend(step).getUser = lambda user: defer.succeed('<b>bold</b> & "quoted"')
        code, ctype, body = yield http_get(step.url("/%3Cscript%3E"))
        self.assertEqual(page_parts(body), ("<script>", '<b>bold</b> & "quoted"'))
        self.assertNotIn("<script>", body)
        self.assertNotIn("<b>", body)

    @defer.inlineCallbacks
    def test_the_user_list_links_each_user(self):
        step = load_prepared(self, self.row)
        self.backend(step).getUsers = lambda: defer.succeed(["moshez", "zoë", "<script>"])
        code, ctype, body = yield http_get(step.url("/"))
        self.assertEqual(code, 200)
        self.assertEqual(user_links(body), [("moshez", "moshez"), ("zo%C3%AB", "zoë"),
                                            ("%3Cscript%3E", "<script>")])
        self.assertNotIn("<script>", body)

    @defer.inlineCallbacks
    def test_a_failing_backend_is_a_500_logged_once_a_page(self):
        step = load_prepared(self, self.row)
        self.failing(step)
        for page in ("/moshez", "/"):
            code, ctype, body = yield http_get(step.url(page))
            self.assertEqual((page, code), (page, 500))
            self.assertIn(f"<h1>{INTERNAL_ERROR}</h1>", body)
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 2)

    @defer.inlineCallbacks
    def test_a_method_and_a_path_the_site_does_not_take(self):
        step = load_prepared(self, self.row)
        code, ctype, body = yield http_get(step.url("/moshez"), method=b"POST")
        self.assertEqual(code, 405, body)
        answer = yield fetch(step.ports["web"], b"GET /" + b"x" * 100_000 + b" HTTP/1.1\r\n\r\n")
        self.assertTrue(answer.startswith(b"HTTP/1.1 414 "), answer[:80])


# --- XML-RPC (steps 18 on) -----------------------------------------------------------------------

class UserStatusXRChecks:
    """UserStatusXR at /RPC2, asked by the standard library's xmlrpc.client."""

    @defer.inlineCallbacks
    def test_getUser(self):
        step = load_prepared(self, self.row)
        for user, status in self.three().items():
            got = yield xmlrpc_call(step.ports["web"], "getUser", user)
            self.assertEqual((user, got, type(got)), (user, status, str))  # never Binary

    @defer.inlineCallbacks
    def test_a_failing_backend_is_a_fault_logged_once(self):
        step = load_prepared(self, self.row)
        self.failing(step)
        got = yield xmlrpc_call(step.ports["web"], "getUser", "moshez")
        self.assertEqual((got.faultCode, got.faultString), (8002, INTERNAL_ERROR))
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)

    @defer.inlineCallbacks
    def test_a_call_that_names_no_method(self):
        step = load_prepared(self, self.row)
        call = b"<?xml version='1.0'?><methodCall><params></params></methodCall>"
        answer = yield fetch(step.ports["web"], (
            b"POST /RPC2 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n"
            b"Connection: close\r\nContent-Length: %d\r\n\r\n%s") % (len(call), call))
        self.assertTrue(answer.startswith(b"HTTP/1.1 200 "), answer[:80])
        self.assertIn(b"<name>faultString</name>", answer)
        self.assertIn(b"the call names no method", answer)  # and no traceback logged

    @defer.inlineCallbacks
    def test_the_wrong_number_of_arguments(self):
        step = load_prepared(self, self.row)
        got = yield xmlrpc_call(step.ports["web"], "getUser", "moshez", "extra")
        self.assertEqual(got.faultString, "getUser: too many positional arguments")


class UserStatusXRUsersChecks:
    """Step 20 on: UserStatusXR.getUsers too."""

    @defer.inlineCallbacks
    def test_getUsers(self):
        step = load_prepared(self, self.row)
        users = yield self.backend(step).getUsers()
        got = yield xmlrpc_call(step.ports["web"], "getUsers")
        self.assertEqual(got, users)
        self.assertIn("zoë", got)


# --- IRC (steps 18 on) ---------------------------------------------------------------------------

class StatusOfChecks:
    """The bot on twisted.words' own IRC server, asked in private by a real
    IRC client: "Status of USER: STATUS", as the listings from step 18 say."""

    @defer.inlineCallbacks
    def test_the_bot_answers_in_private(self):
        step = yield load_row_with_irc(self, self.row, self.rowEnvironment())
        for user, status in self.three().items():
            got = yield step.tester.ask("fingerbot", user)
            self.assertEqual(got, f"Status of {user}: {' '.join(status.splitlines())}")

    @defer.inlineCallbacks
    def test_a_failing_backend_is_answered_and_logged_once(self):
        step = yield load_row_with_irc(self, self.row, self.rowEnvironment())
        self.failing(step)
        got = yield step.tester.ask("fingerbot", "moshez")
        self.assertEqual(got, f"Status of moshez: {INTERNAL_ERROR}")
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)

    def rowEnvironment(self):
        environ = dict(self.row.env)
        if self.row.prepare is not None:
            environ.update(self.row.prepare(self))
        return environ


# --- Perspective Broker (steps 21, 22, the organized finger) ------------------------------------

class PerspectiveChecks:
    """The PB root object, asked by Twisted's own PB client."""

    @defer.inlineCallbacks
    def test_getUser_and_getUsers(self):
        step = load_prepared(self, self.row)
        for user, status in self.three().items():
            got = yield pb_call(step.ports["pb"], "getUser", user)
            self.assertEqual((user, got), (user, status))
        users = yield self.backend(step).getUsers()
        got = yield pb_call(step.ports["pb"], "getUsers")
        self.assertEqual(got, users)

    @defer.inlineCallbacks
    def test_a_failing_backend_is_a_pb_error_logged_once(self):
        step = load_prepared(self, self.row)
        self.failing(step)
        got = yield pb_call(step.ports["pb"], "getUser", "moshez")
        self.assertEqual((got.remoteType, str(got)), (b"twisted.spread.pb.Error", INTERNAL_ERROR))
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)

    @defer.inlineCallbacks
    def test_a_wrong_call_is_a_pb_error_that_says_so(self):
        step = load_prepared(self, self.row)
        for call, why in ((("getUser",), "getUser: missing a required argument: 'username'"),
                          (("getUser", "a", "b"), "getUser: too many positional arguments"),
                          (("shutdown",), "no such method: shutdown")):
            got = yield pb_call(step.ports["pb"], *call)
            self.assertEqual((got.remoteType, str(got)), (b"twisted.spread.pb.Error", why))
        # Nothing was logged as an error: trial fails a test that logs one.

    @defer.inlineCallbacks
    def test_an_idle_connection_is_closed(self):
        step = load_prepared(self, self.row, {"FINGER_TIMEOUT": "0.5"})
        began = reactor.seconds()
        got = yield fetch(step.ports["pb"], timeout=5)  # connects, says nothing
        self.assertEqual(got, PB_HELLO)
        self.assertGreaterEqual(reactor.seconds() - began, 0.45)

    @defer.inlineCallbacks
    def test_nested_lists_before_login_are_cut_off(self):
        """A client that never logs in sends list headers (\\x01\\x80) past
        FINGER_MAX_BYTES: it is hung up on, and the server holds no more."""
        step = load_prepared(self, self.row)
        self.patch(contract, "_warned", set())
        got = yield fetch(step.ports["pb"], b"\x01\x80" * 100_000, timeout=5)
        self.assertEqual(got, PB_HELLO)
        self.assertIn("a client sent over 65536 bytes: hung up on", logged_text(step.log))


class PBClientChecks:
    """fingerPBclient.py, for real, against the step (in this process)."""

    @defer.inlineCallbacks
    def test_fingerPBclient(self):
        step = load_prepared(self, self.row)
        out, err, code = yield run_script("finger/fingerPBclient.py", "--port", step.ports["pb"],
                                          "zoë")
        lines = out.decode("utf-8").splitlines()
        self.assertEqual((err, code, len(lines)), (b"", 0, 2))
        self.assertRegex(lines[0], r"^got object: <twisted\.spread\.pb\.RemoteReference object at ")
        self.assertEqual(lines[1], f"server sent: {self.three()['zoë']}")
        self.failing(step)
        dead = refused_port(self)
        (out, err, code), (deadOut, deadErr, deadCode) = yield defer.gatherResults([
            run_script("finger/fingerPBclient.py", "--port", step.ports["pb"]),
            run_script("finger/fingerPBclient.py", "--port", dead)])
        self.assertEqual((err.decode(), code), (
            f"fingerPBclient.py: 127.0.0.1:{step.ports['pb']}: {INTERNAL_ERROR}\n", 1))
        self.assertEqual((deadOut, deadErr.decode(), deadCode), (
            b"", f"fingerPBclient.py: no object: cannot connect to 127.0.0.1:{dead}: "
                 f"Connection refused\n", 1))
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)


# --- HTTPS (step 22, the organized finger) ------------------------------------------------------

class HTTPSChecks:
    """The same Site over TLS, checked against the step's certificate."""

    @defer.inlineCallbacks
    def test_each_user_has_a_page_over_tls(self):
        step = load_prepared(self, self.row)
        for user, status in self.three().items():
            code, body = yield https_get(step.ports["https"], "/" + quote(user),
                                         os.environ["FINGER_CERT"])
            self.assertEqual((user, code, page_parts(body)), (user, 200, (user, status)))

    def test_a_bad_certificate_is_one_line_before_anything_listens(self):
        directory = temp_dir(self)
        one, other = make_certificate(directory), make_certificate(temp_dir(self))
        with open(one, encoding="ascii") as f:
            key = f.read().split("-----END PRIVATE KEY-----")[0] + "-----END PRIVATE KEY-----\n"
        with open(other, encoding="ascii") as f:
            certificate = f.read().split("-----END PRIVATE KEY-----\n")[1]
        mismatched = write_users(self, key + certificate)
        keyOnly = write_users(self, key)
        for pem, why in ((os.path.join(directory, "none.pem"), "cannot read"),
                         (path("finger/etc.users"), "does not hold an unencrypted PEM private key "
                                                    "and its certificate (Unable to load PEM"),
                         (keyOnly, "does not hold an unencrypted PEM private key and its "
                                   "certificate (Valid PEM but no BEGIN CERTIFICATE"),
                         (mismatched, "does not hold an unencrypted PEM private key and its "
                                      "certificate ([('x509 certificate routines', '', "
                                      "'key values mismatch')])")):
            e = self.assertRaises(SystemExit, load_prepared, self, self.row, {"FINGER_CERT": pem})
            self.assertRegex(e.code, r"^\S+: FINGER_CERT: ")
            self.assertIn(why, e.code)
            self.assertEqual(len(e.code.splitlines()), 1)


# --- step 19c: a user's .plan ---------------------------------------------------------------------

class PlanChecks:
    """LocalFingerService of step 19c, with FINGER_HOMES standing in for the
    home directories."""

    def homes(self, plans):
        homes = write_homes(temp_dir(self), plans)
        return load_prepared(self, self.row, {"FINGER_HOMES": homes}), homes

    def test_FINGER_HOMES_that_is_no_directory_is_one_line(self):
        e = self.assertRaises(SystemExit, load_prepared, self, self.row,
                              {"FINGER_HOMES": path("finger/etc.users")})
        self.assertRegex(e.code, r"^\S+: FINGER_HOMES must be a directory you can read, not '.*"
                                 r"finger/etc\.users'$")

    @defer.inlineCallbacks
    def test_names_that_leave_the_homes_read_nothing(self):
        step, homes = self.homes({"moshez": "happy"})
        os.makedirs(os.path.join(os.path.dirname(homes), "PLANTED"))
        with open(os.path.join(os.path.dirname(homes), "PLANTED", ".plan"), "w") as f:
            f.write("planted\n")
        os.makedirs(os.path.join(homes, "noplan"))
        yield check_answers(self, step.ports["finger"], {
            "../PLANTED": NO_SUCH_USER, "..": NO_SUCH_USER, ".": NO_SUCH_USER,
            "moshez/../../PLANTED": NO_SUCH_USER, "/etc": NO_SUCH_USER, "-l": NO_SUCH_USER,
            "noplan": NO_SUCH_USER, "nobody": NO_SUCH_USER, "moshez": "happy"})
        self.assertEqual([line for line in logged_text(step.log) if "cannot read" in line], [])

    @defer.inlineCallbacks
    def test_a_plan_keeps_its_lines_and_loses_its_control_characters(self):
        step, homes = self.homes({"moshez": "one\x1b[2J\r\ntwo\rthree\x9b\n\nfour"})
        got = yield finger_query(step.ports["finger"], "moshez")
        self.assertEqual(got.decode("utf-8"), "one [2J\r\ntwo three \r\n\r\nfour\r\n")

    @defer.inlineCallbacks
    def test_a_plan_that_is_no_file_is_logged_once(self):
        """A .plan that is a FIFO, a symlink or a directory is no plan: "No
        such user", and one warning line a file, however often it is asked
        about (a traceback per query let a local user flood the log)."""
        step, homes = self.homes({"moshez": "happy"})
        for user in ("fifo", "link", "dir"):
            os.makedirs(os.path.join(homes, user))
        os.mkfifo(os.path.join(homes, "fifo", ".plan"))
        os.symlink("/etc/passwd", os.path.join(homes, "link", ".plan"))
        os.makedirs(os.path.join(homes, "dir", ".plan"))
        self.patch(contract, "_warned", set())
        for _ in range(3):
            yield check_answers(self, step.ports["finger"], {
                "fifo": NO_SUCH_USER, "link": NO_SUCH_USER, "dir": NO_SUCH_USER})
        warned = [line for line in logged_text(step.log) if line.startswith("cannot read")]
        self.assertEqual(sorted(warned), [
            f"cannot read {homes}/dir/.plan: Is a directory",
            f"cannot read {homes}/fifo/.plan: not a regular file",
            f"cannot read {homes}/link/.plan: a symbolic link"])


# --- the finger proxy -----------------------------------------------------------------------------

class ProxyChecks:
    """fingerproxy.tac, asking upstream servers on this machine."""

    def ask(self, step, query):
        return send_half_closed(step.ports["proxy"], query)

    @defer.inlineCallbacks
    def test_it_asks_the_server_named(self):
        step = load_prepared(self, self.row)
        upstream = TestServerFactory("Très bien, merci\r\n".encode("utf-8"))
        port = serve(self, upstream)
        got = yield self.ask(step, f"zoë@127.0.0.1:{port}")
        self.assertEqual(got, "Très bien, merci\r\n".encode("utf-8"))
        dead = refused_port(self)
        for _ in range(2):
            got = yield self.ask(step, f"moshez@127.0.0.1:{dead}")
            self.assertEqual(got, f"Could not connect to 127.0.0.1:{dead}: "
                                  f"Connection refused\r\n".encode())
        self.assertEqual([line for line in logged_text(step.log) if "Could not" in line],
                         [f"Could not connect to 127.0.0.1:{dead}: Connection refused"])

    @defer.inlineCallbacks
    def test_only_a_plain_name_is_sent_on(self):
        step = load_prepared(self, self.row)
        upstream = TestServerFactory(b"never\r\n")
        port = serve(self, upstream)
        for user in ("-l", "two words", "", "/W"):
            got = yield self.ask(step, f"{user}@127.0.0.1:{port}")
            self.assertEqual((user, got), (user, b"No such user\r\n"))
        self.assertEqual(upstream.connections, 0)

    @defer.inlineCallbacks
    def test_a_host_name_that_is_no_name(self):
        step = load_prepared(self, self.row)
        self.patch(contract, "_warned", set())
        names = ["_", "..", ".", "-x-", "a" * 64, ".".join(["a" * 60] * 5)]
        for name in names:
            got = yield self.ask(step, f"moshez@{name}")
            self.assertEqual(got, f"Could not connect to {name}:79: no such host\r\n".encode())
        self.assertEqual([line for line in logged_text(step.log) if "no such host" in line],
                         [f"Could not connect to {name}:79: no such host" for name in names])

    @defer.inlineCallbacks
    def test_the_answer_has_a_deadline(self):
        """An upstream that sends a byte every 0.2 s does not hold the client
        past FINGER_PROXY_TIMEOUT (1 s): it restarted on every byte."""
        step = load_prepared(self, self.row, {"FINGER_PROXY_TIMEOUT": "1"})
        port = trickling_server(self, 0.2)
        began = reactor.seconds()
        got = yield self.ask(step, f"moshez@127.0.0.1:{port}")
        self.assertEqual(got, f"No answer from 127.0.0.1:{port} within 1s\r\n".encode())
        self.assertLess(reactor.seconds() - began, 3)

    @defer.inlineCallbacks
    def test_the_answer_is_bounded_and_clean(self):
        step = load_prepared(self, self.row)
        port = serve(self, TestServerFactory(
            b"Login: moshez\r\nPlan: \x1b]0;owned\x07hi\rPlan: forged\n" + b"x" * 100_000))
        got = yield self.ask(step, f"moshez@127.0.0.1:{port}")
        self.assertTrue(got.startswith(b"Login: moshez\r\nPlan:  ]0;owned hi Plan: forged\r\nxxx"),
                        got[:80])
        self.assertLess(len(got), 65 * 1024)  # 64 KiB read, its line ends made CRLF

    @defer.inlineCallbacks
    def test_a_hang_up_drops_the_upstream(self):
        step = load_prepared(self, self.row, {"FINGER_PROXY_TIMEOUT": "60"})
        upstream = TestServerFactory()  # accepts, says nothing
        port = serve(self, upstream)
        connected, dropped = upstream.next_connection(), upstream.next_disconnect()
        asked = fetch(step.ports["proxy"], f"moshez@127.0.0.1:{port}\r\n".encode())
        yield connected
        asked.cancel()  # a reset, as a client that gives up sends
        yield self.assertFailure(asked, defer.CancelledError)
        yield dropped  # bounded at 10 s, not the proxy's 60

    @defer.inlineCallbacks
    def test_a_real_run(self):
        srv = yield start_row(self, self.row)
        port = serve(self, TestServerFactory(b"happy and well\r\n"))
        got = yield send_half_closed(srv.ports["proxy"], f"moshez@127.0.0.1:{port}")
        self.assertEqual(got, b"happy and well\r\n")
        yield srv.stop()
        self.assertIn(b"Server Shut Down.", srv.output)
        self.assertNotIn(b"Traceback", srv.output)


MIXINS = {
    "pages": UserStatusPages, "rpc2": UserStatusXRChecks, "rpc2Users": UserStatusXRUsersChecks,
    "statusOf": StatusOfChecks, "pb": PerspectiveChecks, "pbClient": PBClientChecks,
    "https": HTTPSChecks, "plan": PlanChecks, "proxy": ProxyChecks,
}
FrontEndSpec.rows = tuple(row for row in STEPS if MIXINS.keys() & set(row.features))

globals().update(FrontEndSpec.makeTestCaseClasses())


# --- the plugin ---------------------------------------------------------------------------------

class PluginTest(TestCase):
    """`twistd finger` (twisted/plugins/finger_plugin.py, finger/tap.py):
    makeService in this process, and one real run."""

    PORTS = ("--port", 0, "--web-port", 0, "--pbport", 0, "--ircserver", "")

    @defer.inlineCallbacks
    def test_the_texts_front_ends_and_a_user_given(self):
        step = load_plugin(self, *self.PORTS, "--user", "bob:at home", "--user", "moshez:out",
                           "--user", "bel:ring\x07\x1b[31mring")
        self.assertEqual(sorted(step.ports), ["finger", "pb", "web"])  # no setter unless asked
        yield check_answers(self, step.ports["finger"], {
            "bob": "at home", "moshez": "out", "zoë": TRES_BIEN, "nobody": NO_SUCH_USER,
            "bel": "ring  [31mring"})
        code, ctype, body = yield http_get(step.url("/bob"))
        self.assertEqual(page_parts(body), ("bob", "at home"))
        got = yield pb_call(step.ports["pb"], "getUser", "moshez")
        self.assertEqual(got, "out")

    @defer.inlineCallbacks
    def test_users_set_by_hand_win_over_the_file_as_it_changes(self):
        users = write_users(self, "moshez: happy\nzoë: là\n")
        step = load_plugin(self, *self.PORTS, "--file", users, "--setter-port", 0,
                           "--user", "bob:at home", env={"FINGER_RELOAD": "0.2"})
        self.assertEqual(sorted(step.ports), ["finger", "pb", "setter", "web"])
        yield set_status(step.ports["setter"], "moshez", "Out to lunch")
        write_users(self, "moshez: back\nzoë: partie\ncarol: new\n", users)
        yield wait_for_log(step.log, f"read 3 users from {users}")
        yield check_answers(self, step.ports["finger"], {
            "bob": "at home", "moshez": "Out to lunch", "zoë": "partie", "carol": "new"})

    @defer.inlineCallbacks
    def test_https_with_ssl(self):
        pem = make_certificate(temp_dir(self))
        step = load_plugin(self, *self.PORTS, "--ssl", "--cert", pem, "--https-port", 0)
        code, body = yield https_get(step.ports["https"], "/moshez", pem)
        self.assertEqual((code, page_parts(body)), (200, ("moshez", FILE_HAPPY)))

    def test_a_port_in_use_is_one_line(self):
        busy = refused_port(self)
        step = load_plugin(self, "--port", busy, "--ircserver", "", start=False)
        e = self.assertRaises(contract.CannotListen,
                              listening(step.app)["finger"].privilegedStartService)
        self.assertRegex(str(e.code), rf"^\S+: finger cannot listen on 127\.0\.0\.1:{busy}: ")

    def test_a_bad_option_is_a_usage_error(self):
        e = self.assertRaises(usage.UsageError, load_plugin, self, "--pbport", "²")
        self.assertEqual(str(e), "--pbport must be a port number from 0 to 65535, not '²'")

    @defer.inlineCallbacks
    def test_a_real_run_from_another_directory(self):
        """As a reader tried it: --user and --port, which the setter's port
        no longer clashes with."""
        srv = yield start_plugin(self, "--user", "moshez:Happy and well", *self.PORTS,
                                 roles=("finger", "web", "pb"), cwd=temp_dir(self))
        yield check_answers(self, srv.ports["finger"], {"moshez": HAPPY, "/W zoë": TRES_BIEN})
        got = yield send_half_closed(srv.ports["finger"], b"moshez\n")
        self.assertEqual(got, expected_bytes(HAPPY))
        yield srv.stop()
        self.assertIn(b"Server Shut Down.", srv.output)
        self.assertNotIn(b"Traceback", srv.output)


class AnswersAfterTheCall(protocol.Protocol):
    """A server that does not speak HTTP: once the whole call is in, one
    finger answer, then close. (Answering before the call is in would race
    the client's send: a broken pipe instead of the answer.)"""

    def connectionMade(self):
        self.received = b""

    def dataReceived(self, data):
        self.received += data
        if self.received.endswith(b"</methodCall>\n"):
            self.transport.write(b"No such user\r\n")
            self.transport.loseConnection()


class XRClientTest(TestCase):
    """fingerXRclient.py, for real, pointed at a port that is not a web
    server (the finger port, say): one line, exit 1."""

    @defer.inlineCallbacks
    def test_a_port_that_does_not_speak_http_is_one_line(self):
        port = serve(self, protocol.ServerFactory.forProtocol(AnswersAfterTheCall))
        out, err, code = yield run_script("finger/fingerXRclient.py", "--port", port)
        self.assertEqual((out, err.decode(), code), (
            b"", f"fingerXRclient.py: http://127.0.0.1:{port}/RPC2: not an HTTP answer\n", 1))


class PBClientOptionsTest(TestCase):
    """fingerPBclient.py's command line, in this process (parse_args): the
    port is --port, else FINGER_PB_PORT, else 8889; a bad value is blamed on
    where it came from."""

    def parse(self, environ, *argv):
        with mock.patch.dict(os.environ, environ, clear=True):
            return load_script("finger/fingerPBclient.py").parse_args(list(argv))

    def test_port_wins_over_the_variable_which_wins_over_the_default(self):
        self.assertEqual(self.parse({"FINGER_PB_PORT": "x"}, "--port", "1").port, 1)
        self.assertEqual(self.parse({"FINGER_PB_PORT": "65535"}).port, 65535)
        self.assertEqual(self.parse({}).port, 8889)
        self.assertEqual(self.parse({}).user, "moshez")

    def test_a_bad_variable_names_the_variable(self):
        for bad in ("x", "0", "65536", "²", ""):
            e = self.assertRaises(SystemExit, self.parse, {"FINGER_PB_PORT": bad})
            self.assertEqual(e.code, f"fingerPBclient.py: FINGER_PB_PORT must be a port number "
                                     f"from 1 to 65535, not {bad!r}")

    def test_a_bad_option_is_a_usage_error(self):
        for option, bad, why in (("--port", "x", "must be a port number from 1 to 65535"),
                                 ("--timeout", "nan", "must be a number of seconds greater than 0"),
                                 ("--timeout", "-1", "must be a number of seconds greater than 0")):
            err = io.StringIO()
            self.patch(sys, "stderr", err)
            e = self.assertRaises(SystemExit, self.parse, {}, option, bad)
            self.assertEqual(e.code, 2)
            self.assertEqual(err.getvalue().splitlines()[-1],
                             f"fingerPBclient.py: error: argument {option}: {why}, not {bad!r}")
