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

Departure from the text: if stdout's reader goes away (`... | head -1`), the
rest of the output is dropped and the run ends as usual, with no traceback;
it used to hang for ever, since the callback that stops the reactor never
ran.
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
