"""The protocol interface: every call the framework makes, in order.

"Writing Servers in Twisted", Twisted's old howto: its part "Writing
protocols". No original file: the howto only lists the methods.

    python writing-servers/protocol-calls.py --port 10000
    printf 'hello\n' | nc -N 127.0.0.1 10000      (in another terminal)

For each connection the reactor asks the factory for a protocol
(buildProtocol), hands it the transport (makeConnection, which sets
.transport and calls connectionMade), calls dataReceived with each chunk
of bytes as it arrives, and calls connectionLost once at the end. This
server prints each of those calls as it happens, and echoes what it
receives, so you can watch the order for yourself:

    echo listening on 127.0.0.1:10000
    buildProtocol IPv4Address(type='TCP', host='127.0.0.1', port=53210)
    makeConnection IPv4Address(type='TCP', host='127.0.0.1', port=53210)
    connectionMade
    dataReceived 'hello\\n'
    readConnectionLost
    connectionLost ConnectionDone

and nc prints `hello`. readConnectionLost is the one call the howto does
not list: `nc -N` shuts its sending side once its input ends (a
half-close), often in the same instant as the data. A protocol that
provides IHalfCloseableProtocol hears of that as readConnectionLost, and
can still answer; one that does not is told connectionLost at once, and
its echo, still queued, is thrown away. So this one provides it, and
closes only once the echo has gone (loseConnection sends what is queued
first).

Departures from the howto: makeConnection takes only the transport (the
howto's `server` argument is gone); the howto's connectionFailed belongs to
client factories today (clientConnectionFailed); getPeer() returns an
IPv4Address, not an ('INET', host, port) tuple; the protocol also takes
a half-close (IHalfCloseableProtocol, readConnectionLost), which the howto
does not cover.
"""

import argparse
import sys

from zope.interface import implementer

from twisted.internet.error import CannotListenError
from twisted.internet.interfaces import IHalfCloseableProtocol
from twisted.internet.protocol import Factory, Protocol


def say(*words):
    print(*words, flush=True)


@implementer(IHalfCloseableProtocol)
class LoggingProtocol(Protocol):
    """Prints each call the framework makes, then does what Protocol does."""

    def makeConnection(self, transport):
        say("makeConnection", transport.getPeer())
        super().makeConnection(transport)  # sets .transport, calls connectionMade

    def connectionMade(self):
        say("connectionMade")

    def dataReceived(self, data):
        # Text inside: show the bytes as text (repr of a str, never b'...').
        say("dataReceived", repr(data.decode("utf-8", "replace")))
        self.transport.write(data)

    def readConnectionLost(self):
        # The client will send no more (a half-close): echo what is queued,
        # then close.
        say("readConnectionLost")
        self.transport.loseConnection()

    def writeConnectionLost(self):
        say("writeConnectionLost")  # only after loseWriteConnection: not here

    def connectionLost(self, reason):
        say("connectionLost", reason.type.__name__)


class LoggingFactory(Factory):
    protocol = LoggingProtocol

    def buildProtocol(self, addr):
        say("buildProtocol", addr)
        return super().buildProtocol(addr)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="An echo server that prints every call its protocol gets.")
    parser.add_argument("--port", type=int, default=0,
                        help="port to listen on (default: a free port)")
    parser.add_argument("--iface", default="127.0.0.1",
                        help="interface to listen on (default: 127.0.0.1)")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"argument --port: {args.port} is not a port number")

    from twisted.internet import reactor

    try:
        port = reactor.listenTCP(args.port, LoggingFactory(), interface=args.iface)
    except CannotListenError as e:
        sys.exit(f"protocol-calls.py: cannot listen on {args.iface}:{args.port}: "
                 f"{getattr(e.socketError, 'strerror', None) or e.socketError}")
    say(f"echo listening on {args.iface}:{port.getHost().port}")
    reactor.run()


if __name__ == "__main__":
    main()
