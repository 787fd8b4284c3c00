r"""Finger, step 22: support HTTPS (finger22.tac; the text names it finger22.py).

"The Evolution of Finger": Support HTTPS (using a single factory for multiple protocols).
Changed since step 21: the one Site is served twice, on 8000 and over TLS on 443:
an ssl: description names the key and the certificate, and serverFromString makes
the TLS endpoint. Make a throwaway certificate first (the text's openssl command,
one file for both; keep it out of the checkout):

    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost -keyout /tmp/finger.pem -out /tmp/finger.pem
    FINGER_CERT=/tmp/finger.pem FINGER_PORT=1079 FINGER_WEB_PORT=8000 FINGER_PB_PORT=8889 FINGER_HTTPS_PORT=8443 \
        FINGER_IRC_SERVER= twistd -ny finger/finger22.tac
    then: curl --cacert /tmp/finger.pem https://localhost:8443/moshez  ->  a page: moshez, happy and well

Departures, marked "departure" below; what every step shares is in contract.py:
- where: FINGER_PORT (0: a free one), on FINGER_IFACE (127.0.0.1); an address line in the log
- every connection: at most FINGER_TIMEOUT (60) seconds and FINGER_MAX_BYTES (65536) bytes
- contract.LineReceiver: a bare LF ends a line too; over 1024 bytes is "Query too long"
- text inside, bytes at the edge: the name decoded from UTF-8 (RFC 1288's /W dropped)
- ask(): one query a connection, cancelled if the client hangs up; catchError logs once
- no uid=1, gid=1, which makes twistd exit for anyone but root (twistd -u, -g)
- the file: FINGER_USERS_FILE (finger/etc.users, not /etc/users), read every FINGER_RELOAD (30) s
- statusFile(): UTF-8, no control characters; a bad line or an unreadable file is logged once
- the web: FINGER_WEB_PORT (8000); contract.Site: pages in UTF-8, a 500 page on an error
- html.escape on the name and the status (cgi.escape is gone); the links quoted
- the bot: contract.IRCClient (text, one line a message); FINGER_IRC_SERVER, FINGER_IRC_NICK
- contract.XMLRPC: a wrong call is a Fault that says so; putChild takes bytes (Twisted 22.10)
- PB: FINGER_PB_PORT (8889); contract.Root: a wrong call or a failure is a pb.Error, logged once
- HTTPS: FINGER_HTTPS_PORT (443); FINGER_CERT (finger/server.pem, not shipped): key and certificate
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
            self.transport.write(value.encode("utf-8") + b"\r\n")  # bytes at the edge
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
    def __init__(self, service):
        resource.Resource.__init__(self)
        self.service = service

        # add a specific child for the path "RPC2"
        self.putChild(b"RPC2", UserStatusXR(self.service))  # departure: bytes

        # need to do this for resources at the root of the site
        self.putChild(b"", self)

    def _cb_render_GET(self, users, request):
        userOutput = "".join(
            [f'<li><a href="{quote(user)}">{html.escape(user)}</a></li>'  # departure
             for user in users]
        )
        request.write(f"""
            <html><head><title>Users</title></head><body>
            <h1>Users</h1>
            <ul>
            {userOutput}
            </ul></body></html>""")
        request.finish()

    def render_GET(self, request):
        d = self.service.getUsers()
        d.addCallback(self._cb_render_GET, request)
        d.addErrback(request.processingFailed)  # departure: a 500 page, logged once

        # signal that the rendering is not complete
        return server.NOT_DONE_YET

    def getChild(self, path, request):
        return UserStatus(user=path.decode("utf-8", "replace"), service=self.service)


components.registerAdapter(UserStatusTree, IFingerService, resource.IResource)


class UserStatus(resource.Resource):
    def __init__(self, user, service):
        resource.Resource.__init__(self)
        self.user = user
        self.service = service

    def _cb_render_GET(self, status, request):
        user, status = html.escape(self.user), html.escape(status)  # departure: escaped
        request.write(f"""<html><head><title>{user}</title></head>
        <body><h1>{user}</h1>
        <p>{status}</p>
        </body></html>""")
        request.finish()

    def render_GET(self, request):
        d = self.service.getUser(self.user)
        d.addCallback(self._cb_render_GET, request)
        d.addErrback(request.processingFailed)  # departure: a 500 page, logged once

        # signal that the rendering is not complete
        return server.NOT_DONE_YET


class UserStatusXR(contract.XMLRPC):  # departure: faults that say what
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


@implementer(IFingerService)
class FingerService(service.Service):
    def __init__(self, filename):
        self.filename = filename
        self.users = {}

    def _read(self):
        self.users.clear()
        with contract.statusFile(self.filename) as f:  # departure: checked, as text
            for line in f:
                user, status = line.split(":", 1)
                user = user.strip()
                status = status.strip()
                self.users[user] = status
        self.call = reactor.callLater(contract.setting("FINGER_RELOAD"), self._read)  # departure

    def getUser(self, user):
        return defer.succeed(self.users.get(user, "No such user"))

    def getUsers(self):
        return defer.succeed(list(self.users.keys()))

    def startService(self):
        self._read()
        service.Service.startService(self)

    def stopService(self):
        service.Service.stopService(self)
        self.call.cancel()


application = service.Application("finger")  # departure: no uid=1, gid=1
f = FingerService(contract.usersFile())  # departure: FINGER_USERS_FILE
serviceCollection = service.IServiceCollection(application)
f.setServiceParent(serviceCollection)
contract.service("tcp:79", IFingerFactory(f)).setServiceParent(serviceCollection)  # departure
site = contract.Site(resource.IResource(f))
contract.service("tcp:8000", site, "web").setServiceParent(serviceCollection)
contract.service(  # departure: FINGER_CERT names one PEM file for the key and certificate
    "ssl:port=443:certKey=cert.pem:privateKey=key.pem", site, "https"
).setServiceParent(serviceCollection)
i = IIRCClientFactory(f)
i.nickname = "fingerbot"
contract.ircClient(  # departure: internet.ClientService, FINGER_IRC_SERVER
    "tcp:irc.libera.chat:6667", i  # departure: freenode is gone
).setServiceParent(serviceCollection)
contract.service("tcp:8889", pb.PBServerFactory(IPerspectiveFinger(f)), "pb").setServiceParent(
    serviceCollection
)
