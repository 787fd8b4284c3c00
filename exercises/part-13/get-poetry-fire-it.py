"""Get Poetry Now! client 6.1, "you make it, you fire it" -- Part 13, exercise 3.

Original: none; the exercise asks for it, refactoring client 6.0
(twisted-client-6/get-poetry.py).

The exercise: in client 6.0, get_poetry makes a Deferred and hands it to
PoetryClientFactory, which fires it -- the maker and the firer differ,
breaking the rule "an object that makes a Deferred should also be in
charge of firing it". Refactor so the factory makes its own Deferred
(as TransformClientFactory already does) and get_poetry just returns
factory.deferred. Nothing outside the factory can fire it now, and the
factory fires it at most once: with the poem, or with the reason the
connection failed or was lost before any poem.

Everything else is client 6.0: the first address is the transformation
server, the rest are poetry servers; each poem is cummingsified remotely,
and printed as is if that fails.

    python twisted-server/transformedpoetry-1.0.py --port 10001
    python twisted-server/fastpoetry-1.0.py --port 10002 poetry/fascination.txt
    python twisted-server/fastpoetry-1.0.py --port 10003 poetry/science.txt
    python exercises/part-13/get-poetry-fire-it.py 10001 10002 10003

A failed download makes the exit status 1, as in clients 6.0, 7.0 and 8.0
(it used to be 0).

Departure from the text: if stdout's reader goes away (`... | head -1`), the
rest of the output is dropped and the run ends as usual, with no traceback;
it used to hang for ever.
"""

import argparse
import os
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
        description="Get poems and cummingsify them with a transformation server.",
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
    """Makes the Deferred for one poem, and is the only one to fire it."""

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


def get_poetry(host, port, reactor=None):
    """Download a poem; the Deferred returned is the factory's own."""
    if reactor is None:
        from twisted.internet import reactor
    factory = PoetryClientFactory()
    reactor.connectTCP(host, port, factory)
    return factory.deferred


def poetry_main(argv=None, reactor=None):
    args = parse_args(argv)
    addresses = args.addresses

    if reactor is None:
        from twisted.internet import reactor

    proxy = TransformProxy(*args.xform, reactor)

    poems = []
    errors = []

    def try_to_cummingsify(poem):
        d = proxy.xform("cummingsify", poem)

        def fail(err):
            print("Cummingsify failed!", file=sys.stderr, flush=True)
            return poem

        return d.addErrback(fail)

    def got_poem(poem):
        print(poem, flush=True)
        poems.append(poem)

    def poem_failed(err):
        print("The poem download failed.", file=sys.stderr, flush=True)
        errors.append(err)

    def poem_done(_):
        if len(poems) + len(errors) == len(addresses):
            reactor.stop()

    for host, port in addresses:
        d = get_poetry(host, port, reactor)
        d.addCallback(try_to_cummingsify)
        d.addCallbacks(got_poem, poem_failed)
        d.addBoth(poem_done)

    reactor.run()

    # As clients 6.0 to 8.0 do: a failed download makes the exit status 1.
    return 1 if errors else 0


class QuietStdout:
    """sys.stdout until its reader goes away (`... | head -1`). From then
    on the output goes to /dev/null, so the run ends as it would have: no
    traceback, and no callback cut short before it stops the reactor."""

    def __init__(self, stream):
        self.stream = stream

    def __getattr__(self, name):
        return getattr(self.stream, name)

    def write(self, text):
        try:
            return self.stream.write(text)
        except BrokenPipeError:
            self.reader_gone()
            return len(text)

    def flush(self):
        try:
            self.stream.flush()
        except BrokenPipeError:
            self.reader_gone()

    def reader_gone(self):
        # Python's documented remedy: point the descriptor at /dev/null,
        # so no later write, nor the flush at exit, fails again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, self.stream.fileno())
        os.close(devnull)


def main(argv=None):
    sys.stdout = QuietStdout(sys.stdout)
    sys.exit(poetry_main(argv))


if __name__ == "__main__":
    main()
