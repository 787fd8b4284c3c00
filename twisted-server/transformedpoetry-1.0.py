"""Poetry Transformation Server 1.0 -- Part 12, "A Poetry Transformation Server".

Original: twisted-server-1/transformedpoetry.py

A client sends one netstring, NAME.POEM, where NAME is a transform such as
"cummingsify"; the server replies with one netstring holding the transformed
poem and closes. A request with no ".", an unknown transform, or a failed
transform gets no reply: the connection is simply closed, as in the text.

Python 3: netstrings carry bytes. The protocol decodes them as UTF-8 and the
service works on str; bytes that are not UTF-8 are treated like any other
bad request (closed without a reply) instead of raising in dataReceived.

Faithful to the text, bad, over-long or malformed requests are dropped with
nothing logged, and a client that sends nothing, or half a netstring, is
held for ever. The hardened server, which logs every rejection and has an
idle timeout, is `twistd transformpoetry`.

    python twisted-server/transformedpoetry-1.0.py --port 10001

Departure from the text: a port already in use is one line on stderr,
"transformedpoetry-1.0.py: cannot listen on localhost:10001: Address already
in use", and exit status 1, not a traceback.
"""

import argparse
import sys

from twisted.internet.error import CannotListenError
from twisted.internet.protocol import ServerFactory
from twisted.protocols.basic import NetstringReceiver


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="A poetry transformation service speaking netstrings.",
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
        # Only methods named xform_* can be reached by a client.
        thunk = getattr(self, f"xform_{xform_name}", None)

        if thunk is None:  # no such transform
            return None

        try:
            return thunk(poem)
        except Exception:
            return None  # transform failed

    def xform_cummingsify(self, poem):
        return self.service.cummingsify(poem)


def main(argv=None):
    args = parse_args(argv)

    service = TransformService()
    factory = TransformFactory(service)

    from twisted.internet import reactor

    try:
        port = reactor.listenTCP(args.port, factory, interface=args.iface)
    except CannotListenError as e:
        sys.exit(f"transformedpoetry-1.0.py: cannot listen on {args.iface}:{args.port}: "
                 f"{e.socketError.strerror}")

    print(f"Serving transforms on {port.getHost()}.", flush=True)

    reactor.run()


if __name__ == "__main__":
    main()
