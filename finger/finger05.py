"""Finger, step 5: read username, output error, drop connections (finger05.py).

"The Evolution of Finger": Read Username, Output Error, Drop Connections.
Changed since step 4: each user name is answered "No such user".

    python finger/finger05.py        then: echo moshez | nc -N localhost 1079  ->  No such user

Departures, marked "departure" below; what every step shares is in contract.py:
- where: --port or FINGER_PORT (0: a free one), on FINGER_IFACE (127.0.0.1); an address line
- every connection: at most FINGER_TIMEOUT (60) seconds and FINGER_MAX_BYTES (65536) bytes
- contract.LineReceiver: a bare LF ends a line too; over 1024 bytes is "Query too long"
"""

import contract
from twisted.internet import protocol, reactor


class FingerProtocol(contract.LineReceiver):  # departure: basic.LineReceiver, bounded
    def lineReceived(self, user):
        self.transport.write(b"No such user\r\n")
        self.transport.loseConnection()


class FingerFactory(protocol.ServerFactory):
    protocol = FingerProtocol


fingerEndpoint = contract.serverFromString(reactor, "tcp:1079")  # departure: where, said
fingerEndpoint.listen(FingerFactory())
reactor.run()
