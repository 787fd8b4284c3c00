"""Fast Poetry 3.0, the twistd plugin -- Part 16, "Twisted Daemonologie".

Original: twisted/plugins/fastpoetry_plugin.py

    twistd fastpoetry --port 10000 --poem poetry/ecstasy.txt    (a daemon)
    twistd -n fastpoetry --poem poetry/ecstasy.txt              (in the foreground)
    kill `cat twistd.pid`

twistd finds this file because it sits in a twisted/plugins directory on
sys.path (no __init__.py anywhere). Stock twistd does not add the current
directory to sys.path, so the project must be installed: `make test`,
`make demo` or `pip install -e .` writes a .pth that names the repo root.

Departures from the text: @implementer instead of implements(); the options
are checked in postOptions, so a missing --poem, a poem file that does not
exist or a bad port is a usage error printed by twistd before any port is
bound; the poem is served as bytes; the listen backlog is long enough for a
burst of a thousand clients.
"""

from twisted.application import internet, service
from twisted.internet.protocol import Protocol, ServerFactory
from twisted.plugin import IPlugin
from twisted.python import log, usage
from zope.interface import implementer


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


def port_number(value):
    port = int(value)
    if not 0 <= port <= 65535:
        raise ValueError(f"{value} is not a port number")
    return port


# usage.Options calls a coerce function's coerceDoc in the help text.
port_number.coerceDoc = "A number from 0 to 65535; 0 picks a free port."


class Options(usage.Options):

    optParameters = [
        ["port", "p", 10000, "The port number to listen on.", port_number],
        ["poem", None, None, "The file containing the poem."],
        ["iface", None, "localhost", "The interface to listen on."],
        ["backlog", None, 1024, "Length of the listen queue.", int],
    ]

    def postOptions(self):
        poem = self["poem"]
        if not poem:
            raise usage.UsageError("--poem is required: the file containing the poem.")
        try:
            with open(poem, "rb"):
                pass
        except OSError as e:
            raise usage.UsageError(f"cannot read poem {poem!r}: {e.strerror}")


@implementer(service.IServiceMaker, IPlugin)
class PoetryServiceMaker:

    tapname = "fastpoetry"
    description = "A fast poetry service."
    options = Options

    def makeService(self, options):
        top_service = service.MultiService()

        poetry_service = PoetryService(options["poem"])
        poetry_service.setServiceParent(top_service)

        factory = PoetryFactory(poetry_service)
        tcp_service = internet.TCPServer(options["port"], factory,
                                         interface=options["iface"],
                                         backlog=options["backlog"])
        tcp_service.setServiceParent(top_service)

        return top_service


service_maker = PoetryServiceMaker()
