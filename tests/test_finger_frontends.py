"""Finger steps 17-28: one table, every front-end of a step, the same three users.

Each row is a step (a tac, the organized finger's short tac, or the plugin's
makeService) loaded in-process on free loopback ports. The same three users
-- `moshez`, an unknown user and a non-ASCII user -- are asked on every
front-end the step has, each with a real client:

    finger   a TCP client sending "USER\\r\\n"
    web      twisted.web's Agent, GET /USER (URL-quoted UTF-8)
    https    the standard library's TLS client (ssl + http.client), trusting
             a throwaway self-signed certificate made by the test
    xmlrpc   the standard library's xmlrpc.client, getUser(USER)
    pb       a Perspective Broker client, callRemote("getUser", USER)
    irc      twisted.words' own IRC server; a test client sends
             PRIVMSG fingerbot :USER and reads the bot's reply
    proxy    the finger proxy, asked USER@127.0.0.1:PORT of a step-19 server

and the answers must agree: the status text, the same on every front-end.
A second test makes the backend fail and checks that every front-end ends
its request with its own error (finger "Internal error in server", HTTP 500,
an XML-RPC fault, a PB error, an IRC line) and that the failure is logged
once per request. The real programs run as subprocesses in
tests/test_finger.py (one run per step); the rest of what each step must
get right is at the bottom of this module.

    trial tests.test_finger_frontends.Finger20FrontEnds
    python -m pytest -k Finger20FrontEnds
"""

import html
import http.client
import os
import re
import shutil
import ssl
import tempfile
import xmlrpc.client
from unittest import mock
from urllib.parse import quote

from zope.interface import implementer

from twisted.application import service
from twisted.cred import checkers, credentials, portal
from twisted.internet import defer, protocol, reactor, threads
from twisted.protocols import basic, policies
from twisted.python import components
from twisted.spread import pb
from twisted.web import client as webclient
from twisted.words import service as words

from tests import support
from tests.support import fetch, path, poll
from tests.support.spec import VersionSpec

INTERNAL_ERROR = "Internal error in server"
USERS_FILE = ("# the test's users\n"
              "moshez: Happy and well\n"
              "josé: Très bien, merci\n"
              "<script>: <b>bold</b> & more\n")
# The same three users on every front-end: (name, status).
THREE = [
    ("moshez", "Happy and well"),
    ("nobody", "No such user"),
    ("josé", "Très bien, merci"),
]


# -- helpers for loading a step in-process --------------------------------------

class TrackingFactory(policies.WrappingFactory):
    """Wraps a server factory and tells when its last connection is gone,
    so a test can leave the reactor clean without guessing."""

    def __init__(self, wrapped):
        super().__init__(wrapped)
        self._idle = []

    def unregisterProtocol(self, p):
        super().unregisterProtocol(p)
        if not self.protocols:
            while self._idle:
                self._idle.pop().callback(None)

    def idle(self):
        if not self.protocols:
            return defer.succeed(None)
        d = defer.Deferred()
        self._idle.append(d)
        return support.with_timeout(d, 10, "server connections to close")


def services(top):
    yield top
    if service.IServiceCollection.providedBy(top):
        for child in top:
            yield from services(child)


@defer.inlineCallbacks
def start_in_process(testcase, top):
    """Start a loaded step: wrap each listening service's factory so its
    connections can be waited for, start it, and return {role: port}. At
    cleanup: stop it and wait until every connection is closed."""
    trackers = []
    for s in services(top):
        if getattr(s, "role", None) is not None:
            tracker = TrackingFactory(s.args[1])
            s.args = (s.args[0], tracker, *s.args[2:])
            trackers.append(tracker)
    top.startService()

    @defer.inlineCallbacks
    def stop():
        yield top.stopService()
        for tracker in trackers:
            yield tracker.idle()

    testcase.addCleanup(stop)
    ports = {s.role: s._port.getHost().port
             for s in services(top) if getattr(s, "role", None) is not None}
    yield None
    return ports


def load_tac(rel, env):
    """service.loadApplication with FINGER_* variables set for the load only
    (the tacs read them once, when loaded).

    A tac runs without a __name__, so the interfaces it defines all live in
    the module "builtins", and zope.interface tells interfaces apart by
    module and name: a second tac loaded into this process registers "the
    same" adapters again, which registerAdapter refuses. Each tac adapts its
    service while it loads, so letting the later registration win is
    harmless here; under twistd a process loads one tac."""
    with mock.patch.dict(os.environ, env), \
            mock.patch.object(components, "ALLOW_DUPLICATES", True):
        return service.IService(service.loadApplication(path(rel), "python"))


def the_service(top):
    """The step's backend: the service that has getUser."""
    return next(s for s in services(top) if hasattr(s, "getUser"))


