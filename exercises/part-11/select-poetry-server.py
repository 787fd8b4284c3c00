"""Select-loop Poetry Server -- Part 11, exercise 1 (no Twisted at all).

Original: none; the exercise asks for it. Its mirror image is the
asynchronous client of Part 2 (async-client/get-poetry.py).

The exercise: write an asynchronous poetry server without Twisted, the way
Part 2 wrote the client. One process, non-blocking sockets and a select()
loop serve every client at once. The listening socket is watched for
*reading*: a readable listening socket means a client is waiting to be
accepted. Client sockets are watched for *writing* while they still have
poetry due.

Like the blocking server of Part 2 it can go slowly (--num-bytes and
--delay), which is what makes the concurrency visible: two clients started
together finish together, where the blocking server would serve them one
after the other.

    python exercises/part-11/select-poetry-server.py --port 10000 poetry/ecstasy.txt
    python exercises/part-11/select-poetry-server.py --num-bytes 30 --delay 0.1 poetry/science.txt

Departure from the text: a port already in use is one line on stderr,
"select-poetry-server.py: cannot listen on localhost:10000: Address already
in use", and exit status 1, not a traceback.
"""

import argparse
import errno
import select
import signal
import socket
import sys
import time


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Serve a poem to many clients at once with a select() loop.",
        epilog="Example: %(prog)s --port 10000 --num-bytes 30 --delay 0.1 poetry/ecstasy.txt",
    )
    parser.add_argument("poetry_file", metavar="POEM",
                        help="the text file holding the poem")
    parser.add_argument("--port", type=int, default=0,
                        help="port to listen on (default: a random free port)")
    parser.add_argument("--iface", default="localhost",
                        help="interface to listen on (default: localhost)")
    parser.add_argument("--num-bytes", type=int, default=0,
                        help="bytes per send (default: 0, as much as the socket takes)")
    parser.add_argument("--delay", type=float, default=0.0,
                        help="seconds between sends to one client (default: 0)")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"argument --port: {args.port} is not a port number")
    if args.num_bytes < 0:
        parser.error("argument --num-bytes: must not be negative")
    if args.delay < 0:
        parser.error("argument --delay: must not be negative")
    try:
        with open(args.poetry_file, "rb") as f:
            args.poem = f.read()
    except OSError as e:
        parser.error(f"cannot read poem {args.poetry_file!r}: {e.strerror}")
    return args


class Client:
    """One connected client and how much of the poem it still needs."""

    def __init__(self, sock, addr, poem):
        self.sock = sock
        self.addr = addr
        self.rest = memoryview(poem)
        self.due = 0.0  # when the next send may happen


def serve(listener, poem, num_bytes=0, delay=0.0):
    """The select loop. Runs until interrupted; closes every socket it made."""
    clients = {}  # socket -> Client
    try:
        while True:
            now = time.monotonic()
            writers = [c.sock for c in clients.values() if c.due <= now]
            waiting = [c.due - now for c in clients.values() if c.due > now]
            # Sleep in select() only until the next client is due a chunk.
            timeout = min(waiting) if waiting else None
            readable, writable, _ = select.select([listener], writers, [], timeout)

            if readable:
                accept_all(listener, clients, poem)

            for sock in writable:
                client = clients[sock]
                if not send_some(client, num_bytes):
                    del clients[sock]
                    sock.close()
                else:
                    client.due = time.monotonic() + delay
    finally:
        for sock in clients:
            sock.close()


def accept_all(listener, clients, poem):
    # Several clients may be queued; take them all while accept() succeeds.
    while True:
        try:
            sock, addr = listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:
            if e.errno in (errno.ECONNABORTED, errno.EPROTO):
                continue  # the client gave up before we got to it
            raise
        sock.setblocking(False)
        print(f"Somebody at {addr[0]}:{addr[1]} wants poetry!", flush=True)
        clients[sock] = Client(sock, addr, poem)


def send_some(client, num_bytes):
    """Send the next chunk; False when this client is finished (or gone)."""
    chunk = client.rest[:num_bytes] if num_bytes else client.rest
    try:
        sent = client.sock.send(chunk)
    except (BlockingIOError, InterruptedError):
        return True
    except OSError:
        # The client hung up before the end of the poem; just drop it.
        print(f"Client at {client.addr[0]}:{client.addr[1]} went away early.", flush=True)
        return False
    client.rest = client.rest[sent:]
    if not client.rest:
        print(f"Sent the whole poem to {client.addr[0]}:{client.addr[1]}.", flush=True)
        return False
    return True


def stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, stop_on_sigterm)

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((args.iface, args.port))
        except OSError as e:
            sys.exit(f"select-poetry-server.py: cannot listen on {args.iface}:{args.port}: "
                     f"{e.strerror}")
        listener.listen(128)
        listener.setblocking(False)
        host, port = listener.getsockname()
        print(f"Serving {args.poetry_file} on {host} port {port}.", flush=True)
        try:
            serve(listener, args.poem, args.num_bytes, args.delay)
        except KeyboardInterrupt:
            print("Shutting down.", flush=True)


if __name__ == "__main__":
    main()
