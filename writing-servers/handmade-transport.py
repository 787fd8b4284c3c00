"""Writing a new transport type: a hand-made port and transport.

"Writing Servers in Twisted", Twisted's old howto: its part "Writing New
Transport Types". No original file: the howto describes the two classes
and leaves them to you.

    python writing-servers/handmade-transport.py --poetry-port 10000 --finger-port 1079
    python twisted-client/get-poetry.py --no-transform 10000   (in another terminal)
    printf 'moshez\r\n' | nc -N 127.0.0.1 1079

HandmadePort is the port-like class: startListening opens a listening
socket and registers the port with the reactor as a reader; fileno tells
the reactor which descriptor to watch; when it is readable the reactor
calls doRead, which accepts, builds a protocol with factory.buildProtocol
and gives it a new HandmadeTransport through makeConnection.

HandmadeTransport is what the protocol sees. To the protocol it offers
write, writeSequence, loseConnection, getPeer and getHost; to the reactor
fileno, doRead (recv, then dataReceived), doWrite (send what is queued,
without blocking) and connectionLost (close the socket, tell the protocol).
When the peer closes its side while an answer is still queued (as
`nc -N` does right after its line), doRead stops reading and leaves the
close to doWrite, once the answer has gone.

The point: the protocols are unchanged. Part 11's PoetryProtocol
(twisted-server/fastpoetry-1.0.py) and finger step 7's FingerProtocol
(finger/finger07.py) are imported as they are and run on these classes,
not on Twisted's TCP; clients cannot tell the difference. (Step 7, like
the text's listing, listens and runs the reactor at its top level, so
only its imports and classes are run here: definitions().)

Departures from the howto: getPeer returns an IPv4Address, not an
('INET', host, port) tuple; no pickling (__getstate__): applications are
no longer pickled; both classes say which zope.interface interfaces they
provide.
"""

import argparse
import ast
import errno
import importlib.util
import socket
import sys
import types
from pathlib import Path

from zope.interface import implementer

from twisted.internet import interfaces
from twisted.internet.main import CONNECTION_DONE, CONNECTION_LOST
from twisted.internet.address import IPv4Address

ROOT = Path(__file__).resolve().parent.parent


def load(relative, name):
    """Import one of the project's scripts by path (its name has a hyphen
    or sits in a folder that is not a package), without running main()."""
    spec = importlib.util.spec_from_file_location(name, ROOT / relative)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def definitions(relative, name):
    """The imports, classes and functions of a script that has no main():
    finger step 7, like the text's listing, listens and runs the reactor at
    its top level, so only its definitions run here. Its `import contract`
    finds the module the tac steps import as finger.contract."""
    path = ROOT / relative
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    tree.body = [node for node in tree.body if isinstance(
        node, (ast.Import, ast.ImportFrom, ast.ClassDef, ast.FunctionDef))]
    sys.modules.setdefault("contract", importlib.import_module("finger.contract"))
    module = types.ModuleType(name)
    module.__file__ = str(path)
    exec(compile(tree, str(path), "exec"), module.__dict__)
    return module


@implementer(interfaces.ITransport, interfaces.IReadWriteDescriptor)
class HandmadeTransport:
    """One accepted, non-blocking socket, registered with the reactor."""

    def __init__(self, reactor, sock, protocol):
        self.reactor = reactor
        self.socket = sock
        self.protocol = protocol
        self.buffer = b""
        self.connected = True
        self.disconnecting = False  # LineReceiver looks at this

    # -- what the protocol calls --

    def write(self, data):
        if not self.connected or self.disconnecting or not data:
            return
        self.buffer += data
        self.reactor.addWriter(self)  # doWrite will be called when writable

    def writeSequence(self, data):
        self.write(b"".join(data))

    def loseConnection(self):
        """Close once everything queued has been sent."""
        if not self.connected or self.disconnecting:
            return
        self.disconnecting = True
        self.reactor.addWriter(self)  # doWrite closes when the buffer is empty

    def getPeer(self):
        host, port = self.socket.getpeername()[:2]
        return IPv4Address("TCP", host, port)

    def getHost(self):
        host, port = self.socket.getsockname()[:2]
        return IPv4Address("TCP", host, port)

    # -- what the reactor calls --

    def fileno(self):
        return self.socket.fileno() if self.connected else -1

    def logPrefix(self):
        return "HandmadeTransport"

    def doRead(self):
        try:
            data = self.socket.recv(65536)
        except BlockingIOError:
            return None
        except OSError:
            return CONNECTION_LOST
        if not data:
            # The peer will send no more. If an answer is still queued (nc
            # -N sends its line and this EOF at once), returning
            # CONNECTION_DONE now would make the reactor close the socket
            # and drop it: stop reading instead, and let doWrite send the
            # rest and then close.
            if self.buffer:
                self.reactor.removeReader(self)
                self.disconnecting = True
                return None
            return CONNECTION_DONE  # the peer closed
        self.protocol.dataReceived(data)
        return None

    def doWrite(self):
        if self.buffer:
            try:
                sent = self.socket.send(self.buffer)
            except BlockingIOError:
                return None
            except OSError:
                return CONNECTION_LOST
            self.buffer = self.buffer[sent:]
        if not self.buffer:
            self.reactor.removeWriter(self)
            if self.disconnecting:
                return CONNECTION_DONE  # the reactor calls connectionLost
        return None

    def connectionLost(self, reason):
        """Called by the reactor once doRead or doWrite returned a
        CONNECTION_* value: free the socket, then tell the protocol."""
        if not self.connected:
            return
        self.connected = False
        self.reactor.removeReader(self)
        self.reactor.removeWriter(self)
        self.socket.close()
        self.protocol.connectionLost(reason)


