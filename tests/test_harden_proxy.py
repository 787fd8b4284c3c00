"""Proxy 4.0 (twisted-server/poetry-proxy-4.0.py) and `twistd poetryproxy`,
hardened: a failing stdout, size and time limits, half-closes, stopping,
accept() failures and the address forms. Each fault is injected in memory (MemoryReactorClock,
StringTransport, task.Clock) and, where the operating system is the point
(a broken pipe, a full disk, no file descriptors left, a half-close, a
signal), for real: over loopback, or against the script or twistd run as a
subprocess.
"""

import errno
import io
import math
import os
import re
import resource
import sys

from twisted.internet import defer, endpoints, error, protocol, reactor, task, tcp
from twisted.logger import Logger
from twisted.plugins import poetryproxy_plugin
from twisted.python import usage
from twisted.python.failure import Failure
from twisted.trial.unittest import TestCase

from tests import support
from tests.support import InMemoryProxy, fetch, poem_bytes

SCRIPT = "twisted-server/poetry-proxy-4.0.py"
proxy = support.load_script(SCRIPT)

POEM = poem_bytes("science.txt")
FAILED = "Could not fetch the poem from 127.0.0.1:{port}: "
NOTICE = ("poetry-proxy-4.0: cannot write to stdout ({error}); still serving, but progress "
          "messages are lost, from this one on: {message}\n")
ENOSPC = "[Errno 28] No space left on device"
EPIPE = "[Errno 32] Broken pipe"


def proxy_in_process(testcase, upstream_port, **kw):
    """Proxy 4.0's factory listening on loopback in this process; returns
    (service, port)."""
    service = proxy.ProxyService("127.0.0.1", upstream_port, **kw)
    return service, support.listen(testcase, proxy.PoetryProxyFactory(service))


def release(upstream, poem=POEM):
    """Make a silent TestServerFactory serve `poem` on its open connections."""
    for held in list(upstream.open):
        held.transport.write(poem)
        held.transport.loseConnection()


class StdoutInMemoryTest(InMemoryProxy, TestCase):
    """A print that fails (ENOSPC here) must not stop serving."""

    def test_full_disk_while_printing_keeps_serving_and_says_so_once(self):
        def full(*args, **kw):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        proxy.print = full
        stderr = io.StringIO()
        self.patch(sys, "stderr", stderr)
        service = self.make()
        clients = [self.client(service) for _ in range(2)]
        self.assertEqual(len(self.reactor.tcpClients), 1)  # the fetch started
        proto, _ = self.upstream()
        proto.dataReceived(POEM)
        proto.connectionLost(Failure(error.ConnectionDone()))
        third = self.client(service)  # "Using cached poem." fails too
        for _, transport in clients + [third]:
            self.assertEqual((transport.value(), transport.disconnecting), (POEM, True))
        self.assertEqual(stderr.getvalue(), NOTICE.format(
            error=ENOSPC, message="Fetching poem from server."))
        self.assertEqual(service.waiters, [])


class StdoutScriptTest(TestCase):
    """A failing stdout for real: the reader of stdout goes away (EPIPE), or stdout
    is /dev/full (ENOSPC)."""

    @defer.inlineCallbacks
    def test_reader_gone_keeps_serving_and_says_so_once(self):
        upstream = support.serve(self, support.TestServerFactory(POEM))
        # The whole line, newline included: the print is over.
        server = yield support.start_script(self, SCRIPT, "--port", "0", upstream,
                                            ready=rb"port=(\d+)\) for the server at .*\n")
        server.transport.closeChildFD(1)  # our end of its stdout pipe
        self.assertEqual((yield fetch(server.port)), POEM)  # "Fetching ..." fails
        self.assertEqual((yield fetch(server.port)), POEM)  # "Using cached ..." fails
        yield server.stop()
        self.assertEqual(server.exit_code(), 0)
        # One line, no traceback, no "Exception ignored" at exit.
        self.maxDiff = None
        self.assertEqual(server.err.decode(), NOTICE.format(
            error=EPIPE, message="Fetching poem from server."))

    @defer.inlineCallbacks
    def test_full_disk_keeps_serving_and_says_so_once(self):
        upstream = support.serve(self, support.TestServerFactory(POEM))
        # The very first line fails, so the notice names the port.
        server = yield support.start(self, [
            "sh", "-c", 'exec "$@" >/dev/full', "sh",
            *support.script_argv(SCRIPT, "--port", "0", upstream)])
        self.assertEqual((yield fetch(server.port)), POEM)
        self.assertEqual((yield fetch(server.port)), POEM)
        yield server.stop()
        self.assertEqual(server.exit_code(), 0)
        self.assertEqual(server.err.decode(), NOTICE.format(
            error=ENOSPC,
            message=f"Proxying poetry on IPv4Address(type='TCP', host='127.0.0.1', "
                    f"port={server.port}) for the server at 127.0.0.1:{upstream}."))


