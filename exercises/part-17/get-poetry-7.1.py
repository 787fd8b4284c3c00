"""Get Poetry Now! client 7.1 -- Part 17, exercises 5 and 6.

Original: none; the exercises ask for it, changing client 7.0
(twisted-client-7/get-poetry.py).

The exercises: move client 7.0's got_poem callback inside the
inlineCallbacks generator, then its poem_done callback too -- making sure
the reactor is stopped whatever goes wrong. Here the generator prints the
poem itself (got_poem), and a `finally` clause does poem_done's counting,
so every way out of the generator counts: a poem printed, a download that
failed, or an error nobody foresaw (caught last, and reported).

Compared with 7.0, where poem_done is added with addBoth to the Deferred
the generator returns: that was one line and could not be skipped; here
the generator must get its own try/finally right, and a bug inside it is
a reactor that never stops. The Deferred version keeps "what to do with
the result" apart from "how to get it"; this one reads top to bottom.

get_poetry uses the "you make it, you fire it" factory of Part 13.

    python twisted-server/transformedpoetry-1.0.py --port 10001
    python twisted-server/fastpoetry-1.0.py --port 10002 poetry/fascination.txt
    python twisted-server/fastpoetry-1.0.py --port 10003 poetry/science.txt
    python exercises/part-17/get-poetry-7.1.py 10001 10002 10003

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
        description="Get poems and cummingsify them; all the work in one generator.",
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

    results = []
    failed = []

    @defer.inlineCallbacks
    def get_transformed_poem(host, port):
        try:
            try:
                poem = yield get_poetry(host, port, reactor)
            except Exception as e:
                print("The poem download failed:", e, file=sys.stderr, flush=True)
                failed.append(e)
                return

            try:
                poem = yield proxy.xform("cummingsify", poem)
            except Exception:
                print("Cummingsify failed!", file=sys.stderr, flush=True)

            # got_poem, moved inside
            print(poem, flush=True)
        except Exception as e:
            # Anything not foreseen above (say, stdout is gone): report it
            # here, as nobody outside is listening to our Deferred.
            print(f"Unexpected error: {e!r}", file=sys.stderr, flush=True)
            failed.append(e)
        finally:
            # poem_done, moved inside: every way out of the generator counts.
            results.append(None)
            if len(results) == len(addresses):
                reactor.stop()

    for host, port in addresses:
        get_transformed_poem(host, port)

    reactor.run()

    # As client 7.0: a failed download (or an unexpected error) makes the
    # exit status 1.
    return 1 if failed else 0


def main(argv=None):
    sys.exit(poetry_main(argv))


if __name__ == "__main__":
    main()
