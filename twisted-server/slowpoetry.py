"""Slow Poetry Server (Twisted) -- Part 11, exercise 3.

Original: the exercise asks for it; the blocking version is
blocking-server/slowpoetry.py (Part 2).

Like the fast server, but it sends NUM_BYTES of the poem every DELAY
seconds, to every client at once. Unlike the blocking server, one process
serves thousands of clients concurrently.

Design: one timer for the whole server, not one per connection. A single
LoopingCall ticks every DELAY seconds and writes the next chunk to each
connected client; it runs only while someone is connected. A client gets
its first chunk at once, on connect, and the rest on the shared ticks, so a
poem of K chunks arrives within (K - 1) * DELAY. Scheduling one callLater per
connection per chunk costs a heap operation each time, and with thousands
of clients delivery falls well behind the nominal time.

The tick catches up rather than skipping. A plain LoopingCall skips the
intervals it missed, so once one tick (with thousands of writes) takes
longer than DELAY, every client waits two intervals for its next chunk.
Made with LoopingCall.withCount, the tick learns how many intervals have
passed and sends that many chunks at once, so each client stays on
schedule. What this buys, measured with thousands of clients, is in
bench/README.md. A client that leaves early is simply dropped from the
set, so no timer can fire into a closed transport.

Catching up covers only time while clients are connected. Each time the
server goes from idle to busy it starts a fresh withCount loop: a restarted
one would count the idle spell too, and the first client after a pause
would get all of that time's chunks at once.

    python twisted-server/slowpoetry.py --port 10000 --num-bytes 30 --delay 0.1 poetry/ecstasy.txt

Departure from the text: a port already in use is one line on stderr,
"slowpoetry.py: cannot listen on localhost:10000: Address already in use",
and exit status 1, not a traceback.
"""

import argparse
import sys

from twisted.internet.error import CannotListenError
from twisted.internet.protocol import Protocol, ServerFactory
from twisted.internet.task import LoopingCall


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Serve a poem slowly, a few bytes at a time, to many clients.",
        epilog="Example: %(prog)s --port 10000 --delay 0.7 poetry/ecstasy.txt",
    )
    parser.add_argument("poetry_file", metavar="POEM",
                        help="the text file holding the poem")
    parser.add_argument("--port", type=int, default=0,
                        help="port to listen on (default: a random free port)")
    parser.add_argument("--iface", default="localhost",
                        help="interface to listen on (default: localhost)")
    parser.add_argument("--delay", type=float, default=0.7,
                        help="seconds between chunks (default: 0.7)")
    parser.add_argument("--num-bytes", type=int, default=10,
                        help="bytes per chunk (default: 10)")
    parser.add_argument("--backlog", type=int, default=1024,
                        help="listen queue length (default: 1024)")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"argument --port: {args.port} is not a port number")
    if args.delay <= 0:
        parser.error("argument --delay: must be greater than 0")
    if args.num_bytes < 1:
        parser.error("argument --num-bytes: must be at least 1")
    try:
        with open(args.poetry_file, "rb") as f:
            args.poem = f.read()
    except OSError as e:
        parser.error(f"cannot read poem {args.poetry_file!r}: {e.strerror}")
    return args


class PoetryProtocol(Protocol):

    offset = 0

    def connectionMade(self):
        self.factory.clients.add(self)
        self.send_chunk()
        self.factory.ensure_ticking()

    def send_chunk(self, count=1):
        # count > 1 when the shared tick ran late: catch up.
        poem, n = self.factory.poem, self.factory.num_bytes * count
        chunk = poem[self.offset:self.offset + n]
        self.offset += len(chunk)
        if chunk:
            self.transport.write(chunk)
        if self.offset >= len(poem):
            self.factory.clients.discard(self)
            self.transport.loseConnection()

    def connectionLost(self, reason):
        # A client that hangs up early just leaves the set.
        self.factory.clients.discard(self)


class PoetryFactory(ServerFactory):

    protocol = PoetryProtocol

    def __init__(self, poem, num_bytes, delay, clock=None):
        self.poem = poem
        self.num_bytes = num_bytes
        self.delay = delay
        self.clients = set()
        self.clock = clock
        self.ticker = None

    def ensure_ticking(self):
        if self.clients and (self.ticker is None or not self.ticker.running):
            # A fresh loop each time: withCount counts the intervals since
            # the loop's last call, idle ones included, across a stop/start.
            self.ticker = LoopingCall.withCount(self.tick)
            if self.clock is not None:
                self.ticker.clock = self.clock
            # The first chunk went out on connect, so wait one DELAY.
            self.ticker.start(self.delay, now=False)

    def tick(self, count):
        # count is the number of intervals since the last call, usually 1.
        for client in list(self.clients):
            client.send_chunk(count)
        if not self.clients:
            self.ticker.stop()

    def stopFactory(self):
        if self.ticker is not None and self.ticker.running:
            self.ticker.stop()


def main(argv=None):
    args = parse_args(argv)

    factory = PoetryFactory(args.poem, args.num_bytes, args.delay)

    from twisted.internet import reactor

    try:
        port = reactor.listenTCP(args.port, factory, backlog=args.backlog,
                                 interface=args.iface)
    except CannotListenError as e:
        sys.exit(f"slowpoetry.py: cannot listen on {args.iface}:{args.port}: "
                 f"{e.socketError.strerror}")

    print(f"Serving {args.poetry_file} on {port.getHost()}.", flush=True)

    reactor.run()


if __name__ == "__main__":
    main()
