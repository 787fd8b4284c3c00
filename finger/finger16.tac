"""Finger, step 16: announce on IRC, too.

Tutorial: "The Evolution of Finger", "Announce on IRC, Too" (annotations,
section 18).
Changed since step 15: FingerService.getIRCBot makes a client factory for
IRCReplyBot, which joins an IRC server as "fingerbot" and answers a private
message naming a user with "Status of USER: STATUS".

    FINGER_PORT=1079 twistd -ny finger/finger16.tac
    (then, on the IRC server:  /msg fingerbot moshez)
    <fingerbot> Status of moshez: happy and well

Departures from the original listing, besides step 15's (no uid/gid; ports
and address lines; text inside; the status file re-read by a LoopingCall;
escaped web pages, "/" answered, UTF-8 paths):
- The server was irc.freenode.org:6667, a TCPClient that gave up at the
  first lost connection. Now it is FINGER_IRC_SERVER (default
  irc.libera.chat:6667) and FINGER_IRC_NICK (default fingerbot), and a
  ClientService, which reconnects with a growing delay.
- IRCClient speaks str: the reply is text, never a b'...' repr. A CR or LF
  in a status is replaced, so it cannot send a second IRC command.
- An error in getUser answers "Status of USER: Internal error in server"
  and is logged once. Messages said in a channel are not answered.
- The bot logs "irc signed on to HOST:PORT as NICK" once it is registered.
- A port that cannot be bound raises CannotListen, a SystemExit that is
  also an Exception: in the foreground it is still one line and exit 1;
  under twistd as a daemon (no -n), twistd's failed start runs, so the
  launching twistd prints the line (its first 98 bytes) and exits 1, and
  the pidfile is removed. A plain SystemExit left that twistd waiting for
  ever on its status pipe.
"""

import html
import os
import re
import sys

from twisted.application import internet, service
from twisted.application.internet import ClientService
from twisted.internet import defer, protocol, reactor, task
from twisted.internet.endpoints import HostnameEndpoint
from twisted.internet.error import CannotListenError
from twisted.logger import Logger
from twisted.protocols import basic, policies
from twisted.web import resource, server
from twisted.words.protocols import irc

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


PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1>{body}</body></html>
"""


def html_page(request, title, body, code=200):
    """Write a whole page (escaped by the caller) as UTF-8 and finish."""
    request.setResponseCode(code)
    request.setHeader(b"content-type", b"text/html; charset=utf-8")
    request.write(PAGE.format(title=title, body=body).encode("utf-8"))
    request.finish()


class UserStatusPage(resource.Resource):
    """/USER: that user's status, from the service's getUser."""

    isLeaf = True

    def __init__(self, getUser, user):
        super().__init__()
        self.getUser = getUser
        self.user = user

    def render_GET(self, request):
        gone = []
        request.notifyFinish().addErrback(gone.append)
        d = defer.maybeDeferred(self.getUser, self.user)

        def show(status):
            if not gone:
                html_page(request, html.escape(self.user), f"<p>{html.escape(status)}</p>")

        def failed(failure):
            log.failure("web query for {user!r} failed", failure, user=self.user)
            if not gone:
                html_page(request, "Internal error in server", "", code=500)

        d.addCallback(show)
        d.addErrback(failed)
        return server.NOT_DONE_YET


class StaticPage(resource.Resource):
    """A fixed page (already escaped), with a status code."""

    isLeaf = True

    def __init__(self, title, body, code=200):
        super().__init__()
        self.title, self.body, self.code = title, body, code

    def render_GET(self, request):
        html_page(request, self.title, self.body, self.code)
        return server.NOT_DONE_YET


USAGE = ('<p>Ask for a user\'s status at /USER, '
         'for instance <a href="/moshez">/moshez</a>.</p>')


class FingerResource(resource.Resource):
    """The site's root: every child path is a user name."""

    def __init__(self, getUser):
        super().__init__()
        self.getUser = getUser

    def getChild(self, path, request):
        # path is one segment of the URL, %-escapes already decoded: bytes.
        if not path:
            return StaticPage("Finger", USAGE)
        try:
            user = path.decode("utf-8")
        except UnicodeDecodeError:
            return StaticPage("Bad request", "<p>A user name is UTF-8.</p>", code=400)
        return UserStatusPage(self.getUser, user)

    def render_GET(self, request):
        return self.getChild(b"", request).render_GET(request)


