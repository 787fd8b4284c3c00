"""What every finger step shares and the tutorial does not teach, written once.

A step is Twisted's listing plus marked departures; whatever every step does
the same way lives here, so that a reader's diff from one step to the next
shows what the text changes, and so that a message has one wording:

- where a step listens: `--port` (scripts) and the FINGER_* variables, checked
  before anything is bound (serverFromString for scripts, service for tacs);
- the address line, "ROLE listening on HOST:PORT", once a port is bound, and a
  port that cannot be bound as one line naming the role, with exit status 1;
- every connection a step accepts gets a deadline (FINGER_TIMEOUT seconds) and
  a bound on what it may send (FINGER_MAX_BYTES), and a client that
  half-closes after its query (`nc -N`) still gets its answer (Guard);
- text inside, bytes at the edge: LineReceiver, IRCClient, Site, XMLRPC;
- an error inside a Deferred chain is answered "Internal error in server" and
  logged once (internalError);
- what comes from outside (a status file, a program, a web page, a setter)
  never brings control characters to a finger client.

Scripts import this as `import contract` (python puts finger/ first on
sys.path); tacs as `from finger import contract` (the editable install puts
the repository root on sys.path, and twistd does not put finger/ there). A
script cannot use the second form: for `python finger/finger07.py` the name
`finger` is finger/finger.py, the organized finger, not this folder.
"""

import argparse
import contextlib
import errno
import inspect
import io
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import sys
import warnings

from zope.interface import directlyProvides, implementer

from twisted.application import internet
from twisted.application.service import Service
from twisted.internet import defer, endpoints, error, protocol, reactor
from twisted.internet.interfaces import IHalfCloseableProtocol, IProtocolNegotiationFactory
from twisted.logger import (
    FilteringLogObserver, Logger, LogLevel, LogLevelFilterPredicate, globalLogBeginner,
    textFileLogObserver,
)
from twisted.protocols import basic, policies
from twisted.python.failure import Failure
from twisted.spread import banana, pb
from twisted.web import http, pages, resource, server
from twisted.web.client import Agent, RedirectAgent, ResponseDone
from twisted.web.error import UnsupportedMethod
from twisted.web.http import PotentialDataLoss
from twisted.words.protocols import irc

with warnings.catch_warnings():
    # twisted.web.xmlrpc touches twisted.web.http.HTTPClient as it is
    # imported, which Twisted itself deprecated in 24.7: Twisted's warning.
    # Imported here first, so a step's own `from twisted.web import xmlrpc`
    # finds it loaded and warns no more.
    warnings.filterwarnings("ignore", r"twisted\.web\.http\.HTTPClient was deprecated",
                            DeprecationWarning)
    from twisted.web import xmlrpc

log = Logger(namespace="finger")

HERE = os.path.dirname(os.path.abspath(__file__))
INTERNAL_ERROR = "Internal error in server"
NO_SUCH_USER = "No such user"

# A user name that may reach a program, a file name or another server: no
# option ("-l"), no other host ("a@b"), no path ("../x"), no space.
PLAIN_NAME = re.compile(r"\w[\w.-]{0,63}\Z")
# Every control character but TAB: RFC 1288 asks servers to filter them,
# and CR or LF would end an IRC command and start another.
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


# -- the configuration ---------------------------------------------------------

def program():
    """The name a one-line error starts with: the tac twistd runs, or the script."""
    for arg in sys.argv[1:]:
        if arg.endswith(".tac"):
            return os.path.basename(arg)
    return os.path.basename(sys.argv[0])


def portNumber(text):
    # str.isdigit() would take "²"; a port is ASCII digits only.
    if not re.fullmatch(r"[0-9]{1,5}", text) or int(text) > 65535:
        raise ValueError(f"must be a port number from 0 to 65535, not {text!r}")
    return int(text)


def seconds(text):
    try:
        value = float(text)
    except ValueError:
        value = -1
    if not 0 < value < 10**6:  # also refuses nan and inf
        raise ValueError(f"must be a number of seconds greater than 0, not {text!r}")
    return value


def count(text):
    if not re.fullmatch(r"[0-9]{1,9}", text) or int(text) == 0:
        raise ValueError(f"must be a whole number greater than 0, not {text!r}")
    return int(text)


def hostAndPort(text):
    host, colon, port = text.rpartition(":")
    if text and (not colon or not re.fullmatch(r"[\w.-]+", host)
                 or not re.fullmatch(r"[0-9]{1,5}", port) or not 0 < int(port) < 65536):
        raise ValueError(f"must be HOST:PORT (or empty, for none), not {text!r}")
    return text


def webPrefix(text):
    if not re.match(r"https?://[^\s/]+", text) or not text.isascii():
        raise ValueError(f"must be an http:// or https:// URL, not {text!r}")
    return text


