"""Low-level Twisted Poetry Server -- Part 11, exercise 2.

Original: none; the exercise asks for it. Its mirror image is client 1.0
of Part 4 (twisted-client-1/get-poetry.py), which used the reactor with
its own sockets.

The exercise: serve poetry with the Twisted reactor but none of its
higher-level machinery -- no listenTCP, no Protocol, Transport or Factory.
We make the sockets ourselves and hand them to the reactor:

- PoetryListener wraps the listening socket and provides IReadDescriptor.
  The reactor calls its doRead() when the socket is readable, which for a
  listening socket means clients are waiting to be accepted.
- PoetrySender wraps one client socket and provides IWriteDescriptor. The
  reactor calls doWrite() whenever the socket can take more bytes; when the
  poem is all sent, it removes itself and closes the socket.

    python exercises/part-11/lowlevel-poetry-server.py --port 10000 poetry/ecstasy.txt

Departure from the text: a port already in use is one line on stderr,
"lowlevel-poetry-server.py: cannot listen on localhost:10000: Address
already in use", and exit status 1, not a traceback.
"""

import argparse
import errno
import socket
import sys

from twisted.internet.interfaces import IReadDescriptor, IWriteDescriptor
from zope.interface import implementer


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Serve a poem using the reactor with our own sockets.",
        epilog="Example: %(prog)s --port 10000 poetry/ecstasy.txt",
    )
    parser.add_argument("poetry_file", metavar="POEM",
                        help="the text file holding the poem")
    parser.add_argument("--port", type=int, default=0,
                        help="port to listen on (default: a random free port)")
    parser.add_argument("--iface", default="localhost",
                        help="interface to listen on (default: localhost)")
    parser.add_argument("--num-bytes", type=int, default=0,
                        help="bytes per write (default: 0, as much as the socket takes)")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"argument --port: {args.port} is not a port number")
    if args.num_bytes < 0:
        parser.error("argument --num-bytes: must not be negative")
    try:
        with open(args.poetry_file, "rb") as f:
            args.poem = f.read()
    except OSError as e:
        parser.error(f"cannot read poem {args.poetry_file!r}: {e.strerror}")
    return args


@implementer(IWriteDescriptor)
class PoetrySender:
    """Sends the poem down one client socket, as fast as it will go."""

    def __init__(self, listener, sock, addr):
        self.listener = listener
        self.sock = sock
        self.addr = addr
        self.rest = memoryview(listener.poem)
        self.num_bytes = listener.num_bytes
        self.reactor = listener.reactor
        self.fd = sock.fileno()

    def fileno(self):
        # Keep answering with the old number once closed, as the reactor
        # may still ask while it forgets us.
        return self.fd

    def logPrefix(self):
        return "poetry-sender"

    def doWrite(self):
        chunk = self.rest[:self.num_bytes] if self.num_bytes else self.rest
        try:
            sent = self.sock.send(chunk)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError:
            print(f"Client at {self.addr[0]}:{self.addr[1]} went away early.", flush=True)
            self.close()
            return None
        self.rest = self.rest[sent:]
        if not self.rest:
            print(f"Sent the whole poem to {self.addr[0]}:{self.addr[1]}.", flush=True)
            self.close()
        return None

    def close(self):
        # Stop watching before closing: the reactor knows us by descriptor.
        self.reactor.removeWriter(self)
        self.sock.close()
        self.listener.senders.discard(self)

    def connectionLost(self, reason):
        self.sock.close()
        self.listener.senders.discard(self)


@implementer(IReadDescriptor)
class PoetryListener:
    """The listening socket; readable means a client wants poetry."""

    def __init__(self, poem, iface, port, num_bytes, reactor):
        self.poem = poem
        self.num_bytes = num_bytes
        self.reactor = reactor
        self.senders = set()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.sock.bind((iface, port))
            self.sock.listen(128)
        except OSError:
            self.sock.close()
            raise
        self.sock.setblocking(False)
        self.fd = self.sock.fileno()

    def address(self):
        return self.sock.getsockname()

    def fileno(self):
        return self.fd

    def logPrefix(self):
        return "poetry-listener"

    def start(self):
        self.reactor.addReader(self)

    def doRead(self):
        while True:
            try:
                sock, addr = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return None
            except OSError as e:
                if e.errno in (errno.ECONNABORTED, errno.EPROTO):
                    continue
                raise
            sock.setblocking(False)
            print(f"Somebody at {addr[0]}:{addr[1]} wants poetry!", flush=True)
            sender = PoetrySender(self, sock, addr)
            self.senders.add(sender)
            self.reactor.addWriter(sender)

    def stop(self):
        """Stop listening and drop every client still being served."""
        self.reactor.removeReader(self)
        self.sock.close()
        for sender in list(self.senders):
            sender.close()

    def connectionLost(self, reason):
        self.sock.close()


def main(argv=None):
    args = parse_args(argv)

    from twisted.internet import reactor

    try:
        listener = PoetryListener(args.poem, args.iface, args.port, args.num_bytes, reactor)
    except OSError as e:
        sys.exit(f"lowlevel-poetry-server.py: cannot listen on {args.iface}:{args.port}: "
                 f"{e.strerror}")
    listener.start()
    # Close our own sockets on shutdown (Ctrl-C or SIGTERM), so nothing leaks.
    reactor.addSystemEventTrigger("before", "shutdown", listener.stop)

    host, port = listener.address()
    print(f"Serving {args.poetry_file} on {host} port {port}.", flush=True)

    reactor.run()


if __name__ == "__main__":
    main()
