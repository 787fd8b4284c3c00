"""Test machinery for the finger steps (finger/): start a step, ask it,
and the real peers its front-ends talk to.

Every step keeps the contract written at the top of finger/README.md: its
ports come from FINGER_* variables (0 = a free port) and it announces each
one as "ROLE listening on HOST:PORT". Everything here relies on that line
and on nothing else about a step.

- start_step: run a step for real (a script as `python`, a tac under real
  `twistd -n -y`) on free ports; fires with a Server whose `.ports` maps
  role -> port.
- load_step / start_application: the same tac loaded in this process
  (service.loadApplication), for the deeper tests that need no new process.
- finger_query, set_status: the finger and setter clients.
- http_get: a real HTTP client (Agent + readBody).
- serve_web: a small twisted.web site for step 10 to read statuses from.
- irc_server, IRCTester: twisted.words' own IRC server, and a user on it.
- stand_in_finger: a `finger` program that prints its arguments.
"""

import os
import re
import shutil
import socket
import sys
import tempfile
from contextlib import contextmanager

from twisted.application import service
from twisted.cred import credentials, portal
from twisted.cred.checkers import ICredentialsChecker
from twisted.internet import defer, protocol, reactor
from twisted.logger import formatEvent, globalLogPublisher
from twisted.web import resource, server
from twisted.web.client import Agent, ResponseDone
from twisted.web.http import PotentialDataLoss
from twisted.web.http_headers import Headers
from twisted.words.protocols import irc
from twisted.words import service as words
from zope.interface import implementer

from tests.support import (
    PYTHON, WARNFLAGS, fetch, listen, path, start, twistd_argv, with_timeout,
)

# The address line of the contract, and the IRC bot's sign-on line.
ADDRESS_RE = re.compile(r"(\w+) listening on (\S+):(\d+)")
SIGNED_ON_RE = re.compile(r"irc signed on to (\S+):(\d+) as (\S+)")

# Every port a step may open, free by default, and an IRC server on this
# machine where nothing listens, so that a test that forgets to start one
# never makes a bot contact the real IRC network. A row may override any.
FREE_PORTS = {
    "FINGER_PORT": "0",
    "FINGER_SETTER_PORT": "0",
    "FINGER_WEB_PORT": "0",
    "FINGER_IRC_SERVER": "127.0.0.1:1",
}

TIMEOUT = 10


def ports_of(output):
    """role -> port, from the address lines in a step's output (str or bytes)."""
    if isinstance(output, bytes):
        output = output.decode("utf-8", "replace")
    return {m.group(1): int(m.group(3)) for m in ADDRESS_RE.finditer(output)}


def step_argv(rel, *args):
    """How the README runs a step: python for a script, twistd -n -y for a
    tac. No pid file, so several twistds can run from the repo root."""
    if rel.endswith(".tac"):
        return twistd_argv("-n", "--pidfile=", "-y", path(rel), *map(str, args))
    return [PYTHON, *WARNFLAGS, path(rel), *map(str, args)]


@defer.inlineCallbacks
def start_step(testcase, rel, roles=("finger",), env=None, args=(), timeout=15):
    """Run step `rel` as the README does, on free ports, and wait until it
    has announced every role in `roles`. The Server it fires with has
    `.ports` (role -> port); it is stopped at cleanup."""
    environ = dict(FREE_PORTS)
    environ.update(env or {})
    srv = yield start(testcase, step_argv(rel, *map(str, args)),
                      ready=rb"\w+ listening on \S+:(\d+)", env=environ, timeout=timeout)
    for role in roles:
        yield srv.wait_for(rf"\b{role} listening on \S+:\d+".encode(), timeout=timeout)
    srv.ports = ports_of(srv.output)
    return srv


# --- in process --------------------------------------------------------------

