r"""Finger, step 17: add XML-RPC support (finger17.tac).

"The Evolution of Finger": Add XML-RPC Support (the annotations stop at step 16).
Changed since step 16: getResource also puts an XML-RPC resource at /RPC2; its one
method, getUser, is the service's. fingerXRclient.py asks it.

    FINGER_PORT=1079 FINGER_WEB_PORT=8000 FINGER_IRC_SERVER= twistd -ny finger/finger17.tac
    then: python finger/fingerXRclient.py --port 8000 moshez  ->  happy and well

Departures, marked "departure" below; what every step shares is in contract.py:
- where: FINGER_PORT (0: a free one), on FINGER_IFACE (127.0.0.1); an address line in the log
- every connection: at most FINGER_TIMEOUT (60) seconds and FINGER_MAX_BYTES (65536) bytes
- contract.LineReceiver: a bare LF ends a line too; over 1024 bytes is "Query too long"
- text inside, bytes at the edge: the name decoded from UTF-8 (RFC 1288's /W dropped)
- ask(): one query a connection, cancelled if the client hangs up; onError logs once
- no uid=1, gid=1, which makes twistd exit for anyone but root (twistd -u, -g)
- the file: FINGER_USERS_FILE (finger/etc.users, not /etc/users), read every FINGER_RELOAD (30) s
- statusFile(): UTF-8, no control characters; a bad line or an unreadable file is logged once
- the web: FINGER_WEB_PORT (8000); contract.Site: pages in UTF-8, a 500 page on an error
- html.escape on the name and the status (cgi.escape is gone); contract.Data for static.Data
- the bot: contract.IRCClient (text, one line a message); FINGER_IRC_SERVER, FINGER_IRC_NICK
- contract.XMLRPC: a wrong call is a Fault that says so; putChild takes bytes (Twisted 22.10)
"""

import html

from finger import contract
from twisted.application import service
from twisted.internet import defer, protocol, reactor
from twisted.web import resource


class FingerProtocol(contract.LineReceiver):  # departure: basic.LineReceiver, bounded
    def lineReceived(self, user):
        d = self.ask(self.factory.getUser, user)  # departure: text inside; one query

        def onError(err):
            return contract.internalError(err)  # departure: logged once

        d.addErrback(onError)

        def writeResponse(message):
            self.transport.write(message.encode("utf-8") + b"\r\n")  # bytes at the edge
            self.transport.loseConnection()

        d.addCallback(writeResponse)


class IRCReplyBot(contract.IRCClient):  # departure: irc.IRCClient, as text, one line
    def connectionMade(self):
        self.nickname = self.factory.nickname
        contract.IRCClient.connectionMade(self)

    def privmsg(self, user, channel, msg):
        user = user.split("!")[0]
        if self.nickname.lower() == channel.lower():
            d = defer.maybeDeferred(self.factory.getUser, msg.strip())  # departure: text

            def onError(err):
                return contract.internalError(err)  # departure: logged once

            d.addErrback(onError)

            def writeResponse(message):
                self.msg(user, msg + ": " + message)  # departure: one line

            d.addCallback(writeResponse)


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

    def getFingerFactory(self):
        f = protocol.ServerFactory()
        f.protocol = FingerProtocol
        f.getUser = self.getUser
        return f

    def getResource(self):
        def getData(path, request):
            path = path.decode("utf-8", "replace")  # departure: text inside
            user = self.users.get(path, "No such user <p/> usage: site/user")
            if path in self.users:  # departure: the status escaped, the usage line not
                user = html.escape(user)
            path = html.escape(path)  # departure: escaped too
            text = f"<h1>{path}</h1><p>{user}</p>"
            return contract.Data(text, "text/html")  # departure: twisted.web.static warns

        r = resource.Resource()
        r.getChild = getData
        x = contract.XMLRPC()  # departure: xmlrpc.XMLRPC, a wrong call a Fault
        x.xmlrpc_getUser = self.getUser
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