# -- the IRC server: twisted.words, with a checker that lets the bot in ------------

@implementer(checkers.ICredentialsChecker)
class LetEveryoneIn:
    # The bot sends no PASS; the server then asks NickServ, and whatever the
    # bot says next is taken as its password. Any password will do here.
    credentialInterfaces = (credentials.IUsernamePassword,)

    def requestAvatarId(self, creds):
        return defer.succeed(creds.username)


class _TrackedIRCUser(words.IRCUser):

    def connectionMade(self):
        super().connectionMade()
        self.factory.open.add(self)

    def connectionLost(self, reason):
        super().connectionLost(reason)
        self.factory.open.discard(self)
        if not self.factory.open:
            while self.factory.idle:
                self.factory.idle.pop().callback(None)


def irc_server(testcase):
    """An IRC server on 127.0.0.1:0 in this process; (realm, port)."""
    realm = words.InMemoryWordsRealm("localhost")
    factory = words.IRCFactory(realm, portal.Portal(realm, [LetEveryoneIn()]))
    factory.protocol = _TrackedIRCUser
    factory.open = set()
    factory.idle = []

    def all_gone():
        if not factory.open:
            return None
        d = defer.Deferred()
        factory.idle.append(d)
        return support.with_timeout(d, 10, "IRC connections to close")

    testcase.addCleanup(all_gone)  # runs after the step has stopped
    port = support.listen(testcase, factory)
    return realm, port


class IRCTester(basic.LineReceiver):
    """A plain IRC client: registers as `tester`, then asks the bot."""

    def __init__(self):
        self.lines = []
        self.waiting = []

    def connectionMade(self):
        for line in ("PASS secret", "NICK tester", "USER tester 0 * :tester"):
            self.sendLine(line.encode("utf-8"))

    def lineReceived(self, line):
        self.lines.append(line.decode("utf-8"))
        for item in list(self.waiting):
            regex, d = item
            m = regex.search(self.lines[-1])
            if m:
                self.waiting.remove(item)
                d.callback(m)

    def expect(self, pattern):
        regex = re.compile(pattern)
        for line in self.lines:
            if regex.search(line):
                return defer.succeed(regex.search(line))
        d = defer.Deferred()
        self.waiting.append((regex, d))
        return support.with_timeout(d, 10, f"an IRC line matching {pattern!r}")

    @defer.inlineCallbacks
    def ask(self, nick, text):
        self.lines = []
        self.sendLine(f"PRIVMSG {nick} :{text}".encode("utf-8"))
        m = yield self.expect(rf"^:{nick}!\S* PRIVMSG tester :(.*)$")
        return m.group(1)


@defer.inlineCallbacks
def irc_tester(testcase, port, realm, bot="fingerbot"):
    """Connect a tester once the bot has logged in to the realm."""
    yield poll(lambda: bot in realm.users, what=f"{bot} logged in to the IRC server")
    tester = IRCTester()
    yield protocol.ClientCreator(reactor, lambda: tester).connectTCP(
        "127.0.0.1", port, timeout=10)
    testcase.addCleanup(tester.transport.loseConnection)
    yield tester.expect(r"^:\S+ 001 tester ")
    return tester


# -- the clients ---------------------------------------------------------------------

def ask_finger(port, query):
    d = fetch(port, query.encode("utf-8") + b"\r\n")
    return d.addCallback(lambda data: data.decode("utf-8"))


class _Body(protocol.Protocol):
    """Collects a response body until it is complete."""

    def __init__(self):
        self.data = []
        self.done = defer.Deferred()

    def dataReceived(self, data):
        self.data.append(data)

    def connectionLost(self, reason):
        self.done.callback(b"".join(self.data))


@defer.inlineCallbacks
def get_web(port, user):
    """(code, body as text) of GET /USER, with twisted.web's Agent."""
    agent = webclient.Agent(reactor, connectTimeout=10)
    url = f"http://127.0.0.1:{port}/{quote(user)}".encode("ascii")
    response = yield support.with_timeout(agent.request(b"GET", url), 10, url)
    body = _Body()
    response.deliverBody(body)
    data = yield support.with_timeout(body.done, 10, f"the body of {url}")
    return response.code, data.decode("utf-8")


def get_https(port, user, cafile):
    """(code, body as text) of GET /USER over TLS, verified against cafile."""

    def blocking():
        context = ssl.create_default_context(cafile=cafile)
        connection = http.client.HTTPSConnection(
            "localhost", port, context=context, timeout=10)
        try:
            connection.request("GET", "/" + quote(user),
                               headers={"Connection": "close"})
            response = connection.getresponse()
            return response.status, response.read().decode("utf-8")
        finally:
            connection.close()

    return threads.deferToThread(blocking)


