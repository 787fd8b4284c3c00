"""Finger, step 18: write readable code (finger18.tac).

"The Evolution of Finger": Write Readable Code (the annotations end at step 16).
Changed since step 17: the same answers, with the hacks gone. The web site is two
classes, UserStatusTree (the user list, at /) and UserStatus (one user), and the
XML-RPC resource a third, UserStatusXR; the errbacks are one function, catchError;
FingerService.getUsers is new, for the list.

    FINGER_PORT=1079 FINGER_WEB_PORT=8000 FINGER_IRC_SERVER= twistd -ny finger/finger18.tac
    then: echo moshez | nc -N localhost 1079  ->  happy and well
    and:  http://localhost:8000/ lists the users, each a link to its page

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
"""

import html
from urllib.parse import quote

from finger import contract
from twisted.application import service
from twisted.internet import defer, protocol, reactor
from twisted.web import resource, server, xmlrpc


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


class UserStatusTree(resource.Resource):
    def __init__(self, service):
        resource.Resource.__init__(self)
        self.service = service

    def render_GET(self, request):
        d = self.service.getUsers()

        def formatUsers(users):
            items = [f'<li><a href="{quote(user)}">{html.escape(user)}</a></li>'  # departure
                     for user in users]
            return "<ul>" + "".join(items) + "</ul>"

        d.addCallback(formatUsers)
        d.addCallback(request.write)
        d.addCallback(lambda _: request.finish())
        d.addErrback(request.processingFailed)  # departure: a 500 page, logged once
        return server.NOT_DONE_YET

    def getChild(self, path, request):
        if path == b"":  # departure: a path is bytes
            return UserStatusTree(self.service)
        else:
            return UserStatus(path.decode("utf-8", "replace"), self.service)


class UserStatus(resource.Resource):
    def __init__(self, user, service):
        resource.Resource.__init__(self)
        self.user = user
        self.service = service

    def render_GET(self, request):
        d = self.service.getUser(self.user)
        d.addCallback(html.escape)  # departure: cgi.escape is gone
        d.addCallback(lambda m: f"<h1>{html.escape(self.user)}</h1><p>{m}</p>")
        d.addCallback(request.write)
        d.addCallback(lambda _: request.finish())
        d.addErrback(request.processingFailed)  # departure: a 500 page, logged once
        return server.NOT_DONE_YET


class UserStatusXR(contract.XMLRPC):  # departure: faults that say what
    def __init__(self, service):
        xmlrpc.XMLRPC.__init__(self)
        self.service = service

    def xmlrpc_getUser(self, user):
        return self.service.getUser(user)


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

    def getFingerFactory(self):
        f = protocol.ServerFactory()
        f.protocol = FingerProtocol
        f.getUser = self.getUser
        return f

    def getResource(self):
        r = UserStatusTree(self)
        x = UserStatusXR(self)
        r.putChild(b"RPC2", x)  # departure: bytes
        return r

    def getIRCBot(self, nickname):
        f = protocol.ClientFactory()
        f.protocol = IRCReplyBot
        f.nickname = nickname
        f.getUser = self.getUser
        return f

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
contract.service("tcp:79", f.getFingerFactory()).setServiceParent(serviceCollection)  # departure
contract.service("tcp:8000", contract.Site(f.getResource()), "web").setServiceParent(
    serviceCollection
)
contract.ircClient(  # departure: internet.ClientService, FINGER_IRC_SERVER
    "tcp:irc.libera.chat:6667",  # departure: freenode is gone
    f.getIRCBot("fingerbot"),
).setServiceParent(serviceCollection)