@contextmanager
def environment(env):
    """os.environ with `env` applied, restored afterwards (tacs read their
    configuration when they are loaded)."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def load_step(rel, env=None):
    """Load a tac in this process as twistd -y would (from the repo root's
    point of view: relative defaults are made absolute by running the load
    with the repo root as working directory). Returns the application."""
    environ = dict(FREE_PORTS)
    environ.update(env or {})
    cwd = os.getcwd()
    with environment(environ):
        os.chdir(path("."))
        try:
            return service.loadApplication(path(rel), "python")
        finally:
            os.chdir(cwd)


def find_service(application, attribute):
    """The first service of a loaded application that has `attribute`
    (e.g. "getUser" finds the FingerService)."""
    for child in service.IServiceCollection(application):
        if hasattr(child, attribute):
            return child
    raise LookupError(f"no service with {attribute!r}")


def start_application(testcase, application):
    """Start a loaded application's services; fire with role -> port, read
    from the address lines it logs. Stopped at cleanup."""
    ports = {}

    def observe(event):
        m = ADDRESS_RE.search(formatEvent(event) or "")
        if m:
            ports[m.group(1)] = int(m.group(3))

    top = service.IService(application)
    globalLogPublisher.addObserver(observe)
    try:
        top.privilegedStartService()
        top.startService()
    finally:
        globalLogPublisher.removeObserver(observe)
    testcase.addCleanup(top.stopService)
    return ports


# --- clients -----------------------------------------------------------------

def finger_query(port, query, timeout=TIMEOUT):
    """Send one finger query (str, sent as UTF-8, or bytes, sent as is) with
    CRLF; fire with every byte the server sends until it closes."""
    if isinstance(query, str):
        query = query.encode("utf-8") + b"\r\n"
    return fetch(port, send=query, timeout=timeout)


class _Setter(protocol.Protocol):
    def connectionMade(self):
        self.transport.write(self.factory.data)
        self.transport.loseWriteConnection()

    def connectionLost(self, reason):
        self.factory.done.callback(None)


def set_status(port, user, status, raw=None, timeout=TIMEOUT):
    """Tell a setter (steps 12, 13) `user` and `status`, half-close, and fire
    once the setter has closed: by then it has handled what it was sent.
    `raw` (bytes) is sent instead, for the junk cases."""
    factory = protocol.ClientFactory()
    factory.protocol = _Setter
    factory.data = raw if raw is not None else f"{user}\r\n{status}\r\n".encode("utf-8")
    factory.done = defer.Deferred()
    reactor.connectTCP("127.0.0.1", port, factory, timeout=timeout)
    return with_timeout(factory.done, timeout, f"the setter on port {port}")


class _Body(protocol.Protocol):
    """A response body, whole. (readBody would do, but on a body that has
    already arrived it raises a DeprecationWarning inside Twisted.)"""

    def __init__(self):
        self.chunks = []
        self.done = defer.Deferred()

    def dataReceived(self, data):
        self.chunks.append(data)

    def connectionLost(self, reason):
        if reason.check(ResponseDone, PotentialDataLoss):
            self.done.callback(b"".join(self.chunks))
        else:
            self.done.errback(reason)


@defer.inlineCallbacks
def http_get(url, timeout=TIMEOUT):
    """GET `url` (str; non-ASCII is percent-encoded by the caller) with a
    real HTTP client. Fires with (status code, content type, body bytes)."""
    agent = Agent(reactor, connectTimeout=timeout)
    d = agent.request(b"GET", url.encode("ascii"), Headers({}))
    response = yield with_timeout(d, timeout, f"GET {url}")
    body = _Body()
    response.deliverBody(body)
    body = yield with_timeout(body.done, timeout, f"body of {url}")
    ctype = response.headers.getRawHeaders(b"content-type", [b""])[0].decode("latin-1")
    return response.code, ctype, body


# --- servers the steps talk to ------------------------------------------------

class _Page(resource.Resource):
    isLeaf = True

    def __init__(self, pages, seen):
        super().__init__()
        self.pages = pages
        self.seen = seen

    def render_GET(self, request):
        # request.path is the raw path; its percent-escapes are left as sent.
        self.seen.append(request.path.decode("ascii"))
        answer = self.pages.get(request.path.decode("ascii"))
        if isinstance(answer, int):
            request.setResponseCode(answer)
            return b"<html><body>Status %d</body></html>" % answer
        body = answer
        if body is None:
            request.setResponseCode(404)
            return b"<html><body>Not here</body></html>"
        request.setHeader(b"content-type", b"text/plain; charset=utf-8")
        return body


def serve_web(testcase, pages, seen=None):
    """A twisted.web site on 127.0.0.1:0 serving `pages` (raw path -> bytes,
    or an int: that HTTP status; anything else is a 404). The raw paths
    asked for are appended to `seen`. Returns its port."""
    site = server.Site(_Page(pages, [] if seen is None else seen))
    return listen(testcase, site)


@implementer(ICredentialsChecker)
class LetEveryoneIn:
    """A checker that lets any nickname in, whatever the password."""

    credentialInterfaces = (credentials.IUsernamePassword,)

    def requestAvatarId(self, creds):
        name = creds.username
        return defer.succeed(name.decode("utf-8") if isinstance(name, bytes) else name)


class _OpenIRCUser(words.IRCUser):
    """twisted.words' server side of a client. Its NICK asks NickServ for a
    password when none came with PASS; a bot sends none, so we log it in
    at once with an empty one, which LetEveryoneIn accepts."""

    def irc_NICK(self, prefix, params):
        if self.password is None:
            self.password = b""
        return super().irc_NICK(prefix, params)


class WatchedRealm(words.InMemoryWordsRealm):
    """The in-memory realm, which can say when a nickname logs in."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.waiting = {}

    def requestAvatar(self, avatarId, mind, *interfaces):
        d = super().requestAvatar(avatarId, mind, *interfaces)

        def loggedIn(result):
            name = avatarId.decode("utf-8") if isinstance(avatarId, bytes) else avatarId
            for w in self.waiting.pop(name.lower(), []):
                w.callback(name)
            return result

        return d.addCallback(loggedIn)

    def next_login(self, nick, timeout=TIMEOUT):
        """Fire when `nick` next logs in."""
        d = defer.Deferred()
        self.waiting.setdefault(nick.lower(), []).append(d)
        return with_timeout(d, timeout, f"{nick} logging in to the IRC server")

    def logged_in(self, nick, timeout=TIMEOUT):
        """Fire when `nick` is logged in (at once if it is)."""
        user = self.users.get(nick.lower())
        if user is not None and user.realm is not None:
            return defer.succeed(nick)
        return self.next_login(nick, timeout)

    def drop(self, nick):
        """Cut `nick`'s connection from the server's side."""
        self.users[nick.lower()].mind.transport.abortConnection()


