"""The organized finger: the finger module (finger/finger.py).

"The Evolution of Finger": Organization and Easy Configuration (making a finger library),
and Plugins (configuration and packaging), where the text gives this file whole.
Changed since step 22: everything above `application =` is a module, importable as
finger.finger from any directory (finger/__init__.py makes the folder a package).
The web pages take their HTML from templates, the class attributes `template`;
/RPC2 is a child that getChild makes. makeService(config) at the end, the text's
"Easy Configuration" (its finger_config.py), builds the whole server from a few
options: finger.tac does without it, the plugin (finger/tap.py, `twistd finger`) uses it.

Departures, marked "departure" below; what every step shares is in contract.py:
- where: the FINGER_* variables, as in step 22 (the plugin's options set them)
- every connection: at most FINGER_TIMEOUT (60) seconds and FINGER_MAX_BYTES (65536) bytes
- contract.LineReceiver: a bare LF ends a line too; over 1024 bytes is "Query too long"
- text inside, bytes at the edge: the name decoded from UTF-8 (RFC 1288's /W dropped)
- ask(): one query a connection, cancelled if the client hangs up; catchError logs once
- statusFile(): UTF-8, no control characters; a bad line or an unreadable file is logged once
- the web: contract.Site: pages in UTF-8, a 500 page on an error; everything escaped
- the bot: contract.IRCClient (text, one line a message); FINGER_IRC_SERVER, FINGER_IRC_NICK
- contract.XMLRPC, contract.Root: a wrong call or a failure is a fault or a pb.Error, logged once
- FingerService takes users set by --user or the setter too, which win over the file
"""

import html
from urllib.parse import quote

from zope.interface import Interface, implementer

from finger import contract
from twisted.application import service
from twisted.internet import defer, protocol, reactor
from twisted.python import components
from twisted.spread import pb
from twisted.web import resource, server, xmlrpc


class IFingerService(Interface):
    def getUser(user):
        """
        Return a deferred returning a string.
        """

    def getUsers():
        """
        Return a deferred returning a list of strings.
        """


class IFingerSetterService(Interface):
    def setUser(user, status):
        """
        Set the user's status to something.
        """


def catchError(err):
    return contract.internalError(err)  # departure: logged once


class FingerProtocol(contract.LineReceiver):  # departure: basic.LineReceiver, bounded
    def lineReceived(self, user):
        d = self.ask(self.factory.getUser, user)  # departure: text inside; one query
        d.addErrback(catchError)

        def writeValue(value):
            self.transport.write(value.encode("utf-8") + b"\r\n")  # departure: CRLF, RFC 1288
            self.transport.loseConnection()

        d.addCallback(writeValue)


class IFingerFactory(Interface):
    def getUser(user):
        """
        Return a deferred returning a string.
        """

    def buildProtocol(addr):
        """
        Return a protocol returning a string.
        """


@implementer(IFingerFactory)
class FingerFactoryFromService(protocol.ServerFactory):
    protocol = FingerProtocol

    def __init__(self, service):
        self.service = service

    def getUser(self, user):
        return self.service.getUser(user)


components.registerAdapter(FingerFactoryFromService, IFingerService, IFingerFactory)


class FingerSetterProtocol(contract.LineReceiver):  # departure: basic.LineReceiver, bounded
    def connectionMade(self):
        self.lines = []

    def lineReceived(self, line):
        self.lines.append(line)

    def connectionLost(self, reason):
        if contract.settable(self):  # departure: two good lines, as text, or logged
            self.factory.setUser(*self.lines)


class IFingerSetterFactory(Interface):
    def setUser(user, status):
        """
        Return a deferred returning a string.
        """

    def buildProtocol(addr):
        """
        Return a protocol returning a string.
        """


@implementer(IFingerSetterFactory)
class FingerSetterFactoryFromService(protocol.ServerFactory):
    protocol = FingerSetterProtocol

    def __init__(self, service):
        self.service = service

    def setUser(self, user, status):
        self.service.setUser(user, status)


components.registerAdapter(
    FingerSetterFactoryFromService, IFingerSetterService, IFingerSetterFactory
)


class IRCReplyBot(contract.IRCClient):  # departure: irc.IRCClient, as text, one line
    def connectionMade(self):
        self.nickname = self.factory.nickname
        contract.IRCClient.connectionMade(self)

    def privmsg(self, user, channel, msg):
        user = user.split("!")[0]
        if self.nickname.lower() == channel.lower():
            d = defer.maybeDeferred(self.factory.getUser, msg.strip())  # departure: text
            d.addErrback(catchError)
            d.addCallback(lambda m: f"Status of {msg}: {m}")
            d.addCallback(lambda m: self.msg(user, m))


class IIRCClientFactory(Interface):
    """
    @ivar nickname
    """

    def getUser(user):
        """
        Return a deferred returning a string.
        """

    def buildProtocol(addr):
        """
        Return a protocol.
        """


@implementer(IIRCClientFactory)
class IRCClientFactoryFromService(protocol.ClientFactory):
    protocol = IRCReplyBot
    nickname = None

    def __init__(self, service):
        self.service = service

    def getUser(self, user):
        return self.service.getUser(user)


components.registerAdapter(IRCClientFactoryFromService, IFingerService, IIRCClientFactory)


