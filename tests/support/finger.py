"""Test machinery for the finger steps (finger/): run a step or load it,
ask it on each front-end, and the real peers its front-ends talk to.

Every step keeps the contract of finger/contract.py: its ports come from
FINGER_* variables (0: a free port) and it announces each one as "ROLE
listening on HOST:PORT". A real run relies on that line and on nothing
else about a step; a step loaded in this process is reached through the
contract's own objects (ListeningService: its role, its factory, its port).

- start_step, start_row: run a step for real (a script under python, a tac
  under real `twistd -n -y`) on free ports; fire with a Server whose
  `.ports` maps role -> port.
- load_definitions: a script step's classes, without running it.
- load_step, start_application, listening, factory_of, users_holder: the
  same tac loaded in this process (service.loadApplication), for the tests
  that need no new process; patch_environ for the settings it reads as it
  runs; connect, ask_in_memory: one connection on a StringTransport;
  Unreadable: users whose every lookup fails.
- finger_query, send_half_closed, set_status, http_get, xmlrpc_call: the
  clients (finger, `nc -N`, the setter, HTTP, XML-RPC).
- serve_web, irc_server, irc_tester, stand_in_finger: the peers (a status
  site for step 10, twisted.words' IRC server and a user on it, a `finger`
  program for step 9).
- logged, wait_for_log: what the steps log, and a bounded wait for a line.
- with_*: a row's `prepare`, the environment a step needs to start.
"""

import ast
import datetime
import html
import http.client
import ipaddress
import os
import re
import shutil
import socket
import ssl
import sys
import types
import xmlrpc.client
from unittest import mock

from twisted.application import service
from twisted.cred import credentials, portal
from twisted.cred.checkers import ICredentialsChecker
from twisted.internet import defer, endpoints, protocol, reactor, task, threads
from twisted.internet.address import IPv4Address
from twisted.internet.interfaces import IHostnameResolver, IHostResolution
from twisted.internet.testing import EventLoggingObserver, StringTransport
from twisted.logger import formatEvent, globalLogPublisher
from twisted.python import components
from twisted.spread import pb
from twisted.web import resource, server
from twisted.web.client import Agent, ResponseDone
from twisted.web.http import PotentialDataLoss
from twisted.web.http_headers import Headers
from twisted.words import service as words
from twisted.words.protocols import irc
from zope.interface import implementer

from finger import contract
from runner.paths import PYTHON, WARNFLAGS, path, twistd_argv
from runner.processes import start
from tests.support.servers import abort_all, listen, serve
from tests.support.clients import fetch
from tests.support.environment import temp_dir
from tests.support.inprocess import run_here
from runner.waiting import poll, with_timeout

# Every port a step may open, free; no IRC bot unless a test starts an IRC
# server for it (then the bot never reaches the real IRC network).
FREE_PORTS = {
    "FINGER_PORT": "0",
    "FINGER_SETTER_PORT": "0",
    "FINGER_WEB_PORT": "0",
    "FINGER_PB_PORT": "0",
    "FINGER_HTTPS_PORT": "0",
    "FINGER_PROXY_PORT": "0",
    "FINGER_IRC_SERVER": "",
}

# The address line of the contract, and the IRC bot's sign-on line.
ADDRESS_RE = re.compile(r"(\w+) listening on (\S+):(\d+)")
SIGNED_ON_RE = re.compile(r"irc signed on to (\S+):(\d+) as (\S+)")

TIMEOUT = 10
CLOSED = None  # a step that closes the connection without a word


def expected_bytes(answer):
    """What a finger client receives for `answer` (text, or CLOSED)."""
    return b"" if answer is CLOSED else answer.encode("utf-8") + b"\r\n"


# --- a real run ----------------------------------------------------------------------

def ports_of(output):
    """role -> port, from the address lines in a step's output (bytes)."""
    text = output.decode("utf-8", "replace")
    return {m.group(1): int(m.group(3)) for m in ADDRESS_RE.finditer(text)}


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
    srv = yield start(testcase, step_argv(rel, *args), ready=rb"\w+ listening on \S+:(\d+)",
                      env=environ, timeout=timeout)
    for role in roles:
        yield srv.wait_for(rf"\b{role} listening on \S+:\d+".encode(), timeout=timeout)
    srv.ports = ports_of(srv.output)
    return srv


