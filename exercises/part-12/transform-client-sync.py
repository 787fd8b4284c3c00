"""Synchronous Transform Client -- Part 12, exercise 5.

Original: none; the exercise asks for it. The text's own client is the
netcat script twisted-server-1/transform-test (here twisted-server/).

The exercise: write a synchronous (blocking) client for the transformation
server. No reactor, no callbacks: connect, send one netstring NAME.POEM,
read until the server closes, decode the netstring and print the poem.
Because the reply is a netstring, a reply that was cut short is detected
(and reported) instead of being printed as if it were the whole poem.

With --lines it speaks the line-based protocol invented in exercise 3
(exercises/part-12/transformedpoetry-2proto.py, its --line-port) instead.

    python twisted-server/transformedpoetry-1.0.py --port 10001
    python exercises/part-12/transform-client-sync.py 10001 poetry/science.txt
    echo 'HELLO THERE' | python exercises/part-12/transform-client-sync.py --xform cummingsify 10001
    python exercises/part-12/transform-client-sync.py --lines --xform backwards 10002 poetry/science.txt

Exit status: 0 with the poem on stdout; 1 with a message on stderr when the
server is unreachable, refuses the request (closes without a reply: no
such transform, or it failed), or sends a broken or truncated netstring.
"""

import argparse
import socket
import sys


def parse_address(text):
    """[HOST:]PORT -> (host, port); the host defaults to 127.0.0.1."""
    host, _, port = text.rpartition(":")
    if not port.isdigit() or not 0 < int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"invalid address {text!r}: the port must be 1-65535")
    return host or "127.0.0.1", int(port)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Transform a poem with a transformation server, synchronously.",
        epilog="Example: %(prog)s --xform cummingsify 10001 poetry/science.txt",
    )
    parser.add_argument("server", metavar="[HOST:]PORT", type=parse_address,
                        help="the transformation server")
    parser.add_argument("poem", metavar="POEM", nargs="?",
                        help="the poem file (default: read standard input)")
    parser.add_argument("--xform", default="cummingsify",
                        help="the transform to ask for (default: cummingsify)")
    parser.add_argument("--lines", action="store_true",
                        help="speak the line protocol of exercise 3, not netstrings")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds to wait for the server (default: 10)")
    args = parser.parse_args(argv)
    if "." in args.xform:
        parser.error("argument --xform: a transform name cannot contain '.'")
    try:
        if args.poem is None:
            args.text = sys.stdin.buffer.read()
        else:
            with open(args.poem, "rb") as f:
                args.text = f.read()
    except OSError as e:
        parser.error(f"cannot read poem {args.poem!r}: {e.strerror}")
    return args


class TransformError(Exception):
    pass


def decode_netstring(data):
    """The payload of exactly one netstring, or TransformError saying what is wrong."""
    if not data:
        raise TransformError("the server closed the connection without a reply "
                             "(no such transform, or the transform failed)")
    length, colon, rest = data.partition(b":")
    if not colon or not length.isdigit():
        raise TransformError("the reply is not a netstring")
    length = int(length)
    if len(rest) < length + 1:
        raise TransformError(f"the reply was cut short: got {max(len(rest), 0)} "
                             f"of {length} bytes")
    if rest[length:] != b",":
        raise TransformError("the reply is not a single netstring")
    return rest[:length]


def decode_lines(data):
    """The poem in a line-protocol reply, or TransformError."""
    status, _, body = data.partition(b"\n")
    if status.startswith(b"-ERR"):
        raise TransformError("the server said: " + status[5:].decode("utf-8", "replace"))
    if status != b"+OK":
        raise TransformError("the server closed the connection without a reply"
                             if not data else "the reply is not +OK or -ERR")
    lines = body.split(b"\n")
    if len(lines) < 2 or lines[-2:] != [b".", b""]:
        raise TransformError("the reply was cut short: no final '.' line")
    return b"".join((line[1:] if line.startswith(b".") else line) + b"\n"
                    for line in lines[:-2])


def encode_lines(xform_name, poem):
    out = [xform_name.encode("utf-8")]
    for line in poem.splitlines():
        out.append(b"." + line if line.startswith(b".") else line)
    out.append(b".")
    return b"".join(line + b"\n" for line in out)


def talk(host, port, request, timeout):
    """Blocking: send the request, read until the server closes."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def xform(host, port, xform_name, poem, timeout=10.0, lines=False):
    """Blocking: send one request, return the transformed poem (bytes)."""
    if lines:
        return decode_lines(talk(host, port, encode_lines(xform_name, poem), timeout))
    request = xform_name.encode("utf-8") + b"." + poem
    return decode_netstring(talk(host, port, b"%d:%s," % (len(request), request), timeout))


def main(argv=None):
    args = parse_args(argv)
    host, port = args.server
    try:
        poem = xform(host, port, args.xform, args.text, args.timeout, args.lines)
    except TransformError as e:
        sys.exit(f"transform-client-sync: {e}")
    except OSError as e:
        sys.exit(f"transform-client-sync: cannot talk to {host}:{port}: {e.strerror or e}")
    sys.stdout.write(poem.decode("utf-8", "replace"))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
