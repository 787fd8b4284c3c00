"""Today's client, twisted-client/get-poetry.py, hardened: a failing stdout,
a size limit, and the address forms.

- A stdout that goes away (EPIPE: `... | head -1`) ends the client quietly;
  a stdout that cannot be written (ENOSPC: `>/dev/full`) is one line on
  stderr and exit 1. Never a traceback. Both run for real: a pipe whose
  reading end the test closes before the client writes, and /dev/full.
- --max-size bounds the memory a poem may take: past it, that poem fails
  with one line and the others still print.
- [::1]:PORT is accepted; host:port:extra is a usage error (exit 2).
"""

import argparse
import io
import sys

from twisted.internet import defer, error, reactor
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from twisted.trial.unittest import TestCase

from tests import support
from tests.support import PYTHON, WARNFLAGS, poem_bytes

SCRIPT = "twisted-client/get-poetry.py"
client = support.load_script(SCRIPT)

SCIENCE = poem_bytes("science.txt")
ECSTASY = poem_bytes("ecstasy.txt")


def client_argv(*args):
    return [PYTHON, *WARNFLAGS, support.path(SCRIPT), *map(str, args)]


def poetry_server(testcase, poem, close=True, interface="127.0.0.1"):
    """A poetry server in this process; returns its port."""
    factory = support.TestServerFactory(poem=poem, close=close)
    if interface == "127.0.0.1":
        return support.serve(testcase, factory), factory
    port = reactor.listenTCP(0, factory, interface=interface)
    testcase.addCleanup(port.stopListening)
    testcase.addCleanup(factory.drop_all)
    return port.getHost().port, factory


class BrokenStdoutTest(TestCase):
    """EPIPE is a normal end, ENOSPC one line and exit 1."""

    @defer.inlineCallbacks
    def test_stdout_closed_by_its_reader_ends_quietly(self):
        first, _ = poetry_server(self, SCIENCE)
        second, _ = poetry_server(self, ECSTASY)
        # The client's stdout is a pipe whose reading end is already closed,
        # as when `head -1` has exited: every write fails with EPIPE.
        out, err, code = yield support.run(
            support.with_closed_stdout(client_argv("--no-transform", first, second)))
        # Every poem arrived, so the exit status is 0; nothing on stderr:
        # no traceback, no "Exception ignored" from the final flush.
        self.assertEqual((out, err, code), (b"", b"", 0))

    @defer.inlineCallbacks
    def test_full_disk_is_one_line_and_exit_1(self):
        port, _ = poetry_server(self, SCIENCE)
        out, err, code = yield support.run(
            ["sh", "-c", 'exec "$@" >/dev/full', "sh",
             *client_argv("--no-transform", port)])
        self.assertEqual((out, err, code), (
            b"", b"get-poetry.py: cannot write the poems to stdout: "
                 b"[Errno 28] No space left on device\n", 1))


class MaxSizeTest(TestCase):
    """A poem larger than --max-size fails alone, in one line."""

    @defer.inlineCallbacks
    def test_oversized_poem_fails_and_the_others_print(self):
        # 2 MiB, and the connection stays open: only the size limit (default
        # 1 MiB) ends this download before the 10 s timeout would.
        big, big_factory = poetry_server(self, b"x" * (2 * 1024 * 1024), close=False)
        good, _ = poetry_server(self, SCIENCE)
        dropped = big_factory.next_disconnect()
        out, err, code = yield support.run(client_argv("--no-transform", big, good))
        self.assertEqual((out, err, code), (
            SCIENCE + b"\n",
            f"The poem download from 127.0.0.1:{big} failed: "
            "poem larger than 1048576 bytes\n".encode(), 1))
        yield dropped  # the client hung up on the endless server

    def test_protocol_drops_the_connection_past_max_size(self):
        proto = client.PoetryProtocol(max_size=10)
        transport = StringTransport()
        proto.makeConnection(transport)
        got = []
        proto.finished.addBoth(got.append)
        proto.dataReceived(b"123456")
        self.assertEqual(got, [])
        proto.dataReceived(b"7890X")
        self.assertTrue(transport.disconnected)  # aborted, not waited for
        self.assertEqual(str(got[0].value), "poem larger than 10 bytes")
        self.assertEqual(proto.chunks, [])        # the memory is let go
        proto.connectionLost(Failure(error.ConnectionAborted()))  # no second result

    def test_exactly_max_size_is_a_poem(self):
        proto = client.PoetryProtocol(max_size=10)
        proto.makeConnection(StringTransport())
        got = []
        proto.finished.addBoth(got.append)
        proto.dataReceived(b"1234567890")
        proto.connectionLost(Failure(error.ConnectionDone()))
        self.assertEqual(got, ["1234567890"])

    def test_option_and_its_default(self):
        self.assertEqual(client.parse_args(["--no-transform", "10001"]).max_size, 1048576)
        self.assertEqual(
            client.parse_args(["--no-transform", "--max-size", "500", "10001"]).max_size, 500)
        for bad in ["0", "-1", "ten"]:
            self.assertUsageError(["--no-transform", "--max-size", bad, "10001"],
                                  "argument --max-size: invalid size")

    def assertUsageError(self, argv, message):
        stderr = io.StringIO()
        self.patch(sys, "stderr", stderr)
        with self.assertRaises(SystemExit) as raised:
            client.parse_args(argv)
        self.assertEqual(raised.exception.code, 2)
        self.assertIn(message, stderr.getvalue())


class AddressTest(TestCase):
    """Also noticed: [::1]:PORT works; host:port:extra is a usage error."""

    def test_address_forms(self):
        parse = client.parse_address
        self.assertEqual(parse("10001"), ("127.0.0.1", 10001))
        self.assertEqual(parse("localhost:10001"), ("localhost", 10001))
        self.assertEqual(parse("[::1]:10001"), ("::1", 10001))
        self.assertEqual(parse("::1:10001"), ("::1", 10001))  # still works
        for bad, why in [("localhost:10001:5", "use HOST:PORT, with an IPv6 host in brackets"),
                         ("[::1]", "write an IPv6 host as [HOST]:PORT"),
                         ("[localhost]:10001", "write an IPv6 host as [HOST]:PORT"),
                         ("[::1]:ten", "the port must be a number")]:
            with self.assertRaises(argparse.ArgumentTypeError) as raised:
                parse(bad)
            self.assertIn(why, str(raised.exception), bad)

    @defer.inlineCallbacks
    def test_bracketed_ipv6_is_served(self):
        port, _ = poetry_server(self, SCIENCE, interface="::1")
        (host, port), = client.parse_args(["--no-transform", f"[::1]:{port}"]).addresses
        poem = yield support.with_timeout(
            defer.Deferred.fromCoroutine(client.get_poetry(reactor, host, port)), 10, "the poem")
        self.assertEqual(poem, SCIENCE.decode("utf-8"))

    def test_malformed_address_is_a_usage_error(self):
        stderr = io.StringIO()
        self.patch(sys, "stderr", stderr)
        self.patch(sys, "argv", ["get-poetry.py"])  # argparse's prog
        with self.assertRaises(SystemExit) as raised:
            client.parse_args(["--no-transform", "localhost:10001:5"])
        self.assertEqual(raised.exception.code, 2)
        self.assertTrue(stderr.getvalue().endswith(
            "get-poetry.py: error: argument [HOST:]PORT: invalid address "
            "'localhost:10001:5': use HOST:PORT, with an IPv6 host in brackets, "
            "e.g. [::1]:10001\n"), stderr.getvalue())
