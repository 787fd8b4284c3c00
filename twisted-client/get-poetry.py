"""Get Poetry, today's client -- after Parts 13, 17 and 18.

Original: none; it grows out of twisted-client-8/get-poetry.py and the
exercises of Parts 13 and 18.

The command line of client 8.0 still works: the first address is the
transform server, the others are poetry servers.

    python twisted-server/transformedpoetry-1.0.py --port 10001
    python twisted-server/fastpoetry-1.0.py --port 10002 poetry/fascination.txt
    python twisted-server/fastpoetry-1.0.py --port 10003 poetry/science.txt
    python twisted-client/get-poetry.py 10001 10002 10003

What it adds to 8.0:
  --transform NAME   ask for another transform (Part 13, exercise 1);
  --no-transform     no transform server: every address is a poetry server
                     (Part 13, exercise 2);
  --timeout SECONDS  give up on a server that has not connected and sent its
                     whole poem (or its transform reply) in time, so a
                     server that accepts and then stays silent cannot hang
                     the client;
  --max-size BYTES   give up on a poem larger than this (default 1 MiB), so a
                     server that never stops sending cannot grow the
                     client's memory: "... failed: poem larger than N bytes";
  [::1]:PORT         an IPv6 host goes in brackets; host:port:extra is a
                     usage error (exit 2), as other malformed addresses are;
  the poems are printed in the order of the arguments, once all are in
  (Part 18, exercise 4); each failed download or transform is one line on
  stderr; a failed transform prints the poem untransformed, as 8.0 does;
  the exit status is 0 only if every poem arrived, 1 otherwise.

A stdout that goes away is not an error: with `get-poetry.py ... | head -1`,
once head has stopped reading, the client stops printing poems and ends
quietly, as Unix filters do (failures are still reported on stderr, and the
exit status is as above). A stdout that cannot be written for another
reason (`>/dev/full`: no space left) is one line on stderr and exit 1.
Neither prints a traceback.

The poetry protocol has no length header, so a poem is complete only when
the server closes the connection cleanly. A connection that is reset, a
server that closes without sending anything, or bytes that are not UTF-8
(as when a poem is cut inside a character) count as failed downloads, not
as poems.

The asynchronous steps are written as coroutines (async def / await); the
Deferred-based parts of Twisted accept them through Deferred.fromCoroutine,
the modern spelling of Part 17's inlineCallbacks. task.react runs the
reactor and turns the result into the exit status.
"""

import argparse
import errno
import os
import sys

from twisted.internet import defer, task
from twisted.internet.abstract import isIPAddress, isIPv6Address
from twisted.internet.endpoints import (
    HostnameEndpoint, TCP4ClientEndpoint, TCP6ClientEndpoint, connectProtocol,
)
from twisted.internet.error import ConnectionDone
from twisted.internet.protocol import Protocol
from twisted.protocols.basic import NetstringReceiver
from twisted.python.failure import Failure

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_SIZE = 1024 * 1024  # bytes; poems are a few KB


def parse_address(text):
    """[HOST:]PORT -> (host, port); the host defaults to 127.0.0.1.

    An IPv6 host goes in brackets, [::1]:10001. Without brackets, a host
    with colons is accepted only if it is an IPv6 address (::1:10001), so
    that host:port:extra is a usage error, not a host named "host:port"."""
    if text.startswith("["):
        host, bracket, port = text[1:].partition("]:")
        if not bracket or not isIPv6Address(host):
            raise argparse.ArgumentTypeError(
                f"invalid address {text!r}: write an IPv6 host as [HOST]:PORT, e.g. [::1]:10001")
    else:
        host, _, port = text.rpartition(":")
        if ":" in host and not isIPv6Address(host):
            raise argparse.ArgumentTypeError(
                f"invalid address {text!r}: use HOST:PORT, with an IPv6 host in brackets, "
                "e.g. [::1]:10001")
    try:
        port = int(port)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid address {text!r}: the port must be a number") from None
    if not 0 < port <= 65535:
        raise argparse.ArgumentTypeError(f"invalid address {text!r}: no such port")
    return host or "127.0.0.1", port


def positive_seconds(text):
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid timeout {text!r}: not a number") from None
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"invalid timeout {text!r}: must be more than 0")
    return seconds


def positive_size(text):
    try:
        size = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid size {text!r}: not a number of bytes") from None
    if size < 1:
        raise argparse.ArgumentTypeError(f"invalid size {text!r}: must be at least 1")
    return size


