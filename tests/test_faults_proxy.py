"""Fault injection against proxy 4.0 (twisted-server/poetry-proxy-4.0.py)
and its plugin, `twistd poetryproxy`.

The upstream poetry server is simulated in the test (Upstream below): it
counts connections and, connection by connection, serves the poem, resets
the connection half-way, stays silent, closes without a word, trickles, or
holds the poem until the test releases it. Each fault is followed by a good
request, to show the proxy recovers: nothing bad is cached and the next
request fetches again.

Three levels: the service and protocols in memory (MemoryReactorClock for
connects and time: cache expiry, connect and read timeouts), the proxy's
factory listening in this process over real loopback, and the script and
the plugin run for real as subprocesses.
"""


from twisted.internet import defer, error, reactor
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from twisted.trial.unittest import TestCase

from tests import support
from tests.support import InMemoryProxy, ProxyPrints, fetch, poem_bytes

SCRIPT = "twisted-server/poetry-proxy-4.0.py"
proxy = support.load_script(SCRIPT)

POEM = poem_bytes("science.txt")
ALLA_SERA = poem_bytes("alla-sera.txt")  # UTF-8, non-ASCII
HALF = len(POEM) // 2
FAILED = "Could not fetch the poem from 127.0.0.1:{port}: "
RESET = "Connection to the other side was lost in a non-clean fashion."


def Upstream(*behaviours, poem=POEM):
    """A simulated poetry server: one behaviour per connection, in order
    (then it serves), counting its connections."""
    return support.TestServerFactory(poem, behaviours=behaviours)


def count_requests(service, n):
    """Fire once the service has been asked for the poem n times."""
    reached = defer.Deferred()
    original = service.get_poem
    calls = []

    def get_poem():
        calls.append(None)
        result = original()
        if len(calls) == n:
            reached.callback(None)
        return result

    service.get_poem = get_poem
    return support.with_timeout(reached, 10, f"{n} requests at the proxy")


def watch_cancels(service):
    """Fire when the next waiting client has been taken off the list."""
    done = defer.Deferred()
    original = service.waiter_cancelled

    def waiter_cancelled(waiter):
        original(waiter)
        if not done.called:
            done.callback(None)

    service.waiter_cancelled = waiter_cancelled
    return support.with_timeout(done, 10, "a client leaving the proxy")


