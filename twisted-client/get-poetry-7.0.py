"""Get Poetry 7.0 -- Part 17, "Just Another Way to Spell 'Callback'".

Original: twisted-client-7/get-poetry.py

Client 6.0 with get_transformed_poem written as an inlineCallbacks
generator: it yields the download's Deferred, then the transform's, and
handles their errors with try/except. A failed download prints
"The poem download failed: ERR" and a failed transform "Cummingsify
failed!" (then the original poem is used). got_poem prints the poem and
poem_done stops the reactor after the last one.

    python twisted-server/transformedpoetry-1.0.py --port 10001
    python twisted-server/fastpoetry-1.0.py --port 10002 poetry/fascination.txt
    python twisted-server/fastpoetry-1.0.py --port 10003 poetry/science.txt
    python twisted-client/get-poetry-7.0.py 10001 10002 10003

Python 3: the generator ends with a plain `return poem`, which replaces
defer.returnValue.

Not in the text: the exit status is 1 if any download failed (the
original always exits 0). Like the text's client, it has no timeout: a
server that accepts and never sends keeps it waiting forever. Today's
client, twisted-client/get-poetry.py, adds --timeout.

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

from twisted.internet import defer
from twisted.internet.error import ReactorNotRunning
from twisted.internet.protocol import ClientFactory, Protocol
from twisted.protocols.basic import NetstringReceiver
from twisted.python.failure import Failure


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
        description="Get poetry from one or more servers, transform it on a "
                    "transform server, and print it.",
        epilog="Example: %(prog)s 10001 10002 10003 (10001 is the transform server)",
    )
    parser.add_argument("xform", metavar="XFORM_[HOST:]PORT", type=parse_address,
                        help="the transform server")
    parser.add_argument("addresses", metavar="[HOST:]PORT", nargs="+", type=parse_address,
                        help="a poetry server (host defaults to 127.0.0.1)")
    args = parser.parse_args(argv)
    return [args.xform, *args.addresses]


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


class TransformClientProtocol(NetstringReceiver):

    def connectionMade(self):
        self.sendRequest(self.factory.xform_name, self.factory.poem)

    def sendRequest(self, xform_name, poem):
        self.sendString(f"{xform_name}.{poem}".encode("utf-8"))

    def stringReceived(self, s):
        self.transport.loseConnection()
        self.poemReceived(s.decode("utf-8", "replace"))

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
        # Also called after a reply, but then the Deferred is gone.
        if self.deferred is not None:
            d, self.deferred = self.deferred, None
            d.errback(reason)

    clientConnectionFailed = clientConnectionLost


class TransformProxy:
    """
    I proxy requests to a transformation service.
    """

    def __init__(self, host, port):
        self.host = host
        self.port = port

    def xform(self, xform_name, poem):
        factory = TransformClientFactory(xform_name, poem)
        from twisted.internet import reactor
        reactor.connectTCP(self.host, self.port, factory)
        return factory.deferred


def get_poetry(host, port):
    """
    Download a poem from the given host and port. This function
    returns a Deferred which will be fired with the complete text of
    the poem or a Failure if the poem could not be downloaded.
    """
    d = defer.Deferred()
    from twisted.internet import reactor
    factory = PoetryClientFactory(d)
    reactor.connectTCP(host, port, factory)
    return d


def poetry_main(argv=None):
    addresses = parse_args(argv)

    xform_addr = addresses.pop(0)

    proxy = TransformProxy(*xform_addr)

    from twisted.internet import reactor

    results = []

    @defer.inlineCallbacks
    def get_transformed_poem(host, port):
        try:
            poem = yield get_poetry(host, port)
        except Exception as e:
            print("The poem download failed:", e, file=sys.stderr, flush=True)
            raise

        try:
            poem = yield proxy.xform("cummingsify", poem)
        except Exception:
            print("Cummingsify failed!", file=sys.stderr, flush=True)

        return poem

    def got_poem(poem):
        print(poem, flush=True)

    def poem_done(_):
        results.append(_)
        if len(results) == len(addresses):
            try:
                reactor.stop()
            except ReactorNotRunning:  # already stopping (Ctrl-C)
                pass

    for address in addresses:
        host, port = address
        d = get_transformed_poem(host, port)
        d.addCallbacks(got_poem)
        d.addBoth(poem_done)

    reactor.run()

    # Not in the text: a failed download (a Failure among the results)
    # makes the exit status 1.
    return 1 if any(isinstance(r, Failure) for r in results) else 0


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
    sys.exit(poetry_main())


if __name__ == "__main__":
    main()
