"""Finger, step 9: run 'finger' locally (finger09.py).

"The Evolution of Finger": Run 'finger' Locally; annotations section 10.
Changed since step 8: getUser asks the system's finger program, through
getProcessOutput, which returns a Deferred: lineReceived does not change.

    python finger/finger09.py        then: echo root | nc -N localhost 1079  ->  what `finger root` says

Departures, marked "departure" below; what every step shares is in contract.py:
- where: --port or FINGER_PORT (0: a free one), on FINGER_IFACE (127.0.0.1); an address line
- every connection: at most FINGER_TIMEOUT (60) seconds and FINGER_MAX_BYTES (65536) bytes
- contract.LineReceiver: a bare LF ends a line too; over 1024 bytes is "Query too long"
- text inside, bytes at the edge: the name decoded from UTF-8 (RFC 1288's /W dropped)
- ask(): one query a connection, cancelled if the client hangs up; onError logs once
- contract.getProcessOutput: plain names only; stderr logged; killed after 10 s
"""

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

    def getUser(self, user):
        return contract.getProcessOutput("finger", [user])  # departure: plain names only


fingerEndpoint = contract.serverFromString(reactor, "tcp:1079")  # departure: where, said
fingerEndpoint.listen(FingerFactory())
reactor.run()