def one_line(text):
    """IRC is line-based: a CR or LF in a status would start a second
    command to the server. They (and NUL) become spaces."""
    return re.sub(r"[\r\n\x00]+", " ", text)


class IRCReplyBot(irc.IRCClient):
    """Answers a private message "USER" with "Status of USER: STATUS"."""

    def connectionMade(self):
        self.nickname = self.factory.nickname
        irc.IRCClient.connectionMade(self)

    def signedOn(self):
        log.info("irc signed on to {server} as {nick}",
                 server=self.factory.server, nick=self.nickname)

    def privmsg(self, user, channel, msg):
        user = user.split("!")[0]
        if self.nickname.lower() != channel.lower():
            return  # said in a channel, not to us
        who = msg.strip()
        d = defer.maybeDeferred(self.factory.getUser, who)

        def internalError(failure):
            log.failure("IRC query for {who!r} failed", failure, who=who)
            return "Internal error in server"

        d.addErrback(internalError)
        d.addCallback(lambda status: self.msg(user, one_line(f"Status of {who}: {status}")))
        d.addErrback(lambda failure: log.failure("could not answer on IRC", failure))


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

    def getResource(self):
        return FingerResource(self.getUser)

    def getIRCBot(self, nickname, server):
        f = protocol.ClientFactory()
        f.protocol = IRCReplyBot
        f.nickname = nickname
        f.server = server
        f.getUser = self.getUser
        return f


# --- configuration: the same in every tac step ---------------------------------
# Read and checked when twistd loads this file, before anything is bound: a
# bad value is one line and exit status 1.

NAME = "finger16.tac"


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


def irc_server(text):
    host, colon, portText = text.rpartition(":")
    if not colon or not host or not portText.isdigit() or not 0 < int(portText) <= 65535:
        raise ValueError(f"must be HOST:PORT, not {text!r}")
    return host, int(portText)


def irc_nick(text):
    if not re.fullmatch(r"[A-Za-z\[\]\\`_^{|}][A-Za-z0-9\[\]\\`_^{|}-]{0,29}", text):
        raise ValueError(f"must be an IRC nickname, not {text!r}")
    return text


port = setting("FINGER_PORT", "79", port_number)
webPort = setting("FINGER_WEB_PORT", "8000", port_number)
iface = os.environ.get("FINGER_IFACE", "127.0.0.1")
usersFile = setting("FINGER_USERS_FILE",
                    os.path.join(os.path.dirname(os.path.abspath(__file__)), "etc.users"),
                    readable_file)
reload = setting("FINGER_RELOAD", "30", positive_seconds)
ircHost, ircPort = setting("FINGER_IRC_SERVER", "irc.libera.chat:6667", irc_server)
ircNick = setting("FINGER_IRC_NICK", "fingerbot", irc_nick)

application = service.Application("finger")
f = FingerService(usersFile, reload)
serviceCollection = service.IServiceCollection(application)
f.setServiceParent(serviceCollection)
LoggedTCPServer("finger", port, f.getFingerFactory(), iface).setServiceParent(serviceCollection)
LoggedTCPServer("web", webPort, server.Site(f.getResource()), iface).setServiceParent(
    serviceCollection)
ClientService(HostnameEndpoint(reactor, ircHost, ircPort),
              f.getIRCBot(ircNick, f"{ircHost}:{ircPort}")).setServiceParent(serviceCollection)