class MaxSizeTest(InMemoryProxy, TestCase):
    """A poem larger than --max-size is a failed download."""

    def test_past_max_size_the_download_fails_and_nothing_is_kept(self):
        service = self.make(max_size=1000)
        clients = [self.client(service) for _ in range(2)]
        proto, transport = self.upstream()
        proto.dataReceived(b"x" * 600)
        self.assertFalse(transport.disconnected)
        proto.dataReceived(b"x" * 600)
        self.assertTrue(transport.disconnected)  # aborted at once
        self.assertEqual(proto.chunks, [b"x" * 600])  # the excess was never kept
        proto.connectionLost(Failure(error.ConnectionAborted()))
        for _, client in clients:
            self.assertEqual((client.value(), client.disconnecting), (b"", True))
        self.assertEqual(self.log, [FAILED.format(port=10001)
                                    + "the poem is larger than 1000 bytes"])
        self.assertIsNone(service.poem)
        self.assertEqual(self.reactor.getDelayedCalls(), [])
        self.client(service)  # the next request fetches again
        self.assertEqual(len(self.reactor.tcpClients), 2)

    def test_exactly_max_size_is_a_poem(self):
        service = self.make(max_size=len(POEM))
        got = self.results(service.get_poem())
        proto, _ = self.upstream()
        proto.dataReceived(POEM)
        proto.connectionLost(Failure(error.ConnectionDone()))
        self.assertEqual(got, [POEM])

    @defer.inlineCallbacks
    def test_endless_upstream_over_loopback(self):
        # 1 MiB and the connection stays open: without the limit the proxy
        # would keep reading until the 10 s read timeout.
        upstream = support.TestServerFactory(b"x" * (1024 * 1024), close=False)
        service, port = proxy_in_process(self, support.serve(self, upstream),
                                         max_size=64 * 1024)
        dropped = upstream.next_disconnect()
        self.assertEqual((yield defer.gatherResults([fetch(port) for _ in range(3)])),
                         [b""] * 3)
        yield dropped  # the proxy hung up on the endless server
        self.assertEqual(self.log, [FAILED.format(port=service.port)
                                    + "the poem is larger than 65536 bytes"])
        upstream.poem, upstream.close = POEM, True
        self.assertEqual((yield fetch(port)), POEM)
        self.assertEqual(upstream.connections, 2)

    def test_option_defaults_and_bad_values(self):
        self.assertEqual(proxy.parse_args(["10001"]).max_size, 1048576)
        self.assertEqual(proxy.parse_args(["--max-size", "5000", "10001"]).max_size, 5000)
        options = poetryproxy_plugin.Options()
        options.parseOptions(["--server", "10001", "--max-size", "5000"])
        (listening,) = [s for s in poetryproxy_plugin.service_maker.makeService(options)
                        if isinstance(s, poetryproxy_plugin.ListeningService)]
        self.assertEqual(listening.factory.service.max_size, 5000)
        options = poetryproxy_plugin.Options()
        options.parseOptions(["--server", "10001"])
        self.assertEqual(options["max-size"], 1048576)
        for bad in ["0", "-5", "big"]:
            self.assertRaises(usage.UsageError, poetryproxy_plugin.Options().parseOptions,
                              ["--server", "10001", "--max-size", bad])
            self.assertUsageError(["--max-size", bad, "10001"], "argument --max-size: ")

    def assertUsageError(self, argv, message):
        stderr = io.StringIO()
        self.patch(sys, "stderr", stderr)
        with self.assertRaises(SystemExit) as raised:
            proxy.parse_args(argv)
        self.assertEqual(raised.exception.code, 2)
        self.assertIn(message, stderr.getvalue())


