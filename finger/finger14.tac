"""Finger, step 14: read status file.

Tutorial: "The Evolution of Finger", "Read Status File" (annotations,
section 16).
Changed since step 13: no setter. FingerService reads the users from a file
of "user: status" lines when it starts, and again every 30 seconds, so an
edit of the file shows within one period.

    FINGER_PORT=1079 twistd -ny finger/finger14.tac     (reads finger/etc.users)
    echo moshez | nc -N localhost 1079
    happy and well

Departures from the original listing, besides step 11's (no uid/gid; ports
and address line; text inside; errors answered and logged):
- The file is re-read by a LoopingCall, not by a callLater chain that
  _read schedules for itself: one exception in that chain stopped the
  re-reading for good. A malformed line (no ":", or a user name with
  spaces) is skipped and logged; an unreadable file keeps the users we had
  and is logged. Each is logged once per change of the file.
- Users removed from the file disappear (the text only does so from step
  15 on). The file is read as UTF-8; "#" starts a comment line; a control
  character in a status becomes a space.
- FINGER_USERS_FILE (default finger/etc.users, next to this file) and
  FINGER_RELOAD (default 30 seconds) configure it; a missing file is one
  line at start-up, before anything is bound.
- getFingerFactory does not copy startService onto the factory: nothing
  ever called it there.
- A port that cannot be bound raises CannotListen, a SystemExit that is
  also an Exception: in the foreground it is still one line and exit 1;
  under twistd as a daemon (no -n), twistd's failed start runs, so the
  launching twistd prints the line (its first 98 bytes) and exits 1, and
  the pidfile is removed. A plain SystemExit left that twistd waiting for
  ever on its status pipe.
"""

import os
import re
import sys

from twisted.application import internet, service
from twisted.internet import defer, protocol, reactor, task
from twisted.internet.error import CannotListenError
from twisted.logger import Logger
from twisted.protocols import basic, policies

log = Logger(namespace="finger")

# A user name in the status file: no spaces, no control characters.
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


class FingerService(service.Service):
    """Serves the statuses of a file of "user: status" lines, which it
    re-reads every `reload` seconds."""

    # The clock the file is re-read by; a test may put a task.Clock here.
    clock = reactor

    def __init__(self, filename, reload):
        self.filename = filename
        self.reload = reload
        self.users = {}
        self._seen = None  # the file's text at the last read, or the error

    def _read(self):
        """Read the file again. A malformed line is skipped; a file that
        cannot be read keeps the users we had. Each is logged once, when
        the file changes, not on every re-read."""
        try:
            with open(self.filename, encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as e:
            if self._seen != str(e):
                self._seen = str(e)
                log.error("cannot read {file}: {error}; keeping the {n} users I had",
                          file=self.filename, error=e, n=len(self.users))
            return
        if text == self._seen:
            return
        self._seen = text
        users = {}
        for number, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            user, colon, status = line.partition(":")
            user = user.strip()
            if not colon or not PLAIN_USER.match(user):
                log.warn("{file}, line {number}: skipped, not 'user: status': {line!r}",
                         file=self.filename, number=number, line=line)
                continue
            # No control characters reach a client (RFC 1288 asks servers
            # to filter them); TAB is kept.
            users[user] = CONTROL.sub(" ", status).strip()
        # A new dict, not an update: users removed from the file are gone.
        self.users = users
        log.info("read {n} users from {file}", n=len(users), file=self.filename)

    def startService(self):
        self._reader = task.LoopingCall(self._read)
        self._reader.clock = self.clock
        self._reader.start(self.reload)  # reads once now
        service.Service.startService(self)

    def stopService(self):
        if self._reader.running:
            self._reader.stop()
        return service.Service.stopService(self)

    def getUser(self, user):
        return defer.succeed(self.users.get(user, "No such user"))

    def getFingerFactory(self):
        f = protocol.ServerFactory()
        f.protocol = FingerProtocol
        f.getUser = self.getUser
        return f


# --- configuration: the same in every tac step ---------------------------------
# Read and checked when twistd loads this file, before anything is bound: a
# bad value is one line and exit status 1.

NAME = "finger14.tac"


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


def positive_seconds(text):
    try:
        value = float(text)
    except ValueError:
        value = 0
    if not 0 < value < float("inf"):
        raise ValueError(f"must be a number of seconds greater than 0, not {text!r}")
    return value


def readable_file(text):
    if not os.path.isfile(text) or not os.access(text, os.R_OK):
        raise ValueError(f"names no file that can be read: {text!r}")
    return text


port = setting("FINGER_PORT", "79", port_number)
iface = os.environ.get("FINGER_IFACE", "127.0.0.1")
usersFile = setting("FINGER_USERS_FILE",
                    os.path.join(os.path.dirname(os.path.abspath(__file__)), "etc.users"),
                    readable_file)
reload = setting("FINGER_RELOAD", "30", positive_seconds)

application = service.Application("finger")
f = FingerService(usersFile, reload)
serviceCollection = service.IServiceCollection(application)
f.setServiceParent(serviceCollection)
LoggedTCPServer("finger", port, f.getFingerFactory(), iface).setServiceParent(serviceCollection)