def interface(text):
    """An address of this machine to listen on, or a name for one
    ("localhost"): the address line then says the address bound."""
    try:
        socket.getaddrinfo(text, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise ValueError(f"must be an address of this machine, such as 127.0.0.1, "
                         f"not {text!r}") from None
    return text


def nickname(text):
    if not re.fullmatch(r"[A-Za-z\[\]\\`_^{|}][\w\[\]\\`^{|}-]{0,29}", text):
        raise ValueError(f"must be an IRC nickname, not {text!r}")
    return text


# Each variable: its default, what makes a value good, and what it means
# (for --help). Every one that is set is checked as a step loads, before any
# port is bound; the defaults are the text's ports, and 127.0.0.1 rather
# than every interface. A port's default is the step's own.
ROLES = {"finger": "FINGER_PORT", "setter": "FINGER_SETTER_PORT", "web": "FINGER_WEB_PORT",
         "https": "FINGER_HTTPS_PORT", "pb": "FINGER_PB_PORT", "proxy": "FINGER_PROXY_PORT"}
VARIABLES = {variable: (None, portNumber, f"the {role} port (0: a free one)")
             for role, variable in ROLES.items()}
VARIABLES.update({
    "FINGER_IFACE": ("127.0.0.1", interface, "the address every port listens on"),
    "FINGER_TIMEOUT": ("60", seconds, "seconds a connection may last, whatever it does"),
    "FINGER_MAX_BYTES": ("65536", count, "bytes a client may send on one connection"),
    "FINGER_MAX_USERS": ("10000", count, "users a setter may add"),
    "FINGER_MAX_FILE": ("1048576", count, "bytes of the users file read"),
    "FINGER_RELOAD": ("30", seconds, "seconds between two reads of the users file"),
    "FINGER_PROXY_TIMEOUT": ("10", seconds, "seconds the proxy waits for an answer"),
    "FINGER_WEB_PREFIX": ("http://livejournal.com/~", webPrefix,
                          "step 10: a status is this URL + user"),
    "FINGER_IRC_SERVER": ("irc.libera.chat:6667", hostAndPort,
                          "HOST:PORT of the bot's IRC server; empty: no bot"),
    "FINGER_IRC_NICK": ("fingerbot", nickname, "the bot's nickname"),
})


def setting(variable, default=None):
    """The value of a FINGER_* variable (else `default`, else its own),
    checked: a bad one is one line naming the program and the variable, and
    exit status 1."""
    fallback, check, _ = VARIABLES[variable]
    text = os.environ.get(variable, fallback if default is None else default)
    try:
        return check(text)
    except ValueError as e:
        raise SystemExit(f"{program()}: {variable} {e}") from None


def checkSettings():
    for variable in VARIABLES.keys() & os.environ.keys():
        setting(variable)


def environmentHelp(variables=VARIABLES, **defaults):
    """What --help says about the variables, one a line: each with its
    default (a port's given in `defaults`, else the step's) and its meaning."""
    lines = ["environment:"]
    for v in variables:
        default = defaults.get(v) or VARIABLES[v][0] or "(the step's)"
        lines.append(f"  {v}={default}".ljust(30) + "  " + VARIABLES[v][2])
    return "\n".join(lines)


def existing(variable, default, isDirectory=False):
    """A file (or directory) named by a variable, or by default, which must be
    there and readable now, before anything is bound; a FIFO or a device
    would hang the server as it reads."""
    name = os.path.abspath(os.environ.get(variable, default))
    try:
        mode = os.stat(name).st_mode
        if not (stat.S_ISDIR(mode) if isDirectory else stat.S_ISREG(mode)):
            raise OSError(f"not a {'directory' if isDirectory else 'regular file'}")
        if not os.access(name, os.R_OK | (os.X_OK if isDirectory else 0)):
            raise OSError("permission denied")
    except OSError as e:
        raise SystemExit(f"{program()}: {variable}: cannot read {name!r}: "
                         f"{e.strerror or e}") from None
    return name


def usersFile():
    """The status file (FINGER_USERS_FILE; default: etc.users beside the steps,
    where the text has /etc/users)."""
    return existing("FINGER_USERS_FILE", os.path.join(HERE, "etc.users"))


def description(text, role):
    """A strports description as the text writes it ("tcp:79",
    "tcp:1079:interface=127.0.0.1", "ssl:port=443:privateKey=key.pem"), with
    the port its role's variable gives and FINGER_IFACE as the interface
    (unless the text names one), and for ssl FINGER_CERT as the key and
    certificate."""
    kind, *args = text.split(":")
    options = dict(arg.split("=", 1) for arg in args if "=" in arg)
    port = options.pop("port", None) or [arg for arg in args if "=" not in arg][0]
    port = setting(ROLES[role], str(port))
    options.setdefault("interface", setting("FINGER_IFACE"))
    if kind == "ssl":
        pem = existing("FINGER_CERT", os.path.join(HERE, "server.pem"))
        tlsOptions(pem)  # a file that is no key and certificate: one line, now
        options["privateKey"] = options["certKey"] = pem
    return ":".join([kind, str(port)] + [f"{key}={endpoints.quoteStringArgument(value)}"
                                         for key, value in options.items()])


_tls = {}


def tlsOptions(pem):
    """TLS options from a PEM file holding an unencrypted private key and its
    certificate, as cryptography's objects; a file that is not that is one
    line naming FINGER_CERT. (serverFromString's ssl parser hands TLS
    pyOpenSSL's X509 and PKey, which pyOpenSSL deprecates: a
    DeprecationWarning at the first connection.)"""
    if pem not in _tls:
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
        from OpenSSL import SSL
        from twisted.internet import ssl
        with open(pem, "rb") as f:
            data = f.read()
        try:
            _tls[pem] = ssl.CertificateOptions(
                privateKey=serialization.load_pem_private_key(data, password=None),
                certificate=x509.load_pem_x509_certificate(data))
            _tls[pem].getContext()  # the key must be the certificate's
        except (ValueError, TypeError, SSL.Error) as e:
            raise SystemExit(f"{program()}: FINGER_CERT: {pem!r} does not hold an unencrypted "
                             f"PEM private key and its certificate ({e})") from None
    return _tls[pem]


def serverEndpoint(text):
    """endpoints.serverFromString(reactor, text); for ssl, the same endpoint
    made with tlsOptions."""
    kind, port, *args = re.split(r"(?<!\\):", text)
    if kind != "ssl":
        return endpoints.serverFromString(reactor, text)
    options = dict(re.sub(r"\\(.)", r"\1", arg).split("=", 1) for arg in args)
    return endpoints.SSL4ServerEndpoint(reactor, int(port), tlsOptions(options["certKey"]),
                                        interface=options["interface"])


# -- listening -------------------------------------------------------------------

class CannotListen(SystemExit, Exception):
    """A port that cannot be bound: one line and exit status 1.

    A SystemExit, so that the line is all a user sees; an Exception too, so
    that twistd's clean-up for a failed start runs: it removes the pidfile
    and, for a daemon, tells the launching twistd, which would otherwise wait
    for ever on its status pipe."""


def listening(d, role, where):
    """The port that `d`, an endpoint's listen(), fired with; or CannotListen.
    TCP and TLS endpoints fire before listen() returns."""
    result = []
    d.addBoth(result.append)
    if not result:
        raise CannotListen(f"{program()}: {role} cannot listen on {where}: no answer")
    if isinstance(result[0], Failure):
        reason = result[0].value
        reason = getattr(reason, "socketError", None) or reason
        raise CannotListen(f"{program()}: {role} cannot listen on {where}: {reason}")
    return result[0]


def addressLine(role, port):
    address = port.getHost()
    return f"{role} listening on {address.host}:{address.port}"


def _where(text):
    options = dict(arg.split("=", 1) for arg in text.split(":")[2:] if "=" in arg)
    return f"{options.get('interface', '0.0.0.0')}:{text.split(':')[1]}"


class ListeningService(Service):
    """strports.service, as every tac step uses it: listens on the endpoint
    when twistd starts the application, logs the address line, stops
    listening when it stops. (strports.service keeps its port private; here
    `port` is the IListeningPort, None while not listening.)"""

    def __init__(self, text, factory, role):
        self.description = text
        self.factory = Guard(factory)
        self.role = role
        self.port = None

    def privilegedStartService(self):
        if self.port is None:
            endpoint = serverEndpoint(self.description)
            self.port = listening(endpoint.listen(self.factory), self.role,
                                  _where(self.description))
            log.info("{line}", line=addressLine(self.role, self.port))
        super().privilegedStartService()

    def startService(self):
        self.privilegedStartService()
        super().startService()

    def stopService(self):
        super().stopService()
        port, self.port = self.port, None
        if port is not None:
            return port.stopListening()


def service(text, factory, role="finger"):
    """What `strports.service(text, factory)` is in the listing: a service
    listening where the text says, adjusted by the FINGER_* variables."""
    checkSettings()
    return ListeningService(description(text, role), factory, role)


class Announced:
    """A script's endpoint: listen() logs the address line, or exits with one
    line before the reactor runs."""

    def __init__(self, text, role):
        self.description = text
        self.role = role

    def listen(self, factory):
        endpoint = serverEndpoint(self.description)
        port = listening(endpoint.listen(Guard(factory)), self.role, _where(self.description))
        print(addressLine(self.role, port), flush=True)
        return defer.succeed(port)


SCRIPT_VARIABLES = ("FINGER_PORT", "FINGER_IFACE", "FINGER_TIMEOUT", "FINGER_MAX_BYTES",
                    "FINGER_WEB_PREFIX")


def _scriptOptions(text):
    """A script's command line: --port, which wins over FINGER_PORT."""
    main = sys.modules.get("__main__")
    doc = (getattr(main, "__doc__", None) or "").strip()
    parser = argparse.ArgumentParser(
        prog=program(), description=doc.splitlines()[0] if doc else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=environmentHelp(SCRIPT_VARIABLES, FINGER_PORT=text.split(":")[1])
        + "\nSee finger/README.md.")
    parser.add_argument("--port", help="the port to listen on; 0 for a free one")
    args = parser.parse_args()
    if args.port is not None:
        try:
            os.environ["FINGER_PORT"] = str(portNumber(args.port))
        except ValueError as e:
            parser.error(f"argument --port: {e}")
    checkSettings()
    # A script has no twistd to log for it: its address line goes to
    # standard output, its own log and every warning to standard error.
    global _logging
    if not _logging:
        _logging = True
        level = LogLevelFilterPredicate(defaultLogLevel=LogLevel.warn)
        level.setLogLevelForNamespace("finger", LogLevel.info)
        observer = FilteringLogObserver(textFileLogObserver(sys.stderr), [level])
        globalLogBeginner.beginLoggingTo([observer], redirectStandardIO=False)


_logging = False


def serverFromString(reactor, text, role="finger"):
    """What `endpoints.serverFromString(reactor, text)` is in a script step's
    listing, adjusted by --port and the FINGER_* variables; its listen()
    logs the address line, or exits with one line."""
    _scriptOptions(text)
    return Announced(description(text, role), role)


def refuse(text, role="finger"):
    """Step 1 listens on nothing; say where, so a reader knows it runs."""
    _scriptOptions(text)
    print(f"{role} is not listening on {_where(description(text, role))}: "
          f"connections are refused", flush=True)


# -- every connection --------------------------------------------------------------

@implementer(IHalfCloseableProtocol)
class Guarded(policies.ProtocolWrapper):
    """One connection as every step serves it: closed FINGER_TIMEOUT seconds
    after it was made, whatever it does (so a client that trickles a byte at a
    time cannot hold it); after FINGER_MAX_BYTES received, what it sends is
    ignored and it is closed. A half-close ("no more from me") reaches a
    protocol that can take one; for any other it is a hang-up. `expired`
    says that the deadline closed it."""

    deadline = None
    expired = False

    def makeConnection(self, transport):
        self.received = 0
        self.deadline = self.factory.clock.callLater(self.factory.timeout, self.expire)
        super().makeConnection(transport)

    def expire(self):
        self.deadline, self.expired = None, True
        self.transport.abortConnection()

    def dataReceived(self, data):
        self.received += len(data)
        if self.received > self.factory.maxBytes:
            if not self.disconnecting:
                warnOnce(f"a client sent over {self.factory.maxBytes} bytes: hung up on")
                self.loseConnection()
            return
        try:
            super().dataReceived(data)
        except (banana.BananaError, NotImplementedError):
            # Not PB on the PB port (a web request, say): Banana raises one of
            # these, and the reactor would log a traceback for each connection.
            if not isinstance(self.wrappedProtocol, banana.Banana):
                raise
            if not self.disconnecting:
                warnOnce("a client spoke something other than Perspective Broker: hung up on")
                self.loseConnection()

    def readConnectionLost(self):
        if IHalfCloseableProtocol.providedBy(self.wrappedProtocol):
            self.wrappedProtocol.readConnectionLost()
        else:
            self.loseConnection()

    def writeConnectionLost(self):
        if IHalfCloseableProtocol.providedBy(self.wrappedProtocol):
            self.wrappedProtocol.writeConnectionLost()

    def connectionLost(self, reason):
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None
        super().connectionLost(reason)


class Guard(policies.WrappingFactory):
    """Wraps the factory of every port a step listens on (see Guarded)."""

    protocol = Guarded
    noisy = False

    def __init__(self, wrappedFactory, clock=None):
        super().__init__(wrappedFactory)
        self.clock = clock or reactor
        self.timeout = setting("FINGER_TIMEOUT")
        self.maxBytes = setting("FINGER_MAX_BYTES")
        # Over TLS, a client that offers ALPN (curl, every browser) is
        # refused unless the factory names its protocols: pass the Site's on.
        if IProtocolNegotiationFactory.providedBy(wrappedFactory):
            directlyProvides(self, IProtocolNegotiationFactory)

    def acceptableProtocols(self):
        return self.wrappedFactory.acceptableProtocols()


# -- errors ------------------------------------------------------------------------

class Reported(Exception):
    """A failure already logged in one line, to answer as an internal error
    without logging it again."""


_warned = set()


def warnOnce(message):
    """Log a warning the first time it is seen, so that a client cannot flood
    the log by asking again."""
    if message in _warned:
        return message
    if len(_warned) > 1000:
        _warned.clear()
    _warned.add(message)
    log.warn("{warned}", warned=message)  # "message" and "warning" mean more to the legacy log
    return message


def internalError(failure):
    """What every step's errback answers: "Internal error in server", with the
    failure logged once (a query the client gave up is not an error)."""
    if not failure.check(defer.CancelledError, Reported):
        log.failure("a query failed", failure)
    return INTERNAL_ERROR


def clean(text):
    """Text from outside with each control character but TAB made a space."""
    return CONTROL.sub(" ", text)


def cleanLines(text):
    """Text of many lines from outside (a program's output, a .plan, another
    server's answer), as a finger answer: each line end (LF, CRLF) a CRLF,
    every other control character but TAB (a bare CR, an escape) a space."""
    return "\r\n".join(clean(line) for line in re.split(r"\r?\n", text))


# -- the finger protocol -----------------------------------------------------------

def text(line):
    """A line as text: UTF-8 decoded (a bad byte becomes U+FFFD), with the CR of
    a CRLF and the spaces around it stripped."""
    return line.decode("utf-8", "replace").strip()


def user(line):
    """The user a finger query asks about. RFC 1288's /W ("verbose") is
    ignored: "/W moshez" asks about moshez."""
    query = text(line)
    if query[:2].upper() == "/W" and query[2:3] in ("", " ", "\t"):
        query = query[2:].strip()
    return query


@implementer(IHalfCloseableProtocol)
class LineReceiver(basic.LineReceiver):
    """basic.LineReceiver, as every finger step uses it: a bare LF ends a line
    too (nc sends one), a line over MAX_LENGTH bytes is answered "Query too
    long", a half-close after the query still gets the answer, a bug past
    the step's callbacks hangs up at once and is logged once."""

    delimiter = b"\n"
    MAX_LENGTH = 1024
    pending = None

    def ask(self, getUser, line):
        """getUser(the user `line` names), as a Deferred: the one query of this
        connection (later lines are ignored), cancelled if the client hangs up
        before its answer."""
        self.setRawMode()
        self.pending = defer.maybeDeferred(getUser, user(line))
        return self.pending

    def dataReceived(self, data):
        asked = self.pending
        super().dataReceived(data)
        if self.pending is not asked:
            # After the step's own callbacks: a bug in them (an answer that
            # is no text) is logged once and the client hung up on at once.
            self.pending.addErrback(self.unanswerable)

    def unanswerable(self, failure):
        internalError(failure)
        self.transport.loseConnection()

    def rawDataReceived(self, data):
        pass

    def lineLengthExceeded(self, line):
        self.tooLong = True
        if not self.transport.disconnecting:
            self.transport.write(b"Query too long\r\n")
            self.transport.loseConnection()

    def readConnectionLost(self):
        if self.pending is None:
            self.transport.loseConnection()

    def writeConnectionLost(self):
        pass

    def connectionLost(self, reason):
        pending, self.pending = self.pending, None
        if pending is not None and not pending.called:
            pending.cancel()


# -- the setter and the users ------------------------------------------------------

def settable(setter):
    """True when a setter connection sent exactly a plain user name and a
    status (a last line without its line end counts; a trailing empty line is
    fine). setter.lines becomes [user, status] as text, with a control
    character in the status made a space. Anything else, or a connection its
    deadline closed, is ignored, and logged in one line."""
    lines = list(setter.lines)
    rest = setter.clearLineBuffer()
    if rest.strip():
        lines.append(rest)
    while lines and not lines[-1].strip():
        lines.pop()
    sent = f"{len(lines)} line" + "s" * (len(lines) != 1)
    why = None
    if getattr(setter.transport, "expired", False):
        timeout = setter.transport.factory.timeout
        why = f"silent for {timeout:g} seconds (FINGER_TIMEOUT) after {sent}"
    elif getattr(setter, "tooLong", False):
        why = f"a line over {setter.MAX_LENGTH} bytes"
    elif len(lines) != 2:
        why = f"it sent {sent}, not two (a user, then a status)"
    else:
        try:
            lines = [line.decode("utf-8").strip() for line in lines]
        except UnicodeDecodeError:
            why = "a line that is not UTF-8"
        else:
            if not PLAIN_NAME.match(lines[0]):
                why = f"{lines[0]!r} is not a user name"
    if why is not None:
        peer = setter.transport.getPeer()
        log.info("setter: ignored a connection from {peer}: {cause}",
                 peer=f"{getattr(peer, 'host', peer)}:{getattr(peer, 'port', '')}", cause=why)
        return False
    setter.lines = [lines[0], clean(lines[1])]
    return True


class Users(dict):
    """The users a setter may change: at most FINGER_MAX_USERS of them, so that
    setter clients cannot make the server hold without bound; a new user past
    that is refused, with a line in the log."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit = setting("FINGER_MAX_USERS")

    def __setitem__(self, user, status):
        if user not in self and len(self) >= self.limit:
            warnOnce(f"setter: {self.limit} users already (FINGER_MAX_USERS): "
                     f"new users are refused")
            return
        super().__setitem__(user, status)


_lastGood = {}


def _readStatusLines(filename):
    try:
        fd = os.open(filename, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as e:
        return _keepLastGood(filename, e.strerror)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return _keepLastGood(filename, "not a regular file")
    with os.fdopen(fd, "rb") as f:
        limit = setting("FINGER_MAX_FILE")
        data = f.read(limit + 1)
    if len(data) > limit:
        return _keepLastGood(filename, f"over {limit} bytes (FINGER_MAX_FILE)")
    lines = []
    # split("\n"), not splitlines(), which would also end a line at \x1c or \x85
    for number, line in enumerate(data.decode("utf-8", "replace").split("\n"), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, colon, status = line.partition(":")
        if not colon or not PLAIN_NAME.match(name.strip()):
            warnOnce(f"{filename}:{number}: skipped {line[:60]!r}: not 'user: status'")
            continue
        lines.append(f"{name.strip()}:{clean(status)}")
    if _lastGood.get(filename) != lines:
        log.info("read {n} user{s} from {filename}", n=len(lines), filename=filename,
                 s="" if len(lines) == 1 else "s")
    _lastGood[filename] = lines
    return lines


def _keepLastGood(filename, why):
    warnOnce(f"cannot read {filename}: {why}; the users read before stay")
    return _lastGood.get(filename, [])


@contextlib.contextmanager
def statusFile(filename):
    """What `open(filename)` is in the listing's _read: the file's
    "user: status" lines as text, good ones only. A line that is not one is
    skipped and logged once; a file that cannot be read (gone, a FIFO, too
    big) is logged once, and the lines read before stand in for it, so the
    reload goes on and the users stay."""
    yield _readStatusLines(filename)


# -- step 9 and 19b: a program ------------------------------------------------------

class _Output(protocol.ProcessProtocol):
    MAX_OUTPUT = 64 * 1024

    def __init__(self):
        self.out, self.err = [], []
        self.done = defer.Deferred(lambda d: self.kill())

    def outReceived(self, data):
        if sum(map(len, self.out)) < self.MAX_OUTPUT:
            self.out.append(data)

    def errReceived(self, data):
        if sum(map(len, self.err)) < self.MAX_OUTPUT:
            self.err.append(data)

    def kill(self):
        with contextlib.suppress(error.ProcessExitedAlready):
            self.transport.signalProcess(signal.SIGKILL)

    def processEnded(self, reason):
        if not self.done.called:
            self.done.callback((b"".join(self.out), b"".join(self.err)))


def getProcessOutput(executable, args, timeout=10):
    """What utils.getProcessOutput(executable, args) is in the listing, for a
    user name as the last argument: only a plain name reaches the program
    (else "No such user"); a missing program is one line ("No finger program
    on this server"); stderr is logged, not an error; the output is text, at
    most 64 KiB, with no control characters; a program still running after
    `timeout` seconds, or whose client has gone, is killed."""
    if not args or not PLAIN_NAME.match(args[-1]):
        return defer.succeed(NO_SUCH_USER)
    path = shutil.which(executable)
    if path is None:
        warnOnce(f"no {executable} program on PATH")
        return defer.succeed(f"No {executable} program on this server")
    output = _Output()
    reactor.spawnProcess(output, path, [executable, *args], env=dict(os.environ))
    d = output.done

    def answer(result):
        out, err = result
        if err.strip():
            log.info("{program} said on stderr: {err}", program=executable,
                     err=err.decode("utf-8", "replace").strip())
        return cleanLines(out.decode("utf-8", "replace")).strip("\r\n") or NO_SUCH_USER

    def timedOut(failure, timeout):
        raise Reported(warnOnce(f"{executable} ran for over {timeout} s: killed"))

    return d.addCallback(answer).addTimeout(timeout, reactor, onTimeoutCancel=timedOut)


# -- step 19c: a user's .plan -------------------------------------------------------

def homes(text):
    if not os.path.isdir(text) or not os.access(text, os.R_OK | os.X_OK):
        raise ValueError(f"must be a directory you can read, not {text!r}")
    return text


VARIABLES["FINGER_HOMES"] = (None, homes, "step 19c: a directory standing in for the homes")


def getpwnam(user):
    """What pwd.getpwnam(user) is in step 19c: only a plain name is looked up
    (anything else is a KeyError, as a user who does not exist is); with
    FINGER_HOMES set, that directory stands in for the home directories, and
    a USER who has a directory there has it as home (entry[5])."""
    if not PLAIN_NAME.match(user):
        raise KeyError(user)
    if "FINGER_HOMES" not in os.environ:
        return pwd.getpwnam(user)
    home = os.path.join(setting("FINGER_HOMES"), user)
    if not os.path.isdir(home):
        raise KeyError(user)
    return pwd.struct_passwd((user, "x", -1, -1, user, home, ""))


MAX_PLAN = 64 * 1024


def planFile(filename):
    """What open(filename) is in step 19c: a user's .plan as text, at most
    64 KiB of it, with no control characters but TAB and line ends. Only a
    regular file is read: a FIFO would hang the server, a symlink could
    name any file the server may read. A missing file is an OSError, as for
    open(); so is any other cause, logged once per file and cause, so that
    asking again and again cannot flood the log."""
    try:
        fd = os.open(filename, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_NOCTTY)
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise OSError(errno.EINVAL, "not a regular file")
            data = f.read(MAX_PLAN)
    except OSError as e:
        if e.errno != errno.ENOENT:
            warnOnce(f"cannot read {filename}: "
                     f"{'a symbolic link' if e.errno == errno.ELOOP else e.strerror}")
        raise
    return io.StringIO(cleanLines(data.decode("utf-8", "replace")))


# -- step 10: a web page --------------------------------------------------------------

class _Body(protocol.Protocol):
    MAX_PAGE = 64 * 1024

    def __init__(self, site):
        self.site, self.chunks, self.size = site, [], 0
        self.done = defer.Deferred(lambda d: self.transport.stopProducing())

    def dataReceived(self, data):
        self.size += len(data)
        if self.size > self.MAX_PAGE:
            if not self.done.called:
                self.done.errback(Reported(warnOnce(
                    f"cannot fetch a status from {self.site}: a page over {self.MAX_PAGE} bytes")))
            self.transport.stopProducing()
        else:
            self.chunks.append(data)

    def connectionLost(self, reason):
        if not self.done.called:
            if reason.check(ResponseDone, PotentialDataLoss):
                self.done.callback(b"".join(self.chunks))
            else:
                self.done.errback(reason)


def getPage(url, timeout=10):
    """What client.getPage(url) was in the listing (Twisted 22.1 removed it):
    the page as text, its lines ended by CRLF, with no other control
    characters (cleanLines); a 404 is "No such user";
    any other failure (no server, no DNS, another status, a page over 64 KiB,
    no answer within `timeout` seconds) is an internal error, logged in one
    line per site and cause, however many users are asked about."""
    agent = RedirectAgent(Agent(reactor, connectTimeout=timeout))
    site = "/".join(url.split("/", 3)[:3])

    def gotResponse(response):
        body = _Body(site)
        response.deliverBody(body)
        if response.code == 200:
            return body.done.addCallback(
                lambda page: cleanLines(page.decode("utf-8", "replace")).strip())
        body.done.addErrback(lambda failure: None).cancel()  # the body is not wanted
        if response.code == 404:
            return NO_SUCH_USER
        raise Reported(warnOnce(f"cannot fetch a status from {site}: HTTP {response.code}"))

    def timedOut(failure, timeout):
        raise Reported(warnOnce(f"cannot fetch a status from {site}: "
                                f"no answer within {timeout:g} s"))

    def failed(failure):
        if failure.check(Reported, defer.CancelledError):
            return failure
        raise Reported(warnOnce(f"cannot fetch a status from {site}: {failure.getErrorMessage()}"))

    d = agent.request(b"GET", url.encode("ascii"))
    d.addCallback(gotResponse)
    d.addTimeout(timeout, reactor, onTimeoutCancel=timedOut)
    return d.addErrback(failed)


# -- IRC ---------------------------------------------------------------------------------

class IRCClient(irc.IRCClient):
    """irc.IRCClient, as every step's bot uses it: a line that is not UTF-8 is
    decoded with replacement (irc.IRCClient raised, and the bot fell off IRC);
    what it sends is one line (a CR or LF in a status would start a new IRC
    command); it logs "irc signed on to HOST:PORT as NICK"."""

    def lineReceived(self, line):
        super().lineReceived(line.decode("utf-8", "replace"))

    def msg(self, user, message, length=None):
        super().msg(user, clean(message), length)

    def signedOn(self):
        log.info("irc signed on to {server} as {nick}", server=self.factory.server,
                 nick=self.nickname)


def ircClient(text, factory):
    """What internet.ClientService(clientFromString(reactor, text), factory) is
    in the listing: the bot, reconnecting with back-off, to FINGER_IRC_SERVER
    (empty: no bot) rather than the text's server, as FINGER_IRC_NICK."""
    checkSettings()
    server = factory.server = setting("FINGER_IRC_SERVER")
    factory.nickname = setting("FINGER_IRC_NICK", factory.nickname)
    if not server:
        return Service()
    return internet.ClientService(endpoints.clientFromString(reactor, "tcp:" + server), factory)


# -- the web -------------------------------------------------------------------------------

class Request(server.Request):
    """server.Request, as every step's site answers: text written is sent as
    UTF-8 (the pages say so); once the client has gone, writing and finishing
    do nothing; a failure (processingFailed, which a step's render_GET adds as
    its errback) is a 500 page, logged once; a method the page does not take
    is a 405 page (Twisted's own error pages warn); a path that is not UTF-8
    is a 400 page."""

    defaultContentType = b"text/html; charset=utf-8"
    gone = False

    def connectionLost(self, reason):
        self.gone = True
        super().connectionLost(reason)

    def write(self, data):
        if not self.gone:
            super().write(data.encode("utf-8") if isinstance(data, str) else data)

    def finish(self):
        if not self.gone and not self.finished:
            super().finish()

    def processingFailed(self, reason):
        internalError(reason)
        if self.startedWriting:
            self.finish()
        else:
            pages.errorPage(http.INTERNAL_SERVER_ERROR, INTERNAL_ERROR,
                            "Please try again later.").render(self)

    def render(self, resrc):
        try:
            b"/".join(self.prepath + self.postpath).decode("utf-8")
        except UnicodeDecodeError:
            resrc = pages.errorPage(http.BAD_REQUEST, "Bad Request", "The path is not UTF-8.")
        super().render(_Answered(resrc))


class _Answered:
    """A resource as Request.render calls it: a method it does not take is a
    405 page, which names the methods it takes."""

    def __init__(self, resrc):
        self.resrc = resrc

    def render(self, request):
        try:
            return self.resrc.render(request)
        except UnsupportedMethod as e:
            if request.method == b"HEAD" and b"GET" in e.allowedMethods:
                raise  # server.Request answers it as a GET without the body
            request.setHeader(b"allow", b", ".join(e.allowedMethods))
            method = request.method.decode("latin-1")
            return pages.errorPage(http.NOT_ALLOWED, "Method Not Allowed",
                                   f"This page does not take {method}.").render(request)


class HTTPChannel(http.HTTPChannel):
    """A request line or header over 16 KiB is a 414 or 431 answer, not a bare
    hang-up."""

    def lineLengthExceeded(self, line):
        first = line.split(b" ", 1)[0]
        status = b"414 URI Too Long" if first.isalpha() else b"431 Request Header Fields Too Large"
        self.transport.write(b"HTTP/1.1 %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                             % status)
        self.transport.loseConnection()


class Site(server.Site):
    """server.Site, with the Request and HTTPChannel above."""

    protocol = HTTPChannel
    requestFactory = Request

    def acceptableProtocols(self):
        return [b"http/1.1"]  # HTTPChannel above speaks no h2


class Data(resource.Resource):
    """What static.Data was to the listings (importing twisted.web.static
    warns today): a page held in memory, as text."""

    isLeaf = True

    def __init__(self, text, type="text/html"):
        super().__init__()
        self.text, self.type = text, type

    def render_GET(self, request):
        request.setHeader(b"content-type", f"{self.type}; charset=utf-8".encode("ascii"))
        return self.text.encode("utf-8")


class XMLRPC(xmlrpc.XMLRPC):
    """xmlrpc.XMLRPC, as every step serves it: a call with no method name,
    with the wrong number of arguments or one that is not a string (every
    method takes user names), is a Fault that says so; a failure
    behind a method is Fault 8002 "Internal error in server", logged once."""

    def lookupProcedure(self, procedurePath):
        if not isinstance(procedurePath, str):
            raise xmlrpc.Fault(self.NOT_FOUND, "the call names no method")
        function = super().lookupProcedure(procedurePath)

        def call(*args):
            try:
                inspect.signature(function).bind(*args)
            except TypeError as e:
                raise xmlrpc.Fault(self.FAILURE, f"{procedurePath}: {e}") from None
            if not all(isinstance(arg, str) for arg in args):
                raise xmlrpc.Fault(self.FAILURE, f"{procedurePath}: a user name is a string")
            d = defer.maybeDeferred(function, *args)

            def failed(failure):
                if failure.check(xmlrpc.Fault):
                    return failure
                internalError(failure)
                raise xmlrpc.Fault(self.FAILURE, INTERNAL_ERROR)

            return d.addErrback(failed)

        return call


# -- Perspective Broker (steps 21, 22) ---------------------------------------------------

class Root(pb.Root):
    """pb.Root, as the steps serve it: a call to no such method, or with the
    wrong arguments, is a pb.Error that says so; a failure behind a method
    is pb.Error("Internal error in server"), logged once. (PB itself logs a
    traceback for each of these, and sends the client the server's own
    exception.)"""

    def remoteMessageReceived(self, broker, message, args, kw):
        name = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
        method = getattr(self, "remote_" + name, None)
        if method is None:
            raise pb.Error(f"no such method: {name}")
        args, kw = broker.unserialize(args), broker.unserialize(kw)
        try:
            inspect.signature(method).bind(*args, **kw)
        except TypeError as e:
            raise pb.Error(f"{name}: {e}") from None

        def failed(failure):
            if failure.check(pb.Error):
                return failure
            internalError(failure)
            raise pb.Error(INTERNAL_ERROR)

        d = defer.maybeDeferred(method, *args, **kw).addErrback(failed)
        return broker.serialize(d, self.perspective)
