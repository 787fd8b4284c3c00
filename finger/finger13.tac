"""Finger, step 13: use services to make dependencies sane.

Tutorial: "The Evolution of Finger", "Use Services to Make Dependencies
Sane" (annotations, section 15).
Changed since step 12: no factory classes of our own. A FingerService holds
the users and the methods both sides need (getUser, setUser); its
getFingerFactory and getFingerSetterFactory build plain ServerFactory
objects and hand them those methods as attributes.

    FINGER_PORT=1079 FINGER_SETTER_PORT=1080 twistd -ny finger/finger13.tac
    printf 'moshez\\nOut to lunch\\n' | nc -N localhost 1080
    echo moshez | nc -N localhost 1079
    Out to lunch

Departures from the original listing: those of step 12 (no uid/gid; the
ports, the interface and the address lines; text inside, bytes at the edge;
errors logged and answered; a setter on 127.0.0.1 only that ignores and
logs an empty connection, one line or junk). setUser is a method of the
service, not the users dict's __setitem__, so the service decides what a
status is.
A port that cannot be bound raises CannotListen, a SystemExit that is
also an Exception: one line and exit 1 in the foreground, and under twistd
as a daemon (no -n) the launching twistd prints the line and exits 1 and
the pidfile is removed (a plain SystemExit left it waiting for ever).
"""

import os
import re
import sys

from twisted.application import internet, service
from twisted.internet import defer, protocol
from twisted.internet.error import CannotListenError
from twisted.logger import Logger
from twisted.protocols import basic, policies

log = Logger(namespace="finger")

# What the setter accepts as a user name: no spaces, no control characters.
PLAIN_USER = re.compile(r"[^\s\x00-\x1f\x7f]{1,64}\Z")
# Control characters, which a status must not carry (TAB is kept).
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def query_user(line):
    """The user a finger query asks about, as text.

    Bytes come in; the rest of the program sees str. A leading /W (RFC 1288's
    "verbose" switch) is ignored, so "/W moshez" asks about moshez."""
    query = line.decode("utf-8", errors="replace").strip()
    if query[:2].upper() == "/W" and query[2:3] in ("", " ", "\t"):
        query = query[2:].strip()
    return query


class FingerProtocol(basic.LineReceiver, policies.TimeoutMixin):
    # Split on LF, so a bare LF ends a query as well as CRLF.
    delimiter = b"\n"
    MAX_LENGTH = 1024
    # Seconds a client gets to send its query; a silent one is hung up on.
    timeOut = 60

    def connectionMade(self):
        self.setTimeout(self.timeOut)

    def connectionLost(self, reason):
        self.setTimeout(None)

    def lineReceived(self, line):
        # One query per connection: stop reading lines.
        self.setTimeout(None)
        self.pauseProducing()
        d = defer.maybeDeferred(self.factory.getUser, query_user(line))
        d.addErrback(self.internalError)
        d.addCallback(self.answer)
        d.addErrback(self.unanswerable)

    def internalError(self, failure):
        log.failure("finger query failed", failure)
        return "Internal error in server"

    def answer(self, message):
        self.transport.write(message.encode("utf-8") + b"\r\n")
        self.transport.loseConnection()

    def unanswerable(self, failure):
        # Only a bug in answer() gets here; log it and hang up.
        log.failure("could not send a finger answer", failure)
        self.transport.loseConnection()

    def lineLengthExceeded(self, line):
        if not self.transport.disconnecting:
            self.transport.write(b"Query too long\r\n")
            self.transport.loseConnection()


