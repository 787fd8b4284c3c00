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
  with task.Clock. The check is made when a request comes in, so "Cached
  poem expired." is printed by the first request after expiry.
- A poem is cached only when the server closed the connection cleanly
  (ConnectionDone) after sending something. A reset, a timeout or an empty
  reply is a failure, never a poem.
- Timeouts: --connect-timeout for the upstream connect, --timeout for each
  read (the server must send something at least that often), and
  --deadline for the whole download, from the connection to the last byte
  (default 60 s), so a server that trickles a byte at a time cannot hold
  the waiting clients for ever.
- Bounded memory: a poem larger than --max-size bytes (default 1 MiB) is
  a failed download; the upstream connection is dropped at once.
- A failed fetch is logged once, through twisted.logger, and every waiting
  client is closed with no data: a proxy that cannot get the poem sends no
  poem at all, rather than a truncated one.
- Cancel (Part 19): a client whose connection is lost stops waiting; the
  upstream download is cancelled only when no other client still waits for
  it. A client that only half-closes (shuts its write side, as `nc -N`
  does) has not hung up: it still gets the poem (IHalfCloseableProtocol).
  TCP cannot tell that EOF from a client that closed altogether, so such a
  client keeps its place until the download ends (bounded by --deadline);
  a reset is what counts as hanging up. Part 19's
  demonstration with Ctrl-C is the text's proxy 3.0, which is unchanged.
- Stopping (SIGTERM, Ctrl-C) cancels a download under way: that is not a
  failed fetch, so it is logged at info level, never as an error. The
  script shows its own info lines on stderr, as twistd does in its log.
- The text's progress messages ("Fetching poem from server.") are printed
  on stdout. If stdout fails (the reader went away: EPIPE; the disk is
  full: ENOSPC), the proxy says so once on stderr and goes on serving.
