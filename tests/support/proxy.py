"""Proxy 4.0 (twisted-server/poetry-proxy-4.0.py) under test in this
process: its prints and log captured, and, in memory, a MemoryReactorClock
for its connects and its clock."""

from twisted.internet.testing import MemoryReactorClock, StringTransport

from runner.paths import load_script

from .logs import capture_log

PROXY_SCRIPT = "twisted-server/poetry-proxy-4.0.py"


class ProxyPrints:
    """Mixin for a TestCase: proxy 4.0's prints land in self.printed and its
    log in self.log. self.proxy is the script's module."""

    def setUp(self):
        super().setUp()
        self.proxy = proxy = load_script(PROXY_SCRIPT)
        self.printed = []
        proxy.print = lambda *args, **kw: self.printed.append(" ".join(map(str, args)))
        self.addCleanup(delattr, proxy, "print")
        # The script reports a failing stdout once per process.
        self.patch(proxy, "stdout_failed", False)
        self.log = capture_log(self, "poetry-proxy")


class InMemoryProxy(ProxyPrints):
    """ProxyPrints, and ProxyService on a MemoryReactorClock: connects are
    recorded, not made, and time moves only when the test says so."""

    def setUp(self):
        super().setUp()
        self.reactor = MemoryReactorClock()

    def make(self, **kw):
        return self.proxy.ProxyService("127.0.0.1", 10001, reactor=self.reactor, **kw)

    def upstream(self, n=-1):
        """Connect the n-th recorded upstream fetch to a StringTransport."""
        host, port, factory, timeout, bind = self.reactor.tcpClients[n]
        proto = factory.buildProtocol(None)
        transport = StringTransport()
        proto.makeConnection(transport)
        return proto, transport

    def client(self, service):
        """A client of the proxy, connected over a StringTransport."""
        proto = self.proxy.PoetryProxyFactory(service).buildProtocol(None)
        transport = StringTransport()
        proto.makeConnection(transport)
        return proto, transport

    def results(self, d):
        """A list that will hold what `d` fires with."""
        got = []
        d.addBoth(got.append)
        return got