@defer.inlineCallbacks
def start_row(testcase, row, env=None):
    """Run a row of tests.support.finger_steps.STEPS for real, with what its
    `prepare` makes (a peer started first, a file) and `env` on top."""
    environ = dict(row.env)
    if row.prepare is not None:
        environ.update((yield defer.maybeDeferred(row.prepare, testcase)))
    environ.update(env or {})
    return (yield start_step(testcase, row.rel, roles=row.roles, env=environ))


# --- in this process -------------------------------------------------------------------

def load_step(rel, env=None):
    """Load a tac in this process as twistd -y does, with FREE_PORTS and
    `env` in the environment while it reads its configuration. Returns the
    application, loaded, not started."""
    environ = dict(FREE_PORTS)
    environ.update(env or {})
    with mock.patch.dict(os.environ, environ), tacAdapters():
        return service.loadApplication(path(rel), "python")


def tacAdapters():
    """While a tac loads: from step 19 a tac registers zope adapters as it
    loads, and a tac has no module name, so zope takes a second load's
    interfaces for the first's and refuses to register "the same" adapter
    again. The later registration wins, as it would in a twistd that loads
    one tac; each tac adapts its service while it loads."""
    return mock.patch.object(components, "ALLOW_DUPLICATES", True)


def load_definitions(rel):
    """The imports, classes and functions of a script step, as a module,
    without the rest: a script listens and runs the reactor at its top
    level, as the text's listing does. Its `import contract` finds the
    module the tacs import as finger.contract."""
    source = path(rel)
    with open(source, encoding="utf-8") as f:
        tree = ast.parse(f.read(), source)
    tree.body = [node for node in tree.body if isinstance(
        node, (ast.Import, ast.ImportFrom, ast.ClassDef, ast.FunctionDef))]
    sys.modules.setdefault("contract", contract)
    module = types.ModuleType("finger_" + re.sub(r"\W", "_", os.path.basename(rel)))
    module.__file__ = source
    exec(compile(tree, source, "exec"), module.__dict__)
    return module


def patch_environ(testcase, env):
    """os.environ with `env` set until the test ends: load_step reads the
    configuration, and the contract reads some of it while a step runs
    (FINGER_RELOAD, FINGER_MAX_USERS)."""
    patcher = mock.patch.dict(os.environ, env)
    patcher.start()
    testcase.addCleanup(patcher.stop)


def services(application):
    """Every service of a loaded application, depth first."""
    for child in service.IServiceCollection(application):
        yield child
        if isinstance(child, service.MultiService):
            yield from services(child)


def listening(application):
    """role -> the contract.ListeningService of each port a step listens on."""
    return {s.role: s for s in services(application) if isinstance(s, contract.ListeningService)}


def factory_of(application, role="finger"):
    """The step's own factory for `role` (contract.Guard wraps it)."""
    return listening(application)[role].factory.wrappedFactory


def find_service(application, attribute):
    """The first service of a loaded application that has `attribute`
    (e.g. "getUser" finds the FingerService)."""
    for child in services(application):
        if hasattr(child, attribute) and not isinstance(child, contract.ListeningService):
            return child
    raise LookupError(f"no service with {attribute!r}")


def users_holder(application):
    """What holds the users the finger front-end reads: the object whose
    getUser the finger factory calls (the FingerService from step 13 on,
    which step 13 never makes a child of the application; the FingerFactory
    in steps 11, 12)."""
    roles = listening(application)
    factory = roles.get("finger", roles.get("proxy")).factory.wrappedFactory
    holder = getattr(factory.getUser, "__self__", factory)
    # From step 19 the factory is an adapter of the service: its `service`.
    return getattr(holder, "service", holder)


def start_application(testcase, application):
    """Start a loaded application's services; return role -> port, from the
    ports its ListeningServices hold. Stopped at cleanup."""
    top = service.IService(application)
    # Registered first: a port that cannot be bound leaves the others bound.
    testcase.addCleanup(top.stopService)
    top.privilegedStartService()
    top.startService()
    return {role: s.port.getHost().port for role, s in listening(application).items()}


