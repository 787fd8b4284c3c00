"""Fast Poetry 2.0 serving two poems -- Part 16, exercise 1.

Original: none; the exercise asks for it, changing the tac file of
twisted-server-3/fastpoetry.py (here twisted-server/fastpoetry-2.0.tac).

The exercise: make the tac file serve a second poem on another port,
keeping each poem's services apart in a MultiService of its own. The tree
twistd starts is:

    application
      top_service (MultiService)
        poem_one (MultiService): PoetryService + TCPServer on port 10000
        poem_two (MultiService): PoetryService + TCPServer on port 10001

Each poem's pair is started and stopped together, and either could be
detached (disownServiceParent) without touching the other.

    twistd --nodaemon --python exercises/part-16/fastpoetry-two.tac
    python twisted-client/get-poetry.py --no-transform 10000 10001

Configuration: the defaults are poetry/ecstasy.txt on 10000 and
poetry/science.txt on 10001, on localhost; TWOPOEMS_POEM1, TWOPOEMS_PORT1,
TWOPOEMS_POEM2, TWOPOEMS_PORT2 and TWOPOEMS_IFACE override them (a port of
0 picks a free one, which twistd logs: "PoetryFactory starting on N").

Departure from the text: a port already in use is one line,
"fastpoetry-two.tac: cannot listen on localhost:10000: Address already in
use", and exit status 1, not a traceback. CannotListen is a SystemExit, so
in the foreground that line is all twistd shows; it is an Exception too, so
twistd's clean-up for a failed start runs: the pidfile is removed, and as a
daemon the launching twistd prints the line and exits 1.
"""

import os

from twisted.application import internet, service
from twisted.internet.error import CannotListenError
from twisted.internet.protocol import Protocol, ServerFactory
from twisted.logger import Logger

log = Logger(namespace="fastpoetry")


class PoetryProtocol(Protocol):

    def connectionMade(self):
        poem = self.factory.service.poem
        log.info("sending {count} bytes of poetry to {peer}",
                 count=len(poem), peer=self.transport.getPeer())
        self.transport.write(poem)
        self.transport.loseConnection()


class PoetryFactory(ServerFactory):

    protocol = PoetryProtocol

    def __init__(self, service):
        self.service = service


class PoetryService(service.Service):

    def __init__(self, poetry_file):
        self.poetry_file = poetry_file

    def startService(self):
        service.Service.startService(self)
        with open(self.poetry_file, "rb") as f:
            self.poem = f.read()
        log.info("loaded a poem from: {path}", path=self.poetry_file)


class CannotListen(SystemExit, Exception):
    """A port that cannot be bound: one line and exit status 1."""


class PoetryTCPServer(internet.TCPServer):
    """internet.TCPServer, with a port it cannot bind as one line."""

    def privilegedStartService(self):
        try:
            super().privilegedStartService()
        except CannotListenError as e:
            raise CannotListen(f"fastpoetry-two.tac: cannot listen on {e.interface}:{e.port}: "
                               f"{e.socketError.strerror}") from None


def poem_service(name, poetry_file, port, iface):
    """One poem's MultiService: the poem holder plus its listening port."""
    multi = service.MultiService()
    multi.setName(name)
    poetry_service = PoetryService(poetry_file)
    poetry_service.setServiceParent(multi)
    factory = PoetryFactory(poetry_service)
    PoetryTCPServer(port, factory, interface=iface).setServiceParent(multi)
    return multi


# configuration parameters
iface = os.environ.get("TWOPOEMS_IFACE", "localhost")
poem1 = os.environ.get("TWOPOEMS_POEM1", "poetry/ecstasy.txt")
port1 = int(os.environ.get("TWOPOEMS_PORT1", 10000))
poem2 = os.environ.get("TWOPOEMS_POEM2", "poetry/science.txt")
port2 = int(os.environ.get("TWOPOEMS_PORT2", 10001))

top_service = service.MultiService()
poem_service("poem_one", poem1, port1, iface).setServiceParent(top_service)
poem_service("poem_two", poem2, port2, iface).setServiceParent(top_service)

# this variable has to be named 'application'
application = service.Application("fastpoetry-two")
top_service.setServiceParent(application)
