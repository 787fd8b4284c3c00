"""Finger, step 6: output from empty factory.

Tutorial: "The Evolution of Finger", "Output From Empty Factory" (no
annotation).
Changed since step 5: the answer comes from the factory's getUser, which
knows nobody yet; the protocol only reads the line and writes the answer.

    python finger/finger06.py            (then: telnet localhost 1079, type moshez)
    No such user

Departures from the original listing: those of step 5, and text inside,
bytes at the edge: the protocol decodes the query from UTF-8, getUser takes
and returns str, and the protocol encodes the answer. A leading "/W" is
ignored (RFC 1288).
"""

import argparse
import os
import sys

from twisted.internet import protocol, reactor
from twisted.internet.error import CannotListenError
from twisted.protocols import basic


def query_user(line):
    """The user a finger query asks about, as text.

    Bytes come in; the rest of the program sees str. A leading /W (RFC 1288's
    "verbose" switch) is ignored, so "/W moshez" asks about moshez."""
    query = line.decode("utf-8", errors="replace").strip()
    if query[:2].upper() == "/W" and query[2:3] in ("", " ", "\t"):
        query = query[2:].strip()
    return query


class FingerProtocol(basic.LineReceiver):
    # Split on LF, so a bare LF ends a query as well as CRLF.
    delimiter = b"\n"
    MAX_LENGTH = 1024

    def lineReceived(self, line):
        answer = self.factory.getUser(query_user(line))
        self.transport.write(answer.encode("utf-8") + b"\r\n")
        self.transport.loseConnection()

    def lineLengthExceeded(self, line):
        if not self.transport.disconnecting:
            self.transport.write(b"Query too long\r\n")
            self.transport.loseConnection()


class FingerFactory(protocol.ServerFactory):
    protocol = FingerProtocol

    def getUser(self, user):
        return "No such user"


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
    listen(FingerFactory(), args)
    reactor.run()


if __name__ == "__main__":
    main()
