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


class PoetryService(service.Service):

    def __init__(self, poetry_file):
        self.poetry_file = poetry_file

    def startService(self):
        service.Service.startService(self)
        with open(self.poetry_file, "rb") as f:
            self.poem = f.read()
        log.info("loaded a poem from: {path}", path=self.poetry_file)


# configuration parameters
socket_path = os.environ.get("POETRY_SOCKET", "poetry.sock")
port = int(os.environ.get("POETRY_PORT", 10000))
iface = os.environ.get("POETRY_IFACE", "localhost")
poetry_file = os.environ.get("POETRY_FILE", "poetry/ecstasy.txt")

top_service = service.MultiService()
poetry_service = PoetryService(poetry_file)
poetry_service.setServiceParent(top_service)

factory = PoetryFactory(poetry_service)
internet.TCPServer(port, factory, interface=iface).setServiceParent(top_service)
# wantPID: a lock file next to the socket, so a stale socket left by a dead
# server is removed at start but a live server's socket is not stolen.
internet.UNIXServer(socket_path, factory, wantPID=True).setServiceParent(top_service)

application = service.Application("fastpoetry-unix")
top_service.setServiceParent(application)
