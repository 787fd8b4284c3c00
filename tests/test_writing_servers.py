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
from unittest import mock

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
        finger07 = handmade.definitions("finger/finger07.py", "finger07")  # step 7 runs at its top level
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
    """finger/tap.py's Options, the class `twistd finger` parses with: the
    text's options and ours, each the twin of a FINGER_* variable, whose
    default it takes; an option given wins."""

    def setUp(self):
        from finger import tap
        self.tap = tap
        # No FINGER_* variable from outside: the defaults are the text's.
        patcher = mock.patch.dict(os.environ, clear=True, values={
            k: v for k, v in os.environ.items() if not k.startswith("FINGER_")})
        patcher.start()
        self.addCleanup(patcher.stop)

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

    def test_the_texts_options_and_defaults(self):
        defaults = self.parse()
        self.assertEqual(
            {name: defaults[name] for name in ("file", "templates", "ircnick", "ircserver",
                                               "pbport", "ssl", "port", "web-port",
                                               "https-port", "setter-port")},
            {"file": support.path("finger/etc.users"), "templates": "/usr/share/finger/templates",
             "ircnick": "fingerbot", "ircserver": "irc.libera.chat:6667", "pbport": 8889,
             "ssl": 0, "port": 1079, "web-port": 8000, "https-port": 443, "setter-port": None})
        users = support.path("finger/etc.users")
        options = self.parse("-f", users, "-t", "/nowhere", "-n", "bot", "--ircserver",
                             "localhost", "-p", "1234", "--port", "79", "--setter-port", "0")
        self.assertEqual((options["file"], options["templates"], options["ircnick"],
                          options["ircserver"], options["pbport"], options["port"],
                          options["setter-port"]),
                         (users, "/nowhere", "bot", "localhost:6667", 1234, 79, 0))
        self.assertEqual(self.parse("--ircserver", "")["ircserver"], "")  # no bot

    def test_an_option_wins_over_its_variable(self):
        os.environ["FINGER_PB_PORT"] = "9999"
        self.assertEqual(self.parse()["pbport"], 9999)
        options = self.parse("--pbport", "1")
        self.assertEqual((options["pbport"], options.environment), (1, {"FINGER_PB_PORT": "1"}))

    def test_ssl_with_a_certificate(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp, True)
        pem = make_certificate(tmp)
        options = self.parse("--ssl", "--cert", pem)
        self.assertEqual((options["ssl"], options["cert"]), (1, pem))

    def test_usage_errors(self):
        for args, message in [
            (["--user", "moshez"], "--user: 'moshez' is not NAME:STATUS"),
            (["--user", ":x"], "--user: ':x' is not NAME:STATUS"),
            (["--port", "x"], "--port must be a port number from 0 to 65535, not 'x'"),
            (["--web-port", "65536"],
             "--web-port must be a port number from 0 to 65535, not '65536'"),
            (["-p", "²"], "--pbport must be a port number from 0 to 65535, not '²'"),
            (["--ircserver", "two words"],
             "--ircserver must be HOST:PORT (or empty, for none), not 'two words:6667'"),
            (["--ircnick", "two words"], "--ircnick must be an IRC nickname, not 'two words'"),
            (["--file", "/nonexistent/users"],
             "--file: cannot read '/nonexistent/users': No such file or directory"),
            (["--ssl", "--cert", "/nonexistent/x.pem"],
             "--cert: cannot read '/nonexistent/x.pem': No such file or directory"),
        ]:
            with self.subTest(args=args):
                e = self.assertRaises(usage.UsageError, self.parse, *args)
                self.assertEqual(str(e), message)

    @defer.inlineCallbacks
    def test_the_script_prints_what_makeService_gets(self):
        out, err, code = yield support.run_script(
            OPTIONS, "--user", "moshez:Happy and well", "--user", "josé:Très bien",
            "--port", "1079", "--ircserver", "127.0.0.1:6667",
            env={"FINGER_PB_PORT": "8890"})
        self.assertEqual((err, code), (b"", 0))
        self.assertEqual(out.decode("utf-8"), "\n".join([
            "cert = None",
            f"file = {support.path('finger/etc.users')!r}",
            "https-port = 443",
            "ircnick = 'fingerbot'",
            "ircserver = '127.0.0.1:6667'",
            "pbport = 8890",
            "port = 1079",
            "setter-port = None",
            "ssl = 0",
            "templates = '/usr/share/finger/templates'",
            "users = {'moshez': 'Happy and well', 'josé': 'Très bien'}",
            "web-port = 8000",
        ]) + "\n")

    def test_the_script_reports_a_usage_error_in_one_line(self):
        script = support.load_script(OPTIONS)
        err = io.StringIO()
        self.patch(sys, "stderr", err)
        self.assertEqual(script.main(["--port", "x", "--user", "a:b"]), 2)
        self.assertEqual(err.getvalue(), "plugin-options.py: --port must be a port number "
                                         "from 0 to 65535, not 'x'\n")

    @defer.inlineCallbacks
    def test_twistd_finger_help_from_another_directory(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp, True)
        out, err, code = yield support.run(
            support.twistd_argv("finger", "--help"), cwd=tmp)
        self.assertEqual((err, code), (b"", 0))
        self.assertTrue(out.startswith(b"Usage: twistd [options] finger [options]\n"), out)
        for option in (b"--file=", b"--templates=", b"--ircnick=", b"--ircserver=",
                       b"--pbport=", b"--ssl ", b"--user=", b"--port=", b"--web-port=",
                       b"--https-port=", b"--cert=", b"--setter-port="):
            self.assertIn(option, out)
