"""Servers listening in the test's own process, on 127.0.0.1 port 0."""

import socket

from twisted.internet import defer, protocol, reactor
from twisted.internet.interfaces import IHalfCloseableProtocol, IListeningPort
from twisted.protocols import policies
from zope.interface import implementer

from runner.paths import load_script
from runner.waiting import with_timeout


# port -> the socket refused_port binds there, until it listens or the test ends
_refusing = {}


def listen(testcase, factory, backlog=50, port=0):
    """listenTCP on 127.0.0.1 (port 0 unless given) in this process; returns
    the port number and stops listening at cleanup. On a port refused_port
    holds, the server comes up on that very socket (the reactor adopts it),
    so no other process can take the port in between."""
    held = _refusing.pop(port, None) if port else None
    if held is None:
        listening = reactor.listenTCP(port, factory, backlog=backlog, interface="127.0.0.1")
    else:
        held.setblocking(False)
        held.listen(backlog)
        listening = reactor.adoptStreamPort(held.fileno(), socket.AF_INET, factory)
        held.close()  # the reactor listens on its own copy of the descriptor
    testcase.addCleanup(listening.stopListening)
    return listening.getHost().port


def refused_port(testcase):
    """A port on 127.0.0.1 where a connection is refused: a socket bound to
    it but not listening, held until the test ends, so no other process
    (another trial worker, say) can start listening there meanwhile. A
    test may later listen() or serve() on it: a server that comes back."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    _refusing[port] = s

    def release():
        _refusing.pop(port, None)
        s.close()

    testcase.addCleanup(release)
    return port


def free_port(testcase=None):
    """The old name, kept for the finger tests until they use refused_port:
    with a test case it is refused_port; without one the port is released
    at once, so another process may take it."""
    if testcase is not None:
        return refused_port(testcase)
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class _Held(protocol.Protocol):
    """Server side of a TestServerFactory connection. With no behaviour
    left in the factory's script it serves as the factory says; otherwise
    it does the next behaviour, one of the methods below."""

    lost = None  # fires when the connection has ended

    def connectionMade(self):
        self.lost = defer.Deferred()
        f = self.factory
        f.connections += 1
        f.open.add(self)
        if f.behaviours:
            getattr(self, f.behaviours.pop(0))()
        elif f.poem is not None:
            self.transport.write(f.poem)
            if f.close is True:
                self.transport.loseConnection()
        f._notify(f._made, self)

    # -- behaviours, for a scripted upstream ---------------------------------

    def serve(self):
        """The whole poem, then close."""
        self.transport.write(self.factory.poem)
        self.transport.loseConnection()

    def reset(self):
        """Half the poem, then a TCP reset."""
        self.transport.write(self.factory.poem[:len(self.factory.poem) // 2])
        self.transport.abortConnection()

    def silent(self):
        """Accept and send nothing."""

    def stall(self):
        """Half the poem, then nothing."""
        self.transport.write(self.factory.poem[:len(self.factory.poem) // 2])

    def empty(self):
        """Close at once: no poem at all."""
        self.transport.loseConnection()

    def held(self):
        """Serve once the test calls release() (if the client is still there)."""
        self.factory.gate.addCallback(lambda _: self.lost.called or self.serve())

    def connectionLost(self, reason):
        self.factory.open.discard(self)
        self.factory._notify(self.factory._lost, self)
        self.lost.callback(None)


@implementer(IHalfCloseableProtocol)
class _HalfClosing(_Held):
    """Sends the poem, then shuts only its write side, and closes once the
    client has closed its end: so the server knows the client has read the
    poem to its end and hung up."""

    def connectionMade(self):
        _Held.connectionMade(self)
        self.transport.loseWriteConnection()

    def readConnectionLost(self):
        self.transport.loseConnection()

    def writeConnectionLost(self):
        pass


class TestServerFactory(protocol.ServerFactory):
    """An in-process upstream for proxy and client tests that counts its
    connections. By default it serves `poem` and closes; with poem=None it
    accepts and stays silent. Waiters fire on connect and on disconnect.
    `serve(testcase, factory)` listens and, at cleanup, drops whatever
    connections are still open so the reactor is left clean."""

    protocol = _Held
    __test__ = False  # a helper, not a test class, whatever its name says

    def __init__(self, poem=None, close=True, behaviours=()):
        """close: True to close after the poem, False to hold the connection
        open, "half" to shut the write side and close once the client has
        (then next_disconnect() means "the client read it all and left").
        behaviours: what the first connections do, in order (names of
        _Held's behaviour methods: serve, reset, silent, stall, empty,
        held); later connections serve as `close` says."""
        self.poem = poem
        self.close = close
        self.behaviours = list(behaviours)
        self.gate = defer.Deferred()  # fired by release(), for "held"
        if close == "half":
            self.protocol = _HalfClosing
        self.connections = 0
        self.open = set()
        self._made = []
        self._lost = []

    def _notify(self, waiters, proto):
        while waiters:
            waiters.pop(0).callback(proto)

    def release(self):
        """Let every "held" connection have its poem."""
        self.gate.callback(None)

    def next_connection(self, timeout=10):
        d = defer.Deferred()
        self._made.append(d)
        return with_timeout(d, timeout, "an upstream connection")

    def next_disconnect(self, timeout=10):
        d = defer.Deferred()
        self._lost.append(d)
        return with_timeout(d, timeout, "an upstream disconnect")

    def drop_all(self):
        """Abort open connections; fires once they are all gone."""
        waits = [p.lost for p in self.open]
        for p in list(self.open):
            p.transport.abortConnection()
        return with_timeout(defer.gatherResults(waits), 10, "dropping connections")


def abort_all(protocols):
    """Abort every connection of these server protocols (for a factory's
    drop_all, when it keeps its own list); fires at once."""
    for p in list(protocols):
        p.transport.abortConnection()
    return defer.succeed(None)


def serve(testcase, factory, backlog=50, port=0):
    """Listen with a TestServerFactory (or any factory with drop_all) on
    127.0.0.1 (port 0 unless given); at cleanup stop listening and drop
    open connections."""
    port = listen(testcase, factory, backlog=backlog, port=port)
    if hasattr(factory, "drop_all"):
        testcase.addCleanup(factory.drop_all)
    return port


def poem_port(testcase, poem):
    """A fast poetry server for `poem` (bytes), in this process; port number."""
    return serve(testcase, TestServerFactory(poem))


def listen_transformer(testcase, broken=False):
    """The text's transformation server (transformedpoetry-1.0.py), in this
    process; port number. broken=True: a server that knows no transforms,
    so it closes with no reply."""
    module = load_script("twisted-server/transformedpoetry-1.0.py")
    factory = module.TransformFactory(module.TransformService())
    if broken:
        factory.transform = lambda name, poem: None
    return serve(testcase, factory)


def tcp_port(tcp_server):
    """The port a running `internet.TCPServer` service listens on.

    The service keeps its listening port to itself, so it is looked for
    among the reactor's readers (IReactorFDSet.getReaders), with public
    APIs only: the one TCP IListeningPort that serves the factory the
    service was given (its second argument, after the port number)."""
    factory = tcp_server.args[1]
    addresses = [reader.getHost() for reader in reactor.getReaders()
                 if IListeningPort.providedBy(reader)
                 and getattr(reader, "factory", None) is factory]
    # The same factory may serve a UNIX socket too (exercises/application).
    ports = [address.port for address in addresses if getattr(address, "type", None) == "TCP"]
    if len(ports) != 1:
        raise AssertionError(f"{len(ports)} TCP ports serve {factory!r}, not 1: "
                             "is the service running?")
    return ports[0]


@implementer(IHalfCloseableProtocol)
class _HalfCloseWrapper(policies.ProtocolWrapper):
    """Turns the wrapped server's close into a half-close, and closes for
    real once the client has hung up."""

    def loseConnection(self):
        self.transport.loseWriteConnection()

    def readConnectionLost(self):
        self.transport.loseConnection()

    def writeConnectionLost(self):
        pass


class Watched(policies.WrappingFactory):
    """Wraps any server factory (e.g. the text's transform server) so that
    next_disconnect() fires when a client has read everything the server
    sent and hung up: the server's close becomes a half-close, and the
    connection ends when the client closes its side."""

    protocol = _HalfCloseWrapper

    def __init__(self, wrapped):
        policies.WrappingFactory.__init__(self, wrapped)
        self._lost = []

    def unregisterProtocol(self, p):
        policies.WrappingFactory.unregisterProtocol(self, p)
        while self._lost:
            self._lost.pop(0).callback(p)

    def next_disconnect(self, timeout=10):
        d = defer.Deferred()
        self._lost.append(d)
        return with_timeout(d, timeout, "a disconnect")

    def drop_all(self):
        return abort_all(self.protocols)
