r"""Finger, step 12: setting message by local users (finger12.tac).

"The Evolution of Finger": Setting Message By Local Users; annotations section 14.
Changed since step 11: FingerFactory takes the users as keyword arguments again,
and a second server, FingerSetterFactory, listens on 1079: a client sends a user
name and a status on two lines and hangs up, and connectionLost calls setUser,
which changes the users of the FingerFactory the setter was given. Section 14 shows
these factories in an "orthodox" form beside the shortcuts the listing then used;
today's listing is the orthodox form.

    FINGER_PORT=1079 FINGER_SETTER_PORT=1080 twistd -ny finger/finger12.tac
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


class FingerFactory(protocol.ServerFactory):
    protocol = FingerProtocol

    def __init__(self, **kwargs):
        self.users = contract.Users(kwargs)  # departure: bounded

    def getUser(self, user):
        return defer.succeed(self.users.get(user, "No such user"))


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


class FingerSetterFactory(protocol.ServerFactory):
    protocol = FingerSetterProtocol

    def __init__(self, fingerFactory):
        self.fingerFactory = fingerFactory

    def setUser(self, user, status):
        self.fingerFactory.users[user] = status


ff = FingerFactory(moshez="Happy and well", **{"zo\u00eb": "Tr\u00e8s bien, merci"})
fsf = FingerSetterFactory(ff)

application = service.Application("finger")  # departure: no uid=1, gid=1
serviceCollection = service.IServiceCollection(application)
contract.service("tcp:79", ff).setServiceParent(serviceCollection)  # departure: where, said
contract.service("tcp:1079:interface=127.0.0.1", fsf, "setter").setServiceParent(  # loopback
    serviceCollection)
