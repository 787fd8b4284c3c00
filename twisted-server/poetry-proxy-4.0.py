"""Poetry Proxy 4.0 -- Part 14's exercises 2 and 3, with Part 19's cancel.

Original: none; the text stops at proxy 3.0 (twisted-server-4/poetry-proxy.py)
and leaves these changes as exercises. Also run as `twistd poetryproxy`.

The caching proxy of 1.0-3.0, hardened for real use:

- Single flight (Part 14, exercise 3). ProxyService has three states: poem
  cached, no poem, and "a fetch is under way". Requests that arrive during a
  fetch become waiters on that one fetch; when it ends, every waiter gets the
  poem, or every waiter sees the failure and the next request fetches again.
- Cache expiry (exercise 2): a poem older than --expiry seconds is fetched
  again. The service reads the time from its reactor, so a test can drive it
  with task.Clock.
- A poem is cached only when the server closed the connection cleanly
  (ConnectionDone) after sending something. A reset, a timeout or an empty
  reply is a failure, never a poem.
- Timeouts: --connect-timeout for the upstream connect, --timeout for each
  read (the server must send something at least that often).
- A failed fetch is logged once, through twisted.logger, and every waiting
  client is closed with no data: a proxy that cannot get the poem sends no
  poem at all, rather than a truncated one.
- Cancel (Part 19): a client that hangs up stops waiting; the upstream
  download is cancelled only when no other client still waits for it.
- A long listen queue (--backlog, default 1024), so a burst of a thousand
  clients is not left hanging in the kernel's accept queue.

    python twisted-server/fastpoetry-1.0.py --port 10001 poetry/fascination.txt
    python twisted-server/poetry-proxy-4.0.py --port 10000 --expiry 60 10001
"""

import argparse
import sys

from twisted.internet.defer import CancelledError, Deferred, succeed
from twisted.internet.error import ConnectionDone
from twisted.internet.protocol import ClientFactory, Protocol, ServerFactory
from twisted.logger import Logger
from twisted.protocols.policies import TimeoutMixin
from twisted.python.failure import Failure

log = Logger(namespace="poetry-proxy")


def parse_address(text):
    """[HOST:]PORT -> (host, port); the host defaults to 127.0.0.1."""
    host, _, port = text.rpartition(":")
    try:
        port = int(port)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid address {text!r}: the port must be a number")
    if not 0 < port <= 65535:
        raise argparse.ArgumentTypeError(f"invalid address {text!r}: no such port")
    return host or "127.0.0.1", port


def positive_seconds(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be greater than 0")
    return value


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="A caching proxy for a poetry server, with timeouts, "
                    "cache expiry and one upstream fetch at a time.",
        epilog="Example: %(prog)s --port 10000 --expiry 60 10001",
    )
    parser.add_argument("server", metavar="[HOST:]PORT", type=parse_address,
                        help="the poetry server to proxy for")
    parser.add_argument("--port", type=int, default=0,
                        help="port to listen on (default: a random free port)")
    parser.add_argument("--iface", default="localhost",
                        help="interface to listen on (default: localhost)")
    parser.add_argument("--timeout", type=positive_seconds, default=10.0,
                        help="seconds the server may stay silent during a download (default: 10)")
    parser.add_argument("--connect-timeout", type=positive_seconds, default=10.0,
                        help="seconds allowed to connect to the server (default: 10)")
    parser.add_argument("--expiry", type=float, default=7200.0,
                        help="seconds a cached poem is kept; 0 keeps it for ever "
                             "(default: 7200, two hours)")
    parser.add_argument("--backlog", type=int, default=1024,
                        help="listen queue length (default: 1024)")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"argument --port: {args.port} is not a port number")
    if args.expiry < 0:
        parser.error("argument --expiry: must be 0 or more")
    if args.backlog < 1:
        parser.error("argument --backlog: must be at least 1")
    return args


class UpstreamTimeout(Exception):
    """The poetry server went quiet in the middle of a download."""


class EmptyPoem(Exception):
    """The poetry server closed the connection without sending anything."""


class PoetryProtocol(Protocol, TimeoutMixin):
    """Client side: collect the poem from the real server."""

    timed_out = False

    def connectionMade(self):
        self.chunks = []
        # TimeoutMixin schedules on the reactor it is given (a Clock in tests).
        self.callLater = self.factory.clock.callLater
        self.setTimeout(self.factory.timeout)

    def dataReceived(self, data):
        self.chunks.append(data)
        self.resetTimeout()

    def timeoutConnection(self):
        self.timed_out = True
        self.transport.abortConnection()

    def connectionLost(self, reason):
        self.setTimeout(None)
        poem = b"".join(self.chunks)
        if self.timed_out:
            reason = Failure(UpstreamTimeout(
                f"the server sent nothing for {self.factory.timeout:g}s "
                f"({len(poem)} bytes received)"))
        elif not reason.check(ConnectionDone):
            pass  # a reset or another error: the poem may be cut short
        elif not poem:
            reason = Failure(EmptyPoem("the server closed the connection without a poem"))
        else:
            self.factory.poem_finished(poem)
            return
        self.factory.poem_failed(reason)


