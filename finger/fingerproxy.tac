"""A finger proxy: ask another finger server on the client's behalf.

The Evolution of Finger, "Making a Finger Proxy" (FingerClient,
ProxyFingerService). Original: fingerproxy.tac.

    FINGER_PROXY_PORT=7779 twistd -ny finger/fingerproxy.tac
    printf 'moshez@127.0.0.1:1079\r\n' | nc -N 127.0.0.1 7779

A client asks the proxy about `user@host` or `user@host:port` (port 79
when none is given). The proxy's backend, ProxyFingerService, provides
IFingerService like every backend of steps 19-22: its getUser is a finger
client (FingerClient) that connects to that host, sends the user name and
reads the answer until the server closes. The front-end is the finger
protocol of step 19, on port 7779 (FINGER_PROXY_PORT).

What it gets right:
- Only a plain user name is forwarded. `a@b@c`, options such as `-l`, and
  names with spaces are refused with one line, and nothing is sent.
- The connection and the answer each have a timeout (FINGER_PROXY_TIMEOUT,
  default 10 seconds), and an answer is at most 64 KiB. A dead upstream, a
  refused connection or a silent one gives the client one clear line, such
  as "Could not connect to 127.0.0.1:1079: Connection refused", and the log
  one line; never a silent wait.
- The answer is decoded from UTF-8 and encoded again at the edge. A
  control character in it but TAB and its line ends (an escape sequence
  from the other server, a bare CR) becomes a space.

Departures from the original: the front-end takes a half-close (a client
that shuts its side after the query, as `nc -N` does, still gets the
answer; one that hangs up first drops the upstream connection); a
timeout on both halves and a size limit;
endpoints (HostnameEndpoint, connectProtocol) instead of a ClientFactory
with a Deferred attribute; no uid/gid in Application(); the ports come from
FINGER_* variables; getUsers lists nobody, as in the text.
"""

import os
import re
import sys

from zope.interface import Interface, implementer

from twisted.application import internet, service
from twisted.internet import defer, endpoints, error, protocol, reactor
from twisted.internet.interfaces import IHalfCloseableProtocol
from twisted.logger import Logger
from twisted.protocols import basic, policies
from twisted.python import components

