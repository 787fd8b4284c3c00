"""Finger, step 3: drop connections (finger03.py).

"The Evolution of Finger": Drop Connections.
Changed since step 2: FingerProtocol.connectionMade closes each connection.

    python finger/finger03.py        then: telnet localhost 1079  ->  Connection closed

Departures, marked "departure" below; what every step shares is in contract.py:
- where: --port or FINGER_PORT (0: a free one), on FINGER_IFACE (127.0.0.1); an address line
- every connection: at most FINGER_TIMEOUT (60) seconds and FINGER_MAX_BYTES (65536) bytes
"""

import contract
from twisted.internet import protocol, reactor


class FingerProtocol(protocol.Protocol):
    def connectionMade(self):
        self.transport.loseConnection()


class FingerFactory(protocol.ServerFactory):
    protocol = FingerProtocol


fingerEndpoint = contract.serverFromString(reactor, "tcp:1079")  # departure: where, said
fingerEndpoint.listen(FingerFactory())
reactor.run()