class _Trickle(protocol.Protocol):
    """An upstream that sends one byte every `every` seconds, for ever."""

    def connectionMade(self):
        self.factory.open.add(self)
        self.sending = task.LoopingCall(self.transport.write, b"x")
        self.sending.start(self.factory.every)

    def connectionLost(self, reason):
        self.sending.stop()
        self.factory.open.discard(self)
        self.factory.lost.callback(None)


class DeadlineTest(InMemoryProxy, TestCase):
    """A trickling upstream never trips the per-read --timeout;
    --deadline bounds the whole download."""

    def test_trickle_is_cut_off_at_the_deadline(self):
        service = self.make(timeout=10, deadline=60)
        clients = [self.client(service) for _ in range(2)]
        proto, transport = self.upstream()
        for _ in range(12):  # a byte every 5 s, at t = 0 ... 55
            proto.dataReceived(b"x")
            self.reactor.advance(5)  # never 10 s of silence
            if self.reactor.seconds() < 60:
                self.assertFalse(transport.disconnected)
        self.assertTrue(transport.disconnected)  # t = 60
        proto.connectionLost(Failure(error.ConnectionAborted()))
        for _, client in clients:
            self.assertEqual((client.value(), client.disconnecting), (b"", True))
        self.assertEqual(self.log, [FAILED.format(port=10001)
                                    + "the download took more than 60s (12 bytes received)"])
        self.assertIsNone(service.poem)
        self.assertEqual(self.reactor.getDelayedCalls(), [])

    def test_a_download_in_time_cancels_the_deadline(self):
        service = self.make(timeout=100, deadline=60)
        got = self.results(service.get_poem())
        proto, _ = self.upstream()
        self.reactor.advance(59)
        proto.dataReceived(POEM)
        proto.connectionLost(Failure(error.ConnectionDone()))
        self.assertEqual(got, [POEM])
        self.assertEqual(self.reactor.getDelayedCalls(), [])

    @defer.inlineCallbacks
    def test_trickle_over_loopback(self):
        upstream = protocol.ServerFactory.forProtocol(_Trickle)
        upstream.every, upstream.open, upstream.lost = 0.02, set(), defer.Deferred()
        upstream_port = support.listen(self, upstream)
        service, port = proxy_in_process(self, upstream_port, timeout=10, deadline=0.2)
        started = reactor.seconds()
        self.assertEqual((yield fetch(port)), b"")
        self.assertGreaterEqual(reactor.seconds() - started, 0.2)
        yield support.with_timeout(upstream.lost, 10, "the trickling upstream to be dropped")
        (line,) = self.log
        self.assertRegex(line, r"^Could not fetch the poem from 127\.0\.0\.1:\d+: the download "
                               r"took more than 0\.2s \(\d+ bytes received\)$")

    def test_option_defaults(self):
        self.assertEqual(proxy.parse_args(["10001"]).deadline, 60.0)
        options = poetryproxy_plugin.Options()
        options.parseOptions(["--server", "10001"])
        self.assertEqual(options["deadline"], 60.0)
        for bad in ["0", "-1", "inf", "soon"]:
            self.assertRaises(usage.UsageError, poetryproxy_plugin.Options().parseOptions,
                              ["--server", "10001", "--deadline", bad])


class _HalfCloser(protocol.Protocol):
    """Shuts its write side as soon as it is connected (shutdown(SHUT_WR),
    as `nc -N` does at the end of its input), then reads to the end."""

    def __init__(self):
        self.data = b""
        self.done = defer.Deferred()

    def connectionMade(self):
        self.transport.loseWriteConnection()

    def dataReceived(self, data):
        self.data += data

    def connectionLost(self, reason):
        self.done.callback(self.data)