NAME = "fingerproxy.tac"
log = Logger(namespace="fingerproxy")
INTERNAL_ERROR = "Internal error in server"
USAGE = "Ask for user@host or user@host:port"
# A plain user name: never an option, never a second @, never two words.
PLAIN_NAME = re.compile(r"\w[\w.-]*\Z")
HOST = re.compile(r"[\w.-]+\Z")
# Control characters (C0, DEL, C1) but TAB and the line ends (LF, CRLF): an
# escape sequence in another server's answer would reach our client as is;
# RFC 1288 asks for filtering.
LINES_CONTROL = re.compile(r"\r(?!\n)|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def finger_lines(text):
    """Text of many lines as a finger answer: its line ends (LF, CRLF) kept,
    every other control character but TAB (a bare CR, an escape) a space."""
    return LINES_CONTROL.sub(" ", text)


class IFingerService(Interface):

    def getUser(user):
        """Return a Deferred firing with the status of user (a str)."""

    def getUsers():
        """Return a Deferred firing with a list of user names (str)."""


class UpstreamError(Exception):
    """The other finger server could not be reached or did not answer; the
    message is the one line the client sees."""


# -- the finger client: asks another server -------------------------------------

class FingerClient(protocol.Protocol, policies.TimeoutMixin):
    """Sends `user`, collects the answer until the server closes; `done`
    fires with the answer (bytes) or fails after `timeout` idle seconds."""
    LIMIT = 64 * 1024

    def __init__(self, user, timeout):
        self.user = user
        self.timeout = timeout
        self.buffer = b""
        self.timedOut = False
        # Cancelled when our own client hangs up: drop the upstream too.
        self.done = defer.Deferred(lambda d: self.transport.abortConnection())

    def connectionMade(self):
        self.setTimeout(self.timeout)
        self.transport.write(self.user.encode("utf-8") + b"\r\n")

    def dataReceived(self, data):
        self.resetTimeout()
        self.buffer += data
        if len(self.buffer) > self.LIMIT:
            self.buffer = self.buffer[:self.LIMIT]
            self.transport.loseConnection()

    def timeoutConnection(self):
        self.timedOut = True
        self.transport.abortConnection()

    def connectionLost(self, reason):
        self.setTimeout(None)
        if self.done.called:
            return  # cancelled
        if self.timedOut:
            self.done.errback(defer.TimeoutError())
        else:
            self.done.callback(self.buffer)


@defer.inlineCallbacks
def finger(user, host, port=79, timeout=10):
    """The answer of the finger server at host:port about user, as text."""
    endpoint = endpoints.HostnameEndpoint(reactor, host, port, timeout=timeout)
    where = f"{host}:{port}"
    client = FingerClient(user, timeout)
    try:
        yield endpoints.connectProtocol(endpoint, client)
    except (error.ConnectError, error.DNSLookupError) as e:
        if isinstance(e, error.ConnectionRefusedError):
            reason = "Connection refused"
        elif isinstance(e, error.TimeoutError):
            reason = f"no connection within {timeout}s"
        elif isinstance(e, error.DNSLookupError):
            reason = "no such host"
        else:
            reason = str(e).rstrip(".")
        raise UpstreamError(f"Could not connect to {where}: {reason}")
    try:
        answer = yield client.done
    except defer.TimeoutError:
        raise UpstreamError(f"No answer from {where} within {timeout}s")
    return finger_lines(answer.decode("utf-8", "replace")).rstrip()


# -- the backend ------------------------------------------------------------------

def parse_query(query):
    """'user@host[:port]' -> (user, host, port), or None if it is not one."""
    user, at, address = query.partition("@")
    host, colon, port = address.partition(":")
    if not at or not PLAIN_NAME.match(user) or not HOST.match(host):
        return None
    if colon and not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        return None
    return user, host, int(port) if colon else 79


@implementer(IFingerService)
class ProxyFingerService(service.Service):

    def __init__(self, timeout=10):
        self.timeout = timeout

    def getUser(self, query):
        parsed = parse_query(query)
        if parsed is None:
            log.info("proxy: refused query {query!r}", query=query)
            return defer.succeed(USAGE)
        user, host, port = parsed
        return finger(user, host, port, self.timeout)

    def getUsers(self):
        return defer.succeed([])


# -- the front-end: the finger protocol, as in step 19 -----------------------------

def finger_query(line):
    """The user name a finger query asks about: UTF-8 decoded, with RFC
    1288's /W (verbose) switch ignored."""
    query = line.rstrip(b"\r").decode("utf-8", "replace").strip()
    if query[:2].upper() == "/W" and query[2:3] in ("", " ", "\t"):
        query = query[2:].strip()
    return query


@implementer(IHalfCloseableProtocol)
class FingerProtocol(basic.LineReceiver, policies.TimeoutMixin):
    """One query, one answer. A client may half-close right after its query
    (`nc -N` does): the answer still comes once the upstream has given it. A
    client that hangs up before its answer cancels the upstream query."""
    delimiter = b"\n"
    MAX_LENGTH = 1024
    timeOut = 60

    def connectionMade(self):
        self.answered = False
        self.pending = None  # the upstream query's Deferred, until it fires
        self.setTimeout(self.timeOut)

    def readConnectionLost(self):
        # The client has sent all it will: answer the query it sent, if any.
        if not self.answered:
            self.transport.loseConnection()

    def writeConnectionLost(self):
        pass  # never asked for: this protocol does not half-close

    def connectionLost(self, reason):
        self.setTimeout(None)
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.cancel()  # nobody is left to answer

    def lineReceived(self, line):
        if self.answered:
            return
        self.answered = True
        self.setTimeout(None)
        query = finger_query(line)
        d = self.pending = defer.maybeDeferred(self.factory.getUser, query)
        d.addErrback(self.failed, query)
        d.addCallback(self.answer)
        d.addErrback(self.unanswerable)

    def failed(self, failure, query):
        if failure.check(defer.CancelledError, error.ConnectingCancelledError):
            return None  # cancelled by connectionLost: not an error
        if failure.check(UpstreamError):
            log.warn("proxy: {query!r}: {reason}", query=query,
                     reason=failure.getErrorMessage())
            return failure.getErrorMessage()
        log.failure("finger query for {query!r} failed", failure, query=query)
        return INTERNAL_ERROR

    def answer(self, status):
        self.pending = None
        if status is None:
            return  # the client has gone
        self.transport.write(status.encode("utf-8") + b"\r\n")
        self.transport.loseConnection()

    def unanswerable(self, failure):
        # Only a bug gets here (a backend that gave no text): log it once and
        # hang up; the query's timeout is off, so nothing else would.
        log.failure("could not send a finger answer", failure)
        self.transport.loseConnection()

    def lineLengthExceeded(self, line):
        if not self.transport.disconnecting:
            self.transport.write(b"Query too long\r\n")
            self.transport.loseConnection()

    def timeoutConnection(self):
        self.transport.abortConnection()


class IFingerFactory(Interface):

    def getUser(user):
        """Return a Deferred firing with the status of user."""

    def buildProtocol(addr):
        """Return a protocol answering finger queries."""


@implementer(IFingerFactory)
class FingerFactoryFromService(protocol.ServerFactory):
    protocol = FingerProtocol

    def __init__(self, service):
        self.service = service

    def getUser(self, user):
        return self.service.getUser(user)


components.registerAdapter(FingerFactoryFromService, IFingerService,
                           IFingerFactory)


# -- listening, and saying where -----------------------------------------------

class CannotListen(SystemExit, Exception):
    """A port that cannot be bound: one line and exit status 1.

    A SystemExit, so the line is all a user sees; an Exception too, so
    twistd's clean-up for a failed start runs: it removes the pidfile and,
    for a daemon, tells the launching twistd, which would otherwise wait
    for ever on its status pipe."""


class AnnouncedTCPServer(internet.TCPServer):
    """Logs 'ROLE listening on HOST:PORT' once bound, and turns a port that
    cannot be bound into one line."""

    def __init__(self, role, *args, **kwargs):
        self.role = role
        super().__init__(*args, **kwargs)

    def _getPort(self):
        interface = self.kwargs.get("interface", "")
        try:
            port = super()._getPort()
        except error.CannotListenError as e:
            raise CannotListen(f"{NAME}: {self.role} cannot listen on "
                               f"{interface}:{self.args[0]}: "
                               f"{getattr(e.socketError, 'strerror', None) or e.socketError}")
        log.info("{role} listening on {host}:{port}", role=self.role,
                 host=interface, port=port.getHost().port)
        return port


# -- configuration (finger/README.md): checked before anything is bound ---------

def fail(message):
    sys.exit(f"{NAME}: {message}")


def env_port(variable, default):
    value = os.environ.get(variable, str(default))
    if not value.isascii() or not value.isdigit() or int(value) > 65535:
        fail(f"{variable} must be a port number (0-65535), not {value!r}")
    return int(value)


def env_seconds(variable, default):
    value = os.environ.get(variable, str(default))
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0
    if not 0 < seconds < float("inf"):
        fail(f"{variable} must be a positive number of seconds, not {value!r}")
    return seconds


proxy_port = env_port("FINGER_PROXY_PORT", 7779)
iface = os.environ.get("FINGER_IFACE", "127.0.0.1")
timeout = env_seconds("FINGER_PROXY_TIMEOUT", 10)

application = service.Application("fingerproxy")
f = ProxyFingerService(timeout)
serviceCollection = service.IServiceCollection(application)
f.setServiceParent(serviceCollection)
AnnouncedTCPServer("proxy", proxy_port, IFingerFactory(f),
                   interface=iface).setServiceParent(serviceCollection)
