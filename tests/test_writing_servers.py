"""The "Writing Servers" howto: its three programs in writing-servers/.

1. protocol-calls.py: the order of the calls the framework makes, for one
   real connection over loopback.
2. handmade-transport.py: Part 11's PoetryProtocol and finger step 7's
   FingerProtocol, unchanged, on a hand-made port and transport, over
   loopback (the program for real, and the classes in-process with a write
   larger than any socket buffer).
3. The deployment part: finger/tap.py's Options (optParameters, optFlags,
   the repeatable opt_user), plugin-options.py, and `twistd finger --help`
   from a directory that is not the repository.
"""

import io
import os
import re
import shutil
import sys
import tempfile

from twisted.internet import defer, endpoints, protocol, reactor
from twisted.python import usage
from twisted.trial.unittest import TestCase

from tests import support
from tests.support import fetch, poem_bytes
from tests.support.finger import make_certificate, send_half_closed

CALLS = "writing-servers/protocol-calls.py"
HANDMADE = "writing-servers/handmade-transport.py"
OPTIONS = "writing-servers/plugin-options.py"


class _EchoClient(protocol.Protocol):
    """What the README's `printf 'hello\\n' | nc -N` does: sends one line and
    at once shuts its sending side (a half-close); keeps what comes back
    until the server closes."""

    def __init__(self, line):
        self.line = line
        self.received = b""
        self.lost = defer.Deferred()

    def connectionMade(self):
        self.port = self.transport.getHost().port
        self.transport.write(self.line)
        self.transport.loseWriteConnection()

    def dataReceived(self, data):
        self.received += data

    def connectionLost(self, reason):
        self.lost.callback(self.received)


class ProtocolCallsTest(TestCase):

    @defer.inlineCallbacks
    def test_the_framework_calls_in_order(self):
        server = yield support.start_script(
            self, CALLS, "--port", "0",
            ready=rb"echo listening on 127\.0\.0\.1:(\d+)\n")
        client = _EchoClient(b"hello\n")
        endpoint = endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", server.port)
        yield endpoints.connectProtocol(endpoint, client)
        echoed = yield support.with_timeout(client.lost, 10, "the echo")
        self.assertEqual(echoed, b"hello\n")
        yield server.wait_for(b"connectionLost ConnectionDone\n")

        peer = (f"IPv4Address(type='TCP', host='127.0.0.1', "
                f"port={client.port})")
        self.assertEqual(server.watcher.out.decode().splitlines(), [
            f"echo listening on 127.0.0.1:{server.port}",
            f"buildProtocol {peer}",
            f"makeConnection {peer}",
            "connectionMade",
            "dataReceived 'hello\\n'",
            "readConnectionLost",
            "connectionLost ConnectionDone",
        ])
        self.assertEqual(server.watcher.err, b"")


class ProtocolCallsUsageTest(TestCase):
    """protocol-calls.py on a port in use: one line and exit 1, not a
    traceback. In-process: main() fails before the reactor runs."""

    def test_a_port_in_use(self):
        taken = reactor.listenTCP(0, protocol.Factory(), interface="127.0.0.1")
        self.addCleanup(taken.stopListening)
        port = taken.getHost().port
        script = support.load_script(CALLS)
        e = self.assertRaises(SystemExit, script.main, ["--port", str(port)])
        self.assertEqual(e.code, f"protocol-calls.py: cannot listen on 127.0.0.1:{port}: "
                                 f"Address already in use")


