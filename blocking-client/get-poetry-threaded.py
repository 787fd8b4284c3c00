"""Threaded Get Poetry client -- beyond the text: Part 1's middle model.

Original: none. Part 1, "In Which We Begin at the Beginning", draws three
models: synchronous, threaded and asynchronous. Part 2 builds the first and
the last (get-poetry.py here and async-client/get-poetry.py); this is the
one in between, so that all three can be run and drawn.

One thread per server, each with an ordinary blocking socket, exactly as the
blocking client downloads one poem. The threads wait side by side, so three
slow servers take about as long as the slowest one, not the sum. It prints
what the blocking client prints; the final total is the time the whole run
took.

    python blocking-server/slowpoetry.py --port 10001 poetry/ecstasy.txt
    python blocking-server/slowpoetry.py --port 10002 poetry/fascination.txt
    python blocking-client/get-poetry-threaded.py 10001 10002

A server that cannot be reached is reported on stderr ("Task N: failed to
connect to ADDR: ...") while the others go on, and the client exits with
status 1. Ctrl-C stops it at once with status 130 and no traceback: the
threads are daemon threads, so nothing waits for their downloads.

With POETRY_TRACE=FILE in the environment the client also writes FILE, one
JSON line per chunk: the task, its server, and when the handling of the
chunk began and ended (from the recv() call that waited for it to the chunk
in hand), in seconds from the client's start. `make figures` draws its
pictures from it. Without the variable nothing changes.
"""

import argparse
import datetime
import json
import os
import socket
import sys
import threading
from time import perf_counter


def parse_address(text):
    """[HOST:]PORT -> (host, port); the host defaults to 127.0.0.1."""
    host, _, port = text.rpartition(":")
    try:
        port = int(port)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid address {text!r}: the port must be a number")
    if not 0 < port <= 65535:
        raise argparse.ArgumentTypeError(f"invalid address {text!r}: no such port")
    return host or "127.0.0.1", port


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Get poetry from one or more servers, one thread per server.",
        epilog="Example: %(prog)s 10001 10002 localhost:10003",
    )
    parser.add_argument("addresses", metavar="[HOST:]PORT", nargs="+", type=parse_address,
                        help="a poetry server (host defaults to 127.0.0.1)")
    return parser.parse_args(argv).addresses


def get_poetry(address, trace=None):
    """Download a whole poem from the given address, blocking until done.
    A `trace` list gets (began, ended, size) for each chunk."""
    with socket.create_connection(address) as sock:
        poem = b""
        while True:
            began = perf_counter()
            # The blocking call: this thread waits here, the others go on.
            data = sock.recv(1024)
            if not data:  # the server closed: the poem is complete
                return poem
            poem += data
            if trace is not None:
                trace.append((began, perf_counter(), len(data)))


def format_address(address):
    host, port = address
    return f"{host}:{port}"


# Threads print whole lines: print() writes the text and the newline apart.
print_lock = threading.Lock()


def say(*args, **kwargs):
    with print_lock:
        print(*args, **kwargs, flush=True)


class Task(threading.Thread):
    """Downloads one poem in a thread of its own; `poem` is None until it is
    complete, and stays None if the download failed."""

    def __init__(self, task_num, address, trace=None):
        super().__init__(name=f"Task {task_num}", daemon=True)
        self.task_num = task_num
        self.address = address
        self.trace = trace
        self.poem = None

    def run(self):
        addr_fmt = format_address(self.address)
        start = datetime.datetime.now()
        chunks = [] if self.trace is not None else None
        try:
            poem = get_poetry(self.address, chunks)
        except OSError as e:
            say(f"Task {self.task_num}: failed to connect to {addr_fmt}: {e.strerror or e}",
                file=sys.stderr)
            return
        finally:
            if chunks:
                # The threads share one list; write_trace sorts it by time.
                self.trace.extend([(self.task_num, addr_fmt, *chunk) for chunk in chunks])
        time = datetime.datetime.now() - start
        say(f"Task {self.task_num}: got {len(poem)} bytes of poetry from {addr_fmt} in {time}")
        self.poem = poem


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
        for task_num, server, began, ended, size in sorted(trace, key=lambda r: r[2]):
            record = {"task": task_num, "server": server, "start": round(began - zero, 6),
                      "end": round(ended - zero, 6), "bytes": size}
            trace_file.write(json.dumps(record) + "\n")


def main(argv=None):
    addresses = parse_args(argv)
    trace_file = open_trace()
    trace = [] if trace_file else None

    start = datetime.datetime.now()
    zero = perf_counter()

    tasks = [Task(i, address, trace) for i, address in enumerate(addresses, 1)]
    for task in tasks:
        say(f"Task {task.task_num}: get poetry from: {format_address(task.address)}")
    for task in tasks:
        task.start()
    try:
        for task in tasks:
            task.join()
    except KeyboardInterrupt:
        return 130

    elapsed = datetime.datetime.now() - start

    got = sum(task.poem is not None for task in tasks)
    say(f"Got {got} poems in {elapsed}")
    if trace_file:
        write_trace(trace_file, trace, zero)
    return 0 if got == len(tasks) else 1


if __name__ == "__main__":
    sys.exit(main())