class Loaded:
    """A row's step loaded in this process (load_row): `app`, `ports` (role
    -> port, once started), `log` (every event logged since), `service`
    (users_holder: whose `users` the finger port reads)."""

    def __init__(self, app, log):
        self.app = app
        self.log = log
        self.ports = {}
        self.service = users_holder(app)

    def url(self, path="", role="web"):
        return f"http://127.0.0.1:{self.ports[role]}{path}"


def load_row(testcase, row, env=None, start=True):
    """Load a row's tac in this process as twistd -y does, with FREE_PORTS,
    the row's env and `env` in the environment until the test ends, and
    start it (unless start=False; it is stopped at cleanup). Returns a
    Loaded."""
    log = logged(testcase)
    patch_environ(testcase, {**FREE_PORTS, **row.env, **(env or {})})
    with tacAdapters():
        loaded = Loaded(service.loadApplication(path(row.rel), "python"), log)
    if start:
        loaded.ports = start_application(testcase, loaded.app)
    return loaded


def finger_factory(testcase, row):
    """The factory a row's finger port serves: a tac's, loaded in this
    process (not started), or a script's FingerFactory(*row.factoryArgs)."""
    if row.rel.endswith(".tac"):
        return factory_of(load_row(testcase, row, start=False).app)
    return load_definitions(row.rel).FingerFactory(*row.factoryArgs)


@defer.inlineCallbacks
def load_row_with_irc(testcase, row, env=None):
    """load_row, with twisted.words' IRC server for its bot, and a tester
    signed on there: the Loaded has `ircPort`, `realm`, `tester` too."""
    port, realm = irc_server(testcase)
    loaded = load_row(testcase, row, {**(env or {}), "FINGER_IRC_SERVER": f"127.0.0.1:{port}"})
    yield realm.logged_in("fingerbot")
    loaded.ircPort, loaded.realm = port, realm
    loaded.tester = yield irc_tester(testcase, port)
    return loaded


def connect(factory):
    """One protocol of `factory` on a StringTransport: (protocol, transport)."""
    proto = factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 7))
    transport = StringTransport(peerAddress=IPv4Address("TCP", "127.0.0.1", 7))
    proto.makeConnection(transport)
    return proto, transport


def ask_in_memory(factory, *chunks):
    """A connection of `factory` on a StringTransport that receives each of
    `chunks` in turn; returns the transport (what was written: .value())."""
    proto, transport = connect(factory)
    for chunk in chunks:
        proto.dataReceived(chunk)
    return transport


class Unreadable(dict):
    """A users mapping whose every lookup fails: any fault behind getUser."""

    def get(self, user, default=None):
        raise RuntimeError(f"cannot look up {user!r}")

    __getitem__ = get

    def __contains__(self, user):
        raise RuntimeError(f"cannot look up {user!r}")


def logged(testcase):
    """Every event logged from now until the test ends (a growing list);
    logged_text(events) gives them as text."""
    return EventLoggingObserver.createWithCleanup(testcase, globalLogPublisher)


def logged_text(events):
    return [formatEvent(event) for event in events]


def wait_for_log(events, text, timeout=TIMEOUT):
    """Fire once a logged message contains `text` (bounded)."""
    return poll(lambda: any(text in line for line in logged_text(events)), timeout,
                what=f"a log line with {text!r}")


# --- clients -------------------------------------------------------------------------------

def finger_query(port, query, timeout=TIMEOUT):
    """Send one finger query (str, sent as UTF-8 with CRLF, or bytes, sent
    as is); fire with every byte the server sends until it closes."""
    if isinstance(query, str):
        query = query.encode("utf-8") + b"\r\n"
    return fetch(port, send=query, timeout=timeout)


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
    A server that takes a half-close for a hang-up answers nothing. The
    setter's client is this one too."""
    if isinstance(data, str):
        data = data.encode("utf-8") + b"\r\n"
    client = _HalfClosing(data)
    d = protocol.ClientCreator(reactor, lambda: client).connectTCP(host, port, timeout=timeout)
    d.addCallback(lambda _: client.lost)

    def on_timeout(result, t):
        if client.transport is not None:
            client.transport.abortConnection()
        raise AssertionError(f"no close from {host}:{port} within {timeout}s after a half-close")

    return d.addTimeout(timeout, reactor, onTimeoutCancel=on_timeout)


