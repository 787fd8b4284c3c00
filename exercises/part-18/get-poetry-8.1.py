"""Get Poetry Now! client 8.1 -- Part 18, exercise 4.

Original: none; the exercise asks for it, changing client 8.0
(twisted-client-8/get-poetry.py).

The exercise: change client 8.0 so that it prints nothing at all until
every poem has finished (or failed) downloading, this time using the
*result* of the DeferredList rather than ignoring it. The generator no
longer prints; it returns the poem and whether the transform worked, or
fails. The DeferredList's result -- one (success, value) pair per poetry
server, in the order the servers were given -- is printed in one go:
poems on stdout, failures on stderr, and then the reactor is stopped.

    python twisted-server/transformedpoetry-1.0.py --port 10001
    python twisted-server/slowpoetry.py --port 10002 poetry/fascination.txt
    python twisted-server/fastpoetry-1.0.py --port 10003 poetry/science.txt
    python exercises/part-18/get-poetry-8.1.py 10001 10002 10003

A failed download, or an unexpected error, makes the exit status 1, as in
clients 6.0, 7.0 and 8.0 (it used to be 0).
"""

import argparse
import sys

from twisted.internet import defer
from twisted.internet.protocol import ClientFactory, Protocol
from twisted.protocols.basic import NetstringReceiver


def parse_address(text):
    """[HOST:]PORT -> (host, port); the host defaults to 127.0.0.1."""
    host, _, port = text.rpartition(":")
    if not port.isdigit() or not 0 < int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"invalid address {text!r}: the port must be 1-65535")
    return host or "127.0.0.1", int(port)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Get poems and cummingsify them; print nothing until all are in.",
        epilog="Example: %(prog)s 10001 10002 10003",
    )
    parser.add_argument("xform", metavar="XFORM-[HOST:]PORT", type=parse_address,
                        help="the transformation server")
    parser.add_argument("addresses", metavar="[HOST:]PORT", nargs="+", type=parse_address,
                        help="a poetry server")
    return parser.parse_args(argv)


class PoetryProtocol(Protocol):

    poem = b""

    def dataReceived(self, data):
        self.poem += data

    def connectionLost(self, reason):
        self.poemReceived(self.poem)

    def poemReceived(self, poem):
        self.factory.poem_finished(poem)


class PoetryClientFactory(ClientFactory):

    protocol = PoetryProtocol

    def __init__(self):
        self.deferred = defer.Deferred()

    def poem_finished(self, poem):
        if self.deferred is not None:
            d, self.deferred = self.deferred, None
            d.callback(poem.decode("utf-8", "replace"))

    def clientConnectionFailed(self, connector, reason):
        if self.deferred is not None:
            d, self.deferred = self.deferred, None
            d.errback(reason)


class TransformClientProtocol(NetstringReceiver):

    def connectionMade(self):
        self.sendRequest(self.factory.xform_name, self.factory.poem)

    def sendRequest(self, xform_name, poem):
        self.sendString(f"{xform_name}.{poem}".encode("utf-8"))

    def stringReceived(self, s):
        self.transport.loseConnection()
        self.poemReceived(s.decode("utf-8"))

    def poemReceived(self, poem):
        self.factory.handlePoem(poem)


class TransformClientFactory(ClientFactory):

    protocol = TransformClientProtocol

    def __init__(self, xform_name, poem):
        self.xform_name = xform_name
        self.poem = poem
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
        factory = TransformClientFactory(xform_name, poem)
        self.reactor.connectTCP(self.host, self.port, factory)
        return factory.deferred


def get_poetry(host, port, reactor):
    factory = PoetryClientFactory()
    reactor.connectTCP(host, port, factory)
    return factory.deferred


def poetry_main(argv=None, reactor=None):
    args = parse_args(argv)
    addresses = args.addresses

    if reactor is None:
        from twisted.internet import reactor

    proxy = TransformProxy(*args.xform, reactor)

    @defer.inlineCallbacks
    def get_transformed_poem(host, port):
        poem = yield get_poetry(host, port, reactor)  # a failure propagates
        try:
            poem = yield proxy.xform("cummingsify", poem)
        except Exception:
            return poem, False
        return poem, True

    failed = []

    def report(results):
        # Nothing has been printed so far: now everything, in address order.
        for success, value in results:
            if not success:
                failed.append(value)
                print("The poem download failed:", value.getErrorMessage(),
                      file=sys.stderr, flush=True)
                continue
            poem, transformed = value
            if not transformed:
                print("Cummingsify failed!", file=sys.stderr, flush=True)
            print(poem, flush=True)

    ds = [get_transformed_poem(host, port) for host, port in addresses]

    dlist = defer.DeferredList(ds, consumeErrors=True)
    dlist.addCallback(report)
    # Stop whatever happened: an error in report is printed, then we stop.
    def unexpected(f):
        failed.append(f)
        print("Unexpected error:", f.getErrorMessage(), file=sys.stderr, flush=True)

    dlist.addErrback(unexpected)
    dlist.addBoth(lambda _: reactor.stop())

    reactor.run()

    # As client 8.0: a failed download (or an unexpected error) makes the
    # exit status 1.
    return 1 if failed else 0


def main(argv=None):
    sys.exit(poetry_main(argv))


if __name__ == "__main__":
    main()