def xmlrpc_call(port, method, *args):
    """Call METHOD at /RPC2 with the standard library's client; the
    connection is closed by the server after the answer."""

    def blocking():
        transport = xmlrpc.client.Transport(headers=[("Connection", "close")])
        with xmlrpc.client.ServerProxy(f"http://127.0.0.1:{port}/RPC2",
                                       transport=transport) as proxy:
            try:
                return getattr(proxy, method)(*args)
            except xmlrpc.client.Fault as e:
                return e

    return threads.deferToThread(blocking)


@defer.inlineCallbacks
def pb_call(port, method, *args):
    factory = pb.PBClientFactory()
    reactor.connectTCP("127.0.0.1", port, factory, timeout=10)
    try:
        root = yield support.with_timeout(factory.getRootObject(), 10, "PB root")
        result = yield support.with_timeout(root.callRemote(method, *args), 10, method)
    except pb.RemoteError as e:
        result = e  # what the server raised, as the caller sees it
    finally:
        factory.disconnect()
    return result


def status_of(page):
    """The status shown on a user's page: the text of its <p>."""
    m = re.search(r"<p>(.*)</p>", page)
    return html.unescape(m.group(1)) if m else page


# -- the table -----------------------------------------------------------------------

def write_stand_in_finger(directory):
    """A stand-in for the `finger` program (step 19b): it knows two users,
    and records the arguments it got, one per line, in ARGS."""
    program = os.path.join(directory, "finger")
    with open(program, "w", encoding="utf-8") as f:
        f.write('#!/bin/sh\n'
                f'printf "%s\\n" "$@" >> "{directory}/ARGS"\n'
                '[ "$1" = "--" ] && shift\n'
                'case "$1" in\n'
                '  moshez) echo "Happy and well" ;;\n'
                '  josé) echo "Très bien, merci" ;;\n'
                '  *) echo "finger: $1: no such user." >&2 ;;\n'
                'esac\n')
    os.chmod(program, 0o755)
    return program


def write_homes(directory):
    """FINGER_HOMES for step 19c: HOMES/USER/.plan for two users."""
    homes = os.path.join(directory, "homes")
    for user, status in THREE:
        if status != "No such user":
            os.makedirs(os.path.join(homes, user))
            with open(os.path.join(homes, user, ".plan"), "w", encoding="utf-8") as f:
                f.write(status + "\n")
    return homes


class Step:
    """A row: how to load the step, and which front-ends it has."""

    def __init__(self, id, tac, frontends, backend="file"):
        self.id = id
        self.tac = tac
        self.frontends = frontends
        self.backend = backend


ALL = ("finger", "web", "xmlrpc", "irc")


