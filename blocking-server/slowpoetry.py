"""Slow Poetry Server (blocking) -- Part 2, "Slow Poetry and the Apocalypse".

Original: blocking-server/slowpoetry.py

A deliberately slow server that handles one client at a time with blocking
sockets: it sends NUM_BYTES of the poem, sleeps DELAY seconds, and repeats
until the poem is done or the client goes away. While it serves one client,
every other client waits in the accept queue. The poetry clients of Parts 2
to 10 are tested against it.

    python blocking-server/slowpoetry.py --port 10000 poetry/ecstasy.txt

Departure from the text: a port already in use is one line on stderr,
"slowpoetry.py: cannot listen on localhost:10000: Address already in use",
and exit status 1, not a traceback.
"""

import argparse
import socket
import sys
import time


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Serve a poem slowly, to one client at a time.",
        epilog="Example: %(prog)s --port 10000 --delay 0.7 poetry/ecstasy.txt",
    )
    parser.add_argument("poetry_file", metavar="POEM_FILE",
                        help="the text file holding the poem")
    parser.add_argument("--port", type=int, default=0,
                        help="port to listen on (default: a random free port)")
    parser.add_argument("--iface", default="localhost",
                        help="interface to listen on (default: localhost)")
    parser.add_argument("--delay", type=float, default=0.7,
                        help="seconds between chunks (default: 0.7)")
    parser.add_argument("--num-bytes", type=int, default=10,
                        help="bytes per chunk (default: 10)")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"argument --port: {args.port} is not a port number")
    if args.delay < 0:
        parser.error("argument --delay: must not be negative")
    if args.num_bytes < 1:
        parser.error("argument --num-bytes: must be at least 1")
    try:
        with open(args.poetry_file, "rb") as f:
            args.poem = f.read()
    except OSError as e:
        parser.error(f"cannot read poem {args.poetry_file!r}: {e.strerror}")
    return args


def send_poetry(sock, poem, num_bytes, delay):
    """Send the poem in small chunks, pausing between them."""
    offset = 0
    while offset < len(poem):
        chunk = poem[offset:offset + num_bytes]
        try:
            sock.sendall(chunk)
        except OSError:
            # The client went away; nothing more to do for it.
            return
        offset += len(chunk)
        print(f"Sending {len(chunk)} bytes", flush=True)
        if offset < len(poem):
            time.sleep(delay)


def serve(listen_socket, poem, num_bytes, delay):
    while True:
        sock, addr = listen_socket.accept()
        with sock:
            print(f"Somebody at {addr} wants poetry!", flush=True)
            send_poetry(sock, poem, num_bytes, delay)


def main(argv=None):
    args = parse_args(argv)

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listen_socket:
        listen_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listen_socket.bind((args.iface, args.port))
        except OSError as e:
            sys.exit(f"slowpoetry.py: cannot listen on {args.iface}:{args.port}: "
                     f"{e.strerror}")
        listen_socket.listen(5)
        port = listen_socket.getsockname()[1]
        print(f"Serving {args.poetry_file} on port {port}.", flush=True)
        try:
            serve(listen_socket, args.poem, args.num_bytes, args.delay)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
