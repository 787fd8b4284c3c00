"""Finger step 21 -- Perspective Broker.

The Evolution of Finger, "Perspective Broker" (IPerspectiveFinger,
PerspectiveFingerFromService). Original: finger21.tac, with
fingerPBclient.py as its client.

    FINGER_PORT=1079 FINGER_WEB_PORT=8000 FINGER_PB_PORT=8889 twistd -ny finger/finger21.tac
    python finger/fingerPBclient.py --port 8889 moshez
    twistd -ny finger/finger21.tac              (as the text: 79, 8000, 8889)

What changed since step 20: one more adapter. IPerspectiveFinger is what a
PB root object offers (remote_getUser, remote_getUsers), and
PerspectiveFingerFromService adapts IFingerService to it. A
PBServerFactory serves it on port 8889 (FINGER_PB_PORT); any Twisted
program can then callRemote("getUser", "moshez") and get a str back.

Departures from the original listing:
- zope.interface's @implementer replaces implements(); interface methods have
  no `self`, as zope.interface wants.
- Text inside, bytes at the edge: services keep str, every front-end decodes
  UTF-8 on the way in and encodes it on the way out; XML-RPC returns a plain
  str (never Binary), IRC never shows a b'...'.
- A control character (a bare CR, an escape) in a status from the
  setter or the users file becomes a space: it never reaches a finger
  client.
- putChild takes bytes (a str is a TypeError since Twisted 22.10).
- The finger protocol takes a half-close (IHalfCloseableProtocol): a client
  that shuts its side after the query, as `nc -N` does, still gets the
  answer; one that hangs up first cancels the query.
- Every Deferred gets an errback: finger answers "Internal error in server",
  the web a 500 page, XML-RPC a Fault, IRC a short line; logged once.
- The web escapes everything with html.escape and renders no static.Data
  (importing twisted.web.static warns on today's Twisted); links in the user
  list are URL-quoted. No templates: the original's page templates (Woven,
  then Nevow) are long gone from Twisted.
- A failed PB call is logged once and reaches the caller as a pb.Error
  "Internal error in server".
- The status file is re-read by a LoopingCall; a malformed line is skipped
  and logged, users removed from the file disappear.
- No Application("finger", uid=1, gid=1): it makes twistd exit for anyone
  who is not root. Use `twistd -u UID -g GID` to drop privileges instead.
- Ports, interface, files and the IRC server come from FINGER_* variables
  (finger/README.md); FINGER_IRC_SERVER="" runs no IRC bot. The bot
  reconnects through ClientService.
"""

import html
import os
import re
import sys
import warnings
from urllib.parse import quote

from zope.interface import Interface, implementer

from twisted.application import internet, service
from twisted.internet import defer, endpoints, protocol, reactor, task
from twisted.internet.error import CannotListenError
from twisted.internet.interfaces import IHalfCloseableProtocol
from twisted.logger import Logger
from twisted.protocols import basic, policies
from twisted.python import components
from twisted.spread import pb
from twisted.web import resource, server
from twisted.words.protocols import irc

with warnings.catch_warnings():
    # Importing twisted.web.xmlrpc touches twisted.web.http.HTTPClient, which
    # Twisted itself deprecated in 24.7; the warning is Twisted's, not ours.
    warnings.filterwarnings(
        "ignore", r"twisted\.web\.http\.HTTPClient was deprecated",
        DeprecationWarning)
    from twisted.web import xmlrpc

NAME = "finger21.tac"
log = Logger(namespace="finger21")
INTERNAL_ERROR = "Internal error in server"


# -- the interfaces ----------------------------------------------------------

class IFingerService(Interface):

    def getUser(user):
        """Return a Deferred firing with the status of user (a str)."""

    def getUsers():
        """Return a Deferred firing with a list of user names (str)."""


class IFingerSetterService(Interface):

    def setUser(user, status):
        """Set the status of user; both are str."""


