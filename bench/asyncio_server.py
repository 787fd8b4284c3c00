"""A minimal plain-asyncio poetry server: the baseline of bench/.

It does what the fast poetry server does, with nothing but the standard
library: on each connection write the whole poem and close. The fast path
is the smallest asyncio program we could write, so it is a fair yardstick
for the Twisted servers.

--delay holds every poem back for that many seconds (the slow upstream of
the proxy fan-in benchmark), and --log prints one line per connection so a
benchmark can count how often it was asked.

--logfile PATH is the like-for-like baseline of the throughput benchmark:
the fast path, plus one line per connection through the standard library's
`logging` to a file, with a timestamp, the peer and the byte count, as an
asyncio service that logs each connection would do it (FileHandler: one
write and flush per record).

    python bench/asyncio_server.py --port 0 poetry/ecstasy.txt
    python bench/asyncio_server.py --port 0 --logfile /tmp/poetry.log poetry/ecstasy.txt
"""

import argparse
import asyncio
import logging


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Minimal asyncio poetry server.")
    parser.add_argument("poetry_file", metavar="POEM")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--iface", default="127.0.0.1")
    parser.add_argument("--backlog", type=int, default=1024)
    parser.add_argument("--delay", type=float, default=0.0,
                        help="seconds to wait before sending the poem")
    parser.add_argument("--log", action="store_true",
                        help="print a line for every connection")
    parser.add_argument("--logfile", default=None, metavar="PATH",
                        help="log every connection with stdlib logging to PATH")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"argument --port: {args.port} is not a port number")
    try:
        with open(args.poetry_file, "rb") as f:
            args.poem = f.read()
    except OSError as e:
        parser.error(f"cannot read poem {args.poetry_file!r}: {e.strerror}")
    return args


def protocol_class(poem, delay, log, logfile=None):

    class Fast(asyncio.Protocol):
        def connection_made(self, transport):
            transport.write(poem)
            transport.close()

    if logfile:
        logger = logging.getLogger("fastpoetry")
        handler = logging.FileHandler(logfile)
        handler.setFormatter(logging.Formatter("%(asctime)s [%(name)s] %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
        size = len(poem)

        class Logged(asyncio.Protocol):
            def connection_made(self, transport):
                logger.info("sending %d bytes of poetry to %s", size,
                            transport.get_extra_info("peername"))
                transport.write(poem)
                transport.close()

        return Logged

    class Slow(asyncio.Protocol):
        count = 0

        def connection_made(self, transport):
            Slow.count += 1
            if log:
                print(f"connection {Slow.count}", flush=True)
            self.transport = transport
            self.timer = asyncio.get_running_loop().call_later(delay, self.send)

        def send(self):
            self.transport.write(poem)
            self.transport.close()

        def connection_lost(self, exc):
            self.timer.cancel()

    return Slow if (delay or log) else Fast


async def serve(args):
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        protocol_class(args.poem, args.delay, args.log, args.logfile),
        args.iface, args.port, backlog=args.backlog)
    port = server.sockets[0].getsockname()[1]
    print(f"Serving {args.poetry_file} on port {port}.", flush=True)
    async with server:
        await server.serve_forever()


def main(argv=None):
    args = parse_args(argv)
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