class FrontEndSpec(VersionSpec):
    suffix = "FrontEnds"
    rows = (
        Step("Finger17", "finger/finger17.tac", ALL),
        Step("Finger18", "finger/finger18.tac", ALL),
        Step("Finger19", "finger/finger19.tac", ALL),
        Step("Finger19a", "finger/finger19a.tac", ALL, backend="memory"),
        Step("Finger19b", "finger/finger19b.tac", ALL, backend="local"),
        Step("Finger19c", "finger/finger19c.tac", ALL, backend="plan"),
        Step("Finger20", "finger/finger20.tac", ALL),
        Step("Finger21", "finger/finger21.tac", ALL + ("pb",)),
        Step("Finger22", "finger/finger22.tac", ALL + ("pb", "https")),
        Step("FingerProxy", "finger/fingerproxy.tac", ("proxy",)),
        Step("FingerTac", "finger/finger.tac", ALL + ("pb", "https")),
        Step("FingerPlugin", None, ALL + ("pb", "https")),
    )

    @defer.inlineCallbacks
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp, True)
        users = os.path.join(self.tmp, "etc.users")
        with open(users, "w", encoding="utf-8") as f:
            f.write(USERS_FILE)
        self.cert = make_certificate(self.tmp)
        env = {name: "0" for name in (
            "FINGER_PORT", "FINGER_SETTER_PORT", "FINGER_WEB_PORT",
            "FINGER_PB_PORT", "FINGER_HTTPS_PORT", "FINGER_PROXY_PORT")}
        env.update(FINGER_USERS_FILE=users, FINGER_IFACE="127.0.0.1",
                   FINGER_CERT=self.cert, FINGER_IRC_SERVER="")
        if "irc" in self.row.frontends:
            self.realm, self.irc_port = irc_server(self)
            env["FINGER_IRC_SERVER"] = f"127.0.0.1:{self.irc_port}"
        if self.row.backend == "plan":
            env["FINGER_HOMES"] = write_homes(self.tmp)

        if self.row.tac is None:
            from finger import tap
            options = tap.Options()
            args = ["--file", users, "--ssl", "--cert", self.cert]
            for option in ("--port", "--setter-port", "--web-port",
                           "--pb-port", "--https-port"):
                args += [option, "0"]
            if "irc" in self.row.frontends:
                args += ["--ircserver", env["FINGER_IRC_SERVER"]]
            options.parseOptions(args)
            self.top = tap.makeService(options)
        else:
            self.top = load_tac(self.row.tac, env)
        self.backend = the_service(self.top)
        if self.row.backend == "local":
            self.backend.program = write_stand_in_finger(self.tmp)
        self.ports = yield start_in_process(self, self.top)

        if self.row.frontends == ("proxy",):
            # The proxy asks a real finger server: step 19, in-process too.
            upstream = load_tac("finger/finger19.tac", env)
            self.upstream = (yield start_in_process(self, upstream))["finger"]
        if "irc" in self.row.frontends:
            self.irc = yield irc_tester(self, self.irc_port, self.realm)

    @defer.inlineCallbacks
    def ask(self, frontend, user):
        """The status of `user` as `frontend` shows it, as text."""
        if frontend == "finger":
            answer = yield ask_finger(self.ports["finger"], user)
            self.assertTrue(answer.endswith("\r\n"), answer)
            return answer[:-2]
        if frontend == "proxy":
            answer = yield ask_finger(
                self.ports["proxy"], f"{user}@127.0.0.1:{self.upstream}")
            return answer[:-2]
        if frontend in ("web", "https"):
            if frontend == "web":
                code, page = yield get_web(self.ports["web"], user)
            else:
                code, page = yield get_https(self.ports["https"], user, self.cert)
            if code != 200:
                m = re.search(r"<h1>(.*)</h1>", page)
                return f"HTTP {code}: {html.unescape(m.group(1)) if m else page}"
            self.assertIn(f"<h1>{html.escape(user)}</h1>", page)
            return status_of(page)
        if frontend == "xmlrpc":
            answer = yield xmlrpc_call(self.ports["web"], "getUser", user)
            if isinstance(answer, xmlrpc.client.Fault):
                return f"Fault {answer.faultString}"
            self.assertIs(type(answer), str)  # never Binary
            return answer
        if frontend == "pb":
            answer = yield pb_call(self.ports["pb"], "getUser", user)
            if isinstance(answer, pb.RemoteError):
                # A pb.Error on the server: no traceback was sent with it.
                self.assertEqual(answer.remoteType, b"twisted.spread.pb.Error")
                return f"PB error {answer}"
            self.assertIs(type(answer), str)
            return answer
        if frontend == "irc":
            line = yield self.irc.ask("fingerbot", user)
            prefix = f"Status of {user}: "
            self.assertTrue(line.startswith(prefix), line)
            return line[len(prefix):]
        raise AssertionError(f"no client for {frontend}")

    @defer.inlineCallbacks
    def answers(self, users):
        got = {}
        for frontend in self.row.frontends:
            for user in users:
                got[frontend, user] = yield self.ask(frontend, user)
        return got

    @defer.inlineCallbacks
    def test_three_users_agree_on_every_frontend(self):
        got = yield self.answers([user for user, _ in THREE])
        expected = {(frontend, user): status
                    for frontend in self.row.frontends for user, status in THREE}
        self.assertEqual(got, expected)

    @defer.inlineCallbacks
    def test_a_failing_backend_ends_every_request_with_an_error(self):
        if self.row.frontends == ("proxy",):
            # The proxy's own failure is a dead upstream: one clear line.
            dead = support.free_port()
            answer = yield ask_finger(self.ports["proxy"], f"moshez@127.0.0.1:{dead}")
            self.assertEqual(
                answer, f"Could not connect to 127.0.0.1:{dead}: Connection refused\r\n")
            return

        class BackendDown(Exception):
            pass

        def fail(*args):
            return defer.fail(BackendDown("the backend is down"))

        self.backend.getUser = fail
        got = yield self.answers(["moshez"])
        errors = {
            "finger": INTERNAL_ERROR,
            "web": f"HTTP 500: {INTERNAL_ERROR}",
            "https": f"HTTP 500: {INTERNAL_ERROR}",
            "xmlrpc": f"Fault {INTERNAL_ERROR}",
            "pb": f"PB error {INTERNAL_ERROR}",
            "irc": INTERNAL_ERROR,
        }
        self.assertEqual(got, {(frontend, "moshez"): errors[frontend]
                               for frontend in self.row.frontends})
        # Logged once per request, no more.
        self.assertEqual(len(self.flushLoggedErrors(BackendDown)),
                         len(self.row.frontends))


globals().update(FrontEndSpec.makeTestCaseClasses())


def make_certificate(directory):
    """A throwaway self-signed certificate for localhost and 127.0.0.1, with
    its private key, in one PEM file; returns the file's path."""
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
