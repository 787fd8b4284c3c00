"""Fast poetry on TCP and on a UNIX socket -- Application howto (UNIXServer).

Original: none; the howto lists UNIXServer next to TCPServer.

The exercise: offer the same poetry service over a UNIX-domain socket as
well as over TCP. Both servers are children of one MultiService and share
one PoetryService and one factory; a UNIXServer takes the same arguments
as reactor.listenUNIX, as a TCPServer does those of listenTCP. Local
clients can then use a file-system path, with file permissions for access
control, instead of a port.

    twistd -n -y exercises/application/poetry-unix.tac
    python -c 'import socket; s = socket.socket(socket.AF_UNIX); s.connect("poetry.sock"); print(s.recv(9999).decode())'

Configuration: POETRY_SOCKET (default poetry.sock, in the current
directory), POETRY_PORT (default 10000), POETRY_IFACE, POETRY_FILE
(default poetry/ecstasy.txt).

Departure from the text: a port already in use is one line,
"poetry-unix.tac: cannot listen on localhost:10000: Address already in use",
and exit status 1, not a traceback. CannotListen is a SystemExit, so in the
foreground that line is all twistd shows; it is an Exception too, so
twistd's clean-up for a failed start runs: the pidfile is removed, and as a
daemon the launching twistd prints the line and exits 1. A socket path
another live server holds (its lock file says so) is one line too:
"poetry-unix.tac: cannot listen on poetry.sock: another server is using it".
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
            raise CannotListen(f"poetry-unix.tac: cannot listen on {e.interface}:{e.port}: "
                               f"{e.socketError.strerror}") from None


class PoetryUNIXServer(internet.UNIXServer):
    """internet.UNIXServer, with a socket it cannot have as one line."""

    def privilegedStartService(self):
        try:
            super().privilegedStartService()
        except CannotListenError as e:
            # The lock file next to the socket names a live process: twistd
            # gives no errno for that, only a string.
            why = getattr(e.socketError, "strerror", None) or "another server is using it"
            raise CannotListen(f"poetry-unix.tac: cannot listen on {self.args[0]}: {why}") from None


# configuration parameters
socket_path = os.environ.get("POETRY_SOCKET", "poetry.sock")
port = int(os.environ.get("POETRY_PORT", 10000))
iface = os.environ.get("POETRY_IFACE", "localhost")
poetry_file = os.environ.get("POETRY_FILE", "poetry/ecstasy.txt")

top_service = service.MultiService()
poetry_service = PoetryService(poetry_file)
poetry_service.setServiceParent(top_service)

factory = PoetryFactory(poetry_service)
PoetryTCPServer(port, factory, interface=iface).setServiceParent(top_service)
# wantPID: a lock file next to the socket, so a stale socket left by a dead
# server is removed at start but a live server's socket is not stolen.
PoetryUNIXServer(socket_path, factory, wantPID=True).setServiceParent(top_service)

application = service.Application("fastpoetry-unix")
top_service.setServiceParent(application)
