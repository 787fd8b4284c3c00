"""Finger, step 8: use Deferreds (finger08.py).

"The Evolution of Finger": Use Deferreds; annotations section 9.
Changed since step 7: getUser returns a Deferred (defer.succeed), and
lineReceived adds an errback, onError, before its callback, writeResponse.
FingerFactory takes the users as a dict, as the listing does from here on.

    python finger/finger08.py        then: echo moshez | nc -N localhost 1079  ->  Happy and well

Departures, marked "departure" below; what every step shares is in contract.py:
- where: --port or FINGER_PORT (0: a free one), on FINGER_IFACE (127.0.0.1); an address line
- every connection: at most FINGER_TIMEOUT (60) seconds and FINGER_MAX_BYTES (65536) bytes
- contract.LineReceiver: a bare LF ends a line too; over 1024 bytes is "Query too long"
- text inside, bytes at the edge: the name decoded from UTF-8 (RFC 1288's /W dropped)
- zoë, a second user, whose name is not ASCII
- ask(): one query a connection, cancelled if the client hangs up; onError logs once
"""

import contract
from twisted.internet import defer, protocol, reactor


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


fingerEndpoint = contract.serverFromString(reactor, "tcp:1079")  # departure: where, said
fingerEndpoint.listen(FingerFactory({"moshez": "Happy and well", "zoë": "Très bien, merci"}))
reactor.run()
