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
"""

import argparse
import datetime
import select
import socket
import sys


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


def get_poetry(sockets):
    """Download poetry from all the given sockets (a dict: task number ->
    (socket, address)) at once. Returns a dict: task number -> poem bytes,
    or None for a download that broke."""
    poems = {task: b"" for task in sockets}
    by_socket = {sock: task for task, (sock, _) in sockets.items()}

    while by_socket:
        # This is the only place we block: until at least one socket is
        # ready to read.
        rlist, _, _ = select.select(list(by_socket), [], [])

        for sock in rlist:
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


def main(argv=None):
    addresses = parse_args(argv)

    start = datetime.datetime.now()

    sockets = {}
    failed = 0
    for task_num, address in enumerate(addresses, 1):
        try:
            sockets[task_num] = (connect(address), address)
        except OSError as e:
            print(f"Task {task_num}: failed to connect to {format_address(address)}: "
                  f"{e.strerror or e}", file=sys.stderr, flush=True)
            failed += 1

    poems = get_poetry(sockets)

    elapsed = datetime.datetime.now() - start

    for task_num, poem in poems.items():
        if poem is None:
            failed += 1
        else:
            print(f"Task {task_num}: {len(poem)} bytes of poetry", flush=True)

    print(f"Got {len(addresses) - failed} poems in {elapsed}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
