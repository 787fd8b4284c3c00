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
threads are daemon threads, so nothing waits for their downloads, and only
the main thread prints, each line in one write, so no line is cut.

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
import queue
import signal
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
        raise argparse.ArgumentTypeError(
            f"invalid address {text!r}: the port must be a number") from None
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


def get_poetry_in_thread(task_num, address, done, trace=None):
    """A thread's whole work: download one poem, then put (task number,
    address, poem or None, the OSError or None, time taken) on the `done`
    queue. Only the main thread prints, so no thread is ever stopped in the
    middle of a line."""
    chunks = [] if trace is not None else None
    start = datetime.datetime.now()
    try:
        poem, error = get_poetry(address, chunks), None
    except OSError as e:
        poem, error = None, e
    time = datetime.datetime.now() - start
    if chunks:
        # The threads share one list; write_trace sorts it by time.
        trace.extend([(task_num, format_address(address), *chunk) for chunk in chunks])
    done.put((task_num, address, poem, error, time))


def say(line, file=None):
    """Print a line in one write, its newline included. Python runs a
    Ctrl-C handler as soon as a write to the terminal or a pipe returns, so
    print(), which writes the text and then its end, could be stopped
    between a line and its newline."""
    file = file or sys.stdout
    file.write(line + "\n")
    file.flush()


def start_threads(threads):
    """Start the threads with SIGINT blocked, as a new thread inherits the
    mask: then Ctrl-C always reaches the main thread, the one Python raises
    KeyboardInterrupt in. A signal delivered to a thread waiting in recv()
    would be noted but not acted on while the main thread waits."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        for thread in threads:
            thread.start()
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


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

    done = queue.Queue()
    threads = []
    for task_num, address in enumerate(addresses, 1):
        say(f"Task {task_num}: get poetry from: {format_address(address)}")
        # Daemon threads: after Ctrl-C, nothing waits for their downloads.
        threads.append(threading.Thread(target=get_poetry_in_thread, daemon=True,
                                        args=(task_num, address, done, trace)))
    failed = 0
    try:
        start_threads(threads)
        # The poems as they come, whatever the order.
        for _ in threads:
            task_num, address, poem, error, time = done.get()
            addr_fmt = format_address(address)
            if error is not None:
                say(f"Task {task_num}: failed to connect to {addr_fmt}: "
                    f"{error.strerror or error}", file=sys.stderr)
                failed += 1
            else:
                say(f"Task {task_num}: got {len(poem)} bytes of poetry from {addr_fmt} "
                    f"in {time}")
    except KeyboardInterrupt:
        return 130

    elapsed = datetime.datetime.now() - start

    say(f"Got {len(addresses) - failed} poems in {elapsed}")
    if trace_file:
        write_trace(trace_file, trace, zero)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
