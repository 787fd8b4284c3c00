"""Finger, step 1: refuse connections (finger01.py).

"The Evolution of Finger": Refuse Connections; annotations sections 2 and 2a.
Only the reactor runs; nothing listens, so a client is refused.

    python finger/finger01.py        then: telnet localhost 1079  ->  Connection refused

Departures, marked "departure" below; what every step shares is in contract.py:
- a line saying where nothing listens, so that a reader knows it runs
"""

import contract
from twisted.internet import reactor

contract.refuse("tcp:1079")  # departure: says where nothing listens
reactor.run()
