"""Fast Poetry plugin with an optional second poem -- Part 16, exercise 3.

Original: none; the exercise asks for it, changing
twisted/plugins/fastpoetry_plugin.py (the repository's own copy is at the
top level and stays as the text has it).

The exercise: let the plugin take an optional second poem file and a
second port to serve it on. --poem2 and --port2 go together: give both or
neither. Each poem gets its own MultiService, as in exercise 1.

twistd finds a plugin in any twisted/plugins directory on sys.path (with
no __init__.py). This one lives in exercises/part-16/twisted/plugins/, so
put exercises/part-16 on the path. Its name is fastpoetry2, so it does not
clash with the repository's fastpoetry:

    PYTHONPATH=exercises/part-16 twistd -n fastpoetry2 --poem poetry/ecstasy.txt --port 10000 \\
        --poem2 poetry/science.txt --port2 10001

Departure from the text: a port already in use is one line, "fastpoetry2:
cannot listen on localhost:10000: Address already in use", and exit status
1, not a traceback. CannotListen is a SystemExit, so in the foreground that
line is all twistd shows; it is an Exception too, so twistd's clean-up for a
failed start runs: the pidfile is removed, and as a daemon the launching
twistd prints the line and exits 1.
"""

from twisted.application import internet, service
from twisted.internet.error import CannotListenError
from twisted.internet.protocol import Protocol, ServerFactory
from twisted.logger import Logger
from twisted.plugin import IPlugin
from twisted.python import usage
from zope.interface import implementer

log = Logger(namespace="fastpoetry2")


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


def port_number(value):
    port = int(value)
    if not 0 <= port <= 65535:
        raise ValueError(f"{value} is not a port number")
    return port


port_number.coerceDoc = "A number from 0 to 65535; 0 picks a free port."


def readable(option, path):
    try:
        with open(path, "rb"):
            pass
    except OSError as e:
        raise usage.UsageError(f"cannot read {option} {path!r}: {e.strerror}") from None


class Options(usage.Options):

    optParameters = [
        ["port", "p", 10000, "The port number to listen on.", port_number],
        ["poem", None, None, "The file containing the poem."],
        ["port2", None, None, "The port for the second poem", port_number],
        ["poem2", None, None, "The file containing a second poem (optional)."],
        ["iface", None, "localhost", "The interface to listen on."],
    ]

    def postOptions(self):
        if not self["poem"]:
            raise usage.UsageError("--poem is required: the file containing the poem.")
        readable("--poem", self["poem"])
        if (self["poem2"] is None) != (self["port2"] is None):
            raise usage.UsageError("--poem2 and --port2 go together: give both or neither.")
        if self["poem2"] is not None:
            readable("--poem2", self["poem2"])
            if self["port2"] == self["port"] != 0:
                raise usage.UsageError("--port2 must differ from --port.")


class CannotListen(SystemExit, Exception):
    """A port that cannot be bound: one line and exit status 1."""

    # twistd prints the first 100 bytes of "module.Class: line" for a
    # daemon that failed to start: a short name leaves room for the line.
    __module__ = "builtins"


class PoetryTCPServer(internet.TCPServer):
    """internet.TCPServer, with a port it cannot bind as one line."""

    def privilegedStartService(self):
        try:
            super().privilegedStartService()
        except CannotListenError as e:
            raise CannotListen(f"fastpoetry2: cannot listen on {e.interface}:{e.port}: "
                               f"{e.socketError.strerror}") from None


def poem_service(poetry_file, port, iface):
    multi = service.MultiService()
    poetry_service = PoetryService(poetry_file)
    poetry_service.setServiceParent(multi)
    PoetryTCPServer(port, PoetryFactory(poetry_service),
                    interface=iface).setServiceParent(multi)
    return multi


@implementer(service.IServiceMaker, IPlugin)
class PoetryServiceMaker:

    tapname = "fastpoetry2"
    description = "A fast poetry service for one poem, or two on two ports."
    options = Options

    def makeService(self, options):
        top_service = service.MultiService()
        poem_service(options["poem"], options["port"],
                     options["iface"]).setServiceParent(top_service)
        if options["poem2"] is not None:
            poem_service(options["poem2"], options["port2"],
                         options["iface"]).setServiceParent(top_service)
        return top_service


service_maker = PoetryServiceMaker()