@implementer(interfaces.IListeningPort, interfaces.IReadDescriptor)
class HandmadePort:
    """A listening TCP socket that builds a protocol per connection."""

    def __init__(self, reactor, port, factory, interface="127.0.0.1"):
        self.reactor = reactor
        self.port = port
        self.factory = factory
        self.interface = interface
        self.socket = None

    def startListening(self):
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind((self.interface, self.port))
        self.socket.listen(50)
        self.socket.setblocking(False)
        self.factory.doStart()
        self.reactor.addReader(self)  # doRead when a connection is waiting

    def stopListening(self):
        if self.socket is not None:
            self.reactor.removeReader(self)
            self.socket.close()
            self.socket = None
            self.factory.doStop()

    def getHost(self):
        host, port = self.socket.getsockname()[:2]
        return IPv4Address("TCP", host, port)

    def fileno(self):
        return self.socket.fileno() if self.socket is not None else -1

    def logPrefix(self):
        return "HandmadePort"

    def doRead(self):
        # Accept every connection that is waiting, then give the loop back.
        while True:
            try:
                sock, (host, port) = self.socket.accept()
            except BlockingIOError:
                return None
            except OSError as e:
                if e.errno in (errno.EMFILE, errno.ENFILE, errno.ECONNABORTED):
                    return None
                raise
            sock.setblocking(False)
            protocol = self.factory.buildProtocol(IPv4Address("TCP", host, port))
            if protocol is None:
                sock.close()
                continue
            transport = HandmadeTransport(self.reactor, sock, protocol)
            self.reactor.addReader(transport)
            protocol.makeConnection(transport)

    def connectionLost(self, reason):
        self.stopListening()


def listen(reactor, role, port, factory, interface):
    handmade = HandmadePort(reactor, port, factory, interface)
    handmade.startListening()
    print(f"{role} listening on {interface}:{handmade.getHost().port}", flush=True)
    return handmade


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Serve Part 11's poetry and finger step 7 on a hand-made "
        "transport.")
    parser.add_argument("--poetry-port", type=int, default=0,
                        help="the poetry port (default: a free port)")
    parser.add_argument("--finger-port", type=int, default=0,
                        help="the finger port (default: a free port)")
    parser.add_argument("--iface", default="127.0.0.1",
                        help="interface to listen on (default: 127.0.0.1)")
    parser.add_argument("--poem", default=str(ROOT / "poetry" / "ecstasy.txt"),
                        help="the poem to serve (default: poetry/ecstasy.txt)")
    args = parser.parse_args(argv)
    for option in ("poetry_port", "finger_port"):
        if not 0 <= getattr(args, option) <= 65535:
            parser.error(f"argument --{option.replace('_', '-')}: "
                         f"{getattr(args, option)} is not a port number")
    try:
        with open(args.poem, "rb") as f:
            poem = f.read()
    except OSError as e:
        parser.error(f"cannot read poem {args.poem!r}: {e.strerror}")

    fastpoetry = load("twisted-server/fastpoetry-1.0.py", "fastpoetry_1_0")
    finger07 = definitions("finger/finger07.py", "finger07")

    from twisted.internet import reactor

    try:
        listen(reactor, "poetry", args.poetry_port,
               fastpoetry.PoetryFactory(poem), args.iface)
        listen(reactor, "finger", args.finger_port,
               finger07.FingerFactory(moshez="Happy and well"), args.iface)
    except OSError as e:
        sys.exit(f"handmade-transport.py: cannot listen: {e.strerror}")
    reactor.run()


if __name__ == "__main__":
    main()
