"""Finger, step 7: output from non-empty factory (finger07.py).

"The Evolution of Finger": Output from Non-empty Factory; annotations section 8.
Changed since step 6: FingerFactory keeps users, and getUser looks them up
with dict.get, whose default is the "not found" answer. As section 8 describes,
the users are keyword arguments (today's listing passes a dict, as step 8 does).

    python finger/finger07.py        then: echo moshez | nc -N localhost 1079  ->  Happy and well

Departures, marked "departure" below; what every step shares is in contract.py:
- where: --port or FINGER_PORT (0: a free one), on FINGER_IFACE (127.0.0.1); an address line
- every connection: at most FINGER_TIMEOUT (60) seconds and FINGER_MAX_BYTES (65536) bytes
- contract.LineReceiver: a bare LF ends a line too; over 1024 bytes is "Query too long"
- text inside, bytes at the edge: the name decoded from UTF-8 (RFC 1288's /W dropped)
- zoë, a second user, whose name is not ASCII
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

    def __init__(self, **kwargs):
        self.users = kwargs

    def getUser(self, user):
        return self.users.get(user, "No such user")


fingerEndpoint = contract.serverFromString(reactor, "tcp:1079")  # departure: where, said
fingerEndpoint.listen(FingerFactory(moshez="Happy and well", zoë="Très bien, merci"))
reactor.run()
