"""Get Poetry 2.0 -- Part 5, "Twistier Poetry".

Original: twisted-client-2/get-poetry.py

The reactor does the socket work now. A PoetryProtocol per connection
collects the poem as the chunks arrive; one PoetryClientFactory numbers the
tasks, counts the finished poems (or failed connections) and stops the
reactor after the last one. The client reports sizes and times; it does not
print the poems.

    python twisted-server/slowpoetry.py --port 10001 poetry/ecstasy.txt
    python twisted-server/slowpoetry.py --port 10002 poetry/fascination.txt
    python twisted-client/get-poetry-2.0.py 10001 10002

Tasks are numbered in the order the connections are made, which need not be
the order of the arguments; each chunk line names the server it came from.

Departure from the text: the reactor is stopped only if it is still
running. Ctrl-C stops the reactor, which closes the open connections, and
the callback that then stops the reactor again used to end the run with
"Unhandled error in Deferred: ... ReactorNotRunning".

Beyond the text: with POETRY_TRACE=FILE in the environment the client also
writes FILE, one JSON line per chunk: the task, its server, and when the
handling of the chunk began and ended (the dataReceived call), in seconds
from the client's start. `make figures` draws its pictures from it. The
factory then builds TracedPoetryProtocol, which times PoetryProtocol's own
dataReceived. Without the variable nothing changes.

Departure from the text: if stdout's reader goes away (`... | head -1`), the
rest of the output is dropped and the run ends as usual, with no traceback;
it used to hang for ever, since the callback that stops the reactor never
ran.
"""

import argparse
import datetime
import json
import os
import sys
from time import perf_counter

from twisted.internet.error import ReactorNotRunning
from twisted.internet.protocol import ClientFactory, Protocol


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
        description="Get poetry from one or more servers, with a protocol and a factory.",
        epilog="Example: %(prog)s 10001 10002 localhost:10003",
    )
    parser.add_argument("addresses", metavar="[HOST:]PORT", nargs="+", type=parse_address,
                        help="a poetry server (host defaults to 127.0.0.1)")
    return parser.parse_args(argv).addresses


class PoetryProtocol(Protocol):

    task_num = 0

    def connectionMade(self):
        self.chunks = []

    def dataReceived(self, data):
        self.chunks.append(data)
        print(f"Task {self.task_num}: got {len(data)} bytes of poetry from "
              f"{self.transport.getPeer()}", flush=True)

    def connectionLost(self, reason):
        self.poemReceived(b"".join(self.chunks).decode("utf-8", "replace"))

    def poemReceived(self, poem):
        self.factory.poem_finished(self.task_num, poem)


class TracedPoetryProtocol(PoetryProtocol):
    """PoetryProtocol, noting when it began and ended handling each chunk
    in the factory's `trace` list (POETRY_TRACE only)."""

    def dataReceived(self, data):
        began = perf_counter()
        PoetryProtocol.dataReceived(self, data)
        peer = self.transport.getPeer()
        self.factory.trace.append((self.task_num, f"{peer.host}:{peer.port}", began,
                                   perf_counter(), len(data)))


class PoetryClientFactory(ClientFactory):

    task_num = 1

    protocol = PoetryProtocol  # tell the base class what proto to build

    def __init__(self, poetry_count):
        self.poetry_count = poetry_count
        self.poems = {}  # task num -> poem

    def buildProtocol(self, address):
        proto = super().buildProtocol(address)
        proto.task_num = self.task_num
        self.task_num += 1
        return proto

    def poem_finished(self, task_num=None, poem=None):
        if task_num is not None:
            self.poems[task_num] = poem

        self.poetry_count -= 1

        if self.poetry_count == 0:
            self.report()
            from twisted.internet import reactor
            try:
                reactor.stop()
            except ReactorNotRunning:  # already stopping (Ctrl-C)
                pass

    def report(self):
        for i in sorted(self.poems):
            print(f"Task {i}: {len(self.poems[i])} characters of poetry", flush=True)

    def clientConnectionFailed(self, connector, reason):
        print("Failed to connect to:", connector.getDestination(), flush=True)
        self.poem_finished()


def open_trace():
    """The file POETRY_TRACE names, open for writing, or None if it is unset.
    A file that cannot be written is an error before any connection."""
    name = os.environ.get("POETRY_TRACE")
    if not name:
        return None
    try:
        return open(name, "w", encoding="utf-8")
    except OSError as e:
        print(f"{os.path.basename(sys.argv[0])}: cannot write the trace file {name} "
              f"(POETRY_TRACE): {e.strerror}", file=sys.stderr)
        sys.exit(2)


def write_trace(trace_file, trace, zero):
    """One JSON line per chunk: (task, server, began, ended, size) records,
    with times made relative to `zero`, the client's start."""
    with trace_file:
        for task_num, server, began, ended, size in trace:
            record = {"task": task_num, "server": server, "start": round(began - zero, 6),
                      "end": round(ended - zero, 6), "bytes": size}
            trace_file.write(json.dumps(record) + "\n")


def poetry_main(argv=None):
    addresses = parse_args(argv)
    trace_file = open_trace()

    # Import (and so install) the reactor before the clock starts.
    from twisted.internet import reactor

    start = datetime.datetime.now()
    zero = perf_counter()

    factory = PoetryClientFactory(len(addresses))
    if trace_file:
        factory.protocol = TracedPoetryProtocol
        factory.trace = []

    for address in addresses:
        host, port = address
        reactor.connectTCP(host, port, factory)

    reactor.run()

    elapsed = datetime.datetime.now() - start

    print(f"Got {len(factory.poems)} poems in {elapsed}", flush=True)
    if trace_file:
        write_trace(trace_file, factory.trace, zero)


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
    poetry_main()


if __name__ == "__main__":
    main()