# -- the finger protocol and its adapter -------------------------------------

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
    (`nc -N` does): that is "no more from me", and the answer still comes,
    however long the backend takes. A client that hangs up before its answer
    cancels the query (the backend stops, if it can)."""
    delimiter = b"\n"  # a bare LF ends a query too; CR is stripped
    MAX_LENGTH = 1024
    timeOut = 60  # an idle client is dropped, not held for ever

    def connectionMade(self):
        self.answered = False
        self.pending = None  # the backend's Deferred, until it fires
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
        user = finger_query(line)
        d = self.pending = defer.maybeDeferred(self.factory.getUser, user)
        d.addErrback(self.failed, user)
        d.addCallback(self.answer)
        d.addErrback(self.unanswerable)

    def failed(self, failure, user):
        if failure.check(defer.CancelledError):
            return None  # cancelled by connectionLost: not an error
        log.failure("finger query for {user!r} failed", failure, user=user)
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


# Control characters (C0 but TAB, DEL, C1): a bare CR or an escape sequence
# in a status would reach finger clients as is, and RFC 1288 asks servers to
# filter them. Each becomes a space as a status comes in.
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def plain_text(text):
    """text with every control character but TAB made a space."""
    return CONTROL.sub(" ", text)


# -- the setter protocol and its adapter --------------------------------------

class FingerSetterProtocol(basic.LineReceiver, policies.TimeoutMixin):
    """Two lines, the user then the status; applied when the client closes.
    Anything else is ignored and logged. A client gets 60 seconds, and a
    third line ends the connection: nothing it sends is kept unbounded."""
    delimiter = b"\n"
    MAX_LENGTH = 1024
    timeOut = 60

    def connectionMade(self):
        self.lines = []
        self.setTimeout(self.timeOut)

    def lineReceived(self, line):
        self.resetTimeout()
        self.lines.append(plain_text(line.decode("utf-8", "replace")))
        if len(self.lines) > 2:
            self.transport.loseConnection()  # junk; LineReceiver stops here

    def lineLengthExceeded(self, line):
        self.lines.append(None)  # makes the request junk
        self.transport.loseConnection()

    def timeoutConnection(self):
        self.lines.append(None)
        self.transport.abortConnection()

    def connectionLost(self, reason):
        self.setTimeout(None)
        if len(self.lines) == 2 and None not in self.lines and self.lines[0].strip():
            user, status = self.lines[0].strip(), self.lines[1].strip()
            self.factory.setUser(user, status)
            log.info("setter: status of {user!r} set", user=user)
        else:
            log.warn("setter: ignored a connection that sent {n} line(s), not 2",
                     n=len(self.lines))


class IFingerSetterFactory(Interface):

    def setUser(user, status):
        """Set the status of user."""

    def buildProtocol(addr):
        """Return a protocol that reads a user and a status."""


@implementer(IFingerSetterFactory)
class FingerSetterFactoryFromService(protocol.ServerFactory):
    protocol = FingerSetterProtocol

    def __init__(self, service):
        self.service = service

    def setUser(self, user, status):
        self.service.setUser(user, status)


components.registerAdapter(FingerSetterFactoryFromService,
                           IFingerSetterService, IFingerSetterFactory)


# -- the IRC bot and its adapter ------------------------------------------------

def one_line(text):
    """CR and LF would end an IRC command and start another: never send them."""
    return " ".join(text.splitlines())


class IRCReplyBot(irc.IRCClient):

    def connectionMade(self):
        self.nickname = self.factory.nickname
        super().connectionMade()

    def signedOn(self):
        log.info("irc signed on to {server} as {nick}",
                 server=self.factory.server, nick=self.nickname)

    def privmsg(self, user, channel, message):
        if channel != self.nickname:
            return  # only private messages are questions
        nick = user.split("!", 1)[0]
        name = message.strip()
        d = defer.maybeDeferred(self.factory.getUser, name)
        d.addErrback(self.failed, name)
        d.addCallback(lambda status: self.msg(
            nick, one_line(f"Status of {name}: {status}")))

    def failed(self, failure, name):
        log.failure("irc query for {user!r} failed", failure, user=name)
        return INTERNAL_ERROR


class IIRCClientFactory(Interface):

    def getUser(user):
        """Return a Deferred firing with the status of user."""

    def buildProtocol(addr):
        """Return an IRC client protocol."""


@implementer(IIRCClientFactory)
class IRCClientFactoryFromService(protocol.ClientFactory):
    protocol = IRCReplyBot
    nickname = "fingerbot"
    server = None

    def __init__(self, service):
        self.service = service

    def getUser(self, user):
        return self.service.getUser(user)


components.registerAdapter(IRCClientFactoryFromService, IFingerService,
                           IIRCClientFactory)


# -- the web site and its adapter -------------------------------------------------

def page(title, body):
    """A whole HTML page; `title` is text, `body` is HTML already escaped."""
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title></head>\n"
            f"<body>\n{body}\n</body></html>\n").encode("utf-8")


def respond(request, d, what):
    """Finish request with the page that d fires with, or with a 500 page
    (logged once) when d fails; write nothing if the client has gone."""
    lost = []
    request.notifyFinish().addErrback(lost.append)

    def failed(failure):
        log.failure("web request for {what} failed", failure, what=what)
        return 500, page(INTERNAL_ERROR, f"<h1>{INTERNAL_ERROR}</h1>")

    def write(result):
        if lost:
            return
        code, content = result
        request.setResponseCode(code)
        request.setHeader(b"content-type", b"text/html; charset=utf-8")
        request.write(content)
        request.finish()

    d.addCallbacks(lambda content: (200, content), failed)
    d.addCallback(write)
    return server.NOT_DONE_YET


class UserStatusTree(resource.Resource):
    """/ lists the users, each a link to its page; /USER is UserStatus;
    /RPC2 is UserStatusXR."""

    def __init__(self, service):
        super().__init__()
        self.service = service
        self.putChild(b"RPC2", UserStatusXR(self.service))

    def render_GET(self, request):
        d = defer.maybeDeferred(self.service.getUsers)
        d.addCallback(self.listing)
        return respond(request, d, "the user list")

    def listing(self, users):
        # The name is escaped as text and URL-quoted (then escaped) as a link;
        # "./" keeps a name such as "a:b" from reading as a URL scheme.
        items = "\n".join(
            f'<li><a href="./{html.escape(quote(user, safe=""))}">'
            f"{html.escape(user)}</a></li>" for user in users)
        return page("Users", f"<h1>Users</h1>\n<ul>\n{items}\n</ul>")

    def getChild(self, path, request):
        if path == b"":
            return self
        return UserStatus(path.decode("utf-8", "replace"), self.service)


class UserStatus(resource.Resource):
    isLeaf = True

    def __init__(self, user, service):
        super().__init__()
        self.user = user
        self.service = service

    def render_GET(self, request):
        d = defer.maybeDeferred(self.service.getUser, self.user)
        d.addCallback(lambda status: page(self.user, (
            f"<h1>{html.escape(self.user)}</h1>\n<p>{html.escape(status)}</p>")))
        return respond(request, d, repr(self.user))


class UserStatusXR(xmlrpc.XMLRPC):
    """XML-RPC at /RPC2: getUser(name) returns the status, a plain str;
    getUsers() the list of names."""

    def __init__(self, service):
        super().__init__()
        self.service = service

    def xmlrpc_getUser(self, user):
        d = defer.maybeDeferred(self.service.getUser, str(user))
        return d.addErrback(self.fault, f"getUser({user!r})")

    def xmlrpc_getUsers(self):
        d = defer.maybeDeferred(self.service.getUsers)
        return d.addCallback(list).addErrback(self.fault, "getUsers()")

    def fault(self, failure, call):
        log.failure("xml-rpc {call} failed", failure, call=call)
        raise xmlrpc.Fault(self.FAILURE, INTERNAL_ERROR)


components.registerAdapter(UserStatusTree, IFingerService, resource.IResource)


# -- Perspective Broker and its adapter ------------------------------------------

class IPerspectiveFinger(Interface):

    def remote_getUser(username):
        """Return the status of username (a str), or a Deferred for it."""

    def remote_getUsers():
        """Return the list of user names, or a Deferred for it."""


@implementer(IPerspectiveFinger)
class PerspectiveFingerFromService(pb.Root):
    """The PB root object: remote callers use callRemote("getUser", name)."""

    def __init__(self, service):
        self.service = service

    def remote_getUser(self, username):
        if not isinstance(username, str):
            raise pb.Error("getUser takes a user name, a str")
        d = defer.maybeDeferred(self.service.getUser, username)
        return d.addErrback(self.error, f"getUser({username!r})")

    def remote_getUsers(self):
        d = defer.maybeDeferred(self.service.getUsers)
        return d.addCallback(list).addErrback(self.error, "getUsers()")

    def error(self, failure, call):
        # Logged here, once; a pb.Error goes to the caller without a second
        # "Peer will receive following PB traceback" in the log.
        log.failure("pb {call} failed", failure, call=call)
        raise pb.Error(INTERNAL_ERROR)


components.registerAdapter(PerspectiveFingerFromService, IFingerService,
                           IPerspectiveFinger)


# -- the backend: a file of "user: status" lines, re-read on a timer ------------

def parse_users(text, filename):
    """{user: status} from the text of a file of `user: status` lines; #
    starts a comment. Malformed lines are logged and skipped."""
    users = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, colon, status = line.partition(":")
        if not colon or not user.strip():
            log.warn("{file}:{number}: skipped a line that is not "
                     "'user: status'", file=filename, number=number)
            continue
        users[plain_text(user).strip()] = plain_text(status).strip()
    return users


def read_users(filename):
    with open(filename, encoding="utf-8") as f:
        return parse_users(f.read(), filename)


@implementer(IFingerService)
class FingerService(service.Service):

    def __init__(self, filename, reload=30):
        self.filename = filename
        self.reload = reload
        self.users = {}

    _seen = None  # the text (or the error) of the last read

    def _read(self):
        """Read the file again; parse and log only when it has changed, so
        a bad line or a missing file is logged once, not every tick."""
        try:
            with open(self.filename, encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as e:
            if self._seen != str(e):
                self._seen = str(e)
                # Keep the users we had; try again at the next tick.
                log.error("cannot read {file}: {error}", file=self.filename, error=e)
            return
        if text != self._seen:
            self._seen = text
            self.users = parse_users(text, self.filename)

    def startService(self):
        super().startService()
        self._call = task.LoopingCall(self._read)
        self._call.start(self.reload)

    def stopService(self):
        super().stopService()
        if self._call.running:
            self._call.stop()

    def getUser(self, user):
        return defer.succeed(self.users.get(user, "No such user"))

    def getUsers(self):
        return defer.succeed(sorted(self.users))


# -- listening, and saying where -----------------------------------------------

class CannotListen(SystemExit, Exception):
    """A port that cannot be bound: one line and exit status 1.

    A SystemExit, so the line is all a user sees; an Exception too, so
    twistd's clean-up for a failed start runs: it removes the pidfile and,
    for a daemon, tells the launching twistd, which would otherwise wait
    for ever on its status pipe."""


class AnnouncedServer:
    """Mixed into internet.TCPServer: logs 'ROLE listening on HOST:PORT'
    once bound, and turns a port that cannot be bound into one line."""

    def __init__(self, role, *args, **kwargs):
        self.role = role
        super().__init__(*args, **kwargs)

    def _getPort(self):
        interface = self.kwargs.get("interface", "")
        try:
            port = super()._getPort()
        except CannotListenError as e:
            raise CannotListen(f"{NAME}: {self.role} cannot listen on "
                               f"{interface}:{self.args[0]}: "
                               f"{getattr(e.socketError, 'strerror', None) or e.socketError}")
        log.info("{role} listening on {host}:{port}", role=self.role,
                 host=interface, port=port.getHost().port)
        return port


class AnnouncedTCPServer(AnnouncedServer, internet.TCPServer):
    pass


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


def env_irc_nick(variable, default):
    """An IRC nickname (RFC 2812's letters, digits and specials)."""
    value = os.environ.get(variable, default)
    if not re.fullmatch(r"[A-Za-z\[\]\\`_^{|}][A-Za-z0-9\[\]\\`_^{|}-]{0,29}", value):
        fail(f"{variable} must be an IRC nickname, not {value!r}")
    return value


def env_irc_server(variable, default):
    value = os.environ.get(variable, default)
    if value == "":
        return None
    host, colon, port = value.rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        fail(f"{variable} must be host:port, not {value!r}")
    return host, int(port)


def env_users_file(variable, default):
    filename = os.environ.get(variable, default)
    try:
        with open(filename, encoding="utf-8") as f:
            f.read()
    except (OSError, UnicodeDecodeError) as e:
        fail(f"{variable}: cannot read {filename!r}: {getattr(e, 'strerror', e)}")
    return filename


# The defaults sit beside this file, so the tac runs from any directory.
HERE = os.path.dirname(os.path.abspath(__file__))
finger_port = env_port("FINGER_PORT", 79)
web_port = env_port("FINGER_WEB_PORT", 8000)
pb_port = env_port("FINGER_PB_PORT", 8889)
iface = os.environ.get("FINGER_IFACE", "127.0.0.1")
users_file = env_users_file("FINGER_USERS_FILE", os.path.join(HERE, "etc.users"))
reload_seconds = env_seconds("FINGER_RELOAD", 30)
irc_server = env_irc_server("FINGER_IRC_SERVER", "irc.libera.chat:6667")
irc_nick = env_irc_nick("FINGER_IRC_NICK", "fingerbot")

application = service.Application("finger")
f = FingerService(users_file, reload_seconds)
serviceCollection = service.IServiceCollection(application)
f.setServiceParent(serviceCollection)
AnnouncedTCPServer("finger", finger_port, IFingerFactory(f),
                   interface=iface).setServiceParent(serviceCollection)
AnnouncedTCPServer("web", web_port, server.Site(resource.IResource(f)),
                   interface=iface).setServiceParent(serviceCollection)
AnnouncedTCPServer("pb", pb_port, pb.PBServerFactory(IPerspectiveFinger(f)),
                   interface=iface).setServiceParent(serviceCollection)
if irc_server is not None:
    bot = IIRCClientFactory(f)
    bot.nickname = irc_nick
    bot.server = "%s:%d" % irc_server
    endpoint = endpoints.HostnameEndpoint(reactor, *irc_server)
    internet.ClientService(endpoint, bot).setServiceParent(serviceCollection)
