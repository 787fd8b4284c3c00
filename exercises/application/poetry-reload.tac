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

Configuration: POETRY_FILE (default poetry/ecstasy.txt), POETRY_PORT
(default 10000), POETRY_IFACE, POETRY_RELOAD (seconds, default 30).
"""

import os

from twisted.application import internet, service
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


# configuration parameters
poetry_file = os.environ.get("POETRY_FILE", "poetry/ecstasy.txt")
port = int(os.environ.get("POETRY_PORT", 10000))
iface = os.environ.get("POETRY_IFACE", "localhost")
interval = float(os.environ.get("POETRY_RELOAD", 30))

top_service = service.MultiService()
poetry_service = ReloadingPoetryService(poetry_file)
poetry_service.setServiceParent(top_service)
# Runs reload now and then every `interval` seconds while the app runs.
internet.TimerService(interval, poetry_service.reload).setServiceParent(top_service)
internet.TCPServer(port, PoetryFactory(poetry_service),
                   interface=iface).setServiceParent(top_service)

application = service.Application("fastpoetry-reload")
top_service.setServiceParent(application)
