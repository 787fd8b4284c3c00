"""The finger contract (finger/contract.py), part by part, and the rows every
step that listens must pass.

Each part is tested in this process: protocols on a StringTransport, time on
a task.Clock, the web and XML-RPC over loopback with real clients where only
a real connection shows it. The parts are reached through the steps that use
them (step 11's FingerProtocol, step 12's setter, step 16's bot, step 17's
XML-RPC, step 21's PB port), so what is tested is what a reader runs.

The issue-18 attacks whose fix lives in the contract each have a test named
for what the attacker sees now: the web (a long path or header, a method the
page does not take), XML-RPC (no method name, the wrong number of arguments),
PB (nested lists before login, an idle connection), the IRC bot (Latin-1),
the users file (a FIFO), the setter (too many users, a client gone silent),
step 10 (escape sequences from a page, no DNS).

ContractSpec is one class per row of tests.support.finger_steps.STEPS that
listens (Finger02Contract ...): a bad value, a port in use, the address line.
A script's address line comes from a real run under python; its bad value
and its port in use stop it at its top level, before the reactor runs, so
that top level is run in this process, as python runs it. A tac is loaded in
this process as twistd loads it, with sys.argv as twistd's. One real run of
a script, and one of a tac under twistd, show that such a program exits 1
with the one line.
"""

import os
import sys
import threading
import time
import tracemalloc
import xmlrpc.client
from unittest import mock

from twisted.application import service
from twisted.internet import defer, endpoints, error, protocol, reactor, task
from twisted.logger import LogLevel
from twisted.python import components
from twisted.python.failure import Failure
from twisted.trial.unittest import TestCase

from finger import contract
from tests.support import fetch, path, refused_port, run, twistd_argv
from tests.support.clients import Collector
from tests.support.finger import (
    ADDRESS_RE, FREE_PORTS, Broken, Held, Unreadable, busy_port, connect, factory_of,
    find_service, finger_log, listening, load_step, logged, patch_environ, post_rpc2, run_row_here,
    serve_site, serve_web, slow_finger, stand_in_finger, start_application, start_step, step_argv,
    stderr_lines, temp_dir, users_holder, without_dns, write_users, xmlrpc_call,
)
from tests.support.finger_steps import STEPS
from tests.support.spec import VersionSpec
from runner.waiting import poll, with_timeout

HTTP_GET = b"GET /%s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n"


# --- the configuration --------------------------------------------------------------------

BAD_VALUES = (
    ("FINGER_PORT", "²", "must be a port number from 0 to 65535, not '²'"),
    ("FINGER_PORT", "65536", "must be a port number from 0 to 65535, not '65536'"),
    ("FINGER_WEB_PORT", "http", "must be a port number from 0 to 65535, not 'http'"),
    ("FINGER_TIMEOUT", "0", "must be a number of seconds greater than 0, not '0'"),
    ("FINGER_RELOAD", "nan", "must be a number of seconds greater than 0, not 'nan'"),
    ("FINGER_MAX_BYTES", "64k", "must be a whole number greater than 0, not '64k'"),
    ("FINGER_MAX_USERS", "0", "must be a whole number greater than 0, not '0'"),
    ("FINGER_MAX_FILE", "-1", "must be a whole number greater than 0, not '-1'"),
    ("FINGER_IFACE", "::g", "must be an address of this machine, such as 127.0.0.1, not '::g'"),
    ("FINGER_IRC_SERVER", "irc.libera.chat", "must be HOST:PORT (or empty, for none), "
                                             "not 'irc.libera.chat'"),
    ("FINGER_IRC_NICK", "9lives", "must be an IRC nickname, not '9lives'"),
    ("FINGER_WEB_PREFIX", "file:///etc/", "must be an http:// or https:// URL, not 'file:///etc/'"),
    ("FINGER_WEB_PREFIX", "http://café.example/~",
     "must be an http:// or https:// URL, not 'http://café.example/~'"),
)


class ConfigurationTest(TestCase):
    """Every FINGER_* variable is checked before anything is bound; a bad
    value is one line naming the program and the variable."""

    def setUp(self):
        self.patch(sys, "argv", ["twistd", "-ny", "finger/finger12.tac"])

    def test_a_bad_value_is_one_line_naming_the_program_and_the_variable(self):
        said = []
        for variable, value, _why in BAD_VALUES:
            with mock.patch.dict(os.environ, {variable: value}), self.assertRaises(SystemExit) as caught:
                contract.checkSettings()
            said.append(str(caught.exception.code))
        self.assertEqual(said, [f"finger12.tac: {variable} {why}"
                                for variable, value, why in BAD_VALUES])

    def test_good_values(self):
        with mock.patch.dict(os.environ, FINGER_PORT="00079", FINGER_IFACE="localhost", FINGER_TIMEOUT="0.5",
                     FINGER_IRC_SERVER="", FINGER_IRC_NICK="finger_bot"):
            contract.checkSettings()
            self.assertEqual([contract.setting(v) for v in (
                "FINGER_PORT", "FINGER_IFACE", "FINGER_TIMEOUT", "FINGER_IRC_SERVER",
                "FINGER_IRC_NICK", "FINGER_MAX_USERS")],
                [79, "localhost", 0.5, "", "finger_bot", 10000])

    def test_where_a_step_listens(self):
        with mock.patch.dict(os.environ, FINGER_PORT="1079", FINGER_SETTER_PORT="0", FINGER_IFACE="0.0.0.0"):
            self.assertEqual(contract.description("tcp:79", "finger"),
                             "tcp:1079:interface=0.0.0.0")
            # The setter listens where the text says: on 127.0.0.1 only.
            self.assertEqual(contract.description("tcp:1079:interface=127.0.0.1", "setter"),
                             "tcp:0:interface=127.0.0.1")
        with mock.patch.dict(os.environ):
            os.environ.pop("FINGER_WEB_PORT", None)
            os.environ.pop("FINGER_IFACE", None)
            self.assertEqual(contract.description("tcp:8000", "web"),
                             "tcp:8000:interface=127.0.0.1")

    def test_a_users_file_that_is_not_a_regular_file_is_refused_at_start(self):
        """A FIFO given at start-up hung twistd before it
        listened. A FIFO, a directory or a missing file is one line."""
        directory = temp_dir(self)
        fifo = os.path.join(directory, "fifo")
        os.mkfifo(fifo)
        said = []
        for name in (fifo, directory, os.path.join(directory, "missing")):
            with mock.patch.dict(os.environ, FINGER_USERS_FILE=name), self.assertRaises(SystemExit) as caught:
                contract.usersFile()
            said.append(str(caught.exception.code))
        self.assertEqual(said, [
            f"finger12.tac: FINGER_USERS_FILE: cannot read {fifo!r}: not a regular file",
            f"finger12.tac: FINGER_USERS_FILE: cannot read {directory!r}: not a regular file",
            f"finger12.tac: FINGER_USERS_FILE: cannot read "
            f"{os.path.join(directory, 'missing')!r}: No such file or directory"])

    def test_help_names_every_bound_and_its_default(self):
        self.patch(sys, "argv", ["finger10.py", "--help"])
        out = []
        self.patch(sys, "stdout", mock.Mock(write=out.append))
        with self.assertRaises(SystemExit) as caught:
            contract.serverFromString(reactor, "tcp:1079")
        self.assertEqual(caught.exception.code, 0)
        lines = "".join(out).splitlines()
        for line in ("  FINGER_PORT=1079              the finger port (0: a free one)",
                     "  FINGER_TIMEOUT=60             "
                     "seconds a connection may last, whatever it does",
                     "  FINGER_MAX_BYTES=65536        bytes a client may send on one connection"):
            self.assertIn(line, lines)
        every = contract.environmentHelp().splitlines()
        for bound in ("FINGER_MAX_USERS=10000", "FINGER_MAX_FILE=1048576", "FINGER_TIMEOUT=60"):
            self.assertTrue(any(line.startswith("  " + bound) for line in every), bound)


