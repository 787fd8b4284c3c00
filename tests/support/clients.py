"""Clients for tests: a raw collecting TCP client, ClientRun, which runs a
client script's poetry_main in this process, and with_closed_stdout, which
runs a client whose stdout's reader has gone."""

import io
import sys

from twisted.internet import defer, protocol, reactor, task, tcp

from runner.paths import PYTHON, load_script
from runner.waiting import with_timeout

from .servers import listen_transformer, poem_port


# Becomes its arguments (exec, so a test that kills it on a timeout kills
# the program itself) with stdout on a pipe that nobody reads any more.
_CLOSED_STDOUT = """\
import os, sys
read, write = os.pipe()
os.close(read)
os.dup2(write, 1)
os.close(write)
os.execv(sys.argv[1], sys.argv[1:])
"""


def with_closed_stdout(argv):
    """argv run with its stdout on a pipe whose reading end is closed before
    it writes, as when `... | head -1` has exited: every write to stdout
    fails with EPIPE."""
    return [PYTHON, "-c", _CLOSED_STDOUT, *argv]


class Collector(protocol.Protocol):
    """The one collecting client: sends `send` (if any) on connect, keeps
    every byte received, fires `made` on connect and `lost` with all
    the bytes when the connection ends. Use it with an endpoint
    (endpoints.connectProtocol) or through fetch()."""

    def __init__(self, send=None):
        self.send = send
        self.received = b""
        # (not `connected`: Protocol uses that name for a flag)
        self.made = defer.Deferred()
        self.lost = defer.Deferred()

    def connectionMade(self):
        if self.send is not None:
            self.transport.write(self.send)
        self.made.callback(self)

    def dataReceived(self, data):
        self.received += data

    def connectionLost(self, reason):
        self.lost.callback(self.received)


class _CollectFactory(protocol.ClientFactory):

    def __init__(self, send, connected):
        self.send = send
        self.on_connect = connected
        self.connector = None
        self.proto = None
        self.cancelled = False
        # Cancelling the fetch hangs up on the server.
        self.done = defer.Deferred(self._cancel)

    def buildProtocol(self, addr):
        self.proto = Collector(self.send)
        self.proto.factory = self
        self.proto.made.addCallback(self._made)
        self.proto.lost.addCallback(self._finished)
        return self.proto

    def _made(self, proto):
        if self.cancelled:
            proto.transport.abortConnection()
        elif self.on_connect is not None:
            self.on_connect.callback(None)

    def _finished(self, data):
        d, self.done = self.done, None
        if d is not None:
            d.callback(data)

    def _cancel(self, d):
        # A client that gives up resets the connection: a FIN would only be
        # a half-close, which a server may rightly answer in full. If our
        # side has not seen the connect complete yet (the server may have),
        # closing now would send a FIN, so the reset waits for the connect;
        # a connect that fails needs nothing.
        self.done = None
        self.cancelled = True
        if self.proto is not None and self.proto.transport is not None:
            self.proto.transport.abortConnection()

    def clientConnectionFailed(self, connector, reason):
        d, self.done = self.done, None
        if d is not None:
            d.errback(reason)


def fetch(port, send=None, host="127.0.0.1", timeout=10, connected=None):
    """Connect, optionally send bytes, and fire with every byte received
    until the server closes. A raw peer for exact-bytes assertions.
    `connected`, if given, is a Deferred fired once the TCP connect is done.
    Cancelling the returned Deferred aborts the connection (a reset), as a
    client that hangs up does."""
    factory = _CollectFactory(send, connected)
    d = factory.done
    factory.connector = reactor.connectTCP(host, port, factory, timeout=timeout)

    def on_timeout(result, t):
        raise AssertionError(f"no close from {host}:{port} within {timeout}s")

    return d.addTimeout(timeout, reactor, onTimeoutCancel=on_timeout)


def netstring(data):
    """Encode bytes as a netstring."""
    return b"%d:%s," % (len(data), data)


def open_connections():
    """The TCP connections (either end) the reactor is watching."""
    return {s for s in set(reactor.getReaders()) | set(reactor.getWriters())
            if isinstance(s, tcp.Connection)}


class _RunUntilStop:
    """Stands in for the reactor given to a client's poetry_main: run()
    returns at once (the test's reactor is already running) and stop()
    fires `stopped`. A second stop() raises AlreadyCalledError, so a
    client that stops twice fails the test."""

    def __init__(self):
        self.stopped = defer.Deferred()

    def __getattr__(self, name):
        return getattr(reactor, name)

    def run(self):
        pass

    def stop(self):
        self.stopped.callback(None)


class ClientRun:
    """Runs poetry_main(argv, reactor=...) of a client script in this
    process against servers listening here; captures what it prints."""

    def __init__(self, testcase, script):
        self.testcase = testcase
        self.module = load_script(script)
        self.xform = listen_transformer(testcase)

    def listen_transformer(self, broken=False):
        return listen_transformer(self.testcase, broken)

    def poem_port(self, poem):
        return poem_port(self.testcase, poem)

    @defer.inlineCallbacks
    def run(self, *ports, stdout=None):
        out, err = self.out, self.err = io.StringIO(), io.StringIO()
        self.testcase.patch(sys, "stdout", stdout or out)
        self.testcase.patch(sys, "stderr", err)
        fake = _RunUntilStop()
        before = open_connections()
        try:
            self.module.poetry_main([str(p) for p in ports], reactor=fake)
            yield with_timeout(fake.stopped, 10, "the client stopping the reactor")
            yield self.settle(before)
        finally:
            self.testcase.patch(sys, "stdout", sys.__stdout__)
            self.testcase.patch(sys, "stderr", sys.__stderr__)
        return out.getvalue(), err.getvalue()

    @defer.inlineCallbacks
    def settle(self, before, timeout=5):
        # After stop() the client's last sockets may still be closing; wait
        # (bounded) until only the descriptors we started with are left.
        deadline = reactor.seconds() + timeout
        while open_connections() - before:
            if reactor.seconds() > deadline:
                raise AssertionError("client connections still open after stop()")
            yield task.deferLater(reactor, 0.005, lambda: None)


def connector_dropped(connector):
    """Whether code under test gave up on a MemoryReactor connection
    attempt: stopConnecting() (public: stoppedConnecting) or disconnect(),
    which _FakeConnector records only in a private flag, read here alone."""
    return connector.stoppedConnecting or connector._disconnected
