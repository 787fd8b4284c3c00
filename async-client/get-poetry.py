"""Asynchronous Get Poetry client, without Twisted -- Part 2, "Slow Poetry and the Apocalypse".

Original: async-client/get-poetry.py

Connects to every server first, then makes the sockets non-blocking and
runs a select() loop that reads whatever has arrived on any of them. One
thread serves all the downloads at once, so three slow servers take about
as long as the slowest one. Each chunk is reported as it arrives; the poems
themselves are not printed.

    python blocking-server/slowpoetry.py --port 10001 poetry/ecstasy.txt
    python blocking-server/slowpoetry.py --port 10002 poetry/fascination.txt
    python async-client/get-poetry.py 10001 10002

Departure from the text: a server that cannot be reached, or a connection
that breaks, is reported on stderr and the client exits with status 1,
where the original died with a traceback.

Beyond the text: with POETRY_TRACE=FILE in the environment the client also
writes FILE, one JSON line per chunk: the task, its server, and when the
handling of the chunk began and ended (from select() naming its socket to
the chunk reported), in seconds from the client's start. `make figures`
draws its pictures from it. Without the variable nothing changes.
"""

import argparse
import datetime
import json
import os
import select
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
        description="Get poetry from one or more servers, all at once, with select().",
        epilog="Example: %(prog)s 10001 10002 localhost:10003",
    )
    parser.add_argument("addresses", metavar="[HOST:]PORT", nargs="+", type=parse_address,
                        help="a poetry server (host defaults to 127.0.0.1)")
    return parser.parse_args(argv).addresses


def format_address(address):
    host, port = address
    return f"{host}:{port}"


def connect(address):
    """Connect to the given server and return a non-blocking socket."""
    sock = socket.create_connection(address)
    sock.setblocking(False)
    return sock


def get_poetry(sockets, trace=None):
    """Download poetry from all the given sockets (a dict: task number ->
    (socket, address)) at once. Returns a dict: task number -> poem bytes,
    or None for a download that broke. A `trace` list gets (task number,
    server, began, ended, size) for each chunk."""
    poems = {task: b"" for task in sockets}
    by_socket = {sock: task for task, (sock, _) in sockets.items()}

    while by_socket:
        # This is the only place we block: until at least one socket is
        # ready to read.
        rlist, _, _ = select.select(list(by_socket), [], [])

        for sock in rlist:
            began = perf_counter()
            task_num = by_socket[sock]
            addr_fmt = format_address(sockets[task_num][1])
            data = b""
            broken = None

            while True:
                try:
                    new_data = sock.recv(1024)
                except BlockingIOError:
                    break  # nothing more for now
                except OSError as e:
                    broken = e
                    break
                if not new_data:
                    break
                data += new_data

            if data:
                print(f"Task {task_num}: got {len(data)} bytes of poetry from {addr_fmt}",
                      flush=True)
                poems[task_num] += data
                if trace is not None:
                    trace.append((task_num, addr_fmt, began, perf_counter(), len(data)))

            if broken is not None:
                print(f"Task {task_num}: lost the connection to {addr_fmt}: "
                      f"{broken.strerror or broken}", file=sys.stderr, flush=True)
                poems[task_num] = None
            elif data:
                continue  # still open: the end-of-file comes on a later read

            del by_socket[sock]
            sock.close()
            if broken is None:
                print(f"Task {task_num} finished", flush=True)

    return poems


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
    trace = [] if trace_file else None

    start = datetime.datetime.now()
    zero = perf_counter()

    sockets = {}
    failed = 0
    for task_num, address in enumerate(addresses, 1):
        try:
            sockets[task_num] = (connect(address), address)
        except OSError as e:
            print(f"Task {task_num}: failed to connect to {format_address(address)}: "
                  f"{e.strerror or e}", file=sys.stderr, flush=True)
            failed += 1

    poems = get_poetry(sockets, trace)

    elapsed = datetime.datetime.now() - start

    for task_num, poem in poems.items():
        if poem is None:
            failed += 1
        else:
            print(f"Task {task_num}: {len(poem)} bytes of poetry", flush=True)

    print(f"Got {len(addresses) - failed} poems in {elapsed}", flush=True)
    if trace_file:
        write_trace(trace_file, trace, zero)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