class HalfCloseTest(InMemoryProxy, TestCase):
    """A half-close is not a hang-up; a lost connection still is."""

    @defer.inlineCallbacks
    def test_half_closing_client_gets_the_poem_from_a_cold_cache(self):
        upstream = support.TestServerFactory(poem=None)  # silent until released
        service, port = proxy_in_process(self, support.serve(self, upstream))
        eof = defer.Deferred()

        class Watched(proxy.PoetryProxyProtocol):
            # Fires once the proxy has seen the client's EOF, whichever way
            # it takes it (readConnectionLost, or connectionLost before).
            def readConnectionLost(self):
                eof.called or eof.callback(None)
                return super().readConnectionLost()

            def connectionLost(self, reason):
                eof.called or eof.callback(None)
                return super().connectionLost(reason)

        self.patch(proxy.PoetryProxyFactory, "protocol", Watched)
        fetched = upstream.next_connection()
        endpoint = endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", port, timeout=10)
        client = yield endpoints.connectProtocol(endpoint, _HalfCloser())
        yield fetched
        yield support.with_timeout(eof, 10, "the proxy to see the half-close")
        release(upstream)
        self.assertEqual((yield support.with_timeout(client.done, 10, "the poem")), POEM)
        self.assertEqual(self.printed, ["Fetching poem from server."])
        self.assertEqual(self.log, [])

    def test_eof_keeps_waiting_and_a_lost_connection_cancels(self):
        service = self.make()
        proto, transport = self.client(service)
        proto.readConnectionLost()
        self.assertIsNotNone(service.fetch)
        self.assertEqual(len(service.waiters), 1)
        proto.connectionLost(Failure(error.ConnectionLost()))
        self.assertIsNone(service.fetch)
        self.assertEqual(self.printed, ["Fetching poem from server.", "Canceling poem download."])
        self.assertEqual(self.log, [])


class ShutdownTest(InMemoryProxy, TestCase):
    """A download cut short by a stop is not a failed fetch."""

    def test_stop_cancels_the_download_and_closes_the_waiting_clients(self):
        service = self.make()
        clients = [self.client(service) for _ in range(2)]
        proto, _ = self.upstream()
        service.stop()
        for _, client in clients:
            self.assertEqual((client.value(), client.disconnecting), (b"", True))
        # Then the reactor drops every connection, the upstream one too.
        proto.connectionLost(Failure(error.ConnectionLost()))
        for client_proto, _ in clients:
            client_proto.connectionLost(Failure(error.ConnectionLost()))
        self.assertEqual(self.printed, ["Fetching poem from server.", "Canceling poem download."])
        self.assertEqual(self.log, ["Stopping: cancelled the poem download from 127.0.0.1:10001 "
                                    "and closed 2 waiting clients."])
        self.assertEqual(self.reactor.getDelayedCalls(), [])
        service.stop()  # twice is harmless

    def test_a_failure_while_stopping_is_not_an_error(self):
        events = []
        self.patch(proxy, "log", Logger(namespace="poetry-proxy", observer=events.append))
        service = self.make()
        self.results(service.get_poem())
        proto, _ = self.upstream()
        service.stopping = True  # as stop() sets it, had the drop come first
        proto.connectionLost(Failure(error.ConnectionLost()))
        (event,) = events
        self.assertEqual(event["log_level"].name, "info")

    @defer.inlineCallbacks
    def test_sigterm_during_a_download_script(self):
        # The script's stderr has the README's "Stopping: cancelled ..." line
        # (at info level, as under twistd), and nothing else: no error.
        upstream = support.TestServerFactory(poem=None)
        upstream_port = support.serve(self, upstream)
        server = yield support.start_script(self, SCRIPT, "--port", "0", upstream_port)
        fetched = upstream.next_connection()
        client = fetch(server.port)
        yield fetched
        server.signal("TERM")
        self.assertEqual((yield server.wait()), 0)
        self.assertEqual((yield client), b"")
        self.assertRegex(server.err.decode(), (
            r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} \[poetry-proxy#info\] "
            + re.escape(f"Stopping: cancelled the poem download from 127.0.0.1:{upstream_port} "
                        "and closed 1 waiting client.") + r"\n\Z"))
        self.assertTrue(server.out.endswith(
            b"Fetching poem from server.\nCanceling poem download.\n"), server.out)

    @defer.inlineCallbacks
    def test_twistd_service_stops_the_proxy_before_the_connections_drop(self):
        # `twistd poetryproxy`'s services, in this process: stopping them (as
        # twistd does, before the reactor drops connections) cancels the
        # download; the script's own run is test_sigterm_during_a_download_script.
        upstream = support.TestServerFactory(poem=None)
        upstream_port = support.serve(self, upstream)
        options = poetryproxy_plugin.Options()
        options.parseOptions(["--port", "0", "--iface", "127.0.0.1",
                              "--server", str(upstream_port)])
        top = poetryproxy_plugin.service_maker.makeService(options)
        (listening,) = [s for s in top if isinstance(s, poetryproxy_plugin.ListeningService)]
        top.privilegedStartService()
        top.startService()
        stopped = False

        def stop():
            return None if stopped else top.stopService()

        self.addCleanup(stop)
        fetched = upstream.next_connection()
        dropped = upstream.next_disconnect()
        client = fetch(listening.listening.getHost().port)
        yield fetched
        stopped = True
        yield top.stopService()
        self.assertEqual((yield client), b"")
        yield dropped
        self.assertEqual(self.log, [f"Stopping: cancelled the poem download from "
                                    f"127.0.0.1:{upstream_port} and closed 1 waiting client."])