def irc_server(testcase):
    """twisted.words' IRC server on 127.0.0.1:0. Returns (port, realm)."""
    realm = WatchedRealm("localhost")
    factory = words.IRCFactory(realm, portal.Portal(realm, [LetEveryoneIn()]))
    factory.protocol = _OpenIRCUser
    port = listen(testcase, factory)

    def drop_everyone():
        for user in list(realm.users.values()):
            mind = getattr(user, "mind", None)
            transport = getattr(mind, "transport", None)
            if transport is not None:
                transport.abortConnection()

    testcase.addCleanup(drop_everyone)
    return port, realm


class IRCTester(irc.IRCClient):
    """A person on the IRC server: asks the bot in private and collects the
    private replies it gets."""

    nickname = "tester"

    def connectionMade(self):
        self.replies = []
        self.waiting = []
        super().connectionMade()

    def signedOn(self):
        self.factory.ready.callback(self)

    def privmsg(self, user, channel, message):
        self.replies.append((user.split("!")[0], message))
        # Swap first: a waiter's callback may ask again at once.
        waiting, self.waiting = self.waiting, []
        for d in waiting:
            d.callback(None)

    def ask(self, nick, text, timeout=TIMEOUT):
        """Send `text` to `nick`; fire with the next private reply's text."""
        seen = len(self.replies)
        d = defer.Deferred()
        self.waiting.append(d)
        self.msg(nick, text)
        d.addCallback(lambda _: self.replies[seen][1])
        return with_timeout(d, timeout, f"a reply from {nick} to {text!r}")


def irc_tester(testcase, port, timeout=TIMEOUT):
    """Connect an IRCTester; fire with it once it is signed on."""
    factory = protocol.ClientFactory()
    factory.protocol = IRCTester
    factory.ready = defer.Deferred()
    connector = reactor.connectTCP("127.0.0.1", port, factory, timeout=timeout)
    testcase.addCleanup(connector.disconnect)
    return with_timeout(factory.ready, timeout, "the tester signing on to IRC")


# --- step 9's finger ------------------------------------------------------------

def stand_in_finger(testcase):
    """A directory holding an executable `finger` that prints its
    arguments ("argument: ARG" per line) for moshez and zoë, hangs for the
    user "hang", and for anyone else prints nothing on stdout and "no such
    user" on stderr. Put it first on PATH."""
    directory = temp_dir(testcase)
    program = os.path.join(directory, "finger")
    with open(program, "w", encoding="utf-8") as f:
        f.write(STAND_IN_SOURCE.format(python=sys.executable))
    os.chmod(program, 0o755)
    return directory


