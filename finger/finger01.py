"""Finger, step 1: refuse connections.

Tutorial: "The Evolution of Finger", "Refuse Connections" (annotations,
sections 2 and 2a).
Changed since the previous step: this is the first step.

Only the reactor runs. Nothing listens, so a finger client or telnet gets
"Connection refused":

    python finger/finger01.py            (then, elsewhere: telnet localhost 1079)

Departures from the original listing (which is the two lines at the
bottom): it says on standard output which address it is *not* listening on,
so that a reader (and the tests) know it is up; `--port`/FINGER_PORT and
FINGER_IFACE only change that message. Stop it with Ctrl-C.
"""

import argparse
import os
import sys


NAME = os.path.basename(__file__)


def port_number(text):
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 0 to 65535, not {text!r}")
    return int(text)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog=NAME, description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=port_number,
                        help="the port nothing listens on (default: FINGER_PORT or 1079)")
    args = parser.parse_args(argv)
    if args.port is None:  # --port wins over FINGER_PORT
        try:
            args.port = port_number(os.environ.get("FINGER_PORT", "1079"))
        except argparse.ArgumentTypeError as e:
            sys.exit(f"{NAME}: FINGER_PORT {e}")
    args.iface = os.environ.get("FINGER_IFACE", "127.0.0.1")
    return args


def main(argv=None):
    args = parse_args(argv)

    from twisted.internet import reactor

    print(f"finger is not listening on {args.iface}:{args.port}: connections are refused",
          flush=True)
    reactor.run()


if __name__ == "__main__":
    main()