def set_status(port, user, status=None, timeout=TIMEOUT):
    """`printf 'USER\\nSTATUS\\n' | nc -N localhost PORT`, to a setter; fires
    once the setter has closed, when it has handled what it was sent. `user`
    may be bytes: all that is sent (for the junk cases)."""
    data = user if isinstance(user, bytes) else f"{user}\n{status}\n".encode("utf-8")
    return send_half_closed(port, data, timeout=timeout)


class _Body(protocol.Protocol):
    """A response body, whole; a body cut short is an error. (readBody
    would do, but on a body that has already arrived it raises a
    DeprecationWarning inside Twisted.)"""

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
def http_get(url, timeout=TIMEOUT, method=b"GET"):
    """GET `url` (str; non-ASCII percent-encoded by the caller) with a real
    HTTP client. Fires with (status code, content type, body as text)."""
    agent = Agent(reactor, connectTimeout=timeout)
    d = agent.request(method, url.encode("ascii"), Headers({}))
    response = yield with_timeout(d, timeout, f"{method.decode()} {url}")
    body = _Body()
    response.deliverBody(body)
    body = yield with_timeout(body.done, timeout, f"body of {url}")
    ctype = response.headers.getRawHeaders(b"content-type", [b""])[0].decode("latin-1")
    return response.code, ctype, body.decode("utf-8")


class _TimedTransport(xmlrpc.client.Transport):
    """xmlrpc.client's transport, with a timeout on its socket."""

    def __init__(self, timeout):
        super().__init__()
        self.timeout = timeout

    def make_connection(self, host):
        connection = super().make_connection(host)
        connection.timeout = self.timeout
        return connection


def xmlrpc_call(port, method, *args, timeout=TIMEOUT):
    """Call `method` on http://127.0.0.1:PORT/RPC2 with the standard
    library's xmlrpc.client (in a thread); fires with the answer, or with
    the xmlrpc.client.Fault the server sent."""

    def call():
        url = f"http://127.0.0.1:{port}/RPC2"
        with xmlrpc.client.ServerProxy(url, transport=_TimedTransport(timeout)) as proxy:
            try:
                return getattr(proxy, method)(*args)
            except xmlrpc.client.Fault as fault:
                return fault

    return with_timeout(threads.deferToThread(call), timeout + 1, f"XML-RPC {method}{args!r}")


# --- servers the steps talk to ---------------------------------------------------------------

class _Page(resource.Resource):
    isLeaf = True

    def __init__(self, pages, seen):
        super().__init__()
        self.pages = pages
        self.seen = seen

    def render_GET(self, request):
        # request.path is the raw path; its percent-escapes are left as sent.
        raw = request.path.decode("ascii")
        self.seen.append(raw)
        answer = self.pages.get(raw)
        if isinstance(answer, int):
            request.setResponseCode(answer)
            return b"<html><body>Status %d</body></html>" % answer
        if answer is None:
            request.setResponseCode(404)
            return b"<html><body>Not here</body></html>"
        request.setHeader(b"content-type", b"text/plain; charset=utf-8")
        return answer


def serve_web(testcase, pages, seen=None):
    """A twisted.web site on 127.0.0.1:0 serving `pages` (raw path -> bytes,
    or an int: that HTTP status; anything else is a 404). The raw paths
    asked for are appended to `seen`. Returns its port."""
    return listen(testcase, server.Site(_Page(pages, [] if seen is None else seen)))


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
            transport = getattr(getattr(user, "mind", None), "transport", None)
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
if args and args[-1] in ("moshez", "zo\\u00eb"):
    for a in args:
        print("argument: " + a)
else:
    print("finger: " + " ".join(args) + ": no such user.", file=sys.stderr)
