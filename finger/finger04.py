"""Finger, step 4: read username, drop connections.

Tutorial: "The Evolution of Finger", "Read Username, Drop Connections" (no
annotation).
Changed since step 3: FingerProtocol is a LineReceiver; it waits for one
line (the user name) and then closes, still without an answer.

    python finger/finger04.py            (then: telnet localhost 1079, type moshez)

Departures from the original listing: those of step 2, and a line may end
with a bare LF as well as CRLF, so that `echo moshez | nc localhost 1079`
works like telnet (LineReceiver's default delimiter is CRLF alone). A line
longer than MAX_LENGTH closes the connection (LineReceiver's default).
"""

import argparse
import os
import sys

from twisted.internet import protocol, reactor
from twisted.internet.error import CannotListenError
from twisted.protocols import basic


class FingerProtocol(basic.LineReceiver):
    # Split on LF; a CR before it is stripped where a line is used.
    delimiter = b"\n"

    def lineReceived(self, user):
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
