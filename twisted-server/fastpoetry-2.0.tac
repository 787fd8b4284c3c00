"""Fast Poetry 2.0 -- Part 16, "Twisted Daemonologie".

Original: twisted-server-3/fastpoetry.py

A tac file: a Twisted Application Configuration. Running it with python
does nothing; twistd builds the `application` it defines and runs it:

    twistd --nodaemon --python twisted-server/fastpoetry-2.0.tac   (or: twistd -ny ...)
    twistd --python twisted-server/fastpoetry-2.0.tac               (as a daemon)
    kill `cat twistd.pid`

The protocol, factory and service would normally live in a module of their
own; like the text, we keep them here so the example is self-contained.

Configuration: the text's values are the defaults (port 10000 on localhost,
poetry/ecstasy.txt). A deployment may override them without editing the
file through FASTPOETRY_PORT, FASTPOETRY_IFACE and FASTPOETRY_POEM; the
tests use FASTPOETRY_PORT=0 to get a free port.

Departure from the text: a port already in use is one line,
"fastpoetry-2.0.tac: cannot listen on localhost:10000: Address already in
use", and exit status 1, not a traceback. CannotListen is a SystemExit, so
in the foreground that line is all twistd shows; it is an Exception too, so
twistd's clean-up for a failed start runs: the pidfile is removed, and as a
daemon the launching twistd prints the line and exits 1.
"""

import os
import sys

from twisted.application import internet, service
from twisted.internet.error import CannotListenError
from twisted.internet.protocol import Protocol, ServerFactory
from twisted.python import log


class PoetryProtocol(Protocol):

    def connectionMade(self):
        poem = self.factory.service.poem
        log.msg(f"sending {len(poem)} bytes of poetry to {self.transport.getPeer()}")
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
        log.msg(f"loaded a poem from: {self.poetry_file}")


class CannotListen(SystemExit, Exception):
    """A port that cannot be bound: one line and exit status 1."""


class PoetryTCPServer(internet.TCPServer):
    """internet.TCPServer, with a port it cannot bind as one line."""

    def privilegedStartService(self):
        try:
            super().privilegedStartService()
        except CannotListenError as e:
            raise CannotListen(f"fastpoetry-2.0.tac: cannot listen on {e.interface}:{e.port}: "
                               f"{e.socketError.strerror}") from None


# configuration parameters
port = os.environ.get("FASTPOETRY_PORT", "10000")
iface = os.environ.get("FASTPOETRY_IFACE", "localhost")
poetry_file = os.environ.get("FASTPOETRY_POEM", "poetry/ecstasy.txt")

# Check them here: twistd binds the port before it starts PoetryService,
# so a bad value found later would come out as a traceback.
if not port.isdigit() or int(port) > 65535:
    sys.exit(f"fastpoetry-2.0.tac: FASTPOETRY_PORT must be a port number, not {port!r}")
port = int(port)
if not os.access(poetry_file, os.R_OK):
    sys.exit(f"fastpoetry-2.0.tac: cannot read poem {poetry_file!r}")
# A long listen queue, so a burst of clients is not left hanging in SYN.
backlog = 1024

# this will hold the services that combine to form the poetry server
top_service = service.MultiService()

# the poetry service holds the poem. it will load the poem when it is
# started
poetry_service = PoetryService(poetry_file)
poetry_service.setServiceParent(top_service)

# the tcp service connects the factory to a listening socket. it will
# create the listening socket when it is started
factory = PoetryFactory(poetry_service)
tcp_service = PoetryTCPServer(port, factory, interface=iface, backlog=backlog)
tcp_service.setServiceParent(top_service)

# this variable has to be named 'application'
application = service.Application("fastpoetry")

# this hooks the collection we made to the application
top_service.setServiceParent(application)