class HandmadeTransportTest(TestCase):

    @defer.inlineCallbacks
    def test_poetry_and_finger_on_the_handmade_transport(self):
        ready = re.compile(rb"poetry listening on 127\.0\.0\.1:(\d+)\n"
                           rb"finger listening on 127\.0\.0\.1:(\d+)\n")
        server = yield support.start_script(self, HANDMADE, ready=ready)
        match = ready.search(server.watcher.out)
        poetry_port, finger_port = int(match.group(1)), int(match.group(2))

        poems = yield defer.gatherResults([fetch(poetry_port) for _ in range(3)])
        self.assertEqual(poems, [poem_bytes("ecstasy.txt")] * 3)
        # The README's commands: today's client, and nc -N (a half-close).
        out, err, code = yield support.run_script(
            "twisted-client/get-poetry.py", "--no-transform", str(poetry_port))
        self.assertEqual((out, err, code), (poem_bytes("ecstasy.txt") + b"\n", b"", 0))
        self.assertEqual((yield send_half_closed(finger_port, b"moshez\r\n")),
                         b"Happy and well\r\n")
        self.assertEqual((yield fetch(finger_port, b"nobody\r\n")),
                         b"No such user\r\n")
        self.assertTrue(server.running())
        self.assertEqual(server.watcher.err, b"")

    @defer.inlineCallbacks
    def test_a_write_larger_than_the_socket_buffer(self):
        # doWrite sends what the socket takes and keeps the rest queued;
        # loseConnection waits until the queue is empty.
        handmade = support.load_script(HANDMADE)
        fastpoetry = support.load_script("twisted-server/fastpoetry-1.0.py")
        big = bytes(range(256)) * 16 * 1024  # 4 MiB
        port = handmade.HandmadePort(reactor, 0, fastpoetry.PoetryFactory(big))
        port.startListening()
        self.addCleanup(port.stopListening)
        self.assertEqual((yield fetch(port.getHost().port, timeout=20)), big)

    @defer.inlineCallbacks
    def test_an_answer_queued_at_the_clients_half_close_is_sent(self):
        # nc -N sends its line and its FIN together: doRead reads the line
        # (the answer is queued), then the EOF, before doWrite has run.
        handmade = support.load_script(HANDMADE)
        finger07 = support.load_script("finger/finger07.py")
        port = handmade.HandmadePort(
            reactor, 0, finger07.FingerFactory(moshez="Happy and well"))
        port.startListening()
        self.addCleanup(port.stopListening)
        answers = yield defer.gatherResults([
            send_half_closed(port.getHost().port, b"moshez\r\n") for _ in range(5)])
        self.assertEqual(answers, [b"Happy and well\r\n"] * 5)

    def test_a_bad_port_is_a_usage_error(self):
        handmade = support.load_script(HANDMADE)
        err = io.StringIO()
        self.patch(sys, "stderr", err)
        e = self.assertRaises(SystemExit, handmade.main, ["--finger-port", "70000"])
        self.assertEqual(e.code, 2)
        self.assertTrue(err.getvalue().endswith(
            "error: argument --finger-port: 70000 is not a port number\n"), err.getvalue())


