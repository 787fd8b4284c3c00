"""Finger, step 10: read status from the web.

Tutorial: "The Evolution of Finger", "Read Status from the Web" (annotations,
section 11).
Changed since step 9: getUser fetches the page PREFIX + user over HTTP and
answers with its text; again the protocol does not change.

    python finger/finger10.py            (the text's prefix: http://livejournal.com/~)
    FINGER_WEB_PREFIX=http://127.0.0.1:8080/~ python finger/finger10.py

Departures from the original listing:
- twisted.web.client.getPage is gone (Twisted 22.1). We use Agent, behind a
  RedirectAgent (getPage followed redirects too), and read the body with a
  small protocol of our own, PageReader, which stops at 64 KiB. (readBody
  reads without a limit, and on a body that has already arrived it raises a
  DeprecationWarning inside Twisted.)
- The prefix comes from FINGER_WEB_PREFIX (default: the text's). The user
  name is percent-encoded into the URL, so it cannot add a path, a query or
  a host.
- The HTTP status is checked: 200 is the status, 404 is "No such user",
  anything else (and a dead server, and a page over 64 KiB) is an internal
  error. The whole fetch gets 10 seconds. A web server that cannot be
  reached or gives no status page is logged as one warning line; only an
  unexpected failure is logged with its traceback.
- https:// prefixes need Twisted's TLS extra (pip install twisted[tls]).
"""

import argparse
import os
import sys
from urllib.parse import quote

from twisted.internet import defer, protocol, reactor
from twisted.internet.error import CannotListenError, ConnectError, ConnectionDone
from twisted.logger import Logger, globalLogBeginner, textFileLogObserver
from twisted.protocols import basic, policies
from twisted.web.client import (
    Agent, RedirectAgent, ResponseDone, ResponseFailed, ResponseNeverReceived,
)
from twisted.web.http import PotentialDataLoss

log = Logger(namespace="finger")

MAX_PAGE = 64 * 1024


class PageError(Exception):
    """The web server did not give us a status page."""


class PageReader(protocol.Protocol):
    """Collects a response body of at most MAX_PAGE bytes; `done` fires
    with it, or fails (and the connection is dropped) when it is longer."""

    def __init__(self, url):
        self.url = url
        self.chunks = []
        self.size = 0
        self.done = defer.Deferred(lambda d: self.transport.stopProducing())

    def dataReceived(self, data):
        self.size += len(data)
        if self.size > MAX_PAGE:
            if not self.done.called:
                self.done.errback(PageError(f"{self.url}: the page is over {MAX_PAGE} bytes"))
            self.transport.stopProducing()
            return
        self.chunks.append(data)

    def connectionLost(self, reason):
        if self.done.called:
            return
        if reason.check(ResponseDone, PotentialDataLoss, ConnectionDone):
            self.done.callback(b"".join(self.chunks))
        else:
            self.done.errback(reason)


def query_user(line):
    """The user a finger query asks about, as text.

    Bytes come in; the rest of the program sees str. A leading /W (RFC 1288's
    "verbose" switch) is ignored, so "/W moshez" asks about moshez."""
    query = line.decode("utf-8", errors="replace").strip()
    if query[:2].upper() == "/W" and query[2:3] in ("", " ", "\t"):
        query = query[2:].strip()
    return query


