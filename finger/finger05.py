"""Finger, step 5: read username, output error.

Tutorial: "The Evolution of Finger", "Read Username, Output Error" (no
annotation).
Changed since step 4: before closing, FingerProtocol answers
"No such user", whoever is asked about.

    python finger/finger05.py            (then: telnet localhost 1079, type moshez)
    No such user

Departures from the original listing: those of step 4, and the answer goes
out as bytes (`b"No such user\r\n"`). A query longer than MAX_LENGTH is
answered "Query too long" instead of being cut off silently.
"""

import argparse
import os
import sys

from twisted.internet import protocol, reactor
from twisted.internet.error import CannotListenError
from twisted.protocols import basic


class FingerProtocol(basic.LineReceiver):
    # Split on LF, so a bare LF ends a query as well as CRLF.
    delimiter = b"\n"
    MAX_LENGTH = 1024

    def lineReceived(self, user):
        self.transport.write(b"No such user\r\n")
        self.transport.loseConnection()

    def lineLengthExceeded(self, line):
        if not self.transport.disconnecting:
            self.transport.write(b"Query too long\r\n")
            self.transport.loseConnection()


class FingerFactory(protocol.ServerFactory):
    protocol = FingerProtocol


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
