"""Fast Poetry Server, netstring edition -- Part 12, exercise 6 (server half).

Original: none; the exercise asks for it, changing fast poetry 1.0
(twisted-server-1/fastpoetry.py, here twisted-server/fastpoetry-1.0.py).

The exercise: make the original poetry client and server send the poem as
a netstring. A plain poem just stops when the connection closes, so a
client cannot tell a whole poem from one cut off by a crash; a netstring
starts with its length, so it can. The client half is
get-poetry-netstring.py next to this file.

--cut N is for trying that out: the server sends only the first N bytes of
the netstring and hangs up, as if it had crashed mid-poem.

    python exercises/part-12/fastpoetry-netstring.py --port 10000 poetry/ecstasy.txt
    python exercises/part-12/fastpoetry-netstring.py --port 10001 --cut 100 poetry/science.txt

Departure from the text: a port already in use is one line on stderr,
"fastpoetry-netstring.py: cannot listen on localhost:10003: Address already
in use", and exit status 1, not a traceback.
"""

import argparse
import sys

from twisted.internet.error import CannotListenError
from twisted.internet.protocol import ServerFactory
from twisted.protocols.basic import NetstringReceiver


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Serve a poem as one netstring, fast, to every client.",
        epilog="Example: %(prog)s --port 10000 poetry/ecstasy.txt",
    )
    parser.add_argument("poetry_file", metavar="POEM",
                        help="the text file holding the poem")
    parser.add_argument("--port", type=int, default=0,
                        help="port to listen on (default: a random free port)")
    parser.add_argument("--iface", default="localhost",
                        help="interface to listen on (default: localhost)")
    parser.add_argument("--cut", type=int, default=None, metavar="N",
                        help="send only the first N bytes, then hang up (a demo of truncation)")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"argument --port: {args.port} is not a port number")
    if args.cut is not None and args.cut < 0:
        parser.error("argument --cut: must not be negative")
    try:
        with open(args.poetry_file, "rb") as f:
            args.poem = f.read()
    except OSError as e:
        parser.error(f"cannot read poem {args.poetry_file!r}: {e.strerror}")
    return args


class PoetryProtocol(NetstringReceiver):

    def connectionMade(self):
        if self.factory.cut is None:
            self.sendString(self.factory.poem)
        else:
            whole = b"%d:%s," % (len(self.factory.poem), self.factory.poem)
            self.transport.write(whole[:self.factory.cut])
        self.transport.loseConnection()

    def stringReceived(self, string):
        # Clients have nothing to say in this protocol.
        self.transport.loseConnection()


class PoetryFactory(ServerFactory):

    protocol = PoetryProtocol

    def __init__(self, poem, cut=None):
        self.poem = poem
        self.cut = cut


def main(argv=None):
    args = parse_args(argv)

    factory = PoetryFactory(args.poem, args.cut)

    from twisted.internet import reactor

    try:
        port = reactor.listenTCP(args.port, factory, interface=args.iface)
    except CannotListenError as e:
        sys.exit(f"fastpoetry-netstring.py: cannot listen on {args.iface}:{args.port}: "
                 f"{e.socketError.strerror}")

    print(f"Serving {args.poetry_file} on {port.getHost()}.", flush=True)

    reactor.run()


if __name__ == "__main__":
    main()
