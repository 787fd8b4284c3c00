"""Fast poetry with a daily log file -- Application howto, "Customizing twistd logging".

Original: none; the howto ("Using the Twisted Application Framework")
shows the idea with an empty application.

The exercise: set a custom ILogObserver on the Application, writing to a
DailyLogFile, so twistd logs there (rotated once a day: poetry.log, then
poetry.log.2026_11_22 and so on) instead of to twistd.log or the terminal.
The observer is a component of the application, so it applies in the
foreground (-n) as well as when daemonized.

    twistd -n -y exercises/application/poetry-dailylog.tac
    tail -f poetry.log

Configuration: POETRY_LOGDIR (default: the current directory), POETRY_PORT
(default 10000), POETRY_FILE (default poetry/ecstasy.txt), POETRY_IFACE.

The log file is closed when the process exits, not when the application
stops: twistd logs the closing of the port and then "Server Shut Down."
after every service has stopped, and those lines belong in the log too.
Each line is flushed as it is written, so nothing waits for the close.

Departure from the text: a port already in use is one line,
"poetry-dailylog.tac: cannot listen on localhost:10000: Address already in
use", and exit status 1, not a traceback. CannotListen is a SystemExit, so
in the foreground that line is all twistd shows; it is an Exception too, so
twistd's clean-up for a failed start runs: the pidfile is removed, and as a
daemon the launching twistd prints the line and exits 1. Since this tac
logs to poetry.log, the line is also printed on the terminal.
"""

import atexit
import os
import sys

from twisted.application import internet, service
from twisted.internet.error import CannotListenError
from twisted.internet.protocol import Protocol, ServerFactory
from twisted.logger import ILogObserver, Logger, textFileLogObserver
from twisted.python.logfile import DailyLogFile

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
            line = (f"poetry-dailylog.tac: cannot listen on {e.interface}:{e.port}: "
                    f"{e.socketError.strerror}")
            # Everything else goes to poetry.log, so the terminal would show
            # nothing at all: say it there too.
            print(line, file=sys.__stderr__, flush=True)
            raise CannotListen(line) from None


# configuration parameters
logdir = os.environ.get("POETRY_LOGDIR", ".")
port = int(os.environ.get("POETRY_PORT", 10000))
iface = os.environ.get("POETRY_IFACE", "localhost")
poetry_file = os.environ.get("POETRY_FILE", "poetry/ecstasy.txt")

application = service.Application("fastpoetry-dailylog")

# twistd asks the application for this component before it starts logging.
logfile = DailyLogFile("poetry.log", logdir)
application.setComponent(ILogObserver, textFileLogObserver(logfile))
# After twistd's last line, "Server Shut Down.", which it logs once the
# reactor and every service have stopped.
atexit.register(logfile.close)

top_service = service.MultiService()
poetry_service = PoetryService(poetry_file)
poetry_service.setServiceParent(top_service)
PoetryTCPServer(port, PoetryFactory(poetry_service),
                interface=iface).setServiceParent(top_service)
top_service.setServiceParent(application)
