r"""Finger, step 15: announce on web, too (finger15.tac).

"The Evolution of Finger": Announce on Web, Too; annotations section 17.
Changed since step 14: FingerResource, a web resource whose children are the users:
getChild makes a page from a user's status. getResource gives one, which a Site
serves on port 8000. _read now clears the users before it reads the file, so
users removed from it go. Section 17 shows a page that also prints its content
type; today's listing does not.

    FINGER_PORT=1079 twistd -ny finger/finger15.tac      (the users: finger/etc.users)
    then: curl http://localhost:8000/moshez  ->  <h1>moshez</h1><p>happy and well</p>

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


class FingerResource(resource.Resource):
    def __init__(self, users):
        self.users = users
        resource.Resource.__init__(self)

    # the path, one segment of it, names the user
    def getChild(self, username, request):
        username = username.decode("utf-8", "replace")  # departure: text inside
        messagevalue = self.users.get(username)
        username = html.escape(username)  # departure: html.escape for cgi.escape
        if messagevalue is not None:
            messagevalue = html.escape(messagevalue)
            text = f"<h1>{username}</h1><p>{messagevalue}</p>"
        else:
            text = f"<h1>{username}</h1><p>No such user</p>"
        return contract.Data(text, "text/html")  # departure: twisted.web.static warns


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
        r = FingerResource(self.users)
        return r

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