def port_event(log, kind, **fields):
    """One of the events tcp.Port's accept loop logs (twisted.internet.tcp._accept)."""
    formats = {
        "encountered": "EMFILE encountered; releasing reserved file descriptor.",
        "closed": "EMFILE recovery: Closed socket from {address}",
        "rereserving": "Re-reserving EMFILE recovery file descriptor.",
        "failed": "Could not accept new connection ({acceptError})",
    }
    log.info(formats[kind], **fields)


class AcceptErrorsTest(InMemoryProxy, TestCase):
    """Accept() failures are logged, at most one line a second."""

    def test_one_warning_a_second_with_the_count(self):
        clock = task.Clock()
        accept_errors = proxy.AcceptErrors(clock)
        port_log = Logger(namespace="twisted.internet.tcp.Port", observer=accept_errors)

        def burst(n):
            port_event(port_log, "encountered")
            for i in range(n):
                port_event(port_log, "closed", address=("127.0.0.1", 40000 + i))
            port_event(port_log, "rereserving")

        # Only tcp.Port's events count, whatever another logger's fields are.
        Logger(namespace="elsewhere", observer=accept_errors).info(
            "Closed {address}", address=("127.0.0.1", 1))
        burst(3)
        self.assertEqual(self.log, [])  # the first line waits for the end of the burst
        clock.advance(0)
        warning = "Could not accept new connections (EMFILE: Too many open files): "
        self.assertEqual(self.log, [warning + "3 clients closed unserved"])
        clock.advance(0.3)
        burst(4)
        clock.advance(0.5)
        burst(1)
        clock.advance(0.19)
        self.assertEqual(len(self.log), 1)  # t = 0.99: still within the second
        clock.advance(0.01)
        self.assertEqual(self.log[1:], [warning + "5 clients closed unserved"])
        clock.advance(5)
        port_event(port_log, "failed", acceptError="ENOBUFS")
        clock.advance(0)
        self.assertEqual(self.log[2:], [
            "Could not accept new connections (ENOBUFS: No buffer space available): "
            "1 accept failed"])
        clock.advance(0.5)
        burst(1)
        accept_errors.flush()  # the port closes: what is pending is logged now
        self.assertEqual(self.log[3:], [warning + "1 client closed unserved"])
        self.assertEqual(clock.getDelayedCalls(), [])

    @defer.inlineCallbacks
    def test_the_port_reports_only_while_it_listens(self):
        listening = proxy.listen_tcp(0, protocol.ServerFactory.forProtocol(protocol.Protocol),
                                     50, "127.0.0.1")
        self.addCleanup(listening.stopListening)
        tcp_log = Logger(namespace="twisted.internet.tcp.Port")
        tcp_log.info("Could not accept new connection ({acceptError})", acceptError="ENOBUFS")
        yield listening.stopListening()  # what is pending is logged as the port closes
        tcp_log.info("Could not accept new connection ({acceptError})", acceptError="ENOBUFS")
        self.assertEqual(self.log, ["Could not accept new connections "
                                    "(ENOBUFS: No buffer space available): 1 accept failed"])
        self.assertIsNone(listening.accept_errors.call)  # nothing left pending

    @defer.inlineCallbacks
    def test_no_file_descriptors_left_is_logged_and_serving_resumes(self):
        upstream = support.serve(self, support.TestServerFactory(POEM))
        server = yield support.start_script(self, SCRIPT, "--port", "0", upstream)
        soft, hard = resource.prlimit(server.pid, resource.RLIMIT_NOFILE)
        fds = f"/proc/{server.pid}/fd"
        used = {int(fd) for fd in os.listdir(fds)}
        lowest_free = min(set(range(len(used) + 1)) - used)
        # Twisted's spare descriptor must lie below the new limit, or its
        # release would not make room for accept().
        reserved = [fd for fd in used if os.readlink(f"{fds}/{fd}") == "/dev/null"]
        self.assertTrue(reserved and max(reserved) < lowest_free, (used, reserved))
        # Now no descriptor below the limit is free: every accept() fails
        # with EMFILE, and Twisted's recovery closes the client at once.
        resource.prlimit(server.pid, resource.RLIMIT_NOFILE, (lowest_free, hard))
        self.addCleanup(lambda: server.running() and resource.prlimit(
            server.pid, resource.RLIMIT_NOFILE, (soft, hard)))
        started = reactor.seconds()
        replies = yield defer.gatherResults([fetch(server.port) for _ in range(5)])
        self.assertEqual(replies, [b""] * 5)

        def closed():
            counts = [int(n) for n in re.findall(
                rb"Could not accept new connections \(EMFILE: Too many open files\): "
                rb"(\d+) clients? closed unserved", server.err)]
            return sum(counts) == 5 and counts

        counts = yield support.poll(closed, what="warnings for 5 closed clients")
        # One line a second at most (the first comes at once).
        self.assertLessEqual(len(counts), 1 + math.ceil(reactor.seconds() - started), counts)
        resource.prlimit(server.pid, resource.RLIMIT_NOFILE, (soft, hard))
        self.assertEqual((yield fetch(server.port)), POEM)


