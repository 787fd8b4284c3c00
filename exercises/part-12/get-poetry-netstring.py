"""Get Poetry Now!, netstring edition -- Part 12, exercise 6 (client half).

Original: none; the exercise asks for it, changing client 4.0
(twisted-client-4/get-poetry.py).

The exercise: make the poetry client and server use netstrings. With the
plain protocol a poem that stops early looks like a short poem; here the
length comes first, so a poem cut off by a server crash or a dropped
connection is reported as a failure ("Poem failed: ... cut short ...")
instead of being printed as if it were complete. The server half is
fastpoetry-netstring.py next to this file.

    python exercises/part-12/fastpoetry-netstring.py --port 10000 poetry/ecstasy.txt
    python exercises/part-12/fastpoetry-netstring.py --port 10001 --cut 100 poetry/science.txt
    python exercises/part-12/get-poetry-netstring.py 10000 10001

Exit status 0 when every poem arrived whole, 1 otherwise.
"""

import argparse
import re
import sys

from twisted.internet import defer
from twisted.internet.protocol import ClientFactory
from twisted.protocols.basic import NetstringReceiver


def parse_address(text):
    """[HOST:]PORT -> (host, port); the host defaults to 127.0.0.1."""
    host, _, port = text.rpartition(":")
    if not port.isdigit() or not 0 < int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"invalid address {text!r}: the port must be 1-65535")
    return host or "127.0.0.1", int(port)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Download poems sent as netstrings, noticing any cut short.",
        epilog="Example: %(prog)s 10000 10001",
    )
    parser.add_argument("addresses", metavar="[HOST:]PORT", nargs="+", type=parse_address,
                        help="a netstring poetry server")
    return parser.parse_args(argv)


class PoemTruncated(Exception):
    pass


HEADER = re.compile(rb"(\d+):")


class PoetryProtocol(NetstringReceiver):

    poem = None
    received = 0
    head = b""

    def dataReceived(self, data):
        if len(self.head) < 16:  # enough to hold the length prefix
            self.head += data[:16]
        self.received += len(data)
        super().dataReceived(data)

    def stringReceived(self, poem):
        self.poem = poem
        self.transport.loseConnection()

    def connectionLost(self, reason):
        if self.poem is not None:
            self.factory.poem_finished(self.poem)
        else:
            self.factory.poem_failed(PoemTruncated(self.describe_cut()))

    def describe_cut(self):
        peer = self.transport.getPeer()
        where = f"{peer.host}:{peer.port}"
        if self.received == 0:
            return f"the poem from {where} was cut short: no data at all"
        m = HEADER.match(self.head)
        if m is None:
            return f"the poem from {where} was cut short (or is not a netstring)"
        length = int(m.group(1))
        got = max(self.received - len(m.group(0)), 0)
        return (f"the poem from {where} was cut short: "
                f"got {min(got, length)} of {length} bytes")


class PoetryClientFactory(ClientFactory):
    """Makes its own Deferred and is the only one to fire it."""

    protocol = PoetryProtocol

    def __init__(self):
        self.deferred = defer.Deferred()

    def poem_finished(self, poem):
        if self.deferred is not None:
            d, self.deferred = self.deferred, None
            d.callback(poem)

    def poem_failed(self, error):
        if self.deferred is not None:
            d, self.deferred = self.deferred, None
            d.errback(error)

    def clientConnectionFailed(self, connector, reason):
        self.poem_failed(reason)


def get_poetry(host, port, reactor=None):
    """Fires with the poem (bytes) or fails, with PoemTruncated if cut short."""
    if reactor is None:
        from twisted.internet import reactor
    factory = PoetryClientFactory()
    reactor.connectTCP(host, port, factory)
    return factory.deferred


def poetry_main(argv=None):
    addresses = parse_args(argv).addresses

    from twisted.internet import reactor

    poems = []
    errors = []

    def got_poem(poem):
        print(poem.decode("utf-8", "replace"), flush=True)
        poems.append(poem)

    def poem_failed(err):
        print("Poem failed:", err.getErrorMessage(), file=sys.stderr, flush=True)
        errors.append(err)

    def poem_done(_):
        if len(poems) + len(errors) == len(addresses):
            reactor.stop()

    for host, port in addresses:
        d = get_poetry(host, port)
        d.addCallbacks(got_poem, poem_failed)
        d.addBoth(poem_done)

    reactor.run()
    return 1 if errors else 0


def main(argv=None):
    sys.exit(poetry_main(argv))


if __name__ == "__main__":
    main()