class PluginOptionsTest(TestCase):
    """finger/tap.py's Options, the class `twistd finger` parses with."""

    def setUp(self):
        from finger import tap
        self.tap = tap

    def parse(self, *args):
        options = self.tap.Options()
        options.parseOptions(list(args))
        return options

    def test_opt_user_is_repeatable_and_in_order(self):
        options = self.parse("--user", "moshez:Happy and well",
                             "--user", "josé: Très bien ",
                             "--user", "moshez:Sad")
        self.assertEqual(options["users"], {"moshez": "Sad", "josé": "Très bien"})
        self.assertEqual(list(options["users"]), ["moshez", "josé"])

    def test_parameters_are_coerced_and_have_the_texts_defaults(self):
        options = self.parse("--user", "a:b", "-p", "1079", "--reload", "0.5",
                             "--ircserver", "localhost:6667")
        self.assertEqual(
            (options["port"], options["setter-port"], options["web-port"],
             options["pb-port"], options["https-port"], options["iface"]),
            (1079, 1079, 8000, 8889, 443, "127.0.0.1"))
        self.assertEqual(options["reload"], 0.5)
        self.assertEqual(options["ircserver"], ("localhost", 6667))
        self.assertIsNone(self.parse("--user", "a:b")["ircserver"])

    def test_flag(self):
        self.assertEqual(self.parse("--user", "a:b")["ssl"], 0)
        self.assertIsNone(self.parse("--user", "a:b")["tls"])

    def test_ssl_with_a_certificate(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp, True)
        pem = make_certificate(tmp)
        options = self.parse("--user", "a:b", "--ssl", "--cert", pem)
        self.assertEqual(options["ssl"], 1)
        self.assertIsNotNone(options["tls"].getContext())

    def test_usage_errors(self):
        for args, message in [
            ([], "give a users file (--file USERS) or users (--user NAME:STATUS)"),
            (["--user", "moshez"], "--user: 'moshez' is not NAME:STATUS"),
            (["--user", ":x"], "--user: ':x' is not NAME:STATUS"),
            (["--user", "a:b", "--port", "x"],
             "Parameter type enforcement failed: 'x' is not a port number (0-65535)"),
            (["--user", "a:b", "--web-port", "65536"],
             "Parameter type enforcement failed: '65536' is not a port number (0-65535)"),
            (["--user", "a:b", "--reload", "0"],
             "Parameter type enforcement failed: '0' is not a positive number of seconds"),
            (["--user", "a:b", "--ircserver", "nohost"],
             "Parameter type enforcement failed: 'nohost' is not host:port"),
            (["--user", "a:b", "--ircnick", "two words"],
             "Parameter type enforcement failed: 'two words' is not an IRC nickname"),
            (["--file", "/nonexistent/users"],
             "--file: cannot read users file '/nonexistent/users': No such file or directory"),
            (["--user", "a:b", "--ssl"], "--ssl needs --cert PEM"),
            (["--user", "a:b", "--ssl", "--cert", "/nonexistent/x.pem"],
             "--cert: cannot read certificate '/nonexistent/x.pem': No such file or directory"),
        ]:
            with self.subTest(args=args):
                e = self.assertRaises(usage.UsageError, self.parse, *args)
                self.assertEqual(str(e), message)

    def test_the_short_tac_mirrors_the_plugin(self):
        # finger/finger.tac reads FINGER_* variables, one per option of
        # `twistd finger`, through the same Options.
        options = {name for name, *_ in self.tap.Options.optParameters}
        self.assertEqual(
            {option[2:] for _, option, _ in self.tap.ENVIRONMENT} - options, set())
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp, True)
        users = os.path.join(tmp, "etc.users")
        with open(users, "w", encoding="utf-8") as f:
            f.write("moshez: happy and well\n")
        pem = make_certificate(tmp)
        from_env = self.tap.fromEnvironment({
            "FINGER_USERS_FILE": users, "FINGER_PORT": "1079", "FINGER_SETTER_PORT": "1080",
            "FINGER_WEB_PORT": "8080", "FINGER_PB_PORT": "8890",
            "FINGER_HTTPS_PORT": "8443", "FINGER_CERT": pem, "FINGER_IFACE": "127.0.0.2",
            "FINGER_RELOAD": "5", "FINGER_IRC_SERVER": "127.0.0.1:6667",
            "FINGER_IRC_NICK": "bot"})
        from_args = self.parse(
            "--file", users, "--port", "1079", "--setter-port", "1080",
            "--web-port", "8080", "--pb-port", "8890", "--https-port", "8443",
            "--ssl", "--cert", pem, "--iface", "127.0.0.2", "--reload", "5",
            "--ircserver", "127.0.0.1:6667", "--ircnick", "bot")
        for config in (from_env, from_args):
            config.pop("tls")  # two TLS contexts, equal in what they hold
        self.assertEqual(dict(from_env), dict(from_args))
        e = self.assertRaises(usage.UsageError, self.tap.fromEnvironment,
                              {"FINGER_USERS_FILE": users, "FINGER_RELOAD": "never"})
        self.assertEqual(str(e), "FINGER_RELOAD: 'never' is not a positive number of seconds")

    @defer.inlineCallbacks
    def test_the_script_prints_what_makeService_gets(self):
        out, err, code = yield support.run_script(
            OPTIONS, "--user", "moshez:Happy and well", "--user", "josé:Très bien",
            "--port", "1079", "--ircserver", "127.0.0.1:6667")
        self.assertEqual((err, code), (b"", 0))
        self.assertEqual(out.decode("utf-8"), "\n".join([
            "cert = None",
            "file = None",
            "https-port = 443",
            "iface = '127.0.0.1'",
            "ircnick = 'fingerbot'",
            "ircserver = ('127.0.0.1', 6667)",
            "pb-port = 8889",
            "port = 1079",
            "reload = 30",
            "setter-port = 1079",
            "ssl = 0",
            "users = {'moshez': 'Happy and well', 'josé': 'Très bien'}",
            "web-port = 8000",
        ]) + "\n")

    def test_the_script_prints_options_only(self):
        # The README promises the options, one line each: not the TLS
        # context postOptions derives from --cert (REVIEW 18).
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp, True)
        pem = make_certificate(tmp)
        script = support.load_script(OPTIONS)
        out = io.StringIO()
        self.patch(sys, "stdout", out)
        self.assertEqual(script.main(["--user", "a:b", "--ssl", "--cert", pem]), 0)
        self.assertEqual(out.getvalue(), "\n".join([
            f"cert = {pem!r}",
            "file = None",
            "https-port = 443",
            "iface = '127.0.0.1'",
            "ircnick = 'fingerbot'",
            "ircserver = None",
            "pb-port = 8889",
            "port = 79",
            "reload = 30",
            "setter-port = 1079",
            "ssl = 1",
            "users = {'a': 'b'}",
            "web-port = 8000",
        ]) + "\n")

    def test_the_script_reports_a_usage_error_in_one_line(self):
        script = support.load_script(OPTIONS)
        err = io.StringIO()
        self.patch(sys, "stderr", err)
        self.assertEqual(script.main(["--port", "x", "--user", "a:b"]), 2)
        self.assertEqual(err.getvalue(), "plugin-options.py: Parameter type enforcement "
                                         "failed: 'x' is not a port number (0-65535)\n")

    @defer.inlineCallbacks
    def test_twistd_finger_help_from_another_directory(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp, True)
        out, err, code = yield support.run(
            support.twistd_argv("finger", "--help"), cwd=tmp)
        self.assertEqual((err, code), (b"", 0))
        self.assertTrue(out.startswith(
            b"Usage: twistd [options] finger [--file USERS] "
            b"[--user NAME:STATUS ...] [options]\n"), out)
        for option in (b"--file=", b"--user=", b"--port=", b"--setter-port=",
                       b"--web-port=", b"--pb-port=", b"--https-port=",
                       b"--cert=", b"--ssl ", b"--ircserver=", b"--ircnick="):
            self.assertIn(option, out)
