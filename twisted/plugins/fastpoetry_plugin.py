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
are checked in postOptions, so a missing --poem, a poem that is not a
readable regular file (a FIFO would block the open for ever) or a bad port
is a usage error printed by twistd before any port is bound; the poem is
served as bytes; the listen backlog is long enough for a burst of a
thousand clients; a port already in use is one line, "fastpoetry: cannot
listen on localhost:10000: Address already in use", and exit status 1, not
a traceback. CannotListen is a SystemExit, so with -n that line is all
twistd shows; it is an Exception too, so twistd's clean-up for a failed
start runs: the pidfile is removed, and as a daemon the launching twistd
prints the line (`An error has occurred: b'CannotListen: fastpoetry: ...'`)
and exits 1.

Logging, the one departure made for speed: every connection is still
logged with its peer and byte count, in the text's words ("sending N bytes
of poetry to IPv4Address(...)"), but the lines of all the connections
served in one reactor turn go to twistd's log as one event, written with
one timestamp and one write and flush. A lone connection gets a line of its
own, as in the text; a busy turn gives one timestamped line and the others
below it, indented by twistd as it indents any multi-line event. Lines
still waiting when the service stops (SIGTERM) are written then. On a
busy server, tens of connections share a turn, and logging costs a few
microseconds a connection instead of about fifty; a lone connection costs
what the text's line did. bench/README.md shows the profile and the figures.
"""

import os
import stat

from twisted.application import internet, service
from twisted.internet.error import CannotListenError
from twisted.internet.protocol import Protocol, ServerFactory
from twisted.logger import Logger
from twisted.plugin import IPlugin
from twisted.python import log, usage
from zope.interface import implementer


class ConnectionLog:
    """One log line per connection, handed to the log once per reactor turn.

    Almost all the cost of a log line is per event, not per line: the
    publisher, the event's timestamp and format, and the write and flush of
    twistd's log observer. So connections note their line here, and the
    first one of a turn schedules a flush for the end of the turn
    (callLater(0) runs right after the reactor has handled every ready
    socket). At most `limit` lines wait, so memory is bounded whatever the
    load; `flush()` is also called when the service stops, so nothing waits
    in here when the process exits."""

    def __init__(self, reactor, limit=1000, observer=None):
        # An instance attribute: a Logger on the class would be rebuilt by
        # its descriptor on every access. `observer` is for tests; by
        # default events go to the global publisher, that is, to twistd's log.
        self.log = Logger(namespace="fastpoetry", observer=observer)
        self.reactor = reactor
        self.limit = limit
        self.pending = []
        self.call = None

    def sent(self, nbytes, peer):
        pending = self.pending
        pending.append((nbytes, peer))
        if len(pending) >= self.limit:
            self.flush()
        elif self.call is None:
            self.call = self.reactor.callLater(0, self.flush)

    def flush(self):
        if self.call is not None:
            if self.call.active():
                self.call.cancel()
            self.call = None
        pending, self.pending = self.pending, []
        if pending:
            # The lines are built here, at the end of the turn, not in
            # connectionMade: one join and one event for the whole batch.
            text = "\n".join([f"sending {nbytes} bytes of poetry to {peer!r}"
                              for nbytes, peer in pending])
            self.log.info("{connections}", connections=text, count=len(pending))


class PoetryProtocol(Protocol):

    def connectionMade(self):
        poem = self.factory.service.poem
        # The peer is the address the factory was given in buildProtocol:
        # getPeer() would build the same object a second time.
        self.factory.service.connections.sent(len(poem), self.peer)
        self.transport.write(poem)
        self.transport.loseConnection()


class PoetryFactory(ServerFactory):

    protocol = PoetryProtocol

    def __init__(self, service):
        self.service = service

    def buildProtocol(self, addr):
        p = ServerFactory.buildProtocol(self, addr)
        p.peer = addr
        return p


class PoetryService(service.Service):

    def __init__(self, poetry_file):
        self.poetry_file = poetry_file
        self.connections = None

    def startService(self):
        from twisted.internet import reactor

        service.Service.startService(self)
        with open(self.poetry_file, "rb") as f:
            self.poem = f.read()
        self.connections = ConnectionLog(reactor)
        log.msg(f"loaded a poem from: {self.poetry_file}")

    def stopService(self):
        # The TCP service stops first (it was added last), so no new line
        # can come after this flush.
        if self.connections is not None:
            self.connections.flush()
        return service.Service.stopService(self)


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
            raise CannotListen(f"fastpoetry: cannot listen on {e.interface}:{e.port}: "
                               f"{e.socketError.strerror}") from None


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
        # stat first: opening a FIFO for reading blocks until a writer
        # comes, and a directory or a device is no poem either.
        try:
            mode = os.stat(poem).st_mode
        except OSError as e:
            raise usage.UsageError(f"cannot read poem {poem!r}: {e.strerror}") from None
        if not stat.S_ISREG(mode):
            raise usage.UsageError(f"cannot read poem {poem!r}: not a regular file")
        try:
            with open(poem, "rb"):
                pass
        except OSError as e:
            raise usage.UsageError(f"cannot read poem {poem!r}: {e.strerror}") from None


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
        tcp_service = PoetryTCPServer(options["port"], factory,
                                      interface=options["iface"],
                                      backlog=options["backlog"])
        tcp_service.setServiceParent(top_service)

        return top_service


service_maker = PoetryServiceMaker()