def transform_name(text):
    # The request is NAME.POEM, so a name must not contain a dot.
    if not text or "." in text:
        raise argparse.ArgumentTypeError(f"invalid transform name {text!r}")
    return text


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Get poetry from one or more servers, transform it, and "
                    "print it in the order of the arguments.",
        epilog="Example: %(prog)s 10001 10002 10003 (10001 is the transform "
               "server); %(prog)s --no-transform 10002 10003",
    )
    parser.add_argument("addresses", metavar="[HOST:]PORT", nargs="+", type=parse_address,
                        help="the transform server, then the poetry servers "
                             "(host defaults to 127.0.0.1)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--transform", metavar="NAME", type=transform_name,
                       default="cummingsify",
                       help="the transform to ask for (default: cummingsify)")
    which.add_argument("--no-transform", action="store_true",
                       help="do not transform: every address is a poetry server")
    parser.add_argument("--timeout", metavar="SECONDS", type=positive_seconds,
                        default=DEFAULT_TIMEOUT,
                        help="time allowed for connecting and receiving each poem, "
                             f"and for each transform (default: {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--max-size", metavar="BYTES", type=positive_size,
                        default=DEFAULT_MAX_SIZE,
                        help="largest poem accepted, in bytes "
                             f"(default: {DEFAULT_MAX_SIZE}, 1 MiB)")
    args = parser.parse_args(argv)
    if args.no_transform:
        args.xform_addr = None
    elif len(args.addresses) < 2:
        parser.error("give the transform server and at least one poetry server "
                     "(or use --no-transform)")
    else:
        args.xform_addr = args.addresses.pop(0)
    return args


class PoetryError(Exception):
    """A download or a transform that ended without a usable result."""


class PoetryProtocol(Protocol):
    """Collects a poem; `finished` fires with the text when the server
    closes cleanly, or fails. Cancelling `finished` drops the connection.
    A poem larger than max_size bytes fails at once, and the connection
    is dropped: an endless server must not grow our memory."""

    def __init__(self, max_size=DEFAULT_MAX_SIZE):
        self.chunks = []
        self.received = 0
        self.max_size = max_size
        self.finished = defer.Deferred(self._cancel)

    def dataReceived(self, data):
        if self.finished is None:
            return
        self.received += len(data)
        if self.received > self.max_size:
            d, self.finished = self.finished, None
            self.chunks = []
            self.transport.abortConnection()
            d.errback(PoetryError(f"poem larger than {self.max_size} bytes"))
            return
        self.chunks.append(data)

    def connectionLost(self, reason):
        d, self.finished = self.finished, None
        if d is None:  # cancelled
            return
        if not reason.check(ConnectionDone):
            # A reset or other breakage: whatever we have is not the poem.
            d.errback(reason)
            return
        poem = b"".join(self.chunks)
        if not poem:
            d.errback(PoetryError("the server closed the connection without sending a poem"))
            return
        try:
            text = poem.decode("utf-8")
        except UnicodeDecodeError:
            d.errback(PoetryError(f"the {len(poem)} bytes received are not UTF-8 text "
                                  "(a poem cut off?)"))
        else:
            d.callback(text)

    def _cancel(self, d):
        self.finished = None
        self.transport.abortConnection()


class TransformClientProtocol(NetstringReceiver):
    """Sends one NAME.POEM request; `finished` fires with the transformed
    poem, or fails if the server closes without a reply."""

    def __init__(self, xform_name, poem):
        self.xform_name = xform_name
        self.poem = poem
        self.finished = defer.Deferred(self._cancel)

    def connectionMade(self):
        self.sendString(f"{self.xform_name}.{self.poem}".encode("utf-8"))

    def stringReceived(self, s):
        d, self.finished = self.finished, None
        self.transport.loseConnection()
        if d is None:
            return
        try:
            d.callback(s.decode("utf-8"))
        except UnicodeDecodeError:
            d.errback(PoetryError("the transform server's reply is not UTF-8 text"))

    def connectionLost(self, reason):
        d, self.finished = self.finished, None
        if d is None:
            return
        if reason.check(ConnectionDone):
            # The server closes without a reply on an unknown transform.
            d.errback(PoetryError("the transform server closed the connection without a reply"))
        else:
            d.errback(reason)

    def _cancel(self, d):
        self.finished = None
        self.transport.abortConnection()


def with_timeout(reactor, coroutine, seconds):
    """Run a coroutine as a Deferred that is cancelled after `seconds`.
    Cancelling it cancels whatever it is waiting on: a connection attempt
    or a protocol's `finished`, which drops the connection."""
    d = defer.Deferred.fromCoroutine(coroutine)

    def timed_out(result, timeout):
        # A cancelled connection attempt fails with ConnectingCancelledError,
        # not CancelledError, so report any failure after expiry as a timeout.
        if isinstance(result, Failure):
            raise defer.TimeoutError(f"no answer within {in_seconds(timeout)}")
        return result

    return d.addTimeout(seconds, reactor, onTimeoutCancel=timed_out)


