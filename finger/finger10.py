"""Finger, step 10: read status from the web (finger10.py).

"The Evolution of Finger": Read Status from the Web; annotations section 11.
Changed since step 9: getUser fetches the page at a prefix plus the user name;
a Deferred again, so lineReceived does not change.

    FINGER_WEB_PREFIX=http://127.0.0.1:8080/~ python finger/finger10.py
    then: echo moshez | nc -N localhost 1079  ->  the text of http://127.0.0.1:8080/~moshez

Departures, marked "departure" below; what every step shares is in contract.py:
- where: --port or FINGER_PORT (0: a free one), on FINGER_IFACE (127.0.0.1); an address line
- every connection: at most FINGER_TIMEOUT (60) seconds and FINGER_MAX_BYTES (65536) bytes
- contract.LineReceiver: a bare LF ends a line too; over 1024 bytes is "Query too long"
- text inside, bytes at the edge: the name decoded from UTF-8 (RFC 1288's /W dropped)
- ask(): one query a connection, cancelled if the client hangs up; onError logs once
- contract.getPage for the removed getPage: Agent, 10 s, 64 KiB, a 404 is "No such user"
- the prefix from FINGER_WEB_PREFIX; the name percent-encoded
"""

from urllib.parse import quote

import contract
from twisted.internet import protocol, reactor


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

    def __init__(self, prefix):
        self.prefix = prefix

    def getUser(self, user):
        return contract.getPage(self.prefix + quote(user, safe=""))  # departure: Agent, bounded


fingerEndpoint = contract.serverFromString(reactor, "tcp:1079")  # departure: where, said
fingerEndpoint.listen(FingerFactory(prefix=contract.setting("FINGER_WEB_PREFIX")))
reactor.run()
