"""Poetry Proxy as a tac file -- Part 16, exercise 2.

Original: none; the exercise asks for it. The proxy is proxy 2.0 of
Part 14 (twisted-server-2/poetry-proxy.py, here
twisted-server/poetry-proxy-2.0.py); the tac layout is fastpoetry 2.0's.

The exercise: write a tac file that starts a poetry proxy server. The
ProxyService becomes a real twisted.application Service (so twistd starts
and stops it with the rest), and a TCPServer connects the proxy factory
to its port. The progress messages of proxy 2.0 go to the twistd log.

    python twisted-server/fastpoetry-1.0.py --port 10001 poetry/fascination.txt
    twistd --nodaemon --python exercises/part-16/poetry-proxy.tac
    python twisted-client/get-poetry.py --no-transform 10000

Configuration: the proxy listens on localhost:10000 for the server at
127.0.0.1:10001; PROXY_PORT, PROXY_IFACE and PROXY_SERVER ([HOST:]PORT)
override that.

Departure from the text: a port already in use is one line,
"poetry-proxy.tac: cannot listen on localhost:10000: Address already in
use", and exit status 1, not a traceback. CannotListen is a SystemExit, so
in the foreground that line is all twistd shows; it is an Exception too, so
twistd's clean-up for a failed start runs: the pidfile is removed, and as a
daemon the launching twistd prints the line and exits 1.
"""

import os

from twisted.application import internet, service
from twisted.internet import defer
from twisted.internet.error import CannotListenError
from twisted.internet.protocol import ClientFactory, Protocol, ServerFactory
from twisted.logger import Logger

log = Logger(namespace="poetry-proxy")


class PoetryProtocol(Protocol):
    """Client side: collect the poem from the real server."""

    poem = b""

    def dataReceived(self, data):
        self.poem += data

    def connectionLost(self, reason):
        self.factory.poem_finished(self.poem)


class PoetryClientFactory(ClientFactory):

    protocol = PoetryProtocol

    def __init__(self):
        self.deferred = defer.Deferred()

    def poem_finished(self, poem):
        if self.deferred is not None:
            d, self.deferred = self.deferred, None
            d.callback(poem)

    def clientConnectionFailed(self, connector, reason):
        if self.deferred is not None:
            d, self.deferred = self.deferred, None
            d.errback(reason)


class ProxyService(service.Service):

    poem = None  # the cached poem

    def __init__(self, host, port):
        self.host = host
        self.port = port

    def startService(self):
        service.Service.startService(self)
        log.info("proxying for the poetry server at {host}:{port}",
                 host=self.host, port=self.port)

    def get_poem(self):
        if self.poem is not None:
            log.info("Using cached poem.")
            return defer.succeed(self.poem)

        log.info("Fetching poem from server.")
        factory = PoetryClientFactory()
        factory.deferred.addCallback(self.set_poem)
        from twisted.internet import reactor
        reactor.connectTCP(self.host, self.port, factory)
        return factory.deferred

    def set_poem(self, poem):
        self.poem = poem
        return poem


class PoetryProxyProtocol(Protocol):

    def connectionMade(self):
        d = self.factory.service.get_poem()
        d.addCallback(self.transport.write)
        d.addErrback(lambda f: log.warn("could not get the poem: {why}",
                                        why=f.getErrorMessage()))
        d.addBoth(lambda r: self.transport.loseConnection())


class PoetryProxyFactory(ServerFactory):

    protocol = PoetryProxyProtocol

    def __init__(self, service):
        self.service = service


class CannotListen(SystemExit, Exception):
    """A port that cannot be bound: one line and exit status 1."""


class PoetryTCPServer(internet.TCPServer):
    """internet.TCPServer, with a port it cannot bind as one line."""

    def privilegedStartService(self):
        try:
            super().privilegedStartService()
        except CannotListenError as e:
            raise CannotListen(f"poetry-proxy.tac: cannot listen on {e.interface}:{e.port}: "
                               f"{e.socketError.strerror}") from None


# configuration parameters
port = int(os.environ.get("PROXY_PORT", 10000))
iface = os.environ.get("PROXY_IFACE", "localhost")
server_host, _, server_port = os.environ.get("PROXY_SERVER", "10001").rpartition(":")
server_host = server_host or "127.0.0.1"

top_service = service.MultiService()

proxy_service = ProxyService(server_host, int(server_port))
proxy_service.setServiceParent(top_service)

factory = PoetryProxyFactory(proxy_service)
PoetryTCPServer(port, factory, interface=iface).setServiceParent(top_service)

# this variable has to be named 'application'
application = service.Application("poetry-proxy")
top_service.setServiceParent(application)
