r"""Finger proxy (fingerproxy.tac).

"The Evolution of Finger": Finger Proxy (a Twisted finger client).
A finger server whose backend is a finger client: ProxyFingerService answers
USER@HOST by asking the finger server on HOST about USER. finger() connects
with an endpoint and a FingerClientFactory, whose Deferred fires with the
answer FingerClient gathers; when it fails, getUser answers with a message
instead, so the front-end always has a line to send.

    FINGER_PORT=1079 FINGER_IRC_SERVER= twistd -n --pidfile= -y finger/finger19.tac    (a server to ask)
    FINGER_PROXY_PORT=7779 twistd -n --pidfile= -y finger/fingerproxy.tac
    then: printf 'moshez@127.0.0.1:1079\r\n' | nc -N localhost 7779  ->  happy and well

Departures, marked "departure" below; what every step shares is in contract.py:
- where: FINGER_PROXY_PORT (7779), on FINGER_IFACE (127.0.0.1); an address line in the log
- every connection: at most FINGER_TIMEOUT (60) seconds and FINGER_MAX_BYTES (65536) bytes
- contract.LineReceiver: a bare LF ends a line too; over 1024 bytes is "Query too long"
- text inside, bytes at the edge: the name decoded from UTF-8 (RFC 1288's /W dropped)
- ask(): one query a connection, cancelled if the client hangs up; catchError logs once
- no uid=1, gid=1, which makes twistd exit for anyone but root (twistd -u, -g)
- USER@HOST:PORT too; only a plain user name is sent on (else "No such user")
- HostnameEndpoint for TCP4ClientEndpoint: IPv6 too, and a bad host name is no such host
- the answer: FINGER_PROXY_TIMEOUT (10) seconds in all, at most 64 KiB, no control characters
- a failure says its cause ("Could not connect to HOST:PORT: Connection refused"), logged once
"""

from zope.interface import Interface, implementer

from finger import contract
from twisted.application import service
from twisted.internet import defer, endpoints, error, protocol, reactor
from twisted.python import components

MAX_ANSWER = 64 * 1024


def catchError(err):
    return contract.internalError(err)  # departure: logged once


class IFingerService(Interface):
    def getUser(user):
        """Return a deferred returning a string"""

    def getUsers():
        """Return a deferred returning a list of strings"""


class IFingerFactory(Interface):
    def getUser(user):
        """Return a deferred returning a string"""

    def buildProtocol(addr):
        """Return a protocol returning a string"""


class FingerProtocol(contract.LineReceiver):  # departure: basic.LineReceiver, bounded
    def lineReceived(self, user):
        d = self.ask(self.factory.getUser, user)  # departure: text inside; one query
        d.addErrback(catchError)

        def writeValue(value):
            self.transport.write(value.encode("utf-8") + b"\r\n")  # bytes at the edge
            self.transport.loseConnection()

        d.addCallback(writeValue)


@implementer(IFingerFactory)
class FingerFactoryFromService(protocol.ClientFactory):
    protocol = FingerProtocol

    def __init__(self, service):
        self.service = service

    def getUser(self, user):
        return self.service.getUser(user)


components.registerAdapter(FingerFactoryFromService, IFingerService, IFingerFactory)


class FingerClient(protocol.Protocol):
    def connectionMade(self):
        self.transport.write(self.factory.user.encode("utf-8") + b"\r\n")  # bytes at the edge
        self.buf = []
        self.factory.client = self  # departure: so that a hang-up can drop it

    def dataReceived(self, data):
        self.buf.append(data)
        if sum(map(len, self.buf)) > MAX_ANSWER:  # departure: bounded
            self.transport.abortConnection()

    def connectionLost(self, reason):
        answer = b"".join(self.buf)[:MAX_ANSWER].decode("utf-8", "replace")  # departure: text
        self.factory.gotData(contract.cleanLines(answer).strip())


class FingerClientFactory(protocol.ClientFactory):
    protocol = FingerClient
    client = None

    def __init__(self, user):
        self.user = user
        self.d = defer.Deferred(self.cancel)  # departure: cancelled, it hangs up

    def clientConnectionFailed(self, _, reason):
        if not self.d.called:
            self.d.errback(reason)

    def gotData(self, data):
        if not self.d.called:
            self.d.callback(data)

    def cancel(self, d):
        self.connecting.cancel()
        if self.client is not None:
            self.client.transport.abortConnection()


def finger(user, host, port=79):
    f = FingerClientFactory(user)
    timeout = contract.setting("FINGER_PROXY_TIMEOUT")  # departure: a deadline
    endpoint = endpoints.HostnameEndpoint(reactor, host, port, timeout=timeout)  # departure
    f.connecting = endpoint.connect(f)
    f.connecting.addErrback(lambda reason: f.clientConnectionFailed(None, reason))  # departure
    return f.d.addTimeout(timeout, reactor)  # departure: for the whole answer


def couldNotConnect(reason, where):  # departure: the cause, logged once
    if reason.check(defer.CancelledError):
        return reason  # the client hung up: not an error
    if reason.check(error.ConnectionRefusedError):
        message = f"Could not connect to {where}: Connection refused"
    elif reason.check(error.DNSLookupError, ValueError):
        message = f"Could not connect to {where}: no such host"
    elif reason.check(error.TimeoutError):
        message = f"Could not connect to {where}: no connection within " \
                  f"{contract.setting('FINGER_PROXY_TIMEOUT'):g}s"
    elif reason.check(defer.TimeoutError):
        message = f"No answer from {where} within {contract.setting('FINGER_PROXY_TIMEOUT'):g}s"
    else:
        message = f"Could not connect to {where}: {reason.getErrorMessage()}"
    return contract.warnOnce(message)


@implementer(IFingerService)
class ProxyFingerService(service.Service):
    def getUser(self, user):
        try:
            user, host = user.split("@", 1)
        except ValueError:  # departure: not a bare except
            user = user.strip()
            host = "127.0.0.1"
        if not contract.PLAIN_NAME.match(user):  # departure: a plain name only
            return defer.succeed(contract.NO_SUCH_USER)
        host, colon, port = host.partition(":")  # departure: HOST:PORT too
        try:
            port = contract.portNumber(port) if colon else 79
        except ValueError:
            return defer.succeed(f"Could not connect to {host}:{port}: no such port")
        ret = finger(user, host, port)
        ret.addErrback(couldNotConnect, f"{host}:{port}")  # departure: the cause
        return ret

    def getUsers(self):
        return defer.succeed([])


application = service.Application("finger")  # departure: no uid=1, gid=1
f = ProxyFingerService()
contract.service("tcp:7779", IFingerFactory(f), "proxy").setServiceParent(  # departure
    service.IServiceCollection(application)
)
