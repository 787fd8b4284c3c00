"""Get Poetry 2.1, the simple one -- Part 5, "Twistier Poetry".

Original: twisted-client-2/get-poetry-simple.py

The smallest Twisted poetry client: a protocol that collects the poem and
prints it when the connection closes, and a factory that only says which
protocol to build.

    python twisted-server/fastpoetry-1.0.py --port 10001 poetry/ecstasy.txt
    python twisted-client/get-poetry-2.1.py 10001

Departure from the text: the original never stopped (you had to press
Ctrl-C) and ignored servers that could not be reached. Here the factory
counts the connections that have closed or failed, prints
"Failed to connect to: DEST" for the latter, and stops the reactor after
the last one.

Departure from the text: the reactor is stopped only if it is still
running. Ctrl-C stops the reactor, which closes the open connections, and
the callback that then stops the reactor again used to end the run with
"Unhandled error in Deferred: ... ReactorNotRunning".
"""

import argparse

from twisted.internet.error import ReactorNotRunning
from twisted.internet.protocol import ClientFactory, Protocol


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
        description="Get poetry from one or more servers and print it.",
        epilog="Example: %(prog)s 10001 10002 localhost:10003",
    )
    parser.add_argument("addresses", metavar="[HOST:]PORT", nargs="+", type=parse_address,
                        help="a poetry server (host defaults to 127.0.0.1)")
    return parser.parse_args(argv).addresses


class PoetryProtocol(Protocol):

    poem = b""

    def dataReceived(self, data):
        self.poem += data

    def connectionLost(self, reason):
        print(self.poem.decode("utf-8", "replace"), flush=True)
        self.factory.done()


class PoetryClientFactory(ClientFactory):

    protocol = PoetryProtocol

    def __init__(self, count):
        self.count = count

    def done(self):
        self.count -= 1
        if self.count == 0:
            from twisted.internet import reactor
            try:
                reactor.stop()
            except ReactorNotRunning:  # already stopping (Ctrl-C)
                pass

    def clientConnectionFailed(self, connector, reason):
        print("Failed to connect to:", connector.getDestination(), flush=True)
        self.done()


def poetry_main(argv=None):
    addresses = parse_args(argv)

    factory = PoetryClientFactory(len(addresses))

    from twisted.internet import reactor

    for host, port in addresses:
        reactor.connectTCP(host, port, factory)

    reactor.run()


def main():
    poetry_main()


if __name__ == "__main__":
    main()