# --- listening ----------------------------------------------------------------------------

class ListeningTest(TestCase):
    """contract.service: the address line, a port in use, stopping."""

    def setUp(self):
        self.patch(sys, "argv", ["twistd", "-ny", "finger/finger13.tac"])

    def test_the_address_line_names_the_address_bound_and_the_real_port(self):
        events = logged(self)
        with mock.patch.dict(os.environ, FINGER_SETTER_PORT="0", FINGER_IFACE="localhost"):
            svc = contract.service("tcp:1079", protocol.Factory.forProtocol(Collector), "setter")
        svc.startService()
        self.addCleanup(svc.stopService)
        port = svc.port.getHost().port
        self.assertNotEqual(port, 0)
        self.assertEqual(finger_log(events), [f"setter listening on 127.0.0.1:{port}"])
        return endpoints.connectProtocol(
            endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", port), protocol.Protocol()
        ).addCallback(lambda client: client.transport.abortConnection())

    def test_a_port_in_use_is_one_line_naming_the_role(self):
        port = busy_port(self)
        with mock.patch.dict(os.environ, FINGER_WEB_PORT=str(port)):
            svc = contract.service("tcp:8000", protocol.Factory.forProtocol(Collector), "web")
        with self.assertRaises(contract.CannotListen) as caught:
            svc.privilegedStartService()
        self.assertIsInstance(caught.exception, SystemExit)  # one line, exit 1
        self.assertIsInstance(caught.exception, Exception)  # twistd's failed-start path runs
        self.assertEqual(str(caught.exception.code),
                         f"finger13.tac: web cannot listen on 127.0.0.1:{port}: "
                         f"[Errno 98] Address already in use")
        self.assertIsNone(svc.port)

    @defer.inlineCallbacks
    def test_stopping_stops_listening(self):
        with mock.patch.dict(os.environ, FINGER_PORT="0"):
            svc = contract.service("tcp:79", protocol.Factory.forProtocol(Collector))
        svc.startService()
        port = svc.port.getHost().port
        yield svc.stopService()
        self.assertIsNone(svc.port)
        yield self.assertFailure(
            endpoints.connectProtocol(endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", port),
                                      protocol.Protocol()),
            error.ConnectionRefusedError)


# --- every connection: Guard --------------------------------------------------------------

