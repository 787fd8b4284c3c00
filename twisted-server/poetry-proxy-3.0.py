"""Poetry Proxy 3.0 -- Part 19, "I Thought I Wanted It But I Changed My Mind".

Original: twisted-server-4/poetry-proxy.py

Proxy 2.0 plus cancellation. The server protocol keeps the Deferred for the
poem; if our client hangs up before the poem has arrived, connectionLost
cancels it. The Deferred was made with a canceller, which drops the
upstream connection and prints "Canceling poem download.".

Faithful to the text, so it keeps the text's limits (fixed in proxy 4.0):
with the server down the client is closed with no data; concurrent requests
on a cold cache each fetch; a poem cut off mid-transfer is cached; and it
listens with listenTCP's default backlog of 50, so in a burst of about a
thousand connects some clients stall for ever (proxy 4.0 passes 1024).

    python twisted-server/fastpoetry-1.0.py --port 10001 poetry/fascination.txt
    python twisted-server/poetry-proxy-3.0.py --port 10000 10001

Departure from the text: a port already in use is one line on stderr,
"poetry-proxy-3.0.py: cannot listen on localhost:10000: Address already in
use", and exit status 1, not a traceback.
"""

import argparse
import sys

from twisted.internet.defer import Deferred, succeed
from twisted.internet.error import CannotListenError
from twisted.internet.protocol import ClientFactory, Protocol, ServerFactory


def parse_address(text):
    """[HOST:]PORT -> (host, port); the host defaults to 127.0.0.1."""
    host, _, port = text.rpartition(":")
    try:
        port = int(port)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid address {text!r}: the port must be a number") from None
    if not 0 < port <= 65535:
        raise argparse.ArgumentTypeError(f"invalid address {text!r}: no such port")
    return host or "127.0.0.1", port


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="A caching proxy for a poetry server.",
        epilog="Example: %(prog)s --port 10000 10001",
    )
    parser.add_argument("server", metavar="[HOST:]PORT", type=parse_address,
                        help="the poetry server to proxy for")
    parser.add_argument("--port", type=int, default=0,
                        help="port to listen on (default: a random free port)")
    parser.add_argument("--iface", default="localhost",
                        help="interface to listen on (default: localhost)")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"argument --port: {args.port} is not a port number")
    return args


class PoetryProtocol(Protocol):
    """Client side: collect the poem from the real server."""

    poem = b""

    def dataReceived(self, data):
        self.poem += data

    def connectionLost(self, reason):
        self.poemReceived(self.poem)

    def poemReceived(self, poem):
        self.factory.poem_finished(poem)


class PoetryClientFactory(ClientFactory):

    protocol = PoetryProtocol

    def __init__(self, deferred):
        self.deferred = deferred

    def poem_finished(self, poem):
        if self.deferred is not None:
            d, self.deferred = self.deferred, None
            d.callback(poem)

    def clientConnectionFailed(self, connector, reason):
        if self.deferred is not None:
            d, self.deferred = self.deferred, None
            d.errback(reason)


class ProxyService:

    poem = None  # the cached poem

    def __init__(self, host, port):
        self.host = host
        self.port = port

    def get_poem(self):
        if self.poem is not None:
            print("Using cached poem.", flush=True)
            # return an already-fired Deferred
            return succeed(self.poem)

        print("Fetching poem from server.", flush=True)

        def canceler(d):
            print("Canceling poem download.", flush=True)
            # The factory must not fire a Deferred that cancel() has fired.
            factory.deferred = None
            connector.disconnect()

        d = Deferred(canceler)
        d.addCallback(self.set_poem)
        factory = PoetryClientFactory(d)
        from twisted.internet import reactor
        connector = reactor.connectTCP(self.host, self.port, factory)
        return d

    def set_poem(self, poem):
        self.poem = poem
        return poem


class PoetryProxyProtocol(Protocol):
    """Server side: hand the (maybe cached) poem to our client."""

    deferred = None

    def connectionMade(self):
        self.deferred = self.factory.service.get_poem()
        self.deferred.addCallback(self.transport.write)
        self.deferred.addBoth(lambda r: self.transport.loseConnection())

    def connectionLost(self, reason):
        if self.deferred is not None:
            deferred, self.deferred = self.deferred, None
            # Does nothing if the poem has already been sent.
            deferred.cancel()


class PoetryProxyFactory(ServerFactory):

    protocol = PoetryProxyProtocol

    def __init__(self, service):
        self.service = service


def main(argv=None):
    args = parse_args(argv)
    host, server_port = args.server

    service = ProxyService(host, server_port)
    factory = PoetryProxyFactory(service)

    from twisted.internet import reactor

    try:
        port = reactor.listenTCP(args.port, factory, interface=args.iface)
    except CannotListenError as e:
        sys.exit(f"poetry-proxy-3.0.py: cannot listen on {args.iface}:{args.port}: "
                 f"{e.socketError.strerror}")

    print(f"Proxying poetry on {port.getHost()} for the server at {host}:{server_port}.",
          flush=True)

    reactor.run()


if __name__ == "__main__":
    main()
