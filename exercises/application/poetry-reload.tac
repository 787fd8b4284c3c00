"""Fast poetry that re-reads its poem -- Application howto (TimerService)
and the finger tutorial's "Read Status File" step.

Original: none; the finger tutorial's FingerService re-reads its users
file every 30 seconds with callLater; the howto lists TimerService.

The exercise: serve the poem file's current contents without a restart.
A TimerService calls ReloadingPoetryService.reload every POETRY_RELOAD
seconds (default 30); reload reads the file again and, if the text has
changed, swaps it in and logs it. A file that cannot be read (being
rewritten, say) keeps the old poem and logs a warning. Stopping the
application stops the timer too, as TimerService is a child service.

    twistd -n -y exercises/application/poetry-reload.tac
    # edit poetry/ecstasy.txt (or the file in POETRY_FILE), wait, fetch again

    cp poetry/science.txt /tmp/poem.txt
    POETRY_FILE=/tmp/poem.txt POETRY_RELOAD=2 twistd -n -y exercises/application/poetry-reload.tac

A POETRY_FILE that cannot be read at start is one line and exit status 1
before any port is bound; once serving, a file that goes away keeps the
poem last read.

Configuration: POETRY_FILE (default poetry/ecstasy.txt), POETRY_PORT
(default 10000), POETRY_IFACE, POETRY_RELOAD (seconds, default 30).

Departure from the text: a port already in use is one line,
"poetry-reload.tac: cannot listen on localhost:10000: Address already in
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


class ReloadingPoetryService(service.Service):

    poem = b""

    def __init__(self, poetry_file):
        self.poetry_file = poetry_file

    def startService(self):
        service.Service.startService(self)
        self.reload()

    def reload(self):
        try:
            with open(self.poetry_file, "rb") as f:
                poem = f.read()
        except OSError as e:
            log.warn("cannot re-read {path}: {why}; still serving the old poem",
                     path=self.poetry_file, why=e.strerror)
            return
        if poem != self.poem:
            self.poem = poem
            log.info("loaded a poem from: {path} ({count} bytes)",
                     path=self.poetry_file, count=len(poem))


class CannotListen(SystemExit, Exception):
    """A port that cannot be bound: one line and exit status 1."""


class PoetryTCPServer(internet.TCPServer):
    """internet.TCPServer, with a port it cannot bind as one line."""

    def privilegedStartService(self):
        try:
            super().privilegedStartService()
        except CannotListenError as e:
            raise CannotListen(f"poetry-reload.tac: cannot listen on {e.interface}:{e.port}: "
                               f"{e.socketError.strerror}") from None


# configuration parameters
poetry_file = os.environ.get("POETRY_FILE", "poetry/ecstasy.txt")
port = int(os.environ.get("POETRY_PORT", 10000))
iface = os.environ.get("POETRY_IFACE", "localhost")
interval = float(os.environ.get("POETRY_RELOAD", 30))

# The first read must work: with no poem to fall back on, the server would
# serve nothing and warn that it keeps "the old poem" for ever.
try:
    with open(poetry_file, "rb"):
        pass
except OSError as e:
    sys.exit(f"poetry-reload.tac: cannot read POETRY_FILE {poetry_file!r}: {e.strerror}")

top_service = service.MultiService()
poetry_service = ReloadingPoetryService(poetry_file)
poetry_service.setServiceParent(top_service)
# Runs reload now and then every `interval` seconds while the app runs.
internet.TimerService(interval, poetry_service.reload).setServiceParent(top_service)
PoetryTCPServer(port, PoetryFactory(poetry_service),
                interface=iface).setServiceParent(top_service)

application = service.Application("fastpoetry-reload")
top_service.setServiceParent(application)