def dead_port(testcase):
    """A port on 127.0.0.1 that refuses connections for the whole test: it
    stays bound (not listening) until cleanup, so no other test, in this
    process or another trial worker, can start listening there meanwhile."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    testcase.addCleanup(sock.close)
    return sock.getsockname()[1]


def temp_dir(testcase):
    """A fresh directory outside the checkout, removed at cleanup.
    (testcase.mktemp() under pytest makes its folders in the checkout.)"""
    directory = tempfile.mkdtemp(prefix="finger-test-")
    testcase.addCleanup(shutil.rmtree, directory, ignore_errors=True)
    return directory


STAND_IN_SOURCE = """\
#!{python}
# A stand-in for finger(1). For moshez and zo\\u00eb it prints each argument it
# got as "argument: ARG"; for anyone else it prints nothing on stdout and
# complains on stderr, as the real finger does. Each run appends its
# arguments, one run per line, to the file FINGER_STAND_IN_LOG names, if any.
import os, sys
args = sys.argv[1:]
if os.environ.get("FINGER_STAND_IN_LOG"):
    with open(os.environ["FINGER_STAND_IN_LOG"], "a", encoding="utf-8") as log:
        print(repr(args), file=log)
if args == ["hang"]:  # a finger that never answers
    import time
    time.sleep(60)
if args and args[-1] in ("moshez", "zo\\u00eb"):
    for a in args:
        print("argument: " + a)
else:
    print("finger: " + " ".join(args) + ": no such user.", file=sys.stderr)
"""


# --- steps 17-28 (helper D) -------------------------------------------------------

def make_certificate(directory):
    """A throwaway self-signed certificate for localhost and 127.0.0.1, with
    its private key, in one PEM file (FINGER_CERT's format); returns its
    path. cryptography comes with twisted[tls]."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    pem = os.path.join(directory, "server.pem")
    with open(pem, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    return pem


def with_certificate(testcase):
    """Step 22 and finger.tac: FINGER_CERT, a throwaway certificate, and
    free ports for PB and HTTPS."""
    return {"FINGER_CERT": make_certificate(temp_dir(testcase)),
            "FINGER_PB_PORT": "0", "FINGER_HTTPS_PORT": "0"}


def write_homes(directory, plans):
    """HOMES/USER/.plan for each (user, text) of `plans`; returns HOMES."""
    homes = os.path.join(directory, "homes")
    for user, text in plans.items():
        os.makedirs(os.path.join(homes, user))
        with open(os.path.join(homes, user, ".plan"), "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return homes


def with_homes(testcase):
    """Step 19c: FINGER_HOMES holding .plan files for moshez and zoë, so the
    tests never read a real home directory."""
    return {"FINGER_HOMES": write_homes(temp_dir(testcase), {
        "moshez": "happy and well", "zoë": "Très bien, merci"})}


# --- a client that half-closes, as `nc -N` does (helper D2) --------------------

class _HalfClosing(protocol.Protocol):
    """Sends its bytes, shuts its sending side at once (a FIN: "no more
    from me", not a hang-up), and keeps every byte until the server closes."""

    def __init__(self, data):
        self.data = data
        self.received = b""
        self.lost = defer.Deferred()

    def connectionMade(self):
        self.transport.write(self.data)
        self.transport.loseWriteConnection()

    def dataReceived(self, data):
        self.received += data

    def connectionLost(self, reason):
        self.lost.callback(self.received)


def send_half_closed(port, data, host="127.0.0.1", timeout=TIMEOUT):
    """What `printf DATA | nc -N HOST PORT` does: connect, send `data`
    (bytes; a str is sent as a finger query, UTF-8 plus CRLF), half-close
    right away, and fire with every byte the server sends until it closes.
    A server that takes a half-close for a hang-up answers nothing."""
    if isinstance(data, str):
        data = data.encode("utf-8") + b"\r\n"
    client = _HalfClosing(data)
    d = protocol.ClientCreator(reactor, lambda: client).connectTCP(
        host, port, timeout=timeout)
    d.addCallback(lambda _: client.lost)

    def on_timeout(result, t):
        if client.transport is not None:
            client.transport.abortConnection()
        raise AssertionError(f"no close from {host}:{port} within {timeout}s "
                             f"after a half-close")

    return d.addTimeout(timeout, reactor, onTimeoutCancel=on_timeout)
