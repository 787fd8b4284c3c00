"""Finger, step 6: output from empty factory (finger06.py).

"The Evolution of Finger": Output From Empty Factory.
Changed since step 5: the answer comes from FingerFactory.getUser, which
knows nobody yet.

    python finger/finger06.py        then: echo moshez | nc -N localhost 1079  ->  No such user

Departures, marked "departure" below; what every step shares is in contract.py:
- where: --port or FINGER_PORT (0: a free one), on FINGER_IFACE (127.0.0.1); an address line
- every connection: at most FINGER_TIMEOUT (60) seconds and FINGER_MAX_BYTES (65536) bytes
- contract.LineReceiver: a bare LF ends a line too; over 1024 bytes is "Query too long"
- text inside, bytes at the edge: the name decoded from UTF-8 (RFC 1288's /W dropped)
"""

import contract
from twisted.internet import protocol, reactor


class FingerProtocol(contract.LineReceiver):  # departure: basic.LineReceiver, bounded
    def lineReceived(self, user):
        answer = self.factory.getUser(contract.user(user))  # departure: text inside
        self.transport.write(answer.encode("utf-8") + b"\r\n")  # bytes at the edge
        self.transport.loseConnection()


class FingerFactory(protocol.ServerFactory):
    protocol = FingerProtocol

    def getUser(self, user):
        return "No such user"


fingerEndpoint = contract.serverFromString(reactor, "tcp:1079")  # departure: where, said
fingerEndpoint.listen(FingerFactory())
reactor.run()
