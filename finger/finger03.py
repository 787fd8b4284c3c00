"""Finger, step 3: drop connections.

Tutorial: "The Evolution of Finger", "Drop Connections" (no annotation).
Changed since step 2: FingerProtocol closes the connection as soon as it is
made.

A client is let in and shown the door at once: telnet says "Connection
closed by foreign host", and a finger client prints nothing.

    python finger/finger03.py            (then: telnet localhost 1079)

Departures from the original listing: those of step 2 (port from `--port`
or FINGER_PORT, interface from FINGER_IFACE, the address line, one-line
errors).
"""

import argparse
import os
import sys

from twisted.internet import protocol, reactor
from twisted.internet.error import CannotListenError


class FingerProtocol(protocol.Protocol):
    def connectionMade(self):
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
