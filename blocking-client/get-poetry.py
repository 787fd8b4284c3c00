"""Blocking Get Poetry client -- Part 2, "Slow Poetry and the Apocalypse".

Original: blocking-client/get-poetry.py

Downloads one poem after another with ordinary blocking sockets. Against
three slow servers it takes the sum of their times: while it waits for one
server, it does nothing else. It reports byte counts and times; it does not
print the poems.

    python blocking-server/slowpoetry.py --port 10001 poetry/ecstasy.txt
    python blocking-server/slowpoetry.py --port 10002 poetry/fascination.txt
    python blocking-client/get-poetry.py 10001 10002

Departure from the text: a server that cannot be reached is reported on
stderr ("Task N: failed to connect to ADDR: ...") and the client goes on with
the next one and exits with status 1, where the original died with a
traceback.

Beyond the text: with POETRY_TRACE=FILE in the environment the client also
writes FILE, one JSON line per chunk: the task, its server, and when the
handling of the chunk began and ended (from the recv() call that waited for
it to the chunk in hand), in seconds from the client's start. `make figures`
draws its pictures from it. Without the variable nothing changes.
"""

import argparse
import datetime
import json
import os
import socket
import sys
from time import perf_counter


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
        description="Get poetry from one or more servers, one after another.",
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
            # This is the blocking call: we wait here until data arrives.
            data = sock.recv(1024)
            if not data:  # the server closed: the poem is complete
                return poem
            poem += data
            if trace is not None:
                trace.append((began, perf_counter(), len(data)))


def format_address(address):
    host, port = address
    return f"{host}:{port}"


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


def main(argv=None):
    addresses = parse_args(argv)
    trace_file = open_trace()
    zero = perf_counter()
    trace = []

    elapsed = datetime.timedelta()
    failed = 0

    for i, address in enumerate(addresses, 1):
        addr_fmt = format_address(address)

        print(f"Task {i}: get poetry from: {addr_fmt}", flush=True)

        start = datetime.datetime.now()
        chunks = [] if trace_file else None
        try:
            poem = get_poetry(address, chunks)
        except OSError as e:
            print(f"Task {i}: failed to connect to {addr_fmt}: {e.strerror or e}",
                  file=sys.stderr, flush=True)
            failed += 1
            continue
        finally:
            if chunks:
                trace += [(i, addr_fmt, *chunk) for chunk in chunks]
        time = datetime.datetime.now() - start

        print(f"Task {i}: got {len(poem)} bytes of poetry from {addr_fmt} in {time}", flush=True)

        elapsed += time

    print(f"Got {len(addresses) - failed} poems in {elapsed}", flush=True)
    if trace_file:
        write_trace(trace_file, trace, zero)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