def client_endpoint(reactor, host, port):
    """An endpoint for host:port. Host names go through HostnameEndpoint,
    which resolves them and tries every address; an IP address is used
    directly (HostnameEndpoint would wait for its "happy eyeballs" attempt
    delay before reporting a refused connection)."""
    if isIPAddress(host):
        return TCP4ClientEndpoint(reactor, host, port)
    if isIPv6Address(host):
        return TCP6ClientEndpoint(reactor, host, port)
    return HostnameEndpoint(reactor, host, port)


async def get_poetry(reactor, host, port, max_size=DEFAULT_MAX_SIZE):
    """Download a poem; returns its text."""
    endpoint = client_endpoint(reactor, host, port)
    protocol = await connectProtocol(endpoint, PoetryProtocol(max_size))
    return await protocol.finished


class TransformProxy:
    """
    I proxy requests to a transformation service.
    """

    def __init__(self, reactor, host, port):
        self.reactor = reactor
        self.host = host
        self.port = port

    async def xform(self, xform_name, poem):
        endpoint = client_endpoint(self.reactor, self.host, self.port)
        protocol = await connectProtocol(endpoint, TransformClientProtocol(xform_name, poem))
        return await protocol.finished


def in_seconds(timeout):
    """'1 second', '0.5 seconds', '10 seconds'."""
    return f"{timeout:g} second{'' if timeout == 1 else 's'}"


def describe(error, timeout):
    """One line about why something failed."""
    if isinstance(error, defer.TimeoutError):
        return f"no answer within {in_seconds(timeout)}"
    if isinstance(error, defer.CancelledError):
        return "interrupted"
    return str(error) or type(error).__name__


class Outcome:
    """What happened to one poem: its text (or None), and the problems."""

    def __init__(self, address):
        self.address = address
        self.poem = None
        self.error = None
        self.warning = None


async def get_transformed_poem(reactor, address, proxy, xform_name, timeout,
                               max_size=DEFAULT_MAX_SIZE):
    """Download one poem and transform it; never raises."""
    outcome = Outcome(address)
    host, port = address
    addr = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        outcome.poem = await with_timeout(reactor, get_poetry(reactor, *address, max_size),
                                          timeout)
    except Exception as e:
        outcome.error = f"The poem download from {addr} failed: {describe(e, timeout)}"
        return outcome

    if proxy is not None:
        try:
            outcome.poem = await with_timeout(reactor, proxy.xform(xform_name, outcome.poem),
                                              timeout)
        except Exception as e:
            outcome.warning = (f"The {xform_name} transform of the poem from {addr} failed "
                               f"({describe(e, timeout)}); here it is untransformed.")
    return outcome


async def poetry_main(reactor, args):
    proxy = None
    if args.xform_addr is not None:
        proxy = TransformProxy(reactor, *args.xform_addr)

    work = defer.gatherResults([
        defer.Deferred.fromCoroutine(
            get_transformed_poem(reactor, address, proxy, args.transform, args.timeout,
                                 args.max_size))
        for address in args.addresses
    ])
    # On Ctrl-C or SIGTERM, cancel what is still running; the poems that
    # are in are still printed, and the rest reported as interrupted.
    reactor.addSystemEventTrigger("before", "shutdown", work.cancel)

    outcomes = await work

    stdout_open = True
    for outcome in outcomes:  # in argument order
        if outcome.error is not None:
            print(outcome.error, file=sys.stderr, flush=True)
            continue
        if outcome.warning is not None:
            print(outcome.warning, file=sys.stderr, flush=True)
        if stdout_open:
            stdout_open = print_poem(outcome.poem)

    if any(outcome.poem is None for outcome in outcomes):
        raise SystemExit(1)


def print_poem(poem):
    """Print one poem; False once our reader has gone away (EPIPE).
    Any other failure to write (ENOSPC, EIO) ends the client: one line on
    stderr, exit 1."""
    try:
        print(poem, flush=True)
    except OSError as e:
        # Whatever is left in stdout's buffer can never be written: send it
        # to /dev/null, or Python's last flush at exit prints a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        if e.errno == errno.EPIPE:
            return False  # `| head`: the reader has all it wanted
        raise SystemExit(f"get-poetry.py: cannot write the poems to stdout: {e}") from None
    return True


def main(argv=None):
    args = parse_args(argv)
    task.react(poetry_main, [args])


if __name__ == "__main__":
    main()