class FingerProtocol(basic.LineReceiver, policies.TimeoutMixin):
    # Split on LF, so a bare LF ends a query as well as CRLF.
    delimiter = b"\n"
    MAX_LENGTH = 1024
    # Seconds a client gets to send its query; a silent one is hung up on.
    timeOut = 60

    def connectionMade(self):
        self.setTimeout(self.timeOut)

    def connectionLost(self, reason):
        self.setTimeout(None)

    def lineReceived(self, line):
        # One query per connection: stop reading lines.
        self.setTimeout(None)
        self.pauseProducing()
        d = defer.maybeDeferred(self.factory.getUser, query_user(line))
        d.addErrback(self.internalError)
        d.addCallback(self.answer)
        d.addErrback(self.unanswerable)

    def internalError(self, failure):
        log.failure("finger query failed", failure)
        return "Internal error in server"

    def answer(self, message):
        self.transport.write(message.encode("utf-8") + b"\r\n")
        self.transport.loseConnection()

    def unanswerable(self, failure):
        # Only a bug in answer() gets here; log it and hang up.
        log.failure("could not send a finger answer", failure)
        self.transport.loseConnection()

    def lineLengthExceeded(self, line):
        if not self.transport.disconnecting:
            self.transport.write(b"Query too long\r\n")
            self.transport.loseConnection()


class FingerFactory(protocol.ServerFactory):
    protocol = FingerProtocol
    timeout = 10

    def __init__(self, prefix):
        self.prefix = prefix
        self.agent = RedirectAgent(Agent(reactor, connectTimeout=self.timeout))

    def getUser(self, user):
        url = self.prefix + quote(user, safe="")
        d = self.agent.request(b"GET", url.encode("ascii"))
        d.addCallback(self.gotResponse, url)

        def timedOut(result, timeout):
            raise PageError(f"{url}: no page within {timeout} seconds")

        d.addTimeout(self.timeout, reactor, onTimeoutCancel=timedOut)
        d.addErrback(self.fetchFailed, url)
        return d

    def fetchFailed(self, failure, url):
        """A web server that is down, slow or wrong is to be expected: one
        warning line, and the client is told. Anything else goes on to the
        protocol's errback, which logs it with its traceback."""
        if failure.check(PageError):
            reason = failure.getErrorMessage()
        elif failure.check(ConnectError, ResponseFailed, ResponseNeverReceived):
            reason = f"{url}: {failure.getErrorMessage()}"
        else:
            return failure
        log.warn("cannot fetch a status: {reason}", reason=reason)
        return "Internal error in server"

    def gotResponse(self, response, url):
        reader = PageReader(url)
        response.deliverBody(reader)
        reader.done.addCallback(self.gotPage, response.code, url)
        return reader.done

    def gotPage(self, body, code, url):
        if code == 404:
            return "No such user"
        if code != 200:
            raise PageError(f"{url}: HTTP status {code}")
        return "\r\n".join(body.decode("utf-8", "replace").strip().splitlines())


# --- configuration: the same in every script step --------------------------

NAME = os.path.basename(__file__)


def port_number(text):
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 0 to 65535, not {text!r}")
    return int(text)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog=NAME, description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=port_number,
                        help="port to listen on, 0 for a free one (default: FINGER_PORT or 1079)")
    args = parser.parse_args(argv)
    if args.port is None:  # --port wins over FINGER_PORT
        try:
            args.port = port_number(os.environ.get("FINGER_PORT", "1079"))
        except argparse.ArgumentTypeError as e:
            sys.exit(f"{NAME}: FINGER_PORT {e}")
    args.iface = os.environ.get("FINGER_IFACE", "127.0.0.1")
    return args


def listen(factory, args):
    """Listen, and print the address line, or exit with one line."""
    try:
        port = reactor.listenTCP(args.port, factory, interface=args.iface)
    except CannotListenError as e:
        sys.exit(f"{NAME}: {e}")
    address = port.getHost()
    print(f"finger listening on {address.host}:{address.port}", flush=True)


def main(argv=None):
    args = parse_args(argv)
    prefix = os.environ.get("FINGER_WEB_PREFIX", "http://livejournal.com/~")
    if not prefix.startswith(("http://", "https://")) or not prefix.isascii():
        sys.exit(f"{NAME}: FINGER_WEB_PREFIX must be an http:// or https:// URL, not {prefix!r}")
    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stdout)],
                                     redirectStandardIO=False)
    listen(FingerFactory(prefix), args)
    reactor.run()


if __name__ == "__main__":
    main()
