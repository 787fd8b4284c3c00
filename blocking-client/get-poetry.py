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
"""

import argparse
import datetime
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
        description="Get poetry from one or more servers, one after another.",
        epilog="Example: %(prog)s 10001 10002 localhost:10003",
    )
    parser.add_argument("addresses", metavar="[HOST:]PORT", nargs="+", type=parse_address,
                        help="a poetry server (host defaults to 127.0.0.1)")
    return parser.parse_args(argv).addresses


def get_poetry(address):
    """Download a whole poem from the given address, blocking until done."""
    with socket.create_connection(address) as sock:
        poem = b""
        while True:
            # This is the blocking call: we wait here until data arrives.
            data = sock.recv(1024)
            if not data:  # the server closed: the poem is complete
                return poem
            poem += data


def format_address(address):
    host, port = address
    return f"{host}:{port}"


def main(argv=None):
    addresses = parse_args(argv)

    elapsed = datetime.timedelta()
    failed = 0

    for i, address in enumerate(addresses, 1):
        addr_fmt = format_address(address)

        print(f"Task {i}: get poetry from: {addr_fmt}", flush=True)

        start = datetime.datetime.now()
        try:
            poem = get_poetry(address)
        except OSError as e:
            print(f"Task {i}: failed to connect to {addr_fmt}: {e.strerror or e}",
                  file=sys.stderr, flush=True)
            failed += 1
            continue
        time = datetime.datetime.now() - start

        print(f"Task {i}: got {len(poem)} bytes of poetry from {addr_fmt} in {time}", flush=True)

        elapsed += time

    print(f"Got {len(addresses) - failed} poems in {elapsed}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
