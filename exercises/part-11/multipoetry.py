"""Multi-poem Fast Poetry Server -- Part 11, exercise 4.

Original: none; the exercise asks for it, building on fast poetry 1.0
(twisted-server-1/fastpoetry.py, here twisted-server/fastpoetry-1.0.py).

The exercise: extend the high-level Twisted server so one process serves
several poems, each on its own port. Nothing new is needed from Twisted:
one PoetryFactory per poem and one listenTCP per factory, all on the same
reactor. Each argument is POEM or POEM:PORT (no port: a random free one).

    python exercises/part-11/multipoetry.py poetry/ecstasy.txt:10001 poetry/science.txt:10002

Departure from the text: a port already in use is one line on stderr,
"multipoetry.py: cannot listen on localhost:10002: Address already in use",
and exit status 1, not a traceback.
"""

import argparse
import sys

from twisted.internet.error import CannotListenError
from twisted.internet.protocol import Protocol, ServerFactory


def poem_spec(text):
    """POEM[:PORT] -> (path, port); the port defaults to 0 (any free port)."""
    path, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        return text, 0
    port = int(port)
    if port > 65535:
        raise argparse.ArgumentTypeError(f"{text!r}: {port} is not a port number")
    return path, port


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Serve several poems from one process, each on its own port.",
        epilog="Example: %(prog)s poetry/ecstasy.txt:10001 poetry/science.txt:10002",
    )
    parser.add_argument("poems", metavar="POEM[:PORT]", nargs="+", type=poem_spec,
                        help="a poem file, optionally with the port to serve it on")
    parser.add_argument("--iface", default="localhost",
                        help="interface to listen on (default: localhost)")
    args = parser.parse_args(argv)
    args.loaded = []
    for path, port in args.poems:
        try:
            with open(path, "rb") as f:
                args.loaded.append((path, port, f.read()))
        except OSError as e:
            parser.error(f"cannot read poem {path!r}: {e.strerror}")
    used = [port for _, port, _ in args.loaded if port]
    if len(used) != len(set(used)):
        parser.error("each poem needs a port of its own")
    return args


class PoetryProtocol(Protocol):

    def connectionMade(self):
        self.transport.write(self.factory.poem)
        self.transport.loseConnection()


class PoetryFactory(ServerFactory):

    protocol = PoetryProtocol

    def __init__(self, poem):
        self.poem = poem


def listen(reactor, port, factory, iface):
    """reactor.listenTCP; a port in use is one line and exit 1."""
    try:
        return reactor.listenTCP(port, factory, interface=iface)
    except CannotListenError as e:
        sys.exit(f"multipoetry.py: cannot listen on {iface}:{port}: {e.socketError.strerror}")


def main(argv=None):
    args = parse_args(argv)

    from twisted.internet import reactor

    # One factory per poem, one listening port per factory, one reactor.
    # Every port is bound before any is announced.
    ports = [(path, listen(reactor, port_number, PoetryFactory(poem), args.iface))
             for path, port_number, poem in args.loaded]
    for path, port in ports:
        print(f"Serving {path} on {port.getHost()}.", flush=True)

    reactor.run()


if __name__ == "__main__":
    main()
