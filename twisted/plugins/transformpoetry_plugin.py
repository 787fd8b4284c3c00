"""Poetry Transformation Server 2.0, the twistd plugin -- Parts 12 and 16.

Original: none; Part 12's server (twisted-server-1/transformedpoetry.py,
here twisted-server/transformedpoetry-1.0.py) packaged the Part 16 way and
hardened for deployment:

    twistd -n transformpoetry --port 10001                   (in the foreground)
    twistd transformpoetry --port 10001 --timeout 30 --max-connections 500
    kill `cat twistd.pid`                                    (stop)
    kill -HUP `cat twistd.pid`                               (re-open twistd.log)

The protocol is the text's: one netstring NAME.POEM in, one netstring with
the transformed poem out, then the server closes. What 1.0 drops silently,
2.0 logs, through twisted.logger, with the client's address and a reason,
and then closes the connection without a reply:

- "unknown transform": NAME is not a transform. Only methods named
  xform_NAME can be reached, and NAME must be a plain public name, so
  `__class__`, `_private` or an empty name reach nothing;
- "bad request": no "." between the name and the poem;
- "too long": a netstring announcing more than 99,999 bytes (the
  NetstringReceiver limit). NetstringReceiver has no hook for this, so the
  protocol keeps the length prefix it was sent and, when the receiver
  gives up on the peer (brokenPeer), reports which of the two it was;
- "malformed netstring": anything else that is not a netstring;
- "not UTF-8": the request is not text;
- "idle": a client that sends nothing, or half a netstring, for --timeout
  seconds (default 30; TimeoutMixin);
- "slow request": a request not complete within --request-timeout seconds
  (default 60) of its first byte. The idle timer restarts on every byte, so
  without this deadline a client sending one byte a second (slowloris)
  would hold its connection, and a --max-connections slot, for ever;
- "too many connections": with --max-connections N, connection N+1 is
  closed at once while N are open.

A transform that raises is logged with its traceback (log.failure); it is
never an "Unhandled Error". The listen queue is long (--backlog 1024) so a
burst of a thousand clients is accepted.

Signals: SIGTERM (and Ctrl-C with -n) stop the server; twistd removes its
pidfile. SIGUSR1 is twistd's own: it rotates the log file (twistd.log ->
twistd.log.1). SIGHUP re-opens the log file, for rotation tools such as
logrotate that move the file away first: "SIGHUP: re-opening the log file
..." ends the old file and "SIGHUP: re-opened the log file ..." starts the
new one. With no log file to re-open (twistd -n logging to stdout, whose
terminal hung up) SIGHUP stops the server cleanly, as SIGTERM does, and the
pidfile is removed; with --syslog it only logs that it was received.
(Without this, SIGHUP's default action killed twistd on the spot, silently,
leaving a stale pidfile.) The listening and SIGHUP services are shared with
`twistd poetryproxy`, in _hardened.py.
"""

import re

from twisted.application import service
from twisted.internet.protocol import ServerFactory
from twisted.logger import Logger
from twisted.plugin import IPlugin
from twisted.protocols.basic import NetstringReceiver
from twisted.protocols.policies import TimeoutMixin
from twisted.python import usage
from zope.interface import implementer

from twisted.plugins._hardened import (ListeningService, hangup_service, port_number,
                                       positive_seconds)

log = Logger(namespace="transformpoetry")

# How many of the first bytes received are kept to explain a parse error.
HEAD = 16

# A transform name a client may use: public, no dunder, not empty.
XFORM_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


class Rejected(Exception):
    """A request the server will not serve; the message says why."""


def quote(data):
    """Bytes from a client, for the log: quoted text, never a b'...'.
    UTF-8 is shown as text; control characters, quotes and bytes that are
    not UTF-8 are escaped (\\r, \\', \\xff), so the line stays one line."""
    shown = []
    for char in data.decode("utf-8", "surrogateescape"):
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8
            shown.append(f"\\x{code - 0xDC00:02x}")
        elif char in "'\\":
            shown.append("\\" + char)
        elif char.isprintable():
            shown.append(char)
        else:
            shown.append(repr(char)[1:-1])  # \\n, \\x00, ...
    return "'" + "".join(shown) + "'"


