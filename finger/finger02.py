"""Finger, step 2: do nothing.

Tutorial: "The Evolution of Finger", "Do Nothing" (annotations, section 3).
Changed since step 1: a FingerProtocol that does nothing and a FingerFactory
that makes one per connection; the reactor listens on port 1079.

A client can connect now, but nothing answers and nothing closes: type a
name, press Enter, and wait forever (leave telnet with Ctrl-] and "quit",
nc with Ctrl-C):

    python finger/finger02.py            (then: telnet localhost 1079)
    FINGER_PORT=0 python finger/finger02.py        (a free port)

Departures from the original listing: the port comes from `--port` or
FINGER_PORT (default 1079, as in the text) and the interface from
FINGER_IFACE (default 127.0.0.1, where the original listened on every
interface); the program prints "finger listening on HOST:PORT"; a bad port,
or one that cannot be bound, is one line and exit status 1 or 2.
"""

import argparse
import os
import sys

from twisted.internet import protocol, reactor
from twisted.internet.error import CannotListenError


class FingerProtocol(protocol.Protocol):
    pass


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
