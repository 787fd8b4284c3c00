r"""Finger, step 13: use services to make dependencies sane (finger13.tac).

"The Evolution of Finger": Use Services to Make Dependencies Sane; annotations section 15.
Changed since step 12: no factory classes of our own. FingerService holds the users
and the methods both servers need, getUser and setUser; getFingerFactory and
getFingerSetterFactory each make a plain ServerFactory and give it its protocol and
the one method it needs, as a function attribute. The users are a dict again.
Section 15 says setUser is the users dict's own __setitem__; today's listing
writes a setUser method.

    FINGER_PORT=1079 FINGER_SETTER_PORT=1080 twistd -ny finger/finger13.tac
    then: printf 'moshez\nOut to lunch\n' | nc -N localhost 1080
    and:  echo moshez | nc -N localhost 1079  ->  Out to lunch

Departures, marked "departure" below; what every step shares is in contract.py:
- where: FINGER_PORT (0: a free one), on FINGER_IFACE (127.0.0.1); an address line in the log
- every connection: at most FINGER_TIMEOUT (60) seconds and FINGER_MAX_BYTES (65536) bytes
- contract.LineReceiver: a bare LF ends a line too; over 1024 bytes is "Query too long"
- text inside, bytes at the edge: the name decoded from UTF-8 (RFC 1288's /W dropped)
- zoë, a second user, whose name is not ASCII
- ask(): one query a connection, cancelled if the client hangs up; onError logs once
- no uid=1, gid=1, which makes twistd exit for anyone but root (twistd -u, -g)
- the setter on FINGER_SETTER_PORT, on 127.0.0.1 only: whoever reaches it sets any status
- settable(): a plain user name and a status, or nothing is set and the log says why
- contract.Users: at most FINGER_MAX_USERS (10000) users, so setters cannot fill memory
"""

from finger import contract
from twisted.application import service
from twisted.internet import defer, protocol


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


class FingerSetterProtocol(contract.LineReceiver):  # departure: basic.LineReceiver, bounded
    def connectionMade(self):
        self.lines = []

    def lineReceived(self, line):
        self.lines.append(line)

    def connectionLost(self, reason):
        if contract.settable(self):  # departure: two good lines, as text, or logged
            user = self.lines[0]
            status = self.lines[1]
            self.factory.setUser(user, status)


class FingerService(service.Service):
    def __init__(self, users):
        self.users = contract.Users(users)  # departure: bounded

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


application = service.Application("finger")  # departure: no uid=1, gid=1
f = FingerService({"moshez": "Happy and well", "zo\u00eb": "Tr\u00e8s bien, merci"})
serviceCollection = service.IServiceCollection(application)
contract.service("tcp:79", f.getFingerFactory()  # departure: where, said
                 ).setServiceParent(serviceCollection)
contract.service("tcp:1079:interface=127.0.0.1", f.getFingerSetterFactory(), "setter"  # loopback
                 ).setServiceParent(serviceCollection)