class GuardTest(TestCase):
    """Every port's factory is wrapped in Guard: a deadline for the whole
    connection and a bound on what it may send, on a task.Clock."""

    def setUp(self):
        self.patch(contract, "_warned", set())
        self.clock = task.Clock()

    def guarded(self, factory, **env):
        with mock.patch.dict(os.environ, FINGER_TIMEOUT="60", FINGER_MAX_BYTES="1000", **env):
            return connect(contract.Guard(factory, self.clock))

    def test_the_deadline_holds_whatever_the_client_does(self):
        wrapper, transport = self.guarded(protocol.Factory.forProtocol(Collector))
        for _ in range(5):  # a byte every 10 s never resets it
            wrapper.dataReceived(b"x")
            self.clock.advance(10)
        self.assertFalse(transport.disconnecting)
        self.clock.advance(10)
        self.assertTrue(transport.disconnected)
        self.assertTrue(wrapper.expired)

    def test_the_deadline_goes_with_the_connection(self):
        wrapper, transport = self.guarded(protocol.Factory.forProtocol(Collector))
        wrapper.connectionLost(Failure(error.ConnectionDone()))
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_over_the_byte_bound_the_client_is_hung_up_on_and_logged_once(self):
        events = logged(self)
        for _ in range(2):
            wrapper, transport = self.guarded(protocol.Factory.forProtocol(Collector))
            wrapper.dataReceived(b"x" * 600)
            wrapper.dataReceived(b"y" * 600)
            wrapper.dataReceived(b"z" * 600)
            self.assertTrue(transport.disconnecting)
            self.assertEqual(wrapper.wrappedProtocol.received, b"x" * 600)
        self.assertEqual(finger_log(events), ["a client sent over 1000 bytes: hung up on"])

    def test_a_half_close_reaches_a_protocol_that_takes_one(self):
        factory = factory_of(load_step("finger/finger11.tac"))
        wrapper, transport = self.guarded(factory)
        wrapper.dataReceived(b"moshez\r\n")
        wrapper.readConnectionLost()
        self.assertEqual(transport.value(), b"Happy and well\r\n")

    def test_a_half_close_is_a_hang_up_for_any_other(self):
        wrapper, transport = self.guarded(protocol.Factory.forProtocol(Collector))
        wrapper.readConnectionLost()
        self.assertTrue(transport.disconnecting)

    def pbPort(self, **env):
        """Step 21's PB port as twistd serves it, on this test's clock."""
        self.patch(components, "ALLOW_DUPLICATES", True)  # steps 19 on register adapters
        application = load_step("finger/finger21.tac", dict(FINGER_PB_PORT="0", **env))
        guard = listening(application)["pb"].factory
        self.assertIsInstance(guard, contract.Guard)
        guard.clock = self.clock
        wrapper, transport = connect(guard)
        return wrapper, transport

    def test_pb_nested_lists_before_login_are_cut_off_at_the_byte_bound(self):
        """3 MB of nested list headers (\\x01\\x80) from a
        client that never logs in took the server from 50 to 245 MB."""
        wrapper, transport = self.pbPort()
        attack = b"\x01\x80" * (1024 * 1024 // 2)
        tracemalloc.start()
        self.addCleanup(tracemalloc.stop)
        for _ in range(3):
            for start in range(0, len(attack), 65536):
                wrapper.dataReceived(attack[start:start + 65536])
        self.assertTrue(transport.disconnecting)
        # 64 KiB of them make the broker hold about 4 MB; 3 MB made it 190 MB.
        self.assertLess(tracemalloc.get_traced_memory()[1], 8 * 1024 * 1024)

    def test_pb_bytes_that_are_not_pb_are_one_line_and_a_hang_up(self):
        """A web request, say, sent to the PB port: Twisted logged an
        'Unhandled Error' traceback (BananaError) for each one."""
        events = logged(self)
        for request in (b"GET /moshez HTTP/1.1\r\nHost: 127.0.0.1\r\n" * 2, b"\x01\xff"):
            wrapper, transport = self.pbPort()
            wrapper.dataReceived(request)
            self.assertTrue(transport.disconnecting)
        self.assertEqual(self.flushLoggedErrors(), [])
        self.assertEqual(finger_log(events), [
            "a client spoke something other than Perspective Broker: hung up on"])

    def test_pb_an_idle_connection_is_closed_at_the_deadline(self):
        """An idle PB connection was still open after 75 s."""
        wrapper, transport = self.pbPort(FINGER_TIMEOUT="60")
        self.clock.advance(59)
        self.assertFalse(transport.disconnecting)
        self.clock.advance(1)
        self.assertTrue(transport.disconnected)


# --- the finger protocol: LineReceiver ----------------------------------------------------

class LineReceiverTest(TestCase):
    """contract.LineReceiver, through step 11's FingerProtocol."""

    def setUp(self):
        self.factory = factory_of(load_step("finger/finger11.tac"))
        self.asked = []
        self.answer = defer.Deferred(lambda d: self.asked.append("cancelled"))

        def getUser(user):
            self.asked.append(user)
            return self.answer

        self.factory.getUser = getUser
        self.proto, self.transport = connect(self.factory)

    def test_the_user_a_line_names(self):
        lines = (b"moshez\r\n", b"moshez\n", b"/W moshez\r\n", b"/w  moshez \r\n",
                 "zoë\r\n".encode("utf-8"), b"caf\xe9\n", b"/Wmoshez\n")
        for line in lines:
            proto, transport = connect(self.factory)
            proto.dataReceived(line)
        self.assertEqual(self.asked, ["moshez", "moshez", "moshez", "moshez", "zoë", "caf\ufffd",
                                      "/Wmoshez"])

    def test_one_query_a_connection(self):
        self.proto.dataReceived(b"moshez\r\nzo")
        self.proto.dataReceived("ë\r\nroot\r\n".encode("utf-8"))
        self.answer.callback("Happy and well")
        self.assertEqual(self.asked, ["moshez"])
        self.assertEqual(self.transport.value(), b"Happy and well\r\n")

    def test_a_half_close_after_the_query_still_gets_the_answer(self):
        self.proto.dataReceived(b"moshez\r\n")
        self.proto.readConnectionLost()
        self.assertFalse(self.transport.disconnecting)
        self.answer.callback("Happy and well")
        self.assertEqual(self.transport.value(), b"Happy and well\r\n")
        self.assertTrue(self.transport.disconnecting)

    def test_a_half_close_before_any_line_closes(self):
        self.proto.dataReceived(b"mosh")
        self.proto.readConnectionLost()
        self.assertTrue(self.transport.disconnecting)
        self.assertEqual(self.asked, [])

    def test_a_hang_up_cancels_the_query(self):
        self.proto.dataReceived(b"moshez\r\n")
        self.proto.connectionLost(Failure(error.ConnectionLost()))
        self.assertEqual(self.asked, ["moshez", "cancelled"])

    def test_a_bug_past_the_step_s_callbacks_hangs_up_at_once_logged_once(self):
        """getUser's answer is no text: writeResponse fails after onError."""
        self.proto.dataReceived(b"moshez\r\n")
        self.answer.callback(None)
        self.assertTrue(self.transport.disconnecting)
        self.assertEqual(len(self.flushLoggedErrors(AttributeError)), 1)

    def test_a_line_too_long(self):
        self.proto.dataReceived(b"x" * 1025)
        self.assertEqual(self.transport.value(), b"Query too long\r\n")
        self.assertTrue(self.transport.disconnecting)
        self.assertEqual(self.asked, [])


# --- the setter and the users -------------------------------------------------------------

class SetterTest(TestCase):
    """contract.settable and contract.Users, through step 12's setter on a
    task.Clock."""

    def setUp(self):
        self.patch(contract, "_warned", set())
        self.events = logged(self)
        self.clock = task.Clock()

    def load(self, **env):
        self.application = load_step("finger/finger12.tac", env)
        self.users = users_holder(self.application).users
        self.guard = listening(self.application)["setter"].factory
        self.guard.clock = self.clock

    def send(self, data, end=error.ConnectionDone):
        wrapper, transport = connect(self.guard)
        wrapper.dataReceived(data)
        wrapper.connectionLost(Failure(end()))

    def ignored(self):
        prefix = "setter: ignored a connection from 127.0.0.1:7: "
        return [line[len(prefix):] for line in finger_log(self.events) if line.startswith(prefix)]

    def test_a_user_and_a_status(self):
        self.load()
        self.send(b"moshez\r\nOut to lunch\r\n")
        self.send("zoë\nAu\rrevoir\x1b[31m".encode("utf-8"))  # LF only, no last line end
        self.send(b"glyph\nhacking\n\n")
        self.assertEqual({user: self.users[user] for user in ("moshez", "zoë", "glyph")},
                         {"moshez": "Out to lunch", "zoë": "Au revoir [31m", "glyph": "hacking"})
        self.assertEqual(self.ignored(), [])

    def test_anything_else_is_ignored_and_logged_in_one_line(self):
        """The wording: "sent 2 line(s), not 2" was said
        of a client that had sent one."""
        self.load()
        for junk in (b"", b"moshez\n", b"moshez\nOut\nagain\n", b"-l\nOut\n", b"../x\nOut\n",
                     b"moshez\n\xff\xfe\n", b"moshez\n" + b"x" * 2000):
            self.send(junk)
        self.assertEqual(self.ignored(), [
            "it sent 0 lines, not two (a user, then a status)",
            "it sent 1 line, not two (a user, then a status)",
            "it sent 3 lines, not two (a user, then a status)",
            "'-l' is not a user name",
            "'../x' is not a user name",
            "a line that is not UTF-8",
            "a line over 1024 bytes"])
        self.assertEqual(self.users["moshez"], "Happy and well")

    def test_a_client_gone_silent_is_cut_off_at_the_deadline_and_sets_nothing(self):
        """A setter client silent after one line was
        logged after 60 s as "sent 2 line(s), not 2"."""
        self.load(FINGER_TIMEOUT="60")
        wrapper, transport = connect(self.guard)
        wrapper.dataReceived(b"moshez\n")
        self.clock.advance(60)
        self.assertTrue(transport.disconnected)
        wrapper.connectionLost(Failure(error.ConnectionAborted()))
        wrapper, transport = connect(self.guard)
        wrapper.dataReceived(b"moshez\nGone\n")  # no hang-up: `nc` without -N
        self.clock.advance(60)
        wrapper.connectionLost(Failure(error.ConnectionAborted()))
        self.assertEqual(self.ignored(), ["silent for 60 seconds (FINGER_TIMEOUT) after 1 line",
                                          "silent for 60 seconds (FINGER_TIMEOUT) after 2 lines"])
        self.assertEqual(self.users["moshez"], "Happy and well")

    def test_new_users_stop_at_the_bound(self):
        """300 setter connections gave 304 users."""
        self.load(FINGER_MAX_USERS="4")  # moshez and zoë, and two more
        for n in range(10):
            self.send(f"user{n}\nhere\n".encode("ascii"))
        self.send(b"moshez\nstill here\n")
        self.assertEqual(dict(self.users), {"moshez": "still here", "zoë": "Très bien, merci",
                                            "user0": "here", "user1": "here"})
        self.assertEqual([line for line in finger_log(self.events) if "FINGER_MAX_USERS" in line],
                         ["setter: 4 users already (FINGER_MAX_USERS): new users are refused"])


# --- the users file -----------------------------------------------------------------------

class StatusFileTest(TestCase):
    """contract.statusFile: good lines as text, anything else logged once,
    and the users read before kept when the file cannot be read."""

    def setUp(self):
        self.patch(contract, "_warned", set())
        self.events = logged(self)
        self.name = write_users(
            self, "# the users\nmoshez: happy and well\n\nzoë: Très bien\x1b[1m\n")

    def read(self):
        with contract.statusFile(self.name) as f:
            return list(f)

    def warnings(self):
        return [line for line in finger_log(self.events) if line.startswith("cannot read")]

    def test_good_lines_as_text(self):
        self.assertEqual(self.read(), ["moshez: happy and well", "zoë: Très bien [1m"])
        self.assertEqual(finger_log(self.events), [f"read 2 users from {self.name}"])

    def test_a_bad_line_is_skipped_and_logged_once(self):
        with open(self.name, "a", encoding="utf-8") as f:
            f.write("no colon here\n-l: option\nradix: fine\n")
        for _ in range(3):
            self.assertEqual(self.read(), ["moshez: happy and well", "zoë: Très bien [1m",
                                           "radix: fine"])
        self.assertEqual(finger_log(self.events), [
            f"{self.name}:5: skipped 'no colon here': not 'user: status'",
            f"{self.name}:6: skipped '-l: option': not 'user: status'",
            f"read 3 users from {self.name}"])

    def test_one_user_is_one_user(self):
        name = write_users(self, "moshez: happy and well\n")
        with contract.statusFile(name) as f:
            self.assertEqual(list(f), ["moshez: happy and well"])
        self.assertEqual(finger_log(self.events), [f"read 1 user from {name}"])

    def test_a_fifo_in_its_place_keeps_the_users_and_never_blocks(self):
        """A FIFO in place of the users file froze the
        whole server at the next reload."""
        before = self.read()
        os.unlink(self.name)
        os.mkfifo(self.name)
        # A writer that keeps the FIFO open for at most two seconds: a read
        # that blocks on it ends then, and the test fails instead of hanging.
        writer = os.open(self.name, os.O_RDWR | os.O_NONBLOCK)
        os.write(writer, b"mallory: owns you\n")
        closer = threading.Timer(2, os.close, (writer,))
        closer.start()
        self.addCleanup(closer.cancel)
        started = time.monotonic()
        for _ in range(2):
            self.assertEqual(self.read(), before)
        self.assertLess(time.monotonic() - started, 1)
        self.assertEqual(self.warnings(), [
            f"cannot read {self.name}: not a regular file; the users read before stay"])

    def test_a_directory_a_file_over_the_bound_or_none_keeps_the_users(self):
        before = self.read()
        with open(self.name, "w", encoding="utf-8") as f:
            f.write("moshez: " + "x" * 200 + "\n")
        with mock.patch.dict(os.environ, FINGER_MAX_FILE="100"):
            self.assertEqual(self.read(), before)
        os.unlink(self.name)
        self.assertEqual(self.read(), before)
        os.mkdir(self.name)
        self.assertEqual(self.read(), before)
        self.assertEqual(self.warnings(), [
            f"cannot read {self.name}: over 100 bytes (FINGER_MAX_FILE); "
            f"the users read before stay",
            f"cannot read {self.name}: No such file or directory; the users read before stay",
            f"cannot read {self.name}: not a regular file; the users read before stay"])


# --- a program: getProcessOutput ----------------------------------------------------------

class ProgramTest(TestCase):
    """contract.getProcessOutput with a stand-in finger first on PATH."""

    def setUp(self):
        self.patch(contract, "_warned", set())
        self.events = logged(self)

    def onPath(self, directory):
        patch_environ(self, {"PATH": directory + os.pathsep + os.environ.get("PATH", "")})

    @defer.inlineCallbacks
    def test_the_output_as_text_and_stderr_logged(self):
        self.onPath(stand_in_finger(self))
        self.assertEqual((yield contract.getProcessOutput("finger", ["zoë"])), "argument: zoë")
        self.assertEqual((yield contract.getProcessOutput("finger", ["nobody"])), "No such user")
        self.assertEqual(finger_log(self.events),
                         ["finger said on stderr: finger: nobody: no such user."])

    @defer.inlineCallbacks
    def test_only_a_plain_name_reaches_the_program(self):
        ran = os.path.join(temp_dir(self), "ran")
        self.onPath(stand_in_finger(self))
        with mock.patch.dict(os.environ, FINGER_STAND_IN_LOG=ran):
            for name in ("-l", "moshez@example.com", "a b", "../x", ""):
                self.assertEqual((yield contract.getProcessOutput("finger", [name])),
                                 "No such user")
        self.assertFalse(os.path.exists(ran))

    @defer.inlineCallbacks
    def test_no_program(self):
        patch_environ(self, {"PATH": temp_dir(self)})
        for _ in range(2):
            self.assertEqual((yield contract.getProcessOutput("finger", ["moshez"])),
                             "No finger program on this server")
        self.assertEqual(finger_log(self.events), ["no finger program on PATH"])

    @defer.inlineCallbacks
    def test_a_program_that_hangs_is_killed(self):
        directory, gone = slow_finger(self)
        self.onPath(directory)
        d = contract.getProcessOutput("finger", ["moshez"], timeout=0.5)
        yield self.assertFailure(with_timeout(d, 10, "the slow finger's answer"), contract.Reported)
        yield gone()
        self.assertEqual(finger_log(self.events), ["finger ran for over 0.5 s: killed"])

    @defer.inlineCallbacks
    def test_a_client_gone_kills_the_program(self):
        directory, gone = slow_finger(self)
        self.onPath(directory)
        d = contract.getProcessOutput("finger", ["moshez"])
        yield poll(lambda: os.path.exists(os.path.join(directory, "pid")), what="finger running")
        d.cancel()
        yield self.assertFailure(d, defer.CancelledError)
        yield gone()
        self.assertEqual(finger_log(self.events), [])


# --- a web page: getPage ------------------------------------------------------------------

PAGES = {
    "/~moshez": b"Happy and well\n",
    "/~zo%C3%AB": "Très bien, merci\n".encode("utf-8"),
    "/~red": b"\x1b[31mred\x1b[0m alert\x07\n",
    "/~lines": b"happy\nand\r\nwell\n\n",
    "/~broken": 500,
    "/~down": 500,
    "/~big": b"x" * (65 * 1024),
    "/~bigger": b"x" * (100 * 1024),
}


class PageTest(TestCase):
    """contract.getPage against a twisted.web site on this machine."""

    def setUp(self):
        self.patch(contract, "_warned", set())
        self.events = logged(self)
        self.site = f"http://127.0.0.1:{serve_web(self, PAGES)}"

    def failures(self):
        return [line for line in finger_log(self.events) if line.startswith("cannot fetch")]

    @defer.inlineCallbacks
    def test_a_page_as_text(self):
        self.assertEqual((yield contract.getPage(self.site + "/~moshez")), "Happy and well")
        self.assertEqual((yield contract.getPage(self.site + "/~zo%C3%AB")), "Très bien, merci")
        self.assertEqual((yield contract.getPage(self.site + "/~nobody")), "No such user")
        # A page's lines stay lines, as a finger answer's are: CRLF.
        self.assertEqual((yield contract.getPage(self.site + "/~lines")), "happy\r\nand\r\nwell")
        self.assertEqual(finger_log(self.events), [])

    @defer.inlineCallbacks
    def test_escape_sequences_from_a_page_never_reach_a_finger_client(self):
        """Step 10 passed ESC[31m from the page on."""
        self.assertEqual((yield contract.getPage(self.site + "/~red")), "[31mred [0m alert")

    @defer.inlineCallbacks
    def test_failures_are_one_line_per_site_and_cause(self):
        dead = f"http://127.0.0.1:{refused_port(self)}"
        # Two users for each site and cause: one line each.
        for url in (self.site + "/~broken", self.site + "/~down", self.site + "/~big",
                    self.site + "/~bigger", dead + "/~moshez", dead + "/~radix"):
            yield self.assertFailure(contract.getPage(url), contract.Reported)
        self.assertEqual(self.failures(), [
            f"cannot fetch a status from {self.site}: HTTP 500",
            f"cannot fetch a status from {self.site}: a page over 65536 bytes",
            f"cannot fetch a status from {dead}: Connection was refused by other side: "
            f"111: Connection refused."])

    @defer.inlineCallbacks
    def test_a_server_that_never_answers(self):
        held = Held()
        site = f"http://127.0.0.1:{serve_site(self, held)}"
        yield self.assertFailure(contract.getPage(site + "/~moshez", timeout=0.5),
                                 contract.Reported)
        self.assertEqual(self.failures(),
                         [f"cannot fetch a status from {site}: no answer within 0.5 s"])
        self.assertEqual(len(held.requests), 1)

    @defer.inlineCallbacks
    def test_no_dns_is_one_warning_line_for_every_query(self):
        """With no DNS, step 10 logged a critical entry
        and a DNSLookupError traceback per query."""
        without_dns(self)
        for user in ("moshez", "radix", "glyph"):
            yield self.assertFailure(contract.getPage("http://livejournal.com/~" + user),
                                     contract.Reported)
        said = finger_log(self.events)
        self.assertEqual(said, ["cannot fetch a status from http://livejournal.com: DNS lookup "
                                "failed: no results for hostname lookup: livejournal.com."])
        self.assertEqual([e for e in self.events if e["log_level"] > LogLevel.warn], [])


# --- the IRC bot: IRCClient ---------------------------------------------------------------

class IRCTest(TestCase):
    """contract.IRCClient, through step 16's IRCReplyBot on a StringTransport."""

    def setUp(self):
        self.events = logged(self)
        application = load_step("finger/finger16.tac")
        fingerService = find_service(application, "getIRCBot")
        fingerService.startService()  # reads the users file
        self.addCleanup(fingerService.stopService)
        factory = fingerService.getIRCBot("fingerbot")
        with mock.patch.dict(os.environ, FINGER_IRC_SERVER="127.0.0.1:6667"):
            self.assertIsInstance(contract.ircClient("tcp:irc.freenode.org:6667", factory),
                                  service.Service)
        self.bot, self.transport = connect(factory)
        self.addCleanup(self.bot.connectionLost, Failure(error.ConnectionDone()))
        self.bot.dataReceived(b":irc.test 001 fingerbot :Welcome\r\n")
        self.transport.clear()

    def test_signed_on(self):
        self.assertIn("irc signed on to 127.0.0.1:6667 as fingerbot", finger_log(self.events))

    def test_a_message_that_is_not_utf8_is_answered_and_the_bot_stays(self):
        """One private message in Latin-1 made the bot
        fall off IRC."""
        self.bot.dataReceived(b":mallory!m@host PRIVMSG fingerbot :caf\xe9\r\n"
                              b":alice!a@host PRIVMSG fingerbot :moshez\r\n")
        self.assertEqual(self.transport.value().decode("utf-8").splitlines(), [
            "PRIVMSG mallory :caf\ufffd: No such user",
            "PRIVMSG alice :moshez: happy and well"])
        self.assertFalse(self.transport.disconnecting)

    def test_what_the_bot_says_is_one_line(self):
        self.bot.msg("alice", "happy\r\nQUIT :pwned\x01")
        self.assertEqual(self.transport.value(), b"PRIVMSG alice :happy  QUIT :pwned\r\n")

    def test_no_server_no_bot(self):
        factory = protocol.ClientFactory()
        factory.nickname = "fingerbot"
        with mock.patch.dict(os.environ, FINGER_IRC_SERVER=""):
            bot = contract.ircClient("tcp:irc.freenode.org:6667", factory)
        self.assertEqual(type(bot), service.Service)


# --- the web: Site, Request, HTTPChannel --------------------------------------------------

class WebTest(TestCase):
    """contract.Site as every step's web port serves it (behind Guard), with
    real HTTP requests over loopback."""

    def setUp(self):
        self.events = logged(self)
        self.port = serve_site(self, contract.Data("<p>zoë</p>"))

    def ask(self, data):
        return fetch(self.port, send=data)

    @defer.inlineCallbacks
    def test_a_page_in_utf8(self):
        got = yield self.ask(HTTP_GET % (b"", b"Connection: close\r\n"))
        head, body = got.split(b"\r\n\r\n", 1)
        self.assertIn(b"\r\nContent-Type: text/html; charset=utf-8\r\n", head)
        self.assertEqual(body, "<p>zoë</p>".encode("utf-8"))

    @defer.inlineCallbacks
    def test_a_long_path_or_header_gets_an_answer(self):
        """A 100 KB path or header value got no reply."""
        long = b"a" * 100_000
        got = yield self.ask(HTTP_GET % (long, b""))
        self.assertTrue(got.startswith(b"HTTP/1.1 414 URI Too Long\r\n"), got[:80])
        got = yield self.ask(HTTP_GET % (b"", b"X-Long: " + long + b"\r\n"))
        self.assertTrue(got.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"),
                        got[:80])

    @defer.inlineCallbacks
    def test_a_method_the_page_does_not_take_is_a_405_page_without_a_warning(self):
        """POST got a 405 and two DeprecationWarnings (a 500
        under -W error::DeprecationWarning)."""
        got = yield self.ask(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                             b"Connection: close\r\n\r\n")
        head, body = got.split(b"\r\n\r\n", 1)
        self.assertTrue(head.startswith(b"HTTP/1.1 405 Method Not Allowed\r\n"), head)
        self.assertIn(b"\r\nAllow: HEAD, GET", head)
        self.assertIn(b"This page does not take POST.", body)
        self.assertEqual(self.flushWarnings(), [])

    @defer.inlineCallbacks
    def test_a_path_that_is_not_utf8_is_a_400_page(self):
        got = yield self.ask(HTTP_GET % (b"%FF", b"Connection: close\r\n"))
        self.assertTrue(got.startswith(b"HTTP/1.1 400 Bad Request\r\n"), got[:80])

    @defer.inlineCallbacks
    def test_a_failure_is_a_500_page_logged_once(self):
        port = serve_site(self, Broken())
        got = yield fetch(port, send=HTTP_GET % (b"", b"Connection: close\r\n"))
        self.assertTrue(got.startswith(b"HTTP/1.1 500 Internal Server Error\r\n"), got[:80])
        self.assertIn(b"Internal error in server", got)
        self.assertEqual(len([e for e in self.events if "log_failure" in e]), 1)
        self.flushLoggedErrors(RuntimeError)

    @defer.inlineCallbacks
    def test_writing_to_a_client_that_has_gone_does_nothing(self):
        held = Held()
        port = serve_site(self, held)
        d = fetch(port, send=HTTP_GET % (b"", b""))
        yield poll(lambda: held.requests, what="the request")
        request = held.requests[0]
        finished = request.notifyFinish()
        d.cancel()
        yield self.assertFailure(d, defer.CancelledError)
        yield self.assertFailure(with_timeout(finished, 10, "the request ending"),
                                 error.ConnectionLost, error.ConnectionDone)
        request.write("too late")
        request.finish()
        self.assertEqual([e for e in self.events if "log_failure" in e], [])


# --- XML-RPC ------------------------------------------------------------------------------

class XMLRPCTest(TestCase):
    """contract.XMLRPC, through step 17's /RPC2, with xmlrpc.client and raw
    POSTs over loopback."""

    def setUp(self):
        self.events = logged(self)
        self.application = load_step("finger/finger17.tac")
        self.port = start_application(self, self.application)["web"]

    def tracebacks(self):
        return [e for e in self.events if "log_failure" in e]

    @defer.inlineCallbacks
    def test_a_call_with_no_method_name_is_a_fault(self):
        """No <methodName>, or a <methodResponse> posted as
        a call, was HTTP 500 and an AttributeError traceback in the log."""
        for body in (b"<?xml version='1.0'?><methodCall><params/></methodCall>",
                     xmlrpc.client.dumps(("moshez",), methodresponse=True).encode("utf-8")):
            got = yield post_rpc2(self.port, body)
            head, answer = got.split(b"\r\n\r\n", 1)
            self.assertTrue(head.startswith(b"HTTP/1.0 200 OK\r\n"), head)
            with self.assertRaises(xmlrpc.client.Fault) as caught:
                xmlrpc.client.loads(answer)
            self.assertEqual((caught.exception.faultCode, caught.exception.faultString),
                             (8001, "the call names no method"))
        self.assertEqual(self.tracebacks(), [])

    @defer.inlineCallbacks
    def test_the_wrong_arguments_are_a_fault_that_says_so(self):
        """GetUser() was Fault 8002 "error" and a critical
        TypeError traceback for every call."""
        faults = []
        for args in ((), ("moshez", "extra"), ([1],)):
            fault = yield xmlrpc_call(self.port, "getUser", *args)
            faults.append((fault.faultCode, fault.faultString))
        self.assertEqual(faults, [(8002, "getUser: missing a required argument: 'user'"),
                                  (8002, "getUser: too many positional arguments"),
                                  (8002, "getUser: a user name is a string")])
        self.assertEqual((yield xmlrpc_call(self.port, "getUser", "moshez")), "happy and well")
        self.assertEqual(self.tracebacks(), [])

    @defer.inlineCallbacks
    def test_a_failure_behind_a_method_is_a_fault_logged_once(self):
        users_holder(self.application).users = Unreadable()
        fault = yield xmlrpc_call(self.port, "getUser", "moshez")
        self.assertEqual((fault.faultCode, fault.faultString), (8002, "Internal error in server"))
        self.assertEqual(len(self.tracebacks()), 1)
        self.flushLoggedErrors(RuntimeError)


# --- the rows every step that listens passes ----------------------------------------------

BAD = {"FINGER_TIMEOUT": "0", "FINGER_IFACE": "::g"}
WHY = {"FINGER_TIMEOUT": "must be a number of seconds greater than 0, not '0'",
       "FINGER_IFACE": "must be an address of this machine, such as 127.0.0.1, not '::g'"}
PORT_WHY = "must be a port number from 0 to 65535, not '²'"


class ContractSpec(VersionSpec):
    """What every step that listens does with its configuration and ports."""

    rows = tuple(row for row in STEPS if row.roles)
    suffix = "Contract"

    @classmethod
    def mixins_for(cls, row):
        return (TacContract,) if row.rel.endswith(".tac") else (ScriptContract,)

    @property
    def name(self):
        return os.path.basename(self.row.rel)


class ScriptContract:
    """A script, run by python: a bad value, and a port in use, stop it with
    one line before it listens; a real run announces its port. What stops a
    script happens at its top level, before the reactor runs, so those runs
    happen in this process (run_row_here: as python runs it, to its exit);
    ScriptContractRunTest runs one script for real to that same end."""

    def test_a_bad_value_is_one_line_and_exit_1_before_anything_is_bound(self):
        out, err, code = run_row_here(self, self.row, {"FINGER_PORT": "²"})
        self.assertEqual((out, stderr_lines(err), code),
                         (b"", [f"{self.name}: FINGER_PORT {PORT_WHY}"], 1))

    @defer.inlineCallbacks
    def test_the_address_line_then_a_port_in_use_is_one_line_naming_the_role(self):
        srv = yield start_step(self, self.row.rel, env=dict(self.row.env, FINGER_IFACE="localhost"))
        port = srv.ports["finger"]
        self.assertNotEqual(port, 0)
        self.assertEqual(ADDRESS_RE.match(srv.out.decode("utf-8")).groups(),
                         ("finger", "127.0.0.1", str(port)))
        client = yield endpoints.connectProtocol(
            endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", port), protocol.Protocol())
        client.transport.abortConnection()
        # The same script again, on the port the real run holds.
        out, err, code = run_row_here(self, self.row, {"FINGER_PORT": str(port)})
        self.assertEqual((out, stderr_lines(err), code), (b"", [
            f"{self.name}: finger cannot listen on 127.0.0.1:{port}: "
            f"[Errno 98] Address already in use"], 1))


class TacContract:
    """A tac, loaded in this process as twistd -y loads it."""

    @defer.inlineCallbacks
    def load(self, env):
        self.patch(sys, "argv", twistd_argv("-n", "--pidfile=", "-y", path(self.row.rel)))
        # Each tac of steps 19 on registers its adapters again.
        self.patch(components, "ALLOW_DUPLICATES", True)
        environ = dict(self.row.env)
        if self.row.prepare is not None:
            environ.update((yield defer.maybeDeferred(self.row.prepare, self)))
        environ.update(env)
        return load_step(self.row.rel, environ)

    @defer.inlineCallbacks
    def test_a_bad_value_is_one_line_before_anything_is_bound(self):
        variables = [contract.ROLES[role] for role in self.row.roles] + list(BAD)
        said = []
        for variable in variables:
            with self.assertRaises(SystemExit) as caught:
                yield self.load({variable: BAD.get(variable, "²")})
            said.append(str(caught.exception.code))
        self.assertEqual(said, [f"{self.name}: {variable} {WHY.get(variable, PORT_WHY)}"
                                for variable in variables])

    @defer.inlineCallbacks
    def test_a_port_in_use_is_one_line_naming_the_role(self):
        said = []
        for role in self.row.roles:
            port = busy_port(self)
            application = yield self.load({contract.ROLES[role]: str(port)})
            for bound in listening(application).values():  # the roles started before it
                self.addCleanup(bound.stopService)
            with self.assertRaises(contract.CannotListen) as caught:
                service.IService(application).privilegedStartService()
            said.append((str(caught.exception.code),
                         f"{self.name}: {role} cannot listen on 127.0.0.1:{port}: "
                         f"[Errno 98] Address already in use"))
        self.assertEqual([got for got, want in said], [want for got, want in said])

    @defer.inlineCallbacks
    def test_the_address_line_names_the_address_bound_and_the_real_port(self):
        events = logged(self)
        application = yield self.load({"FINGER_IFACE": "localhost"})
        ports = start_application(self, application)
        self.assertEqual(sorted(ports), sorted(self.row.roles))
        lines = {m.group(1): (m.group(2), int(m.group(3)))
                 for m in map(ADDRESS_RE.fullmatch, finger_log(events)) if m}
        self.assertEqual(lines, {role: ("127.0.0.1", port) for role, port in ports.items()})
        for port in ports.values():
            self.assertNotEqual(port, 0)
            client = yield endpoints.connectProtocol(
                endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", port), protocol.Protocol())
            client.transport.abortConnection()


globals().update(ContractSpec.makeTestCaseClasses())


class ScriptOptionsTest(TestCase):
    """A script's --port, as the contract reads it for every script."""

    @defer.inlineCallbacks
    def test_port_wins_over_finger_port(self):
        srv = yield start_step(self, "finger/finger02.py", env={"FINGER_PORT": "²"},
                               args=("--port", "0"))
        self.assertNotEqual(srv.ports["finger"], 0)

    @defer.inlineCallbacks
    def test_a_bad_port_is_a_usage_error(self):
        out, err, code = yield run(step_argv("finger/finger02.py", "--port", "²"), env=FREE_PORTS)
        self.assertEqual((out, stderr_lines(err), code), (b"", [
            "usage: finger02.py [-h] [--port PORT]",
            f"finger02.py: error: argument --port: {PORT_WHY}"], 2))


class ScriptContractRunTest(TestCase):
    """What a script's one line is in a real run (ScriptContract runs each
    script's top level in this process): exit 1, the line on standard error
    and nothing else, nothing on standard output, for a bad value and for a
    port in use."""

    @defer.inlineCallbacks
    def test_a_bad_value_and_a_port_in_use(self):
        port = busy_port(self)
        runs = []
        for env in ({"FINGER_PORT": "²"}, {"FINGER_PORT": str(port)}):
            runs.append((yield run(step_argv("finger/finger02.py"), env=dict(FREE_PORTS, **env))))
        self.assertEqual(runs, [
            (b"", f"finger02.py: FINGER_PORT {PORT_WHY}\n".encode("utf-8"), 1),
            (b"", f"finger02.py: finger cannot listen on 127.0.0.1:{port}: "
                  f"[Errno 98] Address already in use\n".encode("utf-8"), 1)])


class TwistdContractTest(TestCase):
    """What a tac's one line becomes under real twistd: exit 1, the line, no
    traceback, for a bad value (on standard error, as the tac loads) and for
    a port in use (in twistd's log, where standard error goes once it runs)."""

    @defer.inlineCallbacks
    def test_a_bad_value_and_a_port_in_use(self):
        argv = twistd_argv("-n", "--pidfile=", "-y", path("finger/finger14.tac"))
        port = busy_port(self)
        missing = os.path.join(temp_dir(self), "users")
        runs = []
        for env in ({"FINGER_USERS_FILE": missing}, {"FINGER_PORT": str(port)}):
            out, err, code = yield run(argv, env=dict(FREE_PORTS, **env))
            self.assertNotIn(b"Traceback", out + err)
            runs.append((stderr_lines(err), (out.decode("utf-8").splitlines() or [""])[-1], code))
        (err, _, code), (err2, last, code2) = runs
        self.assertEqual((err, code), ([f"finger14.tac: FINGER_USERS_FILE: "
                                        f"cannot read {missing!r}: "
                                        f"No such file or directory"], 1))
        self.assertEqual((err2, code2), ([], 1))
        self.assertTrue(last.endswith(f" [stderr#error] finger14.tac: finger cannot listen on "
                                      f"127.0.0.1:{port}: [Errno 98] Address already in use"), last)
