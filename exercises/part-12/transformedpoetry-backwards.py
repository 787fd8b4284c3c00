"""Poetry Transformation Server with a second transform -- Part 12, exercise 2.

Original: none; the exercise asks for it, building on transformation
server 1.0 (twisted-server-1/transformedpoetry.py, here
twisted-server/transformedpoetry-1.0.py).

The exercise: invent another transformation, add it to the
TransformService and to the protocol factory, and try it with a client.
Ours is "backwards": the poem's lines in reverse order, last line first
(each line itself is left alone). The wire protocol is unchanged -- one
netstring NAME.POEM in, one netstring back -- so the only new code is one
service method and one xform_ method guarding it.

Try it with the synchronous client of exercise 5:

    python exercises/part-12/transformedpoetry-backwards.py --port 10001
    python exercises/part-12/transform-client-sync.py --xform backwards 10001 poetry/science.txt

Departure from the text: a port already in use is one line on stderr,
"transformedpoetry-backwards.py: cannot listen on localhost:10005: Address
already in use", and exit status 1, not a traceback.
"""

import argparse
import sys

from twisted.internet.error import CannotListenError
from twisted.internet.protocol import ServerFactory
from twisted.protocols.basic import NetstringReceiver


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="A poetry transformation service with cummingsify and backwards.",
        epilog="Example: %(prog)s --port 10001",
    )
    parser.add_argument("--port", type=int, default=0,
                        help="port to listen on (default: a random free port)")
    parser.add_argument("--iface", default="localhost",
                        help="interface to listen on (default: localhost)")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"argument --port: {args.port} is not a port number")
    return args


class TransformService:

    def cummingsify(self, poem):
        return poem.lower()

    def backwards(self, poem):
        # keepends, so a poem ending in a newline still ends in one (the
        # last line of a file without a final newline gains one).
        lines = poem.splitlines(keepends=True)
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        return "".join(reversed(lines))


class TransformProtocol(NetstringReceiver):

    def stringReceived(self, request):
        try:
            request = request.decode("utf-8")
        except UnicodeDecodeError:  # not text: a bad request
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


class TransformFactory(ServerFactory):

    protocol = TransformProtocol

    def __init__(self, service):
        self.service = service

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


def main(argv=None):
    args = parse_args(argv)

    service = TransformService()
    factory = TransformFactory(service)

    from twisted.internet import reactor

    try:
        port = reactor.listenTCP(args.port, factory, interface=args.iface)
    except CannotListenError as e:
        sys.exit(f"transformedpoetry-backwards.py: cannot listen on "
                 f"{args.iface}:{args.port}: {e.socketError.strerror}")

    print(f"Serving transforms on {port.getHost()}.", flush=True)

    reactor.run()


if __name__ == "__main__":
    main()
