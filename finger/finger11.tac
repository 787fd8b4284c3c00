"""Finger, step 11: use Application (run it with twistd).

Tutorial: "The Evolution of Finger", "Use Application" and "twistd"
(annotations, sections 12 and 13).
Changed since step 8: no reactor.listenTCP and no reactor.run(). The file
builds an `application` holding an internet.TCPServer, and twistd runs it:

    FINGER_PORT=1079 twistd -ny finger/finger11.tac   (then: telnet localhost 1079)
    sudo twistd -ny finger/finger11.tac               (as the text: port 79)
    finger moshez@localhost                           (finger itself talks to port 79 only)

Departures from the original listing:
- No Application("finger", uid=1, gid=1): twistd then switches to uid 1 at
  start-up, which fails for anyone who is not root, so every reader saw an
  error. To drop privileges after binding port 79, ask twistd:
  `sudo twistd -n --pidfile= -u nobody -g nogroup -y finger/finger11.tac`
  (no pid file: one written as root could not be removed by nobody).
- Ports and interface come from FINGER_PORT (default 79, as the text) and
  FINGER_IFACE (default 127.0.0.1); the finger port is announced as
  "finger listening on HOST:PORT" (LoggedTCPServer); a bad value, or a port
  that cannot be bound, is one line.
- The protocol is step 8's, with its departures: text inside and bytes at
  the edge, errors logged once and answered "Internal error in server",
  "/W" ignored, a bare LF ends a query, one query per connection, 60
  seconds to send it.
- A port that cannot be bound raises CannotListen, a SystemExit that is
  also an Exception: in the foreground it is still one line and exit 1;
  under twistd as a daemon (no -n), twistd's failed start runs, so the
  launching twistd prints the line (its first 98 bytes) and exits 1, and
  the pidfile is removed. A plain SystemExit left that twistd waiting for
  ever on its status pipe.
"""

import os
import sys

from twisted.application import internet, service
from twisted.internet import defer, protocol
from twisted.internet.error import CannotListenError
from twisted.logger import Logger
from twisted.protocols import basic, policies

log = Logger(namespace="finger")


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


class FingerFactory(protocol.ServerFactory):
    protocol = FingerProtocol

    def __init__(self, **users):
        self.users = users

    def getUser(self, user):
        return defer.succeed(self.users.get(user, "No such user"))


# --- configuration: the same in every tac step ---------------------------------
# Read and checked when twistd loads this file, before anything is bound: a
# bad value is one line and exit status 1.

NAME = "finger11.tac"


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
iface = os.environ.get("FINGER_IFACE", "127.0.0.1")

# (The zoë below is written with an escape: twistd reads this file in the
# locale's encoding, which may not be UTF-8.)
application = service.Application("finger")
factory = FingerFactory(moshez="Happy and well", **{"zo\u00eb": "Tr\u00e8s bien, merci"})
LoggedTCPServer("finger", port, factory, iface).setServiceParent(
    service.IServiceCollection(application))
