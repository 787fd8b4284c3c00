"""Minimal Twisted poetry server: the Twisted yardstick of bench/.

The smallest Twisted program that does what the fast poetry server does:
listenTCP, and on each connection write the poem and loseConnection. No
logging. It is fastpoetry 1.0 (Part 11) with one change: a listen backlog
of 1024, the same as the plugin and the asyncio servers here, so a burst
of connects is not dropped by the kernel and retried a second later (1.0
keeps the text's default of 50, which the closed-loop load overflows).

    python bench/twisted_server.py --port 0 poetry/ecstasy.txt
"""

import argparse

from twisted.internet import reactor
from twisted.internet.protocol import Protocol, ServerFactory


class Poem(Protocol):

    def connectionMade(self):
        self.transport.write(self.factory.poem)
        self.transport.loseConnection()


def main(argv=None):
    parser = argparse.ArgumentParser(description="Minimal Twisted poetry server.")
    parser.add_argument("poetry_file", metavar="POEM")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--backlog", type=int, default=1024)
    args = parser.parse_args(argv)
    factory = ServerFactory.forProtocol(Poem)
    with open(args.poetry_file, "rb") as f:
        factory.poem = f.read()
    port = reactor.listenTCP(args.port, factory, backlog=args.backlog,
                             interface="127.0.0.1")
    print(f"Serving {args.poetry_file} on port {port.getHost().port}.", flush=True)
    reactor.run()


if __name__ == "__main__":
    main()
