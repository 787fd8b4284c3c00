"""Fast Poetry Server 1.0 -- Part 11, "Your Poetry is Served".

Original: twisted-server-1/fastpoetry.py

Serves one poem to every client as fast as it can: on each connection the
whole file is written and the connection closed. The poem is read as bytes,
so what goes on the wire is exactly the file, whatever its encoding.

Faithful to the text, it listens with listenTCP's default backlog of 50:
in a burst of about a thousand connects some clients stall for ever. The
tac, `twistd fastpoetry` and proxy 4.0 pass a backlog of 1024.

    python twisted-server/fastpoetry-1.0.py --port 10000 poetry/ecstasy.txt

Departure from the text: a port already in use is one line on stderr,
"fastpoetry-1.0.py: cannot listen on localhost:10000: Address already in
use", and exit status 1, not a traceback.
"""

import argparse
import sys

from twisted.internet.error import CannotListenError
from twisted.internet.protocol import Protocol, ServerFactory


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Serve a poem, fast, to every client that connects.",
        epilog="Example: %(prog)s --port 10000 poetry/ecstasy.txt",
    )
    parser.add_argument("poetry_file", metavar="POEM",
                        help="the text file holding the poem")
    parser.add_argument("--port", type=int, default=0,
                        help="port to listen on (default: a random free port)")
    parser.add_argument("--iface", default="localhost",
                        help="interface to listen on (default: localhost)")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"argument --port: {args.port} is not a port number")
    # Read the poem now, so a missing file is a usage error before we bind.
    try:
        with open(args.poetry_file, "rb") as f:
            args.poem = f.read()
    except OSError as e:
        parser.error(f"cannot read poem {args.poetry_file!r}: {e.strerror}")
    return args


class PoetryProtocol(Protocol):

    def connectionMade(self):
        self.transport.write(self.factory.poem)
        # Closes once everything written so far has been sent.
        self.transport.loseConnection()


class PoetryFactory(ServerFactory):

    protocol = PoetryProtocol

    def __init__(self, poem):
        self.poem = poem


def main(argv=None):
    args = parse_args(argv)

    factory = PoetryFactory(args.poem)

    from twisted.internet import reactor

    try:
        port = reactor.listenTCP(args.port, factory, interface=args.iface)
    except CannotListenError as e:
        sys.exit(f"fastpoetry-1.0.py: cannot listen on {args.iface}:{args.port}: "
                 f"{e.socketError.strerror}")

    print(f"Serving {args.poetry_file} on {port.getHost()}.", flush=True)

    reactor.run()


if __name__ == "__main__":
    main()
