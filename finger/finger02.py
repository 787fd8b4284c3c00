"""Finger, step 2: do nothing (finger02.py).

"The Evolution of Finger": Do Nothing; annotations section 3.
Changed since step 1: a protocol, a factory, and a port that listens with them.
A client connects, and nothing ever comes back. The annotations speak of
reactor.listenTCP, which this listing used before Twisted's endpoints: today
serverFromString(reactor, "tcp:1079") names the port, and listen(factory)
opens it and uses the factory for every connection.

    python finger/finger02.py        then: telnet localhost 1079  ->  (nothing)

Departures, marked "departure" below; what every step shares is in contract.py:
- where: --port or FINGER_PORT (0: a free one), on FINGER_IFACE (127.0.0.1); an address line
- every connection: at most FINGER_TIMEOUT (60) seconds and FINGER_MAX_BYTES (65536) bytes
"""

import contract
from twisted.internet import protocol, reactor


class FingerProtocol(protocol.Protocol):
    pass


class FingerFactory(protocol.ServerFactory):
    protocol = FingerProtocol


fingerEndpoint = contract.serverFromString(reactor, "tcp:1079")  # departure: where, said
fingerEndpoint.listen(FingerFactory())
reactor.run()