- A long listen queue (--backlog, default 1024) for bursts of clients;
  bench/README.md ("Proxy fan-in") measures what it buys. When the process
  runs out of file descriptors, the clients it cannot accept are closed at
  once (Twisted's EMFILE recovery) and a warning says so, at most once a
  second, with the count since the last one.
- Addresses are [HOST:]PORT; an IPv6 host goes in brackets, [::1]:10001.
- At exit it closes the spare /dev/null Twisted keeps open for EMFILE
  recovery, so Python has no unclosed file to report (on 3.13 it did, in
  a new form). Twisted has no public API for it: release_emfile_reserve
  is the one private use, and a test guards it.
- A port it cannot listen on (in use, not allowed) is one line on stderr,
  "poetry-proxy-4.0.py: cannot listen on localhost:10001: Address already
  in use", and exit 1; no traceback.

    python twisted-server/fastpoetry-1.0.py --port 10001 poetry/fascination.txt
    python twisted-server/poetry-proxy-4.0.py --port 10000 --expiry 60 10001
"""

import argparse
import errno
import os
import sys

from twisted.internet import tcp
from twisted.internet.abstract import isIPv6Address
from twisted.internet.defer import CancelledError, Deferred, maybeDeferred, succeed
from twisted.internet.error import CannotListenError, ConnectionDone
from twisted.internet.interfaces import IHalfCloseableProtocol, IListeningPort
from twisted.internet.protocol import ClientFactory, Protocol, ServerFactory
from twisted.logger import Logger, globalLogPublisher
from twisted.protocols.policies import TimeoutMixin
from twisted.python.failure import Failure
from zope.interface import implementer

log = Logger(namespace="poetry-proxy")

PROGRAM = "poetry-proxy-4.0"
DEFAULT_MAX_SIZE = 1024 * 1024  # bytes; poems are a few KB
DEFAULT_DEADLINE = 60.0         # seconds for one whole download


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
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be greater than 0")
    return value


def positive_size(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of bytes") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="A caching proxy for a poetry server, with timeouts, "
                    "cache expiry and one upstream fetch at a time.",
        epilog="Example: %(prog)s --port 10000 --expiry 60 10001",
    )
    parser.add_argument("server", metavar="[HOST:]PORT", type=parse_address,
                        help="the poetry server to proxy for ([::1]:PORT for IPv6)")
    parser.add_argument("--port", type=int, default=0,
                        help="port to listen on (default: a random free port)")
    parser.add_argument("--iface", default="localhost",
                        help="interface to listen on (default: localhost)")
    parser.add_argument("--timeout", type=positive_seconds, default=10.0,
                        help="seconds the server may stay silent during a download (default: 10)")
    parser.add_argument("--connect-timeout", type=positive_seconds, default=10.0,
                        help="seconds allowed to connect to the server (default: 10)")
    parser.add_argument("--deadline", type=positive_seconds, default=DEFAULT_DEADLINE,
                        help="seconds allowed for a whole download, from the connection "
                             f"to the last byte (default: {DEFAULT_DEADLINE:g})")
    parser.add_argument("--max-size", type=positive_size, default=DEFAULT_MAX_SIZE,
                        help="largest poem accepted, in bytes; a larger one is a failed "
                             f"download (default: {DEFAULT_MAX_SIZE}, 1 MiB)")
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


stdout_failed = False


def complain(line):
    """One line on stderr, if stderr still works."""
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def say(message):
    """Print one of the text's progress messages on stdout.

    Printing must never stop the proxy serving. If stdout fails (EPIPE: its
    reader went away; ENOSPC: the disk is full), say so once on stderr, with
    the message that was lost, and go on; later messages are tried again
    (a disk may get space back) but their failures are not reported."""
    global stdout_failed
    try:
        print(message, flush=True)
    except OSError as e:
        if not stdout_failed:
            stdout_failed = True
            complain(f"{PROGRAM}: cannot write to stdout ({e}); still serving, but progress "
                     f"messages are lost, from this one on: {message}")


class UpstreamTimeout(Exception):
    """The poetry server went quiet in the middle of a download."""


class UpstreamDeadline(Exception):
    """The whole download took longer than --deadline."""


class PoemTooLarge(Exception):
    """The poetry server sent more than --max-size bytes."""


class EmptyPoem(Exception):
    """The poetry server closed the connection without sending anything."""


class PoetryProtocol(Protocol, TimeoutMixin):
    """Client side: collect the poem from the real server."""

    failure = None   # why we dropped the connection ourselves
    deadline = None  # the DelayedCall that ends a download that takes too long

    def connectionMade(self):
        self.chunks = []
        self.received = 0
        # TimeoutMixin schedules on the reactor it is given (a Clock in tests).
        self.callLater = self.factory.clock.callLater
        self.setTimeout(self.factory.timeout)
        self.deadline = self.callLater(self.factory.deadline, self.deadline_passed)

    def dataReceived(self, data):
        if self.failure is not None:
            return
        self.received += len(data)
        if self.received > self.factory.max_size:
            # Keep nothing more: an endless server must not grow our memory.
            self.give_up(PoemTooLarge(f"the poem is larger than {self.factory.max_size} bytes"))
            return
        self.chunks.append(data)
        self.resetTimeout()

    def timeoutConnection(self):
        self.give_up(UpstreamTimeout(
            f"the server sent nothing for {self.factory.timeout:g}s "
            f"({self.received} bytes received)"))

    def deadline_passed(self):
        self.deadline = None
        self.give_up(UpstreamDeadline(
            f"the download took more than {self.factory.deadline:g}s "
            f"({self.received} bytes received)"))

    def give_up(self, exception):
        if self.failure is None:
            self.failure = Failure(exception)
            self.transport.abortConnection()

    def connectionLost(self, reason):
        self.setTimeout(None)
        if self.deadline is not None:
            if self.deadline.active():
                self.deadline.cancel()
            self.deadline = None
        poem = b"".join(self.chunks)
        if self.failure is not None:
            reason = self.failure
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

    def __init__(self, deferred, timeout, clock, max_size=DEFAULT_MAX_SIZE,
                 deadline=DEFAULT_DEADLINE):
        self.deferred = deferred
        self.timeout = timeout
        self.clock = clock
        self.max_size = max_size
        self.deadline = deadline

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
    stopping = False   # stop() was called: the process is shutting down

    def __init__(self, host, port, timeout=10.0, connect_timeout=10.0,
                 expiry=7200.0, reactor=None, max_size=DEFAULT_MAX_SIZE,
                 deadline=DEFAULT_DEADLINE):
        if reactor is None:
            from twisted.internet import reactor
        self.host = host
        self.port = port
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.expiry = expiry
        self.max_size = max_size
        self.deadline = deadline
        self.reactor = reactor
        self.waiters = []  # one Deferred per client waiting for the fetch

    def get_poem(self):
        if self.poem is not None and self.expired():
            say("Cached poem expired.")
            self.poem = self.fetched_at = None

        if self.poem is not None:
            say("Using cached poem.")
            return succeed(self.poem)

        waiter = Deferred(self.waiter_cancelled)
        self.waiters.append(waiter)
        if self.fetch is None:
            say("Fetching poem from server.")
            self.start_fetch()
        return waiter

    def expired(self):
        return bool(self.expiry) and self.reactor.seconds() - self.fetched_at >= self.expiry

    def start_fetch(self):
        def canceler(d):
            say("Canceling poem download.")
            # The factory must not fire a Deferred that cancel() has fired.
            factory.deferred = None
            connector.disconnect()

        d = Deferred(canceler)
        self.fetch = d
        d.addCallbacks(self.poem_arrived, self.fetch_failed)
        factory = PoetryClientFactory(d, self.timeout, self.reactor,
                                      max_size=self.max_size, deadline=self.deadline)
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
            return None  # every client left, or we are stopping; not a failure
        self.fetch = None
        # Logged here, once per failed fetch, however many clients waited.
        # While stopping, the reactor drops every connection: that is not
        # a fetch failure, and must not wake up error-based alerting.
        level = log.info if self.stopping else log.error
        level("Could not fetch the poem from {host}:{port}: {why}",
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

    def stop(self):
        """The process is stopping (SIGTERM, Ctrl-C, twistd's shutdown).
        Cancel a download under way and close its waiting clients, before
        the reactor drops the connections. Logged at info level: a restart
        is not a failed fetch."""
        self.stopping = True
        if self.fetch is None:
            return
        fetch, self.fetch = self.fetch, None
        waiters, self.waiters = self.waiters, []
        count = len(waiters)
        log.info("Stopping: cancelled the poem download from {host}:{port} "
                 "and closed {clients}.", host=self.host, port=self.port,
                 clients=f"{count} waiting client{'s' if count != 1 else ''}")
        fetch.cancel()
        for waiter in waiters:
            waiter.errback(Failure(CancelledError("the proxy is stopping")))


@implementer(IHalfCloseableProtocol)
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

    def readConnectionLost(self):
        # The client shut its write side (shutdown(SHUT_WR), `nc -N`): it
        # has nothing more to say, but it is still there to read the poem.
        pass

    def writeConnectionLost(self):
        # We never half-close our side, so there is nothing to do.
        pass

    def connectionLost(self, reason):
        if self.deferred is not None:
            deferred, self.deferred = self.deferred, None
            # Does nothing if the poem has already been sent.
            deferred.cancel()


class PoetryProxyFactory(ServerFactory):

    protocol = PoetryProxyProtocol

    def __init__(self, service):
        self.service = service


class AcceptErrors:
    """A log observer for the listening port's accept() trouble.

    With no file descriptor left (EMFILE), Twisted's port closes each client
    it cannot serve and logs that at info level, one event per client. The
    script shows Twisted's warnings only, so an operator saw nothing at all. Here they
    become one warning, at most one a second, with the count since the last
    one. It watches the global log (Twisted's public observer API) for the
    events tcp.Port logs under its own namespace; EMFILE is a limit of the
    whole process, so the count is the process's (the proxy has one port).
    Under twistd, Twisted's own per-client info lines stay in the log too,
    as for any twistd server."""

    interval = 1.0
    namespace = "twisted.internet.tcp.Port"

    def __init__(self, clock):
        self.clock = clock
        self.closed = 0    # clients accepted and closed at once, since the last report
        self.failed = 0    # accept() calls that failed, since the last report
        self.error = None  # errno name, e.g. "EMFILE"
        self.last = None   # when the last warning was logged
        self.call = None   # the pending report

    def __call__(self, event):
        if event.get("log_namespace") != self.namespace:
            return
        if "address" in event:        # "EMFILE recovery: Closed socket from {address}"
            self.closed += 1
            self.error = "EMFILE"
        elif "acceptError" in event:  # "Could not accept new connection ({acceptError})"
            self.failed += 1
            self.error = event["acceptError"]
        else:                         # the start and end of an EMFILE recovery
            return
        if self.call is None:
            delay = 0 if self.last is None else max(
                0, self.last + self.interval - self.clock.seconds())
            # Even with no delay, wait for the end of this accept loop, so
            # the first warning counts the whole burst.
            self.call = self.clock.callLater(delay, self.report)

    def report(self):
        self.call = None
        self.last = self.clock.seconds()
        closed, failed, self.closed, self.failed = self.closed, self.failed, 0, 0
        code = getattr(errno, self.error or "", None)
        why = os.strerror(code) if code else "unknown error"
        what = []
        if closed:
            what.append(f"{closed} client{'s' if closed != 1 else ''} closed unserved")
        if failed:
            what.append(f"{failed} accept{'s' if failed != 1 else ''} failed")
        log.warn("Could not accept new connections ({error}: {why}): {what}",
                 error=self.error, why=why, what=", ".join(what))

    def flush(self):
        """Log what is pending now (the port is closing)."""
        if self.call is not None:
            self.call.cancel()
            self.report()


@implementer(IListeningPort)
class ProxyPort:
    """A listening TCP port whose accept() failures AcceptErrors reports,
    from the moment it listens until it has stopped."""

    def __init__(self, port, accept_errors):
        self.port = port
        self.accept_errors = accept_errors

    def startListening(self):
        self.port.startListening()

    def stopListening(self):
        def stopped(result):
            globalLogPublisher.removeObserver(self.accept_errors)
            self.accept_errors.flush()
            return result

        return maybeDeferred(self.port.stopListening).addBoth(stopped)

    def getHost(self):
        return self.port.getHost()


def listen_tcp(port, factory, backlog, interface, reactor=None):
    """reactor.listenTCP, and AcceptErrors on the global log while it listens."""
    if reactor is None:
        from twisted.internet import reactor
    accept_errors = AcceptErrors(reactor)
    globalLogPublisher.addObserver(accept_errors)
    try:
        listening = reactor.listenTCP(port, factory, backlog=backlog, interface=interface)
    except BaseException:
        globalLogPublisher.removeObserver(accept_errors)
        raise
    return ProxyPort(listening, accept_errors)


def start_logging(stream=sys.stderr):
    """Send the proxy's own log from info level up, and Twisted's warnings
    and errors, to stderr, one line each. The proxy logs at info level only
    when it stops ("Stopping: cancelled the poem download ..."), which
    twistd shows too; Twisted's info lines (a factory starting, a port
    closing) would only be noise. The text's progress messages stay plain
    prints on stdout."""
    from twisted.logger import (FilteringLogObserver, LogLevel,
                                LogLevelFilterPredicate, globalLogBeginner,
                                textFileLogObserver)
    predicate = LogLevelFilterPredicate(defaultLogLevel=LogLevel.warn)
    predicate.setLogLevelForNamespace(log.namespace, LogLevel.info)
    observer = FilteringLogObserver(textFileLogObserver(stream), [predicate])
    globalLogBeginner.beginLoggingTo([observer], redirectStandardIO=False)


def release_emfile_reserve():
    """Close the spare descriptor Twisted keeps for EMFILE recovery.

    The first port that starts listening makes Twisted open /dev/null and
    keep it for the life of the process (tcp._reservedFD), to free it when
    accept() runs out of descriptors. Nothing closes it, so at exit Python
    reports it as an unclosed file wherever ResourceWarnings are shown (as
    in the tests, and on Python 3.13 in a form no filter written for 3.12
    expected). No public API releases it: this function is the one place
    that touches it, once the reactor has stopped or listening has failed.
    If Twisted renames or changes it, this does nothing (a warning at exit
    is all that is lost), and tests.test_harden_proxy.EMFILEReserveTest
    fails to say so."""
    reserve = getattr(tcp, "_reservedFD", None)
    available = getattr(reserve, "available", None)
    if available is not None and available():
        # Entering closes the file; leaving would open a new one, and
        # nothing will listen again in this process.
        reserve.__enter__()


def main(argv=None):
    args = parse_args(argv)
    host, server_port = args.server

    start_logging()

    service = ProxyService(host, server_port, timeout=args.timeout,
                           connect_timeout=args.connect_timeout,
                           expiry=args.expiry, max_size=args.max_size,
                           deadline=args.deadline)
    factory = PoetryProxyFactory(service)

    from twisted.internet import reactor

    # Before the reactor drops the connections at shutdown.
    reactor.addSystemEventTrigger("before", "shutdown", service.stop)

    try:
        try:
            port = listen_tcp(args.port, factory, args.backlog, args.iface, reactor)
        except CannotListenError as e:
            why = getattr(e.socketError, "strerror", None) or e.socketError
            sys.exit(f"poetry-proxy-4.0.py: cannot listen on {args.iface}:{args.port}: {why}")

        # As twistd's services do: stop listening first, and with it log
        # what AcceptErrors still holds.
        reactor.addSystemEventTrigger("before", "shutdown", port.stopListening)
        say(f"Proxying poetry on {port.getHost()} for the server at {host}:{server_port}.")

        reactor.run()
    finally:
        release_emfile_reserve()

    # A stdout that failed may still hold buffered text; Python's last
    # flush at exit would print "Exception ignored ..." for it.
    if sys.stdout is not None:  # None when started with stdout closed
        try:
            sys.stdout.flush()
        except OSError:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


if __name__ == "__main__":
    main()
