"""Get Poetry 1.0, broken on purpose -- Part 4, "Twisted Poetry".

Original: twisted-client-1/get-poetry-broken.py

Client 1.0 with one change: the sockets are left in blocking mode, and
doRead reads until the end of the poem. The reactor still calls doRead when
the first bytes arrive, but then doRead blocks until that server is done,
and nothing else can happen meanwhile: the downloads run one after another
and three slow servers take the sum of their times. Twisted cannot make
blocking code asynchronous.

    python blocking-server/slowpoetry.py --port 10001 poetry/ecstasy.txt
    python blocking-server/slowpoetry.py --port 10002 poetry/fascination.txt
    python twisted-client/get-poetry-1.0-broken.py 10001 10002

Departure from the text: a server that cannot be reached is reported on
stderr and the client exits with status 1, where the original died with a
traceback before the reactor started.

Departure from the text: the reactor is stopped only if it is still
running. Ctrl-C stops the reactor, which closes the open connections, and
the callback that then stops the reactor again used to end the run with
"Unhandled error in Deferred: ... ReactorNotRunning".

Departure from the text: if stdout's reader goes away (`... | head -1`), the
rest of the output is dropped and the run ends as usual, with no traceback.
"""

import argparse
import datetime
import os
import socket
import sys

from twisted.internet import main as twisted_main
from twisted.internet.error import ReactorNotRunning
from twisted.internet.interfaces import IReadDescriptor
from zope.interface import implementer


def parse_address(text):
    """[HOST:]PORT -> (host, port); the host defaults to 127.0.0.1."""
    host, _, port = text.rpartition(":")
    try:
        port = int(port)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid address {text!r}: the port must be a number") from None
    if not 0 < port <= 65535:
        raise argparse.ArgumentTypeError(f"invalid address {text!r}: no such port")
    return host or "127.0.0.1", port


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Get poetry from one or more servers, using the reactor directly (and blocking).",
        epilog="Example: %(prog)s 10001 10002 localhost:10003",
    )
    parser.add_argument("addresses", metavar="[HOST:]PORT", nargs="+", type=parse_address,
                        help="a poetry server (host defaults to 127.0.0.1)")
    return parser.parse_args(argv).addresses


@implementer(IReadDescriptor)
class PoetrySocket:

    poem = b""

    def __init__(self, task_num, address):
        self.task_num = task_num
        self.address = address
        # The bug: the socket stays in blocking mode.
        self.sock = socket.create_connection(address)

        from twisted.internet import reactor
        # Tell the reactor to call doRead when this socket has data.
        reactor.addReader(self)

    def fileno(self):
        try:
            return self.sock.fileno()
        except OSError:
            return -1

    def connectionLost(self, reason):
        self.sock.close()

        from twisted.internet import reactor
        # Stop watching this socket, and stop the reactor if it was the last.
        reactor.removeReader(self)
        for reader in reactor.getReaders():
            if isinstance(reader, PoetrySocket):
                return
        try:
            reactor.stop()
        except ReactorNotRunning:  # already stopping (Ctrl-C)
            pass

    def doRead(self):
        data = b""

        # Reads the whole poem in one go: recv() blocks between chunks, and
        # so does the reactor, and so does every other download.
        while True:
            try:
                new_data = self.sock.recv(1024)
            except OSError:
                return twisted_main.CONNECTION_LOST
            if not new_data:
                break
            data += new_data

        if not data:
            print(f"Task {self.task_num} finished", flush=True)
            return twisted_main.CONNECTION_DONE

        print(f"Task {self.task_num}: got {len(data)} bytes of poetry from "
              f"{self.format_addr()}", flush=True)

        self.poem += data

    def logPrefix(self):
        return "poetry"

    def format_addr(self):
        host, port = self.address
        return f"{host}:{port}"


def poetry_main(argv=None):
    addresses = parse_args(argv)

    # Import (and so install) the reactor before the clock starts.
    from twisted.internet import reactor

    start = datetime.datetime.now()

    sockets = []
    failed = 0
    for i, address in enumerate(addresses, 1):
        try:
            sockets.append(PoetrySocket(i, address))
        except OSError as e:
            host, port = address
            print(f"Task {i}: failed to connect to {host}:{port}: {e.strerror or e}",
                  file=sys.stderr, flush=True)
            failed += 1

    if sockets:
        reactor.run()

    elapsed = datetime.datetime.now() - start

    for sock in sockets:
        print(f"Task {sock.task_num}: {len(sock.poem)} bytes of poetry", flush=True)

    print(f"Got {len(sockets)} poems in {elapsed}", flush=True)
    return 1 if failed else 0


class QuietStdout:
    """sys.stdout until its reader goes away (`... | head -1`). From then
    on the output goes to /dev/null, so the run ends as it would have: no
    traceback, and no callback cut short before it stops the reactor."""

    def __init__(self, stream):
        self.stream = stream

    def __getattr__(self, name):
        return getattr(self.stream, name)

    def write(self, text):
        try:
            return self.stream.write(text)
        except BrokenPipeError:
            self.reader_gone()
            return len(text)

    def flush(self):
        try:
            self.stream.flush()
        except BrokenPipeError:
            self.reader_gone()

    def reader_gone(self):
        # Python's documented remedy: point the descriptor at /dev/null,
        # so no later write, nor the flush at exit, fails again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, self.stream.fileno())
        os.close(devnull)


def main():
    sys.stdout = QuietStdout(sys.stdout)
    sys.exit(poetry_main())


if __name__ == "__main__":
    main()
