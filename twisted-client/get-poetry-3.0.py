"""Get Poetry 3.0 -- Part 6, "And Then We Took It Higher".

Original: twisted-client-3/get-poetry.py

get_poetry(host, port, callback) hides the protocol, the factory and the
connection: it calls callback(poem) when a poem has arrived. The main
program collects the poems, stops the reactor after the last one and then
prints them, in the order they arrived.

    python twisted-server/slowpoetry.py --port 10001 poetry/ecstasy.txt
    python twisted-server/slowpoetry.py --port 10002 poetry/fascination.txt
    python twisted-client/get-poetry-3.0.py 10001 10002

Like the text's version, this one has no way to report a failure: if a
server cannot be reached, its callback is never called and the client
waits for ever (Ctrl-C prints the poems that did arrive). Client 3.1 adds
an errback for that.

Departure from the text: the reactor is stopped only if it is still
running. Ctrl-C stops the reactor, which closes the open connections, and
the callback that then stops the reactor again used to end the run with
"Unhandled error in Deferred: ... ReactorNotRunning".

Departure from the text: if stdout's reader goes away (`... | head -1`), the
rest of the output is dropped and the run ends as usual, with no traceback.
"""

import argparse
import os
import sys

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
        self.poemReceived(self.poem.decode("utf-8", "replace"))

    def poemReceived(self, poem):
        self.factory.poem_finished(poem)


class PoetryClientFactory(ClientFactory):

    protocol = PoetryProtocol

    def __init__(self, callback):
        self.callback = callback

    def poem_finished(self, poem):
        self.callback(poem)


def get_poetry(host, port, callback):
    """
    Download a poem from the given host and port and invoke

      callback(poem)

    when the poem is complete.
    """
    from twisted.internet import reactor
    factory = PoetryClientFactory(callback)
    reactor.connectTCP(host, port, factory)


def poetry_main(argv=None):
    addresses = parse_args(argv)

    from twisted.internet import reactor

    poems = []

    def got_poem(poem):
        poems.append(poem)
        if len(poems) == len(addresses):
            try:
                reactor.stop()
            except ReactorNotRunning:  # already stopping (Ctrl-C)
                pass

    for address in addresses:
        host, port = address
        get_poetry(host, port, got_poem)

    reactor.run()

    for poem in poems:
        print(poem, flush=True)


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


def main():
    sys.stdout = QuietStdout(sys.stdout)
    poetry_main()


if __name__ == "__main__":
    main()
