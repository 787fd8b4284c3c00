"""Poetry Transformation Server, two protocols -- Part 12, exercise 3 (Figure 27).

Original: none; the exercise asks for it, building on transformation
server 1.0 (twisted-server-1/transformedpoetry.py).

The exercise: invent a second protocol for asking for transformations and
serve both protocols, on two ports, from ONE TransformService instance.
This is the server of Figure 27. The two factories differ only in their
`protocol` attribute; the service knows nothing about either wire format.

Protocol 1 (--port): the netstring protocol of the text, NAME.POEM in one
netstring, the transformed poem back in one netstring, or a silent close.

Protocol 2 (--line-port), invented here, line-based like POP3 or SMTP:

    client:  NAME                      the transform, alone on the first line
             ...the poem, line by line (a line starting with "." gets one
             more "." in front, so it cannot be taken for the end)...
             .                         a line holding just "." ends the poem
    server:  +OK                       then the transformed poem, dot-stuffed
             ...                       the same way, then "." -- and closes
    or:      -ERR <reason>             and closes

Unlike the netstring protocol it says *why* a request failed. Lines end
with "\n"; a poem whose last line has no newline gets one.

    python exercises/part-12/transformedpoetry-2proto.py --port 10001 --line-port 10002
    printf 'backwards\nfirst\nsecond\n.\n' | nc -q1 localhost 10002

Departure from the text: a port already in use is one line on stderr,
"transformedpoetry-2proto.py: cannot listen on localhost:10001: Address
already in use", and exit status 1, not a traceback.
"""

import argparse
import sys

from twisted.internet.error import CannotListenError
from twisted.internet.protocol import ServerFactory
from twisted.protocols.basic import LineReceiver, NetstringReceiver


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Poetry transformations over netstrings and over lines, one service.",
        epilog="Example: %(prog)s --port 10001 --line-port 10002",
    )
    parser.add_argument("--port", type=int, default=0,
                        help="port for the netstring protocol (default: a random free port)")
    parser.add_argument("--line-port", type=int, default=0,
                        help="port for the line protocol (default: a random free port)")
    parser.add_argument("--iface", default="localhost",
                        help="interface to listen on (default: localhost)")
    args = parser.parse_args(argv)
    for name in ("port", "line_port"):
        value = getattr(args, name)
        if not 0 <= value <= 65535:
            parser.error(f"argument --{name.replace('_', '-')}: {value} is not a port number")
    if args.port and args.port == args.line_port:
        parser.error("the two protocols need two different ports")
    return args


class TransformService:

    def cummingsify(self, poem):
        return poem.lower()

    def backwards(self, poem):
        lines = poem.splitlines(keepends=True)
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        return "".join(reversed(lines))


class TransformProtocol(NetstringReceiver):
    """Protocol 1: one netstring each way."""

    def stringReceived(self, request):
        try:
            request = request.decode("utf-8")
        except UnicodeDecodeError:
            self.transport.loseConnection()
            return

        if "." not in request:  # bad request
            self.transport.loseConnection()
            return

        xform_name, poem = request.split(".", 1)

        self.xformRequestReceived(xform_name, poem)

    def xformRequestReceived(self, xform_name, poem):
        new_poem = self.factory.transform(xform_name, poem)

        if new_poem is not None:
            self.sendString(new_poem.encode("utf-8"))

        self.transport.loseConnection()


class LineTransformProtocol(LineReceiver):
    """Protocol 2: a name line, the poem's lines, a "." line."""

    delimiter = b"\n"

    xform_name = None

    def connectionMade(self):
        self.lines = []

    def lineReceived(self, line):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError:
            self.reply_error("request is not UTF-8 text")
            return

        if self.xform_name is None:
            self.xform_name = line.strip()
        elif line == ".":
            self.xformRequestReceived(self.xform_name, "".join(self.lines))
        else:
            # Undo the dot-stuffing: "..x" was sent for ".x".
            self.lines.append((line[1:] if line.startswith(".") else line) + "\n")

    def lineLengthExceeded(self, line):
        self.reply_error("line too long")

    def xformRequestReceived(self, xform_name, poem):
        if not self.factory.has_transform(xform_name):
            self.reply_error(f"no such transform: {xform_name}")
            return
        new_poem = self.factory.transform(xform_name, poem)
        if new_poem is None:
            self.reply_error(f"the {xform_name} transform failed")
            return
        self.sendLine(b"+OK")
        for line in new_poem.splitlines():
            if line.startswith("."):
                line = "." + line
            self.sendLine(line.encode("utf-8"))
        self.sendLine(b".")
        self.transport.loseConnection()

    def reply_error(self, reason):
        self.sendLine(f"-ERR {reason}".encode("utf-8"))
        self.transport.loseConnection()


class TransformFactory(ServerFactory):

    protocol = TransformProtocol

    def __init__(self, service):
        self.service = service

    def has_transform(self, xform_name):
        return hasattr(self, f"xform_{xform_name}")

    def transform(self, xform_name, poem):
        thunk = getattr(self, f"xform_{xform_name}", None)

        if thunk is None:  # no such transform
            return None

        try:
            return thunk(poem)
        except Exception:
            return None  # transform failed

    def xform_cummingsify(self, poem):
        return self.service.cummingsify(poem)

    def xform_backwards(self, poem):
        return self.service.backwards(poem)


class LineTransformFactory(TransformFactory):
    # Figure 27: the second factory differs only in its protocol.
    protocol = LineTransformProtocol


def listen(reactor, port, factory, iface):
    """reactor.listenTCP; a port in use is one line and exit 1."""
    try:
        return reactor.listenTCP(port, factory, interface=iface)
    except CannotListenError as e:
        sys.exit(f"transformedpoetry-2proto.py: cannot listen on {iface}:{port}: {e.socketError.strerror}")


def main(argv=None):
    args = parse_args(argv)

    # One service, shared by both factories.
    service = TransformService()
    netstring_factory = TransformFactory(service)
    line_factory = LineTransformFactory(service)

    from twisted.internet import reactor

    port = listen(reactor, args.port, netstring_factory, args.iface)
    line_port = listen(reactor, args.line_port, line_factory, args.iface)

    print(f"Serving transforms on {port.getHost()}.", flush=True)
    print(f"Serving line-based transforms on {line_port.getHost()}.", flush=True)

    reactor.run()


if __name__ == "__main__":
    main()