class PoetryClientFactory(ClientFactory):

    protocol = PoetryProtocol
    noisy = False  # one "Starting factory" log line per fetch is just noise

    def __init__(self, deferred, timeout, clock):
        self.deferred = deferred
        self.timeout = timeout
        self.clock = clock

    def poem_finished(self, poem):
        if self.deferred is not None:
            d, self.deferred = self.deferred, None
            d.callback(poem)

    def poem_failed(self, reason):
        if self.deferred is not None:
            d, self.deferred = self.deferred, None
            d.errback(reason)

    def clientConnectionFailed(self, connector, reason):
        self.poem_failed(reason)


class ProxyService:

    poem = None        # the cached poem
    fetched_at = None  # when it arrived, in reactor seconds
    fetch = None       # the Deferred of the one upstream download under way

    def __init__(self, host, port, timeout=10.0, connect_timeout=10.0,
                 expiry=7200.0, reactor=None):
        if reactor is None:
            from twisted.internet import reactor
        self.host = host
        self.port = port
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.expiry = expiry
        self.reactor = reactor
        self.waiters = []  # one Deferred per client waiting for the fetch

    def get_poem(self):
        if self.poem is not None and self.expired():
            print("Cached poem expired.", flush=True)
            self.poem = self.fetched_at = None

        if self.poem is not None:
            print("Using cached poem.", flush=True)
            return succeed(self.poem)

        waiter = Deferred(self.waiter_cancelled)
        self.waiters.append(waiter)
        if self.fetch is None:
            print("Fetching poem from server.", flush=True)
            self.start_fetch()
        return waiter

    def expired(self):
        return bool(self.expiry) and self.reactor.seconds() - self.fetched_at >= self.expiry

    def start_fetch(self):
        def canceler(d):
            print("Canceling poem download.", flush=True)
            # The factory must not fire a Deferred that cancel() has fired.
            factory.deferred = None
            connector.disconnect()

        d = Deferred(canceler)
        self.fetch = d
        d.addCallbacks(self.poem_arrived, self.fetch_failed)
        factory = PoetryClientFactory(d, self.timeout, self.reactor)
        connector = self.reactor.connectTCP(self.host, self.port, factory,
                                            timeout=self.connect_timeout)

    def poem_arrived(self, poem):
        self.fetch = None
        self.poem, self.fetched_at = poem, self.reactor.seconds()
        waiters, self.waiters = self.waiters, []
        for waiter in waiters:
            waiter.callback(poem)

    def fetch_failed(self, failure):
        if failure.check(CancelledError):
            return None  # every client left; nobody to tell
        self.fetch = None
        # Logged here, once per failed fetch, however many clients waited.
        log.error("Could not fetch the poem from {host}:{port}: {why}",
                  host=self.host, port=self.port, why=failure.getErrorMessage())
        waiters, self.waiters = self.waiters, []
        for waiter in waiters:
            waiter.errback(failure)
        return None

    def waiter_cancelled(self, waiter):
        # A client hung up. Stop the download only if nobody else wants it.
        if waiter in self.waiters:
            self.waiters.remove(waiter)
        if not self.waiters and self.fetch is not None:
            fetch, self.fetch = self.fetch, None
            fetch.cancel()


class PoetryProxyProtocol(Protocol):
    """Server side: hand the (maybe cached) poem to our client."""

    deferred = None

    def connectionMade(self):
        self.deferred = self.factory.service.get_poem()
        self.deferred.addCallbacks(self.poem_ready, self.poem_failed)

    def poem_ready(self, poem):
        self.deferred = None
        self.transport.write(poem)
        self.transport.loseConnection()

    def poem_failed(self, failure):
        # The service has logged why. Our client gets no data at all, so it
        # cannot mistake a failure for a (short) poem.
        self.deferred = None
        self.transport.loseConnection()

    def connectionLost(self, reason):
        if self.deferred is not None:
            deferred, self.deferred = self.deferred, None
            # Does nothing if the poem has already been sent.
            deferred.cancel()


class PoetryProxyFactory(ServerFactory):

    protocol = PoetryProxyProtocol

    def __init__(self, service):
        self.service = service


def start_logging(stream=sys.stderr):
    """Send warnings and errors from twisted.logger to stderr, one line
    each. The text's progress messages stay plain prints on stdout."""
    from twisted.logger import (FilteringLogObserver, LogLevel,
                                LogLevelFilterPredicate, globalLogBeginner,
                                textFileLogObserver)
    predicate = LogLevelFilterPredicate(defaultLogLevel=LogLevel.warn)
    observer = FilteringLogObserver(textFileLogObserver(stream), [predicate])
    globalLogBeginner.beginLoggingTo([observer], redirectStandardIO=False)


def main(argv=None):
    args = parse_args(argv)
    host, server_port = args.server

    start_logging()

    service = ProxyService(host, server_port, timeout=args.timeout,
                           connect_timeout=args.connect_timeout,
                           expiry=args.expiry)
    factory = PoetryProxyFactory(service)

    from twisted.internet import reactor

    port = reactor.listenTCP(args.port, factory, backlog=args.backlog,
                             interface=args.iface)

    print(f"Proxying poetry on {port.getHost()} for the server at {host}:{server_port}.",
          flush=True)

    reactor.run()


if __name__ == "__main__":
    main()