class EMFILEReserveTest(TestCase):
    """The one private use in the proxy's shutdown: the spare descriptor
    Twisted keeps for EMFILE recovery (tcp._reservedFD), which the script
    closes at exit so that Python has no unclosed file to report. If this
    fails, Twisted has changed what release_emfile_reserve relies on."""

    def test_release_closes_twisteds_reserved_descriptor(self):
        support.listen(self, protocol.ServerFactory.forProtocol(protocol.Protocol))
        reserve = getattr(tcp, "_reservedFD", None)
        self.assertIsNotNone(reserve, "Twisted no longer has tcp._reservedFD: "
                                      "see release_emfile_reserve in " + SCRIPT)
        self.addCleanup(reserve.reserve)  # as the next listening port would
        self.assertTrue(reserve.available(), "listening did not reserve a descriptor")
        spare = reserve._fileDescriptor
        self.assertEqual(spare.name, os.devnull)
        proxy.release_emfile_reserve()
        self.assertEqual((reserve.available(), spare.closed), (False, True))
        proxy.release_emfile_reserve()  # twice is harmless


class AddressTest(TestCase):
    """Also noticed: [::1]:PORT is accepted; host:port:extra is a usage error."""

    def test_script_and_plugin_parse_the_same_forms(self):
        def plugin_parse(text):
            options = poetryproxy_plugin.Options()
            options.parseOptions(["--server", text])
            return options["server"]

        for parse, error_class in [(proxy.parse_address, proxy.argparse.ArgumentTypeError),
                                   (plugin_parse, usage.UsageError)]:
            self.assertEqual(parse("10001"), ("127.0.0.1", 10001))
            self.assertEqual(parse("otherhost:10001"), ("otherhost", 10001))
            self.assertEqual(parse("[::1]:10001"), ("::1", 10001))
            self.assertEqual(parse("::1:10001"), ("::1", 10001))
            for bad, why in [("localhost:10001:5", "an IPv6 host in brackets"),
                             ("[::1]", "write an IPv6 host as [HOST]:PORT"),
                             ("[::1]:0", "no such port")]:
                with self.assertRaises(error_class) as raised:
                    parse(bad)
                self.assertIn(why, str(raised.exception), bad)

    def test_script_usage_error_exit_2(self):
        stderr = io.StringIO()
        self.patch(sys, "stderr", stderr)
        self.patch(sys, "argv", ["poetry-proxy-4.0.py"])  # argparse's prog
        with self.assertRaises(SystemExit) as raised:
            proxy.parse_args(["localhost:10001:5"])
        self.assertEqual(raised.exception.code, 2)
        self.assertTrue(stderr.getvalue().endswith(
            "poetry-proxy-4.0.py: error: argument [HOST:]PORT: invalid address "
            "'localhost:10001:5': use HOST:PORT, with an IPv6 host in brackets, "
            "e.g. [::1]:10001\n"), stderr.getvalue())
