"""Get Poetry 5.0 -- Part 10, "Poetry Transformed".

Original: twisted-client-5/get-poetry.py

A cummingsify(poem) transform runs in each poem's callback chain, between
the download and got_poem. To show off the error handling of a Deferred,
cummingsify picks one of three outcomes at random:

  success    the poem in lower case;
  gibberish  raises GibberishError: try_to_cummingsify lets it through, so
             the poem counts as failed ("The poem download failed.");
  bug        raises ValueError: try_to_cummingsify prints
             "Cummingsify failed!" and passes the original poem on.

    python twisted-server/slowpoetry.py --port 10001 poetry/ecstasy.txt
    python twisted-client/get-poetry-5.0.py 10001 10001 10001

For repeatable runs (and the tests), two environment variables steer the
random choice: CUMMINGSIFY_SEED=N seeds the random generator, and
CUMMINGSIFY_FORCE=success|gibberish|bug always takes that branch.

Departure from the text: the poem is printed as text, and the error
messages go to stderr.

Departure from the text: the reactor is stopped only if it is still
running. Ctrl-C stops the reactor, which closes the open connections, and
the callback that then stops the reactor again used to end the run with
"Unhandled error in Deferred: ... ReactorNotRunning".

Departure from the text: if stdout's reader goes away (`... | head -1`), the
rest of the output is dropped and the run ends as usual, with no traceback.
"""

import argparse
import os
import random
import sys

from twisted.internet import defer
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
        description="Get poetry from one or more servers, cummingsify it (maybe), print it.",
        epilog="Environment: CUMMINGSIFY_SEED=N, CUMMINGSIFY_FORCE=success|gibberish|bug. "
               "Example: %(prog)s 10001 10002",
    )
    parser.add_argument("addresses", metavar="[HOST:]PORT", nargs="+", type=parse_address,
                        help="a poetry server (host defaults to 127.0.0.1)")
    args = parser.parse_args(argv)
    force = os.environ.get("CUMMINGSIFY_FORCE")
    if force not in (None, "", *BRANCHES):
        parser.error(f"CUMMINGSIFY_FORCE must be one of {', '.join(BRANCHES)}, not {force!r}")
    seed = os.environ.get("CUMMINGSIFY_SEED")
    if seed:
        try:
            random.seed(int(seed))
        except ValueError:
            parser.error(f"CUMMINGSIFY_SEED must be an integer, not {seed!r}")
    return args.addresses


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


class GibberishError(Exception):
    pass


BRANCHES = ("success", "gibberish", "bug")


def cummingsify(poem):
    """
    Randomly do one of the following:

    1. Return a cummingsified version of the poem.
    2. Raise a GibberishError.
    3. Raise a ValueError.
    """

    def success():
        return poem.lower()

    def gibberish():
        raise GibberishError()

    def bug():
        raise ValueError()

    outcomes = dict(zip(BRANCHES, (success, gibberish, bug), strict=True))
    force = os.environ.get("CUMMINGSIFY_FORCE")
    if force:
        return outcomes[force]()
    return random.choice(list(outcomes.values()))()


def poetry_main(argv=None):
    addresses = parse_args(argv)

    from twisted.internet import reactor

    results = []

    def try_to_cummingsify(poem):
        try:
            return cummingsify(poem)
        except GibberishError:
            raise
        except Exception:  # a bug in cummingsify: use the original poem
            print("Cummingsify failed!", file=sys.stderr, flush=True)
            return poem

    def got_poem(poem):
        print(poem, flush=True)

    def poem_failed(err):
        print("The poem download failed.", file=sys.stderr, flush=True)

    def poem_done(_):
        results.append(_)
        if len(results) == len(addresses):
            try:
                reactor.stop()
            except ReactorNotRunning:  # already stopping (Ctrl-C)
                pass

    for address in addresses:
        host, port = address
        d = get_poetry(host, port)
        d.addCallback(try_to_cummingsify)
        d.addCallbacks(got_poem, poem_failed)
        d.addBoth(poem_done)

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