class FingerSetterProtocol(basic.LineReceiver, policies.TimeoutMixin):
    """Reads two lines, a user and a status; sets them when the client hangs
    up. Anything else (no line, one line, more than two, a user name with
    spaces, bytes that are not UTF-8, a line that is too long) is ignored
    and logged."""

    delimiter = b"\n"
    MAX_LENGTH = 1024
    # Seconds of silence after which the setter hangs up (and sets nothing).
    timeOut = 60

    def connectionMade(self):
        self.lines = []
        self.junk = None
        self.setTimeout(self.timeOut)

    def timeoutConnection(self):
        self.reject(f"silent for {self.timeOut} seconds")

    def lineReceived(self, line):
        self.resetTimeout()
        if self.junk is not None:
            return
        try:
            line = line.rstrip(b"\r").decode("utf-8")
        except UnicodeDecodeError:
            self.reject("a line that is not UTF-8")
            return
        if len(self.lines) == 2:
            if line.strip():
                self.reject("more than two lines")
            return
        # A bare CR or another control character would reach finger clients
        # as is (RFC 1288 asks servers to filter them): make it a space.
        self.lines.append(CONTROL.sub(" ", line).strip())

    def lineLengthExceeded(self, line):
        self.reject(f"a line over {self.MAX_LENGTH} bytes")

    def reject(self, why):
        self.junk = why
        self.transport.loseConnection()

    def connectionLost(self, reason):
        self.setTimeout(None)
        # A last line without its line end still counts.
        rest = self.clearLineBuffer()
        if rest.strip() and self.junk is None:
            self.lineReceived(rest)
        peer = self.transport.getPeer()
        if self.junk is None and len(self.lines) != 2:
            self.junk = f"{len(self.lines)} line(s) instead of two (user, status)"
        if self.junk is None and not PLAIN_USER.match(self.lines[0]):
            self.junk = f"{self.lines[0]!r} is not a user name"
        if self.junk is not None:
            log.info("setter: ignored a connection from {peer}: {why}", peer=peer, why=self.junk)
            return
        user, status = self.lines
        self.factory.setUser(user, status)
        log.info("setter: {user!r} is now {status!r}", user=user, status=status)


class FingerService(service.Service):

    def __init__(self, **users):
        self.users = users

    def getUser(self, user):
        return defer.succeed(self.users.get(user, "No such user"))

    def setUser(self, user, status):
        self.users[user] = status

    def getFingerFactory(self):
        f = protocol.ServerFactory()
        f.protocol = FingerProtocol
        f.getUser = self.getUser
        return f

    def getFingerSetterFactory(self):
        f = protocol.ServerFactory()
        f.protocol = FingerSetterProtocol
        f.setUser = self.setUser
        return f


# --- configuration: the same in every tac step ---------------------------------
# Read and checked when twistd loads this file, before anything is bound: a
# bad value is one line and exit status 1.

NAME = "finger13.tac"


def port_number(text):
    if not text.isdigit() or int(text) > 65535:
        raise ValueError(f"must be a port number from 0 to 65535, not {text!r}")
    return int(text)


def setting(variable, default, check):
    text = os.environ.get(variable, default)
    try:
        return check(text)
    except ValueError as e:
        sys.exit(f"{NAME}: {variable} {e}")


class CannotListen(SystemExit, Exception):
    """A port that cannot be bound: one line and exit status 1.

    A SystemExit, so the line is all a user sees; an Exception too, so
    twistd's clean-up for a failed start runs: it removes the pidfile and,
    for a daemon, tells the launching twistd, which would otherwise wait
    for ever on its status pipe."""


class LoggedTCPServer(internet.TCPServer):
    """internet.TCPServer that logs "ROLE listening on HOST:PORT" once it is
    bound (port 0 gets a free port), and that turns a port it cannot bind
    (79 for anyone but root, a port in use) into one line."""

    def __init__(self, role, port, factory, interface):
        super().__init__(port, factory, interface=interface)
        self.role = role

    def privilegedStartService(self):
        try:
            super().privilegedStartService()
        except CannotListenError as e:
            raise CannotListen(f"{NAME}: {self.role} cannot listen on "
                               f"{e.interface}:{e.port}: {e.socketError}")
        address = self._port.getHost()
        log.info("{role} listening on {host}:{port}",
                 role=self.role, host=address.host, port=address.port)


port = setting("FINGER_PORT", "79", port_number)
setterPort = setting("FINGER_SETTER_PORT", "1079", port_number)
iface = os.environ.get("FINGER_IFACE", "127.0.0.1")

# (The zoë below is written with an escape: twistd reads this file in the
# locale's encoding, which may not be UTF-8.)
application = service.Application("finger")
f = FingerService(moshez="Happy and well", **{"zo\u00eb": "Tr\u00e8s bien, merci"})
serviceCollection = service.IServiceCollection(application)
f.setServiceParent(serviceCollection)
LoggedTCPServer("finger", port, f.getFingerFactory(), iface).setServiceParent(serviceCollection)
LoggedTCPServer("setter", setterPort, f.getFingerSetterFactory(), "127.0.0.1").setServiceParent(
    serviceCollection)
