"""Poetry Proxy with a transformation proxy -- Part 14, exercise 4.

Original: none; the exercise asks for it, building on proxy 2.0
(twisted-server-2/poetry-proxy.py, here twisted-server/poetry-proxy-2.0.py).
Exercises 2 and 3 (cache expiry, one fetch with waiters) are proxy 4.0,
twisted-server/poetry-proxy-4.0.py.

The exercise: add a transformation proxy to the proxy. On a second port it
speaks exactly the transformation protocol of Part 12 (a netstring
NAME.POEM in, the transformed poem as a netstring back, or a silent close),
but it does no transforming itself: each request is passed on to an
external transformation server through a TransformProxy (the class client
6.0 uses), and the answer passed back. The poetry side is proxy 2.0's.

    python twisted-server/fastpoetry-1.0.py --port 10001 poetry/fascination.txt
    python twisted-server/transformedpoetry-1.0.py --port 10002
    python exercises/part-14/poetry-proxy-xform.py --port 10000 --xform-port 10003 10001 10002
    python exercises/part-12/transform-client-sync.py 10003 poetry/science.txt

Departure from the text: a port already in use is one line on stderr,
"poetry-proxy-xform.py: cannot listen on localhost:10000: Address already in
use", and exit status 1, not a traceback.
"""

import argparse
import sys

from twisted.internet import defer
from twisted.internet.error import CannotListenError
from twisted.internet.protocol import ClientFactory, Protocol, ServerFactory
from twisted.protocols.basic import NetstringReceiver


def parse_address(text):
    """[HOST:]PORT -> (host, port); the host defaults to 127.0.0.1."""
    host, _, port = text.rpartition(":")
    if not port.isdigit() or not 0 < int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"invalid address {text!r}: the port must be 1-65535")
    return host or "127.0.0.1", int(port)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="A caching poetry proxy that also proxies poetry transformations.",
        epilog="Example: %(prog)s --port 10000 --xform-port 10003 10001 10002",
    )
    parser.add_argument("server", metavar="POETRY-[HOST:]PORT", type=parse_address,
                        help="the poetry server to proxy for")
    parser.add_argument("xform_server", metavar="XFORM-[HOST:]PORT", type=parse_address,
                        help="the transformation server to proxy for")
    parser.add_argument("--port", type=int, default=0,
                        help="port for poetry (default: a random free port)")
    parser.add_argument("--xform-port", type=int, default=0,
                        help="port for transformations (default: a random free port)")
    parser.add_argument("--iface", default="localhost",
                        help="interface to listen on (default: localhost)")
    args = parser.parse_args(argv)
    for name in ("port", "xform_port"):
        value = getattr(args, name)
        if not 0 <= value <= 65535:
            parser.error(f"argument --{name.replace('_', '-')}: {value} is not a port number")
    return args


# -- the poetry side: proxy 2.0 ------------------------------------------------

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


class ProxyService:

    poem = None  # the cached poem

    def __init__(self, host, port, reactor):
        self.host = host
        self.port = port
        self.reactor = reactor

    def get_poem(self):
        if self.poem is not None:
            print("Using cached poem.", flush=True)
            return defer.succeed(self.poem)

        print("Fetching poem from server.", flush=True)
        factory = PoetryClientFactory()
        factory.deferred.addCallback(self.set_poem)
        self.reactor.connectTCP(self.host, self.port, factory)
        return factory.deferred

    def set_poem(self, poem):
        self.poem = poem
        return poem


class PoetryProxyProtocol(Protocol):

    def connectionMade(self):
        d = self.factory.service.get_poem()
        d.addCallback(self.transport.write)
        d.addBoth(lambda r: self.transport.loseConnection())


class PoetryProxyFactory(ServerFactory):

    protocol = PoetryProxyProtocol

    def __init__(self, service):
        self.service = service


# -- the transformation side: a client of the real server... ------------------

class TransformClientProtocol(NetstringReceiver):

    def connectionMade(self):
        self.sendString(self.factory.request)

    def stringReceived(self, s):
        self.transport.loseConnection()
        self.factory.handlePoem(s)


class TransformClientFactory(ClientFactory):

    protocol = TransformClientProtocol

    def __init__(self, request):
        self.request = request
        self.deferred = defer.Deferred()

    def handlePoem(self, poem):
        d, self.deferred = self.deferred, None
        d.callback(poem)

    def clientConnectionLost(self, _, reason):
        if self.deferred is not None:
            d, self.deferred = self.deferred, None
            d.errback(reason)

    clientConnectionFailed = clientConnectionLost


class TransformProxy:
    """I proxy requests to a transformation service."""

    def __init__(self, host, port, reactor):
        self.host = host
        self.port = port
        self.reactor = reactor

    def xform(self, xform_name, poem):
        # Bytes in, bytes out: the proxy never needs to decode the poem.
        factory = TransformClientFactory(xform_name + b"." + poem)
        self.reactor.connectTCP(self.host, self.port, factory)
        return factory.deferred


# -- ...and a server speaking Part 12's protocol to our clients ---------------

class TransformProtocol(NetstringReceiver):

    deferred = None

    def stringReceived(self, request):
        if b"." not in request:  # bad request
            self.transport.loseConnection()
            return

        xform_name, poem = request.split(b".", 1)

        self.xformRequestReceived(xform_name, poem)

    def xformRequestReceived(self, xform_name, poem):
        print(f"Passing a {xform_name.decode('utf-8', 'replace')} request "
              f"to the transform server.", flush=True)
        self.deferred = self.factory.proxy.xform(xform_name, poem)
        self.deferred.addCallback(self.sendString)
        # Like the real server: a failed transform is a silent close.
        self.deferred.addErrback(lambda f: print(
            f"Transform failed: {f.getErrorMessage()}", flush=True))
        self.deferred.addBoth(lambda r: self.transport.loseConnection())


class TransformProxyFactory(ServerFactory):

    protocol = TransformProtocol

    def __init__(self, proxy):
        self.proxy = proxy


def listen(reactor, port, factory, iface):
    """reactor.listenTCP; a port in use is one line and exit 1."""
    try:
        return reactor.listenTCP(port, factory, interface=iface)
    except CannotListenError as e:
        sys.exit(f"poetry-proxy-xform.py: cannot listen on {iface}:{port}: "
                 f"{e.socketError.strerror}")


def main(argv=None):
    args = parse_args(argv)

    from twisted.internet import reactor

    host, port = args.server
    xform_host, xform_port = args.xform_server
    poetry_factory = PoetryProxyFactory(ProxyService(host, port, reactor))
    xform_factory = TransformProxyFactory(TransformProxy(xform_host, xform_port, reactor))

    # Both ports are bound before either is announced.
    listening = listen(reactor, args.port, poetry_factory, args.iface)
    xform_listening = listen(reactor, args.xform_port, xform_factory, args.iface)
    print(f"Proxying poetry on {listening.getHost()} for the server at {host}:{port}.",
          flush=True)
    print(f"Proxying transforms on {xform_listening.getHost()} "
          f"for the transform server at {xform_host}:{xform_port}.", flush=True)

    reactor.run()


if __name__ == "__main__":
    main()