class InMemoryTest(InMemoryProxy, TestCase):
    """ProxyService and its protocols with MemoryReactorClock: connects are
    recorded, not made, and time moves only when the test says so."""

    def test_cache_expires_after_expiry_seconds(self):
        service = self.make(expiry=7200)
        first = self.results(service.get_poem())
        proto, _ = self.upstream()
        proto.dataReceived(POEM)
        proto.connectionLost(Failure(error.ConnectionDone()))
        self.assertEqual(first, [POEM])

        self.reactor.advance(7199)
        self.assertEqual(self.results(service.get_poem()), [POEM])
        self.assertEqual(len(self.reactor.tcpClients), 1)
        self.reactor.advance(1)
        self.assertEqual(self.results(service.get_poem()), [])
        self.assertEqual(len(self.reactor.tcpClients), 2)
        self.assertEqual(self.printed, ["Fetching poem from server.", "Using cached poem.",
                                        "Cached poem expired.", "Fetching poem from server."])

    def test_expiry_zero_keeps_the_poem(self):
        service = self.make(expiry=0)
        service.get_poem()
        proto, _ = self.upstream()
        proto.dataReceived(POEM)
        proto.connectionLost(Failure(error.ConnectionDone()))
        self.reactor.advance(10 * 365 * 86400)
        self.assertEqual(self.results(service.get_poem()), [POEM])
        self.assertEqual(len(self.reactor.tcpClients), 1)

    def test_connect_timeout_fails_every_waiter_and_is_logged_once(self):
        service = self.make(connect_timeout=3)
        waiters = [self.results(service.get_poem()) for _ in range(3)]
        ((host, port, factory, timeout, bind),) = self.reactor.tcpClients
        self.assertEqual((host, port, timeout), ("127.0.0.1", 10001, 3))
        factory.clientConnectionFailed(self.reactor.connectors[0], Failure(error.TimeoutError()))
        for got in waiters:
            self.assertTrue(got[0].check(error.TimeoutError))
        self.assertEqual(self.log, [FAILED.format(port=10001)
                                    + "User timeout caused connection failure."])
        # Not cached, nothing in flight: the next request tries again.
        service.get_poem()
        self.assertEqual(len(self.reactor.tcpClients), 2)

    def test_read_timeout_resets_on_data_and_fails_when_silent(self):
        service = self.make(timeout=10)
        got = self.results(service.get_poem())
        proto, transport = self.upstream()
        self.reactor.advance(9)
        proto.dataReceived(POEM[:10])
        self.reactor.advance(9.9)
        self.assertFalse(transport.disconnecting)
        self.reactor.advance(0.1)
        self.assertTrue(transport.disconnected)  # aborted
        proto.connectionLost(Failure(error.ConnectionAborted()))
        self.assertTrue(got[0].check(proxy.UpstreamTimeout))
        self.assertEqual(self.log, [FAILED.format(port=10001)
                                    + "the server sent nothing for 10s (10 bytes received)"])
        self.assertIsNone(service.poem)
        self.assertEqual(self.reactor.getDelayedCalls(), [])

    def test_only_a_clean_close_is_cached(self):
        service = self.make()
        got = self.results(service.get_poem())
        proto, _ = self.upstream()
        proto.dataReceived(POEM[:HALF])
        proto.connectionLost(Failure(error.ConnectionLost()))
        self.assertTrue(got[0].check(error.ConnectionLost))
        self.assertIsNone(service.poem)
        self.assertEqual(self.reactor.getDelayedCalls(), [])

    def test_proxy_protocol_sends_nothing_on_failure(self):
        service = self.make()
        factory = proxy.PoetryProxyFactory(service)
        clients = [factory.buildProtocol(None) for _ in range(2)]
        transports = [StringTransport() for _ in clients]
        for client, transport in zip(clients, transports, strict=True):
            client.makeConnection(transport)
        proto, _ = self.upstream()
        proto.connectionLost(Failure(error.ConnectionDone()))  # no data at all
        for transport in transports:
            self.assertEqual((transport.value(), transport.disconnecting), (b"", True))
        self.assertEqual(self.log, [FAILED.format(port=10001)
                                    + "the server closed the connection without a poem"])

    def test_slow_but_steady_upstream_is_not_timed_out(self):
        # Six chunks, each just inside the 0.15 s timeout: 0.9 s in all.
        service = self.make(timeout=0.15)
        got = self.results(service.get_poem())
        proto, _ = self.upstream()
        size = -(-len(POEM) // 6)
        for i in range(6):
            self.reactor.advance(0.149)
            proto.dataReceived(POEM[i * size:(i + 1) * size])
        self.reactor.advance(0.149)
        proto.connectionLost(Failure(error.ConnectionDone()))
        self.assertEqual(got, [POEM])
        self.assertEqual(self.log, [])

    def test_one_of_two_clients_leaving_keeps_the_fetch(self):
        service = self.make()
        first, second = service.get_poem(), service.get_poem()
        first.addErrback(lambda f: f.trap(defer.CancelledError))
        first.cancel()
        self.assertFalse(support.connector_dropped(self.reactor.connectors[0]))
        got = self.results(second)
        proto, _ = self.upstream()
        proto.dataReceived(POEM)
        proto.connectionLost(Failure(error.ConnectionDone()))
        self.assertEqual(got, [POEM])
        self.assertNotIn("Canceling poem download.", self.printed)

    def test_last_client_leaving_cancels_the_fetch(self):
        service = self.make()
        first, second = service.get_poem(), service.get_poem()
        for d in (first, second):
            d.addErrback(lambda f: f.trap(defer.CancelledError))
            d.cancel()
        self.assertTrue(support.connector_dropped(self.reactor.connectors[0]))
        self.assertEqual(self.printed, ["Fetching poem from server.", "Canceling poem download."])
        self.assertEqual(self.log, [])  # a cancel is not a failure
        service.get_poem()
        self.assertEqual(len(self.reactor.tcpClients), 2)


class LoopbackTest(ProxyPrints, TestCase):
    """The proxy's factory listening in this process, real TCP both sides."""

    def start(self, upstream_port, **kw):
        self.service = proxy.ProxyService("127.0.0.1", upstream_port, **kw)
        factory = proxy.PoetryProxyFactory(self.service)
        return support.listen(self, factory, backlog=1024)

    @defer.inlineCallbacks
    def test_upstream_down_then_back(self):
        upstream_port = support.refused_port(self)
        port = self.start(upstream_port)
        self.assertEqual((yield fetch(port)), b"")
        self.assertEqual(self.log, [FAILED.format(port=upstream_port) + "Connection was "
                                    "refused by other side: 111: Connection refused."])
        upstream = Upstream()
        support.serve(self, upstream, port=upstream_port)
        self.assertEqual((yield fetch(port)), POEM)
        self.assertEqual((yield fetch(port)), POEM)
        self.assertEqual(upstream.connections, 1)
        self.assertEqual(self.printed, ["Fetching poem from server."] * 2 + ["Using cached poem."])

    @defer.inlineCallbacks
    def check_failure_then_recovery(self, behaviour, why, **kw):
        upstream = Upstream(behaviour)
        upstream_port = support.serve(self, upstream)
        port = self.start(upstream_port, **kw)
        self.assertEqual((yield fetch(port)), b"")
        self.assertEqual(self.log, [FAILED.format(port=upstream_port) + why])
        self.assertEqual((yield fetch(port)), POEM)
        self.assertEqual((yield fetch(port)), POEM)
        self.assertEqual(upstream.connections, 2)
        self.assertEqual(len(self.log), 1)

    def test_upstream_reset_mid_poem_is_not_cached(self):
        return self.check_failure_then_recovery("reset", RESET)

    def test_upstream_silent_read_timeout(self):
        return self.check_failure_then_recovery(
            "silent", "the server sent nothing for 0.2s (0 bytes received)", timeout=0.2)

    def test_upstream_stalls_mid_poem(self):
        return self.check_failure_then_recovery(
            "stall", f"the server sent nothing for 0.2s ({HALF} bytes received)", timeout=0.2)

    def test_upstream_closes_without_a_poem(self):
        return self.check_failure_then_recovery(
            "empty", "the server closed the connection without a poem")

    @defer.inlineCallbacks
    def test_100_concurrent_cold_clients_make_one_fetch(self):
        upstream = Upstream("held", poem=ALLA_SERA)
        port = self.start(support.serve(self, upstream))
        asked = count_requests(self.service, 100)
        clients = [fetch(port) for _ in range(100)]
        yield asked  # all 100 are waiting on the proxy before the poem comes
        self.assertEqual(len(self.service.waiters), 100)
        upstream.release()
        poems = yield defer.gatherResults(clients)
        self.assertEqual(poems, [ALLA_SERA] * 100)
        self.assertEqual(upstream.connections, 1)
        self.assertEqual(self.printed, ["Fetching poem from server."])

    @defer.inlineCallbacks
    def test_100_concurrent_cold_clients_share_one_failure(self):
        upstream = Upstream("held")
        upstream_port = support.serve(self, upstream)
        port = self.start(upstream_port)
        asked = count_requests(self.service, 100)
        made = upstream.next_connection()
        clients = [fetch(port) for _ in range(100)]
        held = yield made
        yield asked
        held.transport.abortConnection()
        self.assertEqual((yield defer.gatherResults(clients)), [b""] * 100)
        self.assertEqual(self.log, [FAILED.format(port=upstream_port) + RESET])
        self.assertEqual(upstream.connections, 1)
        self.assertEqual(self.service.waiters, [])

    @defer.inlineCallbacks
    def test_client_leaving_does_not_cancel_a_fetch_others_wait_for(self):
        upstream = Upstream("held")
        port = self.start(support.serve(self, upstream))
        asked = count_requests(self.service, 2)
        left = watch_cancels(self.service)
        made = upstream.next_connection()
        leaving, staying = fetch(port), fetch(port)
        held = yield made
        yield asked
        leaving.cancel()
        yield self.assertFailure(leaving, defer.CancelledError)
        yield left
        # One waiter left, its fetch still under way.
        self.assertEqual(len(self.service.waiters), 1)
        self.assertIsNotNone(self.service.fetch)
        self.assertFalse(held.lost.called)
        upstream.release()
        self.assertEqual((yield staying), POEM)
        self.assertEqual(upstream.connections, 1)
        self.assertNotIn("Canceling poem download.", self.printed)

    @defer.inlineCallbacks
    def test_last_client_leaving_cancels_the_fetch(self):
        upstream = Upstream("silent")
        port = self.start(support.serve(self, upstream))
        made = upstream.next_connection()
        client = fetch(port)
        (held,) = [(yield made)]
        client.cancel()
        yield self.assertFailure(client, defer.CancelledError)
        yield support.with_timeout(held.lost, 10, "the upstream fetch to be dropped")
        self.assertEqual(self.printed, ["Fetching poem from server.", "Canceling poem download."])
        self.assertEqual(self.log, [])
        # Nothing cached, nothing in flight: the next client fetches again.
        self.assertEqual((yield fetch(port)), POEM)
        self.assertEqual(upstream.connections, 2)


class ScriptTest(TestCase):
    """poetry-proxy-4.0.py run for real."""

    def start(self, *args):
        return support.start_script(self, SCRIPT, "--port", "0", *args)

    @defer.inlineCallbacks
    def test_upstream_down_is_logged_once_then_retried(self):
        upstream_port = support.refused_port(self)
        server = yield self.start(str(upstream_port))
        self.assertIn(b"Proxying poetry on IPv4Address(type='TCP', host='127.0.0.1', "
                      b"port=%d) for the server at 127.0.0.1:%d." % (server.port, upstream_port),
                      server.output)
        self.assertEqual((yield fetch(server.port)), b"")
        line = (FAILED.format(port=upstream_port) + "Connection was refused").encode()
        yield server.wait_for(line)
        support.serve(self, Upstream(), port=upstream_port)
        self.assertEqual((yield fetch(server.port)), POEM)
        self.assertEqual(server.err.count(b"[poetry-proxy#error] " + line), 1)
        self.assertEqual(server.err.count(b"\n"), 1)  # that one line, no traceback
        self.assertEqual(server.out.count(b"Fetching poem from server.\n"), 2)

    @defer.inlineCallbacks
    def test_100_concurrent_cold_clients_make_one_fetch(self):
        # A slow upstream: it answers 0.2s after the last client connected.
        upstream = Upstream("held", poem=ALLA_SERA)
        server = yield self.start(str(support.serve(self, upstream)))
        connected = []
        clients = []
        for _ in range(100):
            d = defer.Deferred()
            connected.append(d)
            clients.append(fetch(server.port, connected=d))
        yield support.with_timeout(defer.gatherResults(connected), 10, "100 connects")
        call = reactor.callLater(0.2, upstream.release)
        self.addCleanup(lambda: call.active() and call.cancel())
        poems = yield defer.gatherResults(clients)
        self.assertEqual(poems, [ALLA_SERA] * 100)
        self.assertEqual(upstream.connections, 1)
        self.assertEqual(server.out.count(b"Fetching poem from server."), 1)


class PluginTest(TestCase):
    """`twistd poetryproxy` run for real."""

    READY = rb"Proxying poetry on IPv4Address\(type='TCP', host='127\.0\.0\.1', port=(\d+)\)"

    @defer.inlineCallbacks
    def test_read_timeout_logged_once_then_served(self):
        upstream = Upstream("silent")
        upstream_port = support.serve(self, upstream)
        argv = support.twistd_argv("-n", "--pidfile=", "poetryproxy", "--port", "0",
                                   "--server", f"127.0.0.1:{upstream_port}", "--timeout", "0.2")
        # From another directory: the plugin finds poetry-proxy-4.0.py itself.
        elsewhere = support.temp_dir(self)
        server = yield support.start(self, argv, ready=self.READY, cwd=elsewhere)
        self.assertIn(b"for the server at 127.0.0.1:%d." % upstream_port, server.output)
        self.assertEqual((yield fetch(server.port)), b"")
        yield server.wait_for(FAILED.format(port=upstream_port)
                              + "the server sent nothing for 0.2s (0 bytes received)")
        self.assertEqual((yield fetch(server.port)), POEM)
        self.assertEqual((yield fetch(server.port)), POEM)
        self.assertEqual(upstream.connections, 2)
        self.assertEqual(server.output.count(b"[poetry-proxy#error]"), 1)
        self.assertEqual(server.output.count(b"Using cached poem."), 1)
        self.assertNotIn(b"Traceback", server.output)
