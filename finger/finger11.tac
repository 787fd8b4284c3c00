"""Finger, step 11: use Application (finger11.tac).

"The Evolution of Finger": Use Application; annotations sections 12 and 13.
Changed since step 10: the users of step 8 again, in a tac file: `application`
is what twistd runs, and a service listens for it. Section 12 compares
internet.TCPServer with reactor.listenTCP; today's listing says the same with
strports.service, the application-aware counterpart of step 2's endpoint: a
service that listens when twistd starts the application.

    FINGER_PORT=1079 twistd -ny finger/finger11.tac    then: echo moshez | nc -N localhost 1079
    as root, on the text's port 79: twistd -ny finger/finger11.tac, then: finger moshez@localhost

Departures, marked "departure" below; what every step shares is in contract.py:
- where: FINGER_PORT (0: a free one), on FINGER_IFACE (127.0.0.1); an address line in the log
- every connection: at most FINGER_TIMEOUT (60) seconds and FINGER_MAX_BYTES (65536) bytes
- contract.LineReceiver: a bare LF ends a line too; over 1024 bytes is "Query too long"
- text inside, bytes at the edge: the name decoded from UTF-8 (RFC 1288's /W dropped)
- zoë, a second user, whose name is not ASCII
- ask(): one query a connection, cancelled if the client hangs up; onError logs once
- no uid=1, gid=1, which makes twistd exit for anyone but root (twistd -u, -g)
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

    def __init__(self, users):
        self.users = users

    def getUser(self, user):
        return defer.succeed(self.users.get(user, "No such user"))


application = service.Application("finger")  # departure: no uid=1, gid=1
factory = FingerFactory({"moshez": "Happy and well", "zo\u00eb": "Tr\u00e8s bien, merci"})
contract.service("tcp:79", factory).setServiceParent(  # departure: where, said
    service.IServiceCollection(application))