class UserStatusTree(resource.Resource):
    template = """<html><head><title>Users</title></head><body>
    <h1>Users</h1>
    <ul>
    %(users)s
    </ul>
    </body>
    </html>"""

    def __init__(self, service):
        resource.Resource.__init__(self)
        self.service = service

    def getChild(self, path, request):
        if path == b"":  # departure: a path is bytes
            return self
        elif path == b"RPC2":
            return UserStatusXR(self.service)
        else:
            return UserStatus(path.decode("utf-8", "replace"), self.service)

    def render_GET(self, request):
        users = self.service.getUsers()

        def cbUsers(users):
            request.write(self.template % {"users": "".join([
                # Name should be quoted properly these uses.
                f'<li><a href="{quote(name)}">{html.escape(name)}</a></li>'  # departure
                for name in users])})
            request.finish()

        users.addCallback(cbUsers)

        def ebUsers(err):
            request.processingFailed(err)  # departure: a 500 page, logged once

        users.addErrback(ebUsers)
        return server.NOT_DONE_YET


components.registerAdapter(UserStatusTree, IFingerService, resource.IResource)


class UserStatus(resource.Resource):
    template = """<html><head><title>%(title)s</title></head>
    <body><h1>%(name)s</h1><p>%(status)s</p></body></html>"""

    def __init__(self, user, service):
        resource.Resource.__init__(self)
        self.user = user
        self.service = service

    def render_GET(self, request):
        status = self.service.getUser(self.user)

        def cbStatus(status):
            request.write(self.template % {
                "title": html.escape(self.user),  # departure: escaped
                "name": html.escape(self.user),
                "status": html.escape(status)})
            request.finish()

        status.addCallback(cbStatus)

        def ebStatus(err):
            request.processingFailed(err)  # departure: a 500 page, logged once

        status.addErrback(ebStatus)
        return server.NOT_DONE_YET


class UserStatusXR(contract.XMLRPC):  # departure: a wrong call is a Fault that says so
    def __init__(self, service):
        xmlrpc.XMLRPC.__init__(self)
        self.service = service

    def xmlrpc_getUser(self, user):
        return self.service.getUser(user)

    def xmlrpc_getUsers(self):
        return self.service.getUsers()


class IPerspectiveFinger(Interface):
    def remote_getUser(username):
        """
        Return a user's status.
        """

    def remote_getUsers():
        """
        Return a user's status.
        """


@implementer(IPerspectiveFinger)
class PerspectiveFingerFromService(contract.Root):  # departure: pb.Root, errors said once
    def __init__(self, service):
        self.service = service

    def remote_getUser(self, username):
        return self.service.getUser(username)

    def remote_getUsers(self):
        return self.service.getUsers()


components.registerAdapter(PerspectiveFingerFromService, IFingerService, IPerspectiveFinger)


@implementer(IFingerService, IFingerSetterService)  # departure: a setter, --user
class FingerService(service.Service):
    def __init__(self, filename, users=()):
        self.filename = filename
        self.given = contract.Users(users)  # departure: set by hand, bounded
        self.users = {}

    def _read(self):
        self.users = {}
        with contract.statusFile(self.filename) as f:  # departure: checked, as text
            for line in f:
                user, status = line.split(":", 1)
                user = user.strip()
                status = status.strip()
                self.users[user] = status
        self.users.update(self.given)  # departure: what was set by hand wins
        self.call = reactor.callLater(contract.setting("FINGER_RELOAD"), self._read)  # departure

    def getUser(self, user):
        return defer.succeed(self.users.get(user, "No such user"))

    def getUsers(self):
        return defer.succeed(list(self.users.keys()))

    def setUser(self, user, status):  # departure: the setter and --user
        self.given[user] = status
        if user in self.given:
            self.users[user] = status

    def startService(self):
        self._read()
        service.Service.startService(self)

    def stopService(self):
        service.Service.stopService(self)
        self.call.cancel()


# Easy configuration


def makeService(config):
    # finger on port 79
    s = service.MultiService()
    f = FingerService(config["file"], config.get("users", {}))  # departure: --user
    h = contract.service("tcp:1079", IFingerFactory(f))
    h.setServiceParent(s)
    f.setServiceParent(s)  # departure: the listing never starts it, nor reads the file

    # website on port 8000
    r = resource.IResource(f)
    r.templateDirectory = config["templates"]
    site = contract.Site(r)
    j = contract.service("tcp:8000", site, "web")
    j.setServiceParent(s)

    # ssl on port 443
    if config.get("ssl"):
        k = contract.service("ssl:port=443:certKey=cert.pem:privateKey=key.pem", site, "https")
        k.setServiceParent(s)

    # irc fingerbot
    if "ircnick" in config:
        i = IIRCClientFactory(f)
        i.nickname = config["ircnick"]
        ircserver = config["ircserver"]
        b = contract.ircClient(f"tcp:{ircserver}:6667", i)  # departure: FINGER_IRC_SERVER
        b.setServiceParent(s)

    # Pespective Broker on port 8889
    if "pbport" in config:
        m = contract.service(
            f"tcp:{int(config['pbport'])}",
            pb.PBServerFactory(IPerspectiveFinger(f)), "pb"
        )
        m.setServiceParent(s)

    # departure: the setter, on 127.0.0.1 only, when the plugin is given --setter-port
    if config.get("setter-port") is not None:
        contract.service("tcp:1079:interface=127.0.0.1", IFingerSetterFactory(f), "setter"
                         ).setServiceParent(s)

    return s