def shorten(text, limit=40):
    """repr() of a client-supplied string, cut short for the log."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "..."


class TransformService:

    def cummingsify(self, poem):
        return poem.lower()


class TransformProtocol(NetstringReceiver, TimeoutMixin):

    done = False    # the request was answered or rejected; ignore the rest
    head = b""      # the first bytes received, which hold the length prefix
    deadline = None  # the DelayedCall that ends a request too slow to arrive

    def connectionMade(self):
        peer = self.transport.getPeer()
        self.peer = f"{getattr(peer, 'host', peer)}:{getattr(peer, 'port', '')}"
        self.received = 0
        self.callLater = self.factory.clock.callLater
        self.setTimeout(self.factory.timeout)

    def dataReceived(self, data):
        if self.done:
            return
        self.resetTimeout()
        if self.deadline is None and data:
            # The whole request must arrive within --request-timeout of its
            # first byte, however often bytes come (the idle timer restarts).
            self.deadline = self.factory.clock.callLater(
                self.factory.request_timeout, self.request_too_slow)
        self.received += len(data)
        if len(self.head) < HEAD:
            self.head += data[:HEAD - len(self.head)]
        super().dataReceived(data)
        if self.brokenPeer and not self.done:
            self.reject(self.parse_error())

    def parse_error(self):
        """Why NetstringReceiver gave up on the peer."""
        digits = re.match(rb"\d*", self.head).group()
        if digits and (len(digits) > len(str(self.MAX_LENGTH))
                       or int(digits) > self.MAX_LENGTH):
            # We keep only the first 16 bytes; a longer prefix is cut short.
            more = "..." if len(digits) == HEAD else ""
            return (f"too long: a netstring of {digits.decode()}{more} bytes, "
                    f"over the limit of {self.MAX_LENGTH}")
        return f"malformed netstring: it starts {quote(self.head)}"

    def stringReceived(self, request):
        if self.done:
            return
        try:
            request = request.decode("utf-8")
        except UnicodeDecodeError as e:
            self.reject(f"not UTF-8: {e.reason} at byte {e.start}")
            return

        if "." not in request:
            self.reject(f"bad request: no '.' after the transform name in {shorten(request)}")
            return

        xform_name, poem = request.split(".", 1)

        self.xformRequestReceived(xform_name, poem)

    def xformRequestReceived(self, xform_name, poem):
        try:
            new_poem = self.factory.transform(xform_name, poem)
        except Rejected as e:
            self.reject(str(e))
            return
        except Exception:
            log.failure("Transform {name} failed for {peer}",
                        name=shorten(xform_name), peer=self.peer)
            self.finish()
            return

        self.sendString(new_poem.encode("utf-8"))
        self.finish()

    def reject(self, reason):
        log.warn("Rejected a request from {peer}: {reason}", peer=self.peer, reason=reason)
        self.finish()

    def finish(self):
        self.done = True
        self.stop_timers()
        self.transport.loseConnection()

    def stop_timers(self):
        self.setTimeout(None)
        if self.deadline is not None:
            if self.deadline.active():
                self.deadline.cancel()
            self.deadline = None

    def timeoutConnection(self):
        log.warn("Closed an idle connection from {peer}: nothing for {timeout:g}s, "
                 "{received} bytes of a request received",
                 peer=self.peer, timeout=self.factory.timeout, received=self.received)
        self.done = True
        self.stop_timers()
        self.transport.loseConnection()

    def request_too_slow(self):
        self.deadline = None
        log.warn("Closed a slow request from {peer}: not complete within {deadline:g}s "
                 "of its first byte, {received} bytes received",
                 peer=self.peer, deadline=self.factory.request_timeout,
                 received=self.received)
        self.done = True
        self.stop_timers()
        self.transport.loseConnection()

    def connectionLost(self, reason):
        self.stop_timers()
        self.factory.connections -= 1


class TransformFactory(ServerFactory):

    protocol = TransformProtocol

    def __init__(self, service, timeout=30.0, max_connections=0, clock=None,
                 request_timeout=60.0):
        if clock is None:
            from twisted.internet import reactor as clock
        self.service = service
        self.timeout = timeout
        self.request_timeout = request_timeout
        self.max_connections = max_connections
        self.clock = clock
        self.connections = 0

    def buildProtocol(self, addr):
        if self.max_connections and self.connections >= self.max_connections:
            log.warn("Refused a connection from {host}: too many connections "
                     "({count} open, the limit is {limit})",
                     host=getattr(addr, "host", addr), count=self.connections,
                     limit=self.max_connections)
            return None  # the reactor closes the socket at once
        self.connections += 1
        return super().buildProtocol(addr)

    def transform(self, xform_name, poem):
        # Only public methods named xform_* can be reached by a client.
        thunk = None
        if XFORM_NAME.fullmatch(xform_name):
            thunk = getattr(self, f"xform_{xform_name}", None)
        if not callable(thunk):
            raise Rejected(f"unknown transform {shorten(xform_name)}")
        return thunk(poem)

    def xform_cummingsify(self, poem):
        return self.service.cummingsify(poem)


def count(value):
    number = int(value)
    if number < 0:
        raise ValueError(f"{value} is negative")
    return number


class Options(usage.Options):

    optParameters = [
        ["port", "p", 10001, "The port number to listen on.", port_number],
        ["iface", None, "localhost", "The interface to listen on."],
        ["timeout", None, 30.0,
         "Seconds a client may stay silent before it is disconnected.", positive_seconds],
        ["request-timeout", None, 60.0,
         "Seconds allowed for a whole request, from its first byte.", positive_seconds],
        ["max-connections", None, 0,
         "Most connections open at once (0: no limit).", count],
        ["backlog", None, 1024, "Length of the listen queue.", int],
    ]

    def postOptions(self):
        if self["backlog"] < 1:
            raise usage.UsageError("--backlog must be at least 1.")


@implementer(service.IServiceMaker, IPlugin)
class TransformServiceMaker:

    tapname = "transformpoetry"
    description = "A poetry transformation service (netstrings, hardened)."
    options = Options

    def makeService(self, options):
        factory = TransformFactory(TransformService(), timeout=options["timeout"],
                                   max_connections=options["max-connections"],
                                   request_timeout=options["request-timeout"])
        top = service.MultiService()
        hangup_service(options, log).setServiceParent(top)  # first: see _hardened
        ListeningService(options["port"], factory, options["iface"],
                         options["backlog"], "Serving transforms on {address}.", log,
                         twistd=getattr(options, "parent", None),
                         ).setServiceParent(top)
        return top


service_maker = TransformServiceMaker()