"""


def stand_in_finger(testcase, source=STAND_IN_SOURCE):
    """A directory holding an executable `finger` (`source`, by default
    STAND_IN_SOURCE). Put it first on PATH."""
    directory = temp_dir(testcase)
    program = os.path.join(directory, "finger")
    with open(program, "w", encoding="utf-8") as f:
        f.write(source.format(python=sys.executable))
    os.chmod(program, 0o755)
    return directory


def write_users(testcase, text, name=None):
    """A users file (FINGER_USERS_FILE) holding `text`; its absolute path.
    With `name`, that file is written over instead."""
    name = name or os.path.join(temp_dir(testcase), "users")
    with open(name, "w", encoding="utf-8") as f:
        f.write(text)
    return name


@defer.inlineCallbacks
def check_answers(testcase, port, expected):
    """Ask the finger port each query of `expected` (query -> answer) and
    assert the answers, naming the query that went wrong."""
    for query, answer in expected.items():
        got = yield finger_query(port, query)
        testcase.assertEqual((query, got), (query, expected_bytes(answer)))


# --- what a row needs to start (its `prepare`) ---------------------------------------------

def with_stand_in_finger(testcase):
    """Step 9 (and 19b): the stand-in `finger` (testcase.finger_program) the
    only program on PATH, logging its runs to testcase.runs."""
    testcase.runs = os.path.join(temp_dir(testcase), "runs")
    directory = stand_in_finger(testcase)
    testcase.finger_program = os.path.join(directory, "finger")
    return {"PATH": directory, "FINGER_STAND_IN_LOG": testcase.runs}


STATUS_PAGES = {
    "/~moshez": "Happy and well\n".encode("utf-8"),
    "/~zo%C3%AB": "Très bien, merci\n".encode("utf-8"),
    "/~lines": "Très bien,\nmerci\x1b[31m\n".encode("utf-8"),
    "/~broken": 500,
    "/~big": b"x" * (70 * 1024),  # over getPage's 64 KiB
}


def with_status_site(testcase):
    """Step 10: a web site holding the statuses, at PREFIX + user
    (testcase.prefix); the raw paths asked for go to testcase.seen."""
    testcase.seen = []
    port = serve_web(testcase, STATUS_PAGES, testcase.seen)
    testcase.prefix = f"http://127.0.0.1:{port}/~"
    return {"FINGER_WEB_PREFIX": testcase.prefix}


def with_irc_server(testcase):
    """Step 16 on: an IRC server on this machine for the bot (never the real
    one): testcase.irc is (port, realm)."""
    testcase.irc = irc_server(testcase)
    return {"FINGER_IRC_SERVER": f"127.0.0.1:{testcase.irc[0]}"}


def with_users_copy(testcase):
    """Step 14 on: a copy of finger/etc.users (testcase.users_file), which a
    test may edit, read again every 0.2 s."""
    testcase.users_file = os.path.join(temp_dir(testcase), "etc.users")
    shutil.copyfile(path("finger/etc.users"), testcase.users_file)
    return {"FINGER_USERS_FILE": testcase.users_file, "FINGER_RELOAD": "0.2"}


def make_certificate(directory):
    """A throwaway self-signed certificate for localhost and 127.0.0.1, with
    its private key, in one PEM file (FINGER_CERT's format); returns its
    path. cryptography comes with twisted[tls]."""
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


# --- the contract's own tests (tests/test_finger_contract.py) --------------------------------

def busy_port(testcase):
    """A port on 127.0.0.1 that something else listens on for the whole
    test: a step told to listen there finds it in use."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    testcase.addCleanup(sock.close)
    return sock.getsockname()[1]


def run_row_here(testcase, row, env=None):
    """A script row that must stop before it listens (a bad value, a port in
    use), run on free ports with `env` on top, without a new process: its
    top level run in this process as python runs it (tests.support.run_here),
    its `import contract` being this contract; returns (stdout, stderr, exit
    status) as a real run gives them. (Once its settings are good, a script's
    contract sends the log to stderr; here that would take over this
    process's log, so that is skipped. On these paths nothing is logged:
    the one line is the SystemExit's, and TwistdContractTest's and
    ScriptContractRunTest's real runs see the whole of stderr.)"""
    testcase.patch(contract, "_logging", True)
    environ = dict(FREE_PORTS, **row.env)
    environ.update(env or {})
    return run_here(row.rel, env=environ, modules={"contract": contract})


class Held(resource.Resource):
    """A page that never answers: each request waits in `requests`."""

    isLeaf = True

    def __init__(self):
        super().__init__()
        self.requests = []

    def render_GET(self, request):
        self.requests.append(request)
        return server.NOT_DONE_YET


@implementer(IHostnameResolver)
class _NoNames:
    """A resolver that finds no address for any name, as a machine with no
    DNS does."""

    def resolveHostName(self, receiver, hostName, portNumber=0, addressTypes=None,
                        transportSemantics="TCP"):
        resolution = _Resolution(hostName)
        receiver.resolutionBegan(resolution)
        receiver.resolutionComplete()
        return resolution


@implementer(IHostResolution)
class _Resolution:
    def __init__(self, name):
        self.name = name

    def cancel(self):
        pass


def without_dns(testcase):
    """No host name resolves (the reactor's public name resolver replaced)
    until the test ends."""
    testcase.addCleanup(reactor.installNameResolver, reactor.installNameResolver(_NoNames()))


SLOW_FINGER_SOURCE = """\
#!{python}
# A finger that never answers; it writes its pid to the file "pid" beside it.
import os, time
with open(os.path.join(os.path.dirname(__file__), "pid"), "w") as f:
    f.write(str(os.getpid()))
time.sleep(60)
"""


def slow_finger(testcase):
    """A directory holding a `finger` that sleeps for a minute, and the
    function gone() that fires (bounded) once it has run and is no more:
    killed and reaped."""
    directory = stand_in_finger(testcase, SLOW_FINGER_SOURCE)
    pidfile = os.path.join(directory, "pid")

    def dead():
        try:
            with open(pidfile, encoding="ascii") as f:
                os.kill(int(f.read()), 0)
        except (OSError, ValueError):
            return os.path.exists(pidfile)
        return False

    return directory, lambda: poll(dead, what="the slow finger killed and reaped")


class Broken(resource.Resource):
    """A page whose rendering fails: any bug behind a web front-end."""

    isLeaf = True

    def render_GET(self, request):
        raise RuntimeError("a bug behind the page")


def serve_site(testcase, resrc):
    """contract.Site serving `resrc` on 127.0.0.1:0 as a step's web port
    does (contract.service, behind Guard); returns its port."""
    with mock.patch.dict(os.environ, {"FINGER_WEB_PORT": "0", "FINGER_IFACE": "127.0.0.1"}):
        svc = contract.service("tcp:8000", contract.Site(resrc), "web")
    svc.startService()
    testcase.addCleanup(svc.stopService)
    return svc.port.getHost().port


def stderr_lines(err):
    """A program's standard error (bytes) as lines of text. (Twisted's spare
    /dev/null, reported at exit, is ignored by runner.paths.WARNINGS.)"""
    return err.decode("utf-8").splitlines()


def finger_log(events):
    """What the steps and their contract logged (namespace "finger"), as
    text, from `logged(testcase)`'s events."""
    return [formatEvent(event) for event in events if event.get("log_namespace") == "finger"]


# --- steps 18-22, the organized finger, the plugin, the proxy (tests/test_finger_frontends.py) ----

def load_prepared(testcase, row, env=None, start=True):
    """load_row with the row's own environment and what its `prepare` makes
    (a stand-in finger, homes, a certificate), then `env` on top."""
    environ = dict(row.env)
    if row.prepare is not None:
        environ.update(row.prepare(testcase))
    environ.update(env or {})
    return load_row(testcase, row, environ, start=start)


def load_plugin(testcase, *args, env=None, start=True):
    """`twistd finger ARGS` in this process: finger/tap.py's Options parse
    ARGS and makeService builds the server, which is started (unless
    start=False; stopped at cleanup). Returns a Loaded; usage errors raise
    usage.UsageError."""
    from finger import tap

    log = logged(testcase)
    patch_environ(testcase, {**FREE_PORTS, **(env or {})})
    options = tap.Options()
    options.parseOptions([str(arg) for arg in args])
    loaded = Loaded(tap.makeService(options), log)
    if start:
        loaded.ports = start_application(testcase, loaded.app)
    return loaded


@defer.inlineCallbacks
def start_plugin(testcase, *args, roles=("finger",), env=None, cwd=None, timeout=15):
    """Run `twistd -n finger ARGS` for real (no pid file), as start_step
    runs a tac; fires with the Server, `.ports` role -> port."""
    environ = dict(FREE_PORTS)
    environ.update(env or {})
    srv = yield start(testcase, twistd_argv("-n", "--pidfile=", "finger", *map(str, args)),
                      ready=rb"\w+ listening on \S+:(\d+)", env=environ, cwd=cwd, timeout=timeout)
    for role in roles:
        yield srv.wait_for(rf"\b{role} listening on \S+:\d+".encode(), timeout=timeout)
    srv.ports = ports_of(srv.output)
    return srv


def page_parts(body):
    """(the text of its <h1>, the text of its <p>) of a user's page."""
    h1, p = (re.search(rf"<{tag}>(.*?)</{tag}>", body, re.S) for tag in ("h1", "p"))
    return html.unescape(h1.group(1)), html.unescape(p.group(1))


def user_links(body):
    """[(href, text)] of the user list's links, the text unescaped."""
    return [(href, html.unescape(text))
            for href, text in re.findall(r'<li><a href="([^"]*)">(.*?)</a></li>', body)]


def https_get(port, path, cafile, timeout=TIMEOUT):
    """GET https://localhost:PORT/PATH with the standard library's TLS
    client, which checks the server's certificate against `cafile` and
    offers ALPN as curl and browsers do; fires with (status code, body as
    text)."""

    def get():
        context = ssl.create_default_context(cafile=cafile)
        context.set_alpn_protocols(["h2", "http/1.1"])
        connection = http.client.HTTPSConnection("localhost", port, context=context,
                                                 timeout=timeout)
        try:
            connection.request("GET", path, headers={"Connection": "close"})
            response = connection.getresponse()
            return response.status, response.read().decode("utf-8")
        finally:
            connection.close()

    return with_timeout(threads.deferToThread(get), timeout + 1, f"GET https://localhost:{port}{path}")


@defer.inlineCallbacks
def pb_call(port, method, *args, timeout=TIMEOUT):
    """Call `method` on the Perspective Broker root object at 127.0.0.1:PORT
    with Twisted's own PB client; fires with the answer, or with the
    pb.RemoteError the server sent, once the connection is closed again."""
    factory = pb.PBClientFactory()
    endpoint = endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", port, timeout=timeout)
    broker = yield with_timeout(endpoint.connect(factory), timeout, "a PB connection")
    closed = defer.Deferred()
    broker.notifyOnDisconnect(lambda: closed.callback(None))
    try:
        root = yield with_timeout(factory.getRootObject(), timeout, "the PB root object")
        answer = yield with_timeout(root.callRemote(method, *args), timeout, f"PB {method}{args!r}")
    except pb.RemoteError as e:
        answer = e
    finally:
        factory.disconnect()
        yield with_timeout(closed, timeout, "the PB connection to close")
    return answer


class _Trickle(protocol.Protocol):
    def connectionMade(self):
        self.factory.open.add(self)
        self.sending = task.LoopingCall(self.transport.write, b"x")
        self.sending.start(self.factory.interval)

    def connectionLost(self, reason):
        self.sending.stop()
        self.factory.open.discard(self)


def trickling_server(testcase, interval):
    """A server on 127.0.0.1 that sends one byte every `interval` seconds to
    whoever connects, for ever (an upstream that holds a proxy's client);
    its port. Its connections are dropped at cleanup."""
    factory = protocol.Factory.forProtocol(_Trickle)
    factory.interval, factory.open = interval, set()
    factory.drop_all = lambda: abort_all(factory.open)
    return serve(testcase, factory)


def post_rpc2(port, body):
    """POST `body` (bytes, as is: any XML, or none) to /RPC2 with HTTP/1.0;
    fire with every byte of the answer."""
    return fetch(port, send=b"POST /RPC2 HTTP/1.0\r\nContent-Type: text/xml\r\n"
                            b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
