"""Finger, step 8: use Deferreds.

Tutorial: "The Evolution of Finger", "Use Deferreds" (annotations,
section 9).
Changed since step 7: getUser returns a Deferred (here one that has already
fired, from defer.succeed). The protocol adds an errback that turns any
failure into "Internal error in server", then a callback that writes the
answer and closes.

    python finger/finger08.py            (then: telnet localhost 1079, type moshez)
    Happy and well

Departures from the original listing: those of step 7, and:
- the errback also logs the failure (once), so an internal error is not
  silent; a last errback closes the connection whatever happens, so no
  client ever waits for an answer that will not come;
- getUser is called through maybeDeferred, so a getUser that raises is an
  internal error too, not a dropped query;
- after the first line the protocol reads no more: one query per connection;
  a client that sends no line within 60 seconds is hung up on
  (TimeoutMixin);
- the program logs to standard output (Twisted's logger), which a script
  does not do by itself.
"""

import argparse
import os
import sys

from twisted.internet import defer, protocol, reactor
from twisted.internet.error import CannotListenError
from twisted.logger import Logger, globalLogBeginner, textFileLogObserver
from twisted.protocols import basic, policies

log = Logger(namespace="finger")


def query_user(line):
    """The user a finger query asks about, as text.

    Bytes come in; the rest of the program sees str. A leading /W (RFC 1288's
    "verbose" switch) is ignored, so "/W moshez" asks about moshez."""
    query = line.decode("utf-8", errors="replace").strip()
    if query[:2].upper() == "/W" and query[2:3] in ("", " ", "\t"):
        query = query[2:].strip()
    return query


class FingerProtocol(basic.LineReceiver, policies.TimeoutMixin):
    # Split on LF, so a bare LF ends a query as well as CRLF.
    delimiter = b"\n"
    MAX_LENGTH = 1024
    # Seconds a client gets to send its query; a silent one is hung up on.
    timeOut = 60

    def connectionMade(self):
        self.setTimeout(self.timeOut)

    def connectionLost(self, reason):
        self.setTimeout(None)

    def lineReceived(self, line):
        # One query per connection: stop reading lines.
        self.setTimeout(None)
        self.pauseProducing()
        d = defer.maybeDeferred(self.factory.getUser, query_user(line))
        d.addErrback(self.internalError)
        d.addCallback(self.answer)
        d.addErrback(self.unanswerable)

    def internalError(self, failure):
        log.failure("finger query failed", failure)
        return "Internal error in server"

    def answer(self, message):
        self.transport.write(message.encode("utf-8") + b"\r\n")
        self.transport.loseConnection()

    def unanswerable(self, failure):
        # Only a bug in answer() gets here; log it and hang up.
        log.failure("could not send a finger answer", failure)
        self.transport.loseConnection()

    def lineLengthExceeded(self, line):
        if not self.transport.disconnecting:
            self.transport.write(b"Query too long\r\n")
            self.transport.loseConnection()


class FingerFactory(protocol.ServerFactory):
    protocol = FingerProtocol

    def __init__(self, **users):
        self.users = users

    def getUser(self, user):
        return defer.succeed(self.users.get(user, "No such user"))


# --- configuration: the same in every script step --------------------------

NAME = os.path.basename(__file__)


def port_number(text):
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 0 to 65535, not {text!r}")
    return int(text)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog=NAME, description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=port_number,
                        help="port to listen on, 0 for a free one (default: FINGER_PORT or 1079)")
    args = parser.parse_args(argv)
    if args.port is None:  # --port wins over FINGER_PORT
        try:
            args.port = port_number(os.environ.get("FINGER_PORT", "1079"))
        except argparse.ArgumentTypeError as e:
            sys.exit(f"{NAME}: FINGER_PORT {e}")
    args.iface = os.environ.get("FINGER_IFACE", "127.0.0.1")
    return args


def listen(factory, args):
    """Listen, and print the address line, or exit with one line."""
    try:
        port = reactor.listenTCP(args.port, factory, interface=args.iface)
    except CannotListenError as e:
        sys.exit(f"{NAME}: {e}")
    address = port.getHost()
    print(f"finger listening on {address.host}:{address.port}", flush=True)


def main(argv=None):
    args = parse_args(argv)
    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stdout)],
                                     redirectStandardIO=False)
    listen(FingerFactory(moshez="Happy and well", zoë="Très bien, merci"), args)
    reactor.run()


if __name__ == "__main__":
    main()
