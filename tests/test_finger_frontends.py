"""Finger steps 17-28: one table, every front-end of a step, the same three users.

Each row is a step (a tac, the organized finger's short tac, or the plugin's
makeService) loaded in-process on free loopback ports. The same three users
-- `moshez`, an unknown user and a non-ASCII user -- are asked on every
front-end the step has, each with a real client:

    finger   a TCP client sending "USER\\r\\n" and half-closing at once,
             as the README's `nc -N` does
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
import io
import os
import re
import shutil
import ssl
import sys
import tempfile
import xmlrpc.client
from unittest import mock
from urllib.parse import quote

from zope.interface import alsoProvides, implementer

from twisted.application import service
from twisted.cred import checkers, credentials, portal
from twisted.internet import defer, protocol, reactor, task, threads
from twisted.internet.interfaces import IHalfCloseableProtocol
from twisted.internet.testing import StringTransport
from twisted.protocols import basic, policies
from twisted.python import components
from twisted.spread import pb
from twisted.trial.unittest import TestCase
from twisted.web import client as webclient
from twisted.words import service as words

from tests import support
from tests.support import fetch, path, poll
from tests.support.finger import make_certificate, send_half_closed, write_homes
from tests.support.spec import VersionSpec

INTERNAL_ERROR = "Internal error in server"
USERS_FILE = ("# the test's users\n"
              "moshez: Happy and well\n"
              "zoë: Très bien, merci\n"
              "<script>: <b>bold</b> & more\n")
# The same three users on every front-end: (name, status).
THREE = [
    ("moshez", "Happy and well"),
    ("nobody", "No such user"),
    ("zoë", "Très bien, merci"),
]


# -- helpers for loading a step in-process --------------------------------------

class _HalfCloseableWrapper(policies.ProtocolWrapper):
    """A ProtocolWrapper that hands a half-close on to a wrapped protocol
    that takes one (policies.ProtocolWrapper does not, and TCP would then
    turn the client's FIN into connectionLost before the step saw it)."""

    def makeConnection(self, transport):
        super().makeConnection(transport)  # replaces what self provides
        if IHalfCloseableProtocol.providedBy(self.wrappedProtocol):
            alsoProvides(self, IHalfCloseableProtocol)

    def readConnectionLost(self):
        self.wrappedProtocol.readConnectionLost()

    def writeConnectionLost(self):
        self.wrappedProtocol.writeConnectionLost()


class TrackingFactory(policies.WrappingFactory):
    """Wraps a server factory and tells when its last connection is gone,
    so a test can leave the reactor clean without guessing."""

    protocol = _HalfCloseableWrapper

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
    """Ask as `printf 'QUERY\\r\\n' | nc -N 127.0.0.1 PORT` does (the README's
    way): send the query and half-close at once. A step must still answer.
    (tests/test_finger.py asks without the half-close.)"""
    d = send_half_closed(port, query)
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
                '  zoë) echo "Très bien, merci" ;;\n'
                '  *) echo "finger: $1: no such user." >&2 ;;\n'
                'esac\n')
    os.chmod(program, 0o755)
    return program


def homes_of_the_three(directory):
    """FINGER_HOMES for step 19c: a .plan for each user who has a status."""
    return write_homes(directory, {
        user: status for user, status in THREE if status != "No such user"})


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
            env["FINGER_HOMES"] = homes_of_the_three(self.tmp)

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

        class BrokenUsers:
            def get(self, *args):
                raise BackendDown("the backend is down")

        self.backend.getUser = fail
        # Step 17's factories hold the service's getUser as it was when they
        # were built (function attributes): break the users it reads instead.
        if isinstance(vars(self.backend).get("users"), dict):
            self.backend.users = BrokenUsers()
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


# -- what each step must get right, beyond the table ----------------------------------

class LogWatcher:
    """Collects log events while a test runs; `wait(predicate)` fires when an
    event matching it has been logged (bounded)."""

    def __init__(self, testcase):
        from twisted.logger import globalLogPublisher
        self.events = []
        self.waiting = []
        globalLogPublisher.addObserver(self)
        testcase.addCleanup(globalLogPublisher.removeObserver, self)

    def __call__(self, event):
        self.events.append(event)
        for item in list(self.waiting):
            predicate, d = item
            if predicate(event):
                self.waiting.remove(item)
                d.callback(event)

    def text(self, event):
        from twisted.logger import formatEvent
        return formatEvent(event)

    def matching(self, pattern):
        return [self.text(e) for e in self.events if re.search(pattern, self.text(e))]

    def wait(self, pattern):
        for e in self.events:
            if re.search(pattern, self.text(e)):
                return defer.succeed(e)
        d = defer.Deferred()
        self.waiting.append((lambda e: re.search(pattern, self.text(e)), d))
        return support.with_timeout(d, 10, f"a log line matching {pattern!r}")


class _SendAndClose(protocol.Protocol):
    def __init__(self, data):
        self.data = data
        self.lost = defer.Deferred()

    def connectionMade(self):
        self.transport.write(self.data)
        self.transport.loseConnection()

    def connectionLost(self, reason):
        self.lost.callback(None)


@defer.inlineCallbacks
def send_and_close(port, data):
    client = _SendAndClose(data)
    yield protocol.ClientCreator(reactor, lambda: client).connectTCP(
        "127.0.0.1", port, timeout=10)
    yield support.with_timeout(client.lost, 10, "the setter connection")


class StepTestCase(TestCase):
    """Loads one step in-process on free ports, without IRC."""

    tac = None

    @defer.inlineCallbacks
    def load(self, **extra):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp, True)
        users = os.path.join(self.tmp, "etc.users")
        with open(users, "w", encoding="utf-8") as f:
            f.write(USERS_FILE)
        env = {name: "0" for name in (
            "FINGER_PORT", "FINGER_SETTER_PORT", "FINGER_WEB_PORT",
            "FINGER_PB_PORT", "FINGER_HTTPS_PORT", "FINGER_PROXY_PORT")}
        env.update(FINGER_USERS_FILE=users, FINGER_IFACE="127.0.0.1",
                   FINGER_IRC_SERVER="")
        env.update(extra)
        self.log = LogWatcher(self)
        self.top = load_tac(self.tac, env)
        self.backend = the_service(self.top)
        self.ports = yield start_in_process(self, self.top)


class SetterTest(StepTestCase):
    """Step 19a: the memory backend takes the setter, on 127.0.0.1 only."""

    tac = "finger/finger19a.tac"

    @defer.inlineCallbacks
    def test_set_then_finger(self):
        # 127.0.0.2 is loopback too: the finger port follows FINGER_IFACE,
        # the setter stays on 127.0.0.1.
        yield self.load(FINGER_IFACE="127.0.0.2")
        interfaces = {s.role: s.kwargs["interface"] for s in services(self.top)
                      if getattr(s, "role", None)}
        self.assertEqual(interfaces, {"finger": "127.0.0.2", "setter": "127.0.0.1",
                                      "web": "127.0.0.2"})
        yield send_and_close(self.ports["setter"], "zoë\r\nAu café\r\n".encode())
        yield self.log.wait(r"setter: status of 'zoë' set")
        answer = yield fetch(self.ports["finger"], "zoë\r\n".encode(), host="127.0.0.2")
        self.assertEqual(answer.decode("utf-8"), "Au café\r\n")

    @defer.inlineCallbacks
    def test_junk_is_ignored_and_logged(self):
        yield self.load()
        for junk in (b"", b"moshez\r\n", b"moshez\r\nA\r\nB\r\n", b"\r\nstatus\r\n"):
            yield send_and_close(self.ports["setter"], junk)
        yield poll(lambda: len(self.log.matching(r"setter: ignored")) == 4,
                   what="four ignored setter connections")
        self.assertEqual(self.backend.users["moshez"], "Happy and well")
        self.assertEqual(len(self.backend.users), 3)


class LocalFingerTest(StepTestCase):
    """Step 19b: only a plain name reaches `finger`, after "--"; a missing or
    hanging program fails the query, and the failure is logged once."""

    tac = "finger/finger19b.tac"

    @defer.inlineCallbacks
    def setUp(self):
        yield self.load()
        self.backend.program = write_stand_in_finger(self.tmp)

    @defer.inlineCallbacks
    def test_no_option_and_no_other_host_reach_the_program(self):
        for query, answer in [("moshez", "Happy and well"), ("-l", "No such user"),
                              ("--help", "No such user"), ("a@b", "No such user"),
                              ("two words", "No such user"), ("../x", "No such user"),
                              ("zoë", "Très bien, merci"), ("bob", "No such user")]:
            got = yield ask_finger(self.ports["finger"], query)
            self.assertEqual(got, answer + "\r\n", query)
        with open(os.path.join(self.tmp, "ARGS"), encoding="utf-8") as f:
            self.assertEqual(f.read().split("\n"),
                             ["--", "moshez", "--", "zoë", "--", "bob", ""])
        self.assertEqual(len(self.log.matching(r"not a plain user name")), 5)

    @defer.inlineCallbacks
    def test_a_missing_program_is_an_internal_error(self):
        self.backend.program = os.path.join(self.tmp, "no-such-finger")
        got = yield ask_finger(self.ports["finger"], "moshez")
        self.assertEqual(got, INTERNAL_ERROR + "\r\n")
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)

    @defer.inlineCallbacks
    def test_a_program_that_hangs_is_killed(self):
        program = os.path.join(self.tmp, "finger")
        with open(program, "w") as f:
            f.write("#!/bin/sh\nexec sleep 30\n")
        self.backend.timeout = 0.3
        code, page = yield get_web(self.ports["web"], "moshez")
        self.assertEqual(code, 500)
        self.assertIn(f"<h1>{INTERNAL_ERROR}</h1>", page)
        (error,) = self.flushLoggedErrors(RuntimeError)
        self.assertEqual(str(error.value), "finger did not answer within 0.3s")


class PlanTest(StepTestCase):
    """Step 19c: only a real user's .plan, inside FINGER_HOMES, is read."""

    tac = "finger/finger19c.tac"

    @defer.inlineCallbacks
    def setUp(self):
        homes = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, homes, True)
        self.homes = homes_of_the_three(homes)
        yield self.load(FINGER_HOMES=self.homes)

    @defer.inlineCallbacks
    def test_names_that_leave_the_homes_read_nothing(self):
        # A .plan one level up: "../PLANTED" and friends must not reach it.
        planted = os.path.join(os.path.dirname(self.homes), "PLANTED")
        os.makedirs(planted)
        with open(os.path.join(planted, ".plan"), "w") as f:
            f.write("planted\n")
        os.makedirs(os.path.join(self.homes, "noplan"))
        for query in ("../PLANTED", "..", ".", "moshez/../../PLANTED", "/etc",
                      "noplan", "nobody"):
            got = yield ask_finger(self.ports["finger"], query)
            self.assertEqual(got, "No such user\r\n", query)
        self.assertEqual((yield ask_finger(self.ports["finger"], "moshez")),
                         "Happy and well\r\n")

    @defer.inlineCallbacks
    def test_a_plan_that_is_a_fifo_fails_at_once(self):
        os.makedirs(os.path.join(self.homes, "fifo"))
        os.mkfifo(os.path.join(self.homes, "fifo", ".plan"))
        answer = yield xmlrpc_call(self.ports["web"], "getUser", "fifo")
        self.assertIsInstance(answer, xmlrpc.client.Fault)
        self.assertEqual(answer.faultString, INTERNAL_ERROR)
        self.assertEqual(len(self.flushLoggedErrors(OSError)), 1)


class WebTest(StepTestCase):
    """Step 20's web front-end: everything escaped, links URL-quoted."""

    tac = "finger/finger20.tac"

    @defer.inlineCallbacks
    def test_user_list_escapes_and_quotes(self):
        yield self.load()
        code, page = yield get_web(self.ports["web"], "")
        self.assertEqual(code, 200)
        self.assertIn('<li><a href="./%3Cscript%3E">&lt;script&gt;</a></li>\n'
                      '<li><a href="./moshez">moshez</a></li>\n'
                      '<li><a href="./zo%C3%AB">zoë</a></li>', page)
        self.assertNotIn("<script>", page)

    @defer.inlineCallbacks
    def test_a_user_page_escapes_name_and_status(self):
        yield self.load()
        code, page = yield get_web(self.ports["web"], "<script>")
        self.assertEqual(code, 200)
        self.assertIn("<h1>&lt;script&gt;</h1>\n<p>&lt;b&gt;bold&lt;/b&gt; &amp; more</p>",
                      page)
        self.assertIn("<title>&lt;script&gt;</title>", page)

    @defer.inlineCallbacks
    def test_a_path_that_is_not_utf8_is_no_user(self):
        yield self.load()
        agent = webclient.Agent(reactor, connectTimeout=10)
        url = f"http://127.0.0.1:{self.ports['web']}/%FF".encode()
        response = yield agent.request(b"GET", url)
        body = _Body()
        response.deliverBody(body)
        page = (yield body.done).decode("utf-8")
        self.assertEqual(response.code, 200)
        self.assertIn("<p>No such user</p>", page)

    @defer.inlineCallbacks
    def test_xmlrpc_getUsers(self):
        yield self.load()
        users = yield xmlrpc_call(self.ports["web"], "getUsers")
        self.assertEqual(users, ["<script>", "moshez", "zoë"])


class IRCOneLineTest(StepTestCase):
    """A status with CR or LF in it cannot become a second IRC command."""

    tac = "finger/finger20.tac"

    @defer.inlineCallbacks
    def test_status_is_sent_as_one_line(self):
        realm, irc_port = irc_server(self)
        yield self.load(FINGER_IRC_SERVER=f"127.0.0.1:{irc_port}",
                        FINGER_IRC_NICK="statusbot")
        self.irc = yield irc_tester(self, irc_port, realm, bot="statusbot")
        self.backend.getUser = lambda user: defer.succeed(
            "first\r\nPRIVMSG #ops :second\nthird")
        line = yield self.irc.ask("statusbot", "moshez")
        self.assertEqual(line, "Status of moshez: first PRIVMSG #ops :second third")
        yield self.log.wait(rf"irc signed on to 127.0.0.1:{irc_port} as statusbot")


class BadConfigurationTest(TestCase):
    """A bad value is one line naming the program and the variable, before
    anything is bound (SystemExit while the tac loads)."""

    def setUp(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp, True)
        self.users = os.path.join(tmp, "etc.users")
        with open(self.users, "w", encoding="utf-8") as f:
            f.write(USERS_FILE)

    def check(self, tac, env, message):
        base = {"FINGER_USERS_FILE": self.users, "FINGER_IRC_SERVER": ""}
        base.update(env)
        e = self.assertRaises(SystemExit, load_tac, tac, base)
        self.assertEqual(e.code, message)

    def test_ports(self):
        # Step 17 is step 16 plus XML-RPC, and says it in step 16's words.
        self.check("finger/finger17.tac", {"FINGER_PORT": "x"},
                   "finger17.tac: FINGER_PORT must be a port number from 0 to 65535, "
                   "not 'x'")
        for tac in ("finger18.tac", "finger19.tac", "finger19a.tac",
                    "finger19b.tac", "finger19c.tac", "finger20.tac", "finger21.tac",
                    "finger22.tac"):
            with self.subTest(tac=tac):
                self.check(f"finger/{tac}", {"FINGER_PORT": "x"},
                           f"{tac}: FINGER_PORT must be a port number (0-65535), not 'x'")
        self.check("finger/fingerproxy.tac", {"FINGER_PROXY_PORT": "70000"},
                   "fingerproxy.tac: FINGER_PROXY_PORT must be a port number "
                   "(0-65535), not '70000'")
        self.check("finger/finger.tac", {"FINGER_PB_PORT": "-1"},
                   "finger.tac: FINGER_PB_PORT: '-1' is not a port number (0-65535)")

    def test_files_and_servers(self):
        self.check("finger/finger20.tac", {"FINGER_USERS_FILE": "/nonexistent/users"},
                   "finger20.tac: FINGER_USERS_FILE: cannot read '/nonexistent/users': "
                   "No such file or directory")
        self.check("finger/finger.tac", {"FINGER_USERS_FILE": "/nonexistent/users"},
                   "finger.tac: FINGER_USERS_FILE: cannot read users file "
                   "'/nonexistent/users': No such file or directory")
        self.check("finger/finger19.tac", {"FINGER_IRC_SERVER": "nohost"},
                   "finger19.tac: FINGER_IRC_SERVER must be host:port, not 'nohost'")
        self.check("finger/finger21.tac", {"FINGER_IRC_NICK": "finger bot"},
                   "finger21.tac: FINGER_IRC_NICK must be an IRC nickname, not 'finger bot'")
        self.check("finger/finger.tac", {"FINGER_IRC_NICK": "finger\r\nQUIT"},
                   "finger.tac: FINGER_IRC_NICK: 'finger\\r\\nQUIT' is not an IRC nickname")
        self.check("finger/finger18.tac", {"FINGER_RELOAD": "0"},
                   "finger18.tac: FINGER_RELOAD must be a positive number of "
                   "seconds, not '0'")
        self.check("finger/finger19c.tac", {"FINGER_HOMES": "/nonexistent/homes"},
                   "finger19c.tac: FINGER_HOMES: '/nonexistent/homes' is not a directory")
        self.check("finger/fingerproxy.tac", {"FINGER_PROXY_TIMEOUT": "soon"},
                   "fingerproxy.tac: FINGER_PROXY_TIMEOUT must be a positive number "
                   "of seconds, not 'soon'")

    def test_certificates(self):
        for tac, prefix in (("finger/finger22.tac", "finger22.tac: FINGER_CERT:"),
                            ("finger/finger.tac", "finger.tac: FINGER_CERT:")):
            with self.subTest(tac=tac):
                self.check(tac, {"FINGER_CERT": "/nonexistent/server.pem"},
                           f"{prefix} cannot read certificate "
                           f"'/nonexistent/server.pem': No such file or directory")
                users = self.users
                e = self.assertRaises(SystemExit, load_tac, tac, {
                    "FINGER_USERS_FILE": users, "FINGER_CERT": users})
                self.assertTrue(e.code.startswith(
                    f"{prefix} '{users}' does not hold a matching PEM private key "
                    f"and certificate ("), e.code)


class ProxyTest(StepTestCase):
    """The proxy: a silent upstream times out with one line; a second @ is
    never forwarded."""

    tac = "finger/fingerproxy.tac"

    @defer.inlineCallbacks
    def test_a_silent_upstream_times_out(self):
        yield self.load(FINGER_PROXY_TIMEOUT="0.3")
        upstream = support.TestServerFactory(poem=None)  # accepts, says nothing
        port = support.serve(self, upstream)
        gone = upstream.next_disconnect()
        answer = yield ask_finger(self.ports["proxy"], f"moshez@127.0.0.1:{port}")
        self.assertEqual(answer, f"No answer from 127.0.0.1:{port} within 0.3s\r\n")
        yield gone  # the proxy hung up on the upstream
        self.assertEqual(self.log.matching(r"^proxy: 'moshez@"), [
            f"proxy: 'moshez@127.0.0.1:{port}': No answer from 127.0.0.1:{port} "
            f"within 0.3s"])

    @defer.inlineCallbacks
    def test_only_a_plain_name_is_forwarded(self):
        yield self.load()
        upstream = support.TestServerFactory(poem=b"never\r\n")
        port = support.serve(self, upstream)
        for query in (f"a@b@127.0.0.1:{port}", f"-l@127.0.0.1:{port}",
                      f"two words@127.0.0.1:{port}", "moshez", "moshez@127.0.0.1:x",
                      f"moshez@127.0.0.1:{port}:1"):
            answer = yield ask_finger(self.ports["proxy"], query)
            self.assertEqual(answer, "Ask for user@host or user@host:port\r\n", query)
        self.assertEqual(upstream.connections, 0)


# -- one real run per program: twistd, the clients, the plugin ------------------------

ADDRESS = re.compile(rb"(\w+) listening on 127\.0\.0\.1:(\d+)")


class Run:
    """A row: the program as the README runs it, and the roles it announces."""

    def __init__(self, id, argv, roles, cwd=None):
        self.id = id
        self.argv = argv
        self.roles = roles
        self.cwd = cwd


def tac(rel):
    return lambda test: support.twistd_argv("-n", "--pidfile=", "-y", path(rel))


def plugin(test):
    return support.twistd_argv(
        "-n", "--pidfile=", "finger", "--file", test.users, "--user", "<b>:bold",
        "--ssl", "--cert", test.cert, "--port", "0", "--setter-port", "0",
        "--web-port", "0", "--pb-port", "0", "--https-port", "0")


WEB = ("finger", "web")


class RunSpec(VersionSpec):
    """Each program for real, once: it announces every port in the README's
    format, answers the three users over finger (and /W), its own client or
    extra front-end answers, nothing is a traceback, and SIGTERM stops it."""

    suffix = "Run"
    # Steps 17-22 and finger.tac run for real as rows of tests/test_finger.py's
    # spec; the proxy and the plugin do not fit its four finger queries.
    rows = (
        Run("FingerProxy", tac("finger/fingerproxy.tac"), ("proxy",)),
        # The plugin, from a directory that is not the repository.
        Run("FingerPlugin", plugin, WEB + ("setter", "pb", "https"), cwd="tmp"),
    )

    @defer.inlineCallbacks
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.users = os.path.join(self.tmp, "etc.users")
        with open(self.users, "w", encoding="utf-8") as f:
            f.write(USERS_FILE)
        self.cert = make_certificate(self.tmp)
        env = {"FINGER_PROXY_PORT": "0", "FINGER_IFACE": "127.0.0.1"}
        ready = re.compile(rb"(?s)" + b"".join(
            rb"(?=.*\b%s listening on 127\.0\.0\.1:\d+)" % role.encode()
            for role in self.row.roles))
        self.server = yield support.start(
            self, self.row.argv(self), ready=ready, env=env,
            cwd=self.tmp if self.row.cwd == "tmp" else None)
        self.ports = {m.group(1).decode(): int(m.group(2))
                      for m in ADDRESS.finditer(self.server.output)}

    @defer.inlineCallbacks
    def test_it_runs_as_the_readme_says(self):
        self.assertEqual(sorted(self.ports), sorted(self.row.roles))
        if self.row.id == "FingerProxy":
            yield self.check_proxy()
        else:
            for query, status in [("moshez", "Happy and well"), ("/W moshez", "Happy and well"),
                                  ("nobody", "No such user"), ("zoë", "Très bien, merci")]:
                answer = yield ask_finger(self.ports["finger"], query)
                self.assertEqual(answer, status + "\r\n", query)
        extra = getattr(self, "check_" + self.row.id, None)
        if extra is not None:
            yield extra()
        yield self.server.stop()
        self.assertIn(b"Server Shut Down.", self.server.output)
        self.assertNotIn(b"Traceback", self.server.output)
        self.assertNotIn(b"b'", self.server.output)

    @defer.inlineCallbacks
    def check_https(self):
        code, page = yield get_https(self.ports["https"], "zoë", self.cert)
        self.assertEqual(code, 200)
        self.assertIn("<h1>zoë</h1>\n<p>Très bien, merci</p>", page)

    @defer.inlineCallbacks
    def check_FingerPlugin(self):
        # --user wins over the file; the setter is there too.
        answer = yield ask_finger(self.ports["finger"], "<b>")
        self.assertEqual(answer, "bold\r\n")
        yield self.check_https()
        answer = yield pb_call(self.ports["pb"], "getUser", "moshez")
        self.assertEqual(answer, "Happy and well")

    @defer.inlineCallbacks
    def check_proxy(self):
        upstream = support.TestServerFactory(poem="Très bien, merci\r\n".encode())
        port = support.serve(self, upstream)
        answer = yield ask_finger(self.ports["proxy"], f"zoë@127.0.0.1:{port}")
        self.assertEqual(answer, "Très bien, merci\r\n")
        dead = support.free_port()
        answer = yield ask_finger(self.ports["proxy"], f"moshez@127.0.0.1:{dead}")
        self.assertEqual(answer, f"Could not connect to 127.0.0.1:{dead}: Connection refused\r\n")
        yield self.server.wait_for(
            f"proxy: 'moshez@127.0.0.1:{dead}': Could not connect to 127.0.0.1:{dead}: "
            f"Connection refused")


globals().update(RunSpec.makeTestCaseClasses())


class ClientScriptsTest(StepTestCase):
    """fingerXRclient.py and fingerPBclient.py, for real, against step 21."""

    tac = "finger/finger21.tac"

    @defer.inlineCallbacks
    def test_the_xmlrpc_client(self):
        yield self.load()
        out, err, code = yield support.run_script(
            "finger/fingerXRclient.py", "--port", self.ports["web"], "zoë")
        self.assertEqual((out.decode("utf-8"), err, code), ("Très bien, merci\n", b"", 0))

    @defer.inlineCallbacks
    def test_the_pb_client(self):
        yield self.load()
        out, err, code = yield support.run_script(
            "finger/fingerPBclient.py", "--port", self.ports["pb"], "zoë")
        self.assertEqual((out.decode("utf-8"), err, code), ("Très bien, merci\n", b"", 0))
        dead = support.free_port()
        out, err, code = yield support.run_script("finger/fingerPBclient.py", "--port", dead)
        self.assertEqual((out, err.decode(), code), (
            b"", f"fingerPBclient.py: cannot connect to 127.0.0.1:{dead}: "
                 f"Connection refused\n", 1))

    @defer.inlineCallbacks
    def test_a_failing_backend_is_one_line_from_each_client(self):
        yield self.load()
        self.backend.getUser = lambda user: defer.fail(RuntimeError("down"))
        web, pbport = self.ports["web"], self.ports["pb"]
        (xr, pbr) = yield defer.gatherResults([
            support.run_script("finger/fingerXRclient.py", "--port", web),
            support.run_script("finger/fingerPBclient.py", "--port", pbport)])
        self.assertEqual(xr, (b"", f"fingerXRclient.py: http://127.0.0.1:{web}/RPC2: "
                                   f"{INTERNAL_ERROR}\n".encode(), 1))
        self.assertEqual(pbr, (b"", f"fingerPBclient.py: 127.0.0.1:{pbport}: "
                                    f"{INTERNAL_ERROR}\n".encode(), 1))
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 2)


class ClientPortTest(TestCase):
    """The clients' port: --port, else the variable, else the default. A bad
    value is blamed on where it came from (REVIEW 19): --port is argparse's
    usage error (exit 2), a variable is one line naming it (exit 1), as the
    servers do. A bad --timeout is a usage error too. In-process:
    parse_args only."""

    CLIENTS = [("finger/fingerXRclient.py", "FINGER_WEB_PORT", 8000),
               ("finger/fingerPBclient.py", "FINGER_PB_PORT", 8889)]

    def parse(self, script, environ, *argv):
        self.patch(os, "environ", environ)
        return support.load_script(script).parse_args(list(argv))

    def test_a_bad_variable_names_the_variable(self):
        for script, variable, _ in self.CLIENTS:
            prog = os.path.basename(script)
            for bad in ["x", "0", "65536", "-1", ""]:
                with self.subTest(script=script, value=bad):
                    e = self.assertRaises(SystemExit, self.parse, script, {variable: bad})
                    self.assertEqual(e.code, f"{prog}: {variable} must be a port number "
                                             f"from 1 to 65535, not {bad!r}")

    def test_port_wins_over_the_variable_which_wins_over_the_default(self):
        for script, variable, default in self.CLIENTS:
            with self.subTest(script=script):
                self.assertEqual(self.parse(script, {variable: "x"}, "--port", "1").port, 1)
                self.assertEqual(self.parse(script, {variable: "65535"}).port, 65535)
                self.assertEqual(self.parse(script, {}).port, default)

    def test_a_bad_port_option_is_a_usage_error(self):
        for script, variable, _ in self.CLIENTS:
            prog = os.path.basename(script)
            with self.subTest(script=script):
                err = io.StringIO()
                self.patch(sys, "stderr", err)
                e = self.assertRaises(SystemExit, self.parse, script, {}, "--port", "x")
                self.assertEqual(e.code, 2)
                self.assertEqual(err.getvalue().splitlines()[-1],
                                 f"{prog}: error: argument --port: must be a port "
                                 f"number from 1 to 65535, not 'x'")

    def test_a_bad_timeout_is_a_usage_error(self):
        # Not a ValueError traceback (xmlrpc's socket timeout), nor an
        # answer that gave up before it started (PB's addTimeout).
        for script, _, _ in self.CLIENTS:
            prog = os.path.basename(script)
            for bad in ["-1", "0", "nan", "inf", "x"]:
                with self.subTest(script=script, value=bad):
                    err = io.StringIO()
                    self.patch(sys, "stderr", err)
                    e = self.assertRaises(SystemExit, self.parse, script, {},
                                          "--timeout", bad)
                    self.assertEqual(e.code, 2)
                    self.assertEqual(err.getvalue().splitlines()[-1],
                                     f"{prog}: error: argument --timeout: must be a number "
                                     f"of seconds greater than 0, not {bad!r}")


class _OneHTTPAnswer(protocol.Protocol):
    """A web server that is no XML-RPC server: reads one whole request,
    answers the factory's body with 200, and closes."""

    def connectionMade(self):
        self.data = b""

    def dataReceived(self, data):
        self.data += data
        head, blank, body = self.data.partition(b"\r\n\r\n")
        length = re.search(rb"(?im)^content-length: *(\d+)", head)
        if not blank or length is None or len(body) < int(length.group(1)):
            return
        answer = self.factory.answer
        self.transport.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(answer), answer))
        self.transport.loseConnection()


class XMLRPCClientAnswerTest(TestCase):
    """fingerXRclient.py against a server that answers 200 but no XML-RPC:
    one line and exit 1, never a traceback. One real run each, at once."""

    def serve(self, answer):
        factory = protocol.Factory.forProtocol(_OneHTTPAnswer)
        factory.answer = answer
        port = reactor.listenTCP(0, factory, interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        return port.getHost().port

    @defer.inlineCallbacks
    def test_not_xml_rpc_is_one_line(self):
        page, garbage = self.serve(b"<html><body>hi</body></html>"), self.serve(b"not xml")
        results = yield defer.gatherResults([
            support.run_script("finger/fingerXRclient.py", "--port", str(page)),
            support.run_script("finger/fingerXRclient.py", "--port", str(garbage))])
        self.assertEqual(results, [
            (b"", f"fingerXRclient.py: http://127.0.0.1:{page}/RPC2: "
                  f"not an XML-RPC answer\n".encode(), 1),
            (b"", f"fingerXRclient.py: http://127.0.0.1:{garbage}/RPC2: "
                  f"not an XML-RPC answer (syntax error: line 1, column 0)\n".encode(), 1)])


class PortInUseTest(StepTestCase):
    """A port that cannot be bound is one line (SystemExit), not a traceback;
    under twistd it is one log line and exit status 1."""

    tac = "finger/finger20.tac"

    def test_port_in_use(self):
        taken = support.listen(self, protocol.ServerFactory())
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp, True)
        users = os.path.join(tmp, "etc.users")
        with open(users, "w", encoding="utf-8") as f:
            f.write(USERS_FILE)
        top = load_tac(self.tac, {"FINGER_PORT": str(taken), "FINGER_WEB_PORT": "0",
                                  "FINGER_USERS_FILE": users, "FINGER_IRC_SERVER": ""})
        self.addCleanup(top.stopService)
        e = self.assertRaises(SystemExit, top.startService)
        self.assertEqual(e.code, f"finger20.tac: finger cannot listen on 127.0.0.1:{taken}: "
                                 f"Address already in use")


class DaemonPortInUseTest(TestCase):
    """twistd as a daemon (no -n) on a port in use: exit 1 at once, the
    pidfile removed, twistd saying why. A SystemExit in the daemon left
    the launching twistd waiting for ever on its status pipe. Three real
    runs at once: a tac of steps 11-16 (step 12, its setter's port taken
    after its finger port was bound), one of 17-28 (step 20) and the
    plugin (finger.py)."""

    @defer.inlineCallbacks
    def test_two_tacs_and_the_plugin(self):
        taken = support.listen(self, protocol.ServerFactory())
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp, True)
        users = os.path.join(tmp, "etc.users")
        with open(users, "w", encoding="utf-8") as f:
            f.write(USERS_FILE)

        def daemon(name, *args, env=None):
            return support.run(support.twistd_argv(
                "--pidfile", os.path.join(tmp, f"{name}.pid"),
                "--logfile", os.path.join(tmp, f"{name}.log"), *args),
                env=env, cwd=tmp, timeout=15)

        early, tac, plugin = yield defer.gatherResults([
            daemon("early", "-y", path("finger/finger12.tac"),
                   env={"FINGER_PORT": "0", "FINGER_SETTER_PORT": str(taken)}),
            daemon("tac", "-y", path("finger/finger20.tac"),
                   env={"FINGER_PORT": str(taken), "FINGER_USERS_FILE": users,
                        "FINGER_IRC_SERVER": ""}),
            daemon("plugin", "finger", "--user", "moshez:Happy and well",
                   "--port", str(taken))])
        for name, (out, err, code), line in [
                ("early", early, f"finger12.tac: setter cannot listen on 127.0.0.1:{taken}: "
                                 f"[Errno 98] Address already in use"),
                ("tac", tac, f"finger20.tac: finger cannot listen on 127.0.0.1:{taken}: "
                             f"Address already in use"),
                ("plugin", plugin, f"finger: finger cannot listen on 127.0.0.1:{taken}: "
                                   f"Address already in use")]:
            self.assertEqual((name, out, code), (name, b"", 1))
            # On the terminal, in twistd's words: the line, of which twistd
            # passes on 98 bytes (17-28's lines fit whole; 11-16's lose the
            # end of "[Errno 98] Address already in use", which the log has).
            said = f"CannotListen: {line}".encode()[:98]
            self.assertIn(f"An error has occurred: {said!r}", err.decode())
            # The daemon goes on after its word to the launching twistd: it
            # removes the pidfile, then logs the line as it exits.
            yield poll(lambda: self.ended(tmp, name, line), what=f"the {name} daemon's end")

    @staticmethod
    def ended(tmp, name, line):
        with open(os.path.join(tmp, f"{name}.log"), encoding="utf-8") as f:
            logged = line in f.read()
        return logged and not os.path.exists(os.path.join(tmp, f"{name}.pid"))


class FingerProtocolTest(TestCase):
    """The finger protocol of every step 17-28 on StringTransport, with a
    task.Clock for its idle timeout."""

    STEPS = ("finger17.tac", "finger18.tac", "finger19.tac", "finger19a.tac",
             "finger20.tac", "finger21.tac", "finger22.tac", "finger.tac")

    factories = None

    def setUp(self):
        self.clock = task.Clock()
        if FingerProtocolTest.factories is None:
            # Loaded once for the class: the tests only build protocols.
            FingerProtocolTest.factories = self.load_factories()

    def load_factories(self):
        tmp = tempfile.mkdtemp()
        try:
            env = {"FINGER_USERS_FILE": os.path.join(tmp, "etc.users"),
                   "FINGER_IRC_SERVER": "", "FINGER_CERT": make_certificate(tmp)}
            with open(env["FINGER_USERS_FILE"], "w", encoding="utf-8") as f:
                f.write(USERS_FILE)
            return {name: self.finger_factory(name, env) for name in self.STEPS}
        finally:
            shutil.rmtree(tmp, True)

    def finger_factory(self, name, env):
        top = load_tac(f"finger/{name}", env)
        backend = the_service(top)
        # Not started: the users the file would give, set by hand.
        if isinstance(vars(backend).get("users"), dict):
            backend.users = dict(THREE[0:1] + THREE[2:])
        else:
            backend.fromFile = dict(THREE[0:1] + THREE[2:])
        (finger,) = [s for s in services(top) if getattr(s, "role", None) == "finger"]
        return finger.args[1]

    def connect(self, name):
        proto = self.factories[name].buildProtocol(None)
        proto.callLater = self.clock.callLater
        transport = StringTransport()
        proto.makeConnection(transport)
        return proto, transport

    def each(self, data, expected):
        for name in self.STEPS:
            proto, transport = self.connect(name)
            for chunk in data:
                proto.dataReceived(chunk)
            self.assertEqual((name, transport.value()), (name, expected))
            self.assertTrue(transport.disconnecting, name)

    def test_line_too_long(self):
        self.each([b"x" * 3000, b"y" * 3000], b"Query too long\r\n")

    def test_bare_lf_and_w(self):
        self.each([b"/W moshez\n"], b"Happy and well\r\n")
        self.each(["/W zoë\r\n".encode()], "Très bien, merci\r\n".encode())

    def test_w_must_be_a_word(self):
        self.each([b"/Wmoshez\r\n"], b"No such user\r\n")

    def test_not_utf8(self):
        self.each([b"mos\xffhez\r\n"], b"No such user\r\n")

    def test_one_query_per_connection(self):
        self.each([b"moshez\r\nzo\xc3\xab\r\n"], b"Happy and well\r\n")

    def test_silent_client_is_hung_up(self):
        for name in self.STEPS:
            proto, transport = self.connect(name)
            self.clock.advance(59)
            self.assertFalse(transport.disconnecting, name)
            proto.dataReceived(b"mosh")  # a part of a line is not a query
            self.clock.advance(1)
            self.assertTrue(transport.disconnecting, name)
            self.assertEqual(transport.value(), b"", name)

    def test_no_timer_outlives_the_connection(self):
        for name in self.STEPS:
            proto, transport = self.connect(name)
            proto.connectionLost(None)
            self.assertEqual(self.clock.getDelayedCalls(), [], name)
            proto, transport = self.connect(name)
            proto.dataReceived(b"moshez\r\n")
            self.assertEqual(self.clock.getDelayedCalls(), [], name)


class ProxyConnectTimeoutTest(StepTestCase):
    """The proxy hands its timeout to the endpoint, and a connect timeout is
    one clear line. (No address on this machine lets a connect hang, so the
    endpoint is a stand-in that times out at once.)"""

    tac = "finger/fingerproxy.tac"

    @defer.inlineCallbacks
    def test_connect_timeout(self):
        from twisted.internet import endpoints, error
        yield self.load(FINGER_PROXY_TIMEOUT="2.5")
        made = []

        class TimingOutEndpoint:
            def __init__(self, reactor, host, port, timeout):
                made.append((host, port, timeout))

            def connect(self, factory):
                return defer.fail(error.TimeoutError())

        self.patch(endpoints, "HostnameEndpoint", TimingOutEndpoint)
        answer = yield ask_finger(self.ports["proxy"], "moshez@127.0.0.1:7979")
        self.assertEqual(answer, "Could not connect to 127.0.0.1:7979: "
                                 "no connection within 2.5s\r\n")
        self.assertEqual(made, [("127.0.0.1", 7979, 2.5)])


class SetterProtocolTest(TestCase):
    """The setter of 19a (and the organized finger) on StringTransport: a
    third line or a silent minute ends the connection, and is ignored."""

    def setUp(self):
        self.clock = task.Clock()
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp, True)
        users = os.path.join(tmp, "etc.users")
        with open(users, "w", encoding="utf-8") as f:
            f.write(USERS_FILE)
        self.top = load_tac("finger/finger19a.tac",
                            {"FINGER_USERS_FILE": users, "FINGER_IRC_SERVER": ""})
        (setter,) = [s for s in services(self.top) if getattr(s, "role", None) == "setter"]
        self.factory = setter.args[1]

    def connect(self):
        proto = self.factory.buildProtocol(None)
        proto.callLater = self.clock.callLater
        transport = StringTransport()
        proto.makeConnection(transport)
        return proto, transport

    def test_a_third_line_ends_it(self):
        proto, transport = self.connect()
        proto.dataReceived(b"moshez\r\nA\r\nB\r\n" + b"x\r\n" * 1000)
        self.assertTrue(transport.disconnecting)
        self.assertEqual(len(proto.lines), 3)
        proto.connectionLost(None)
        self.assertEqual(the_service(self.top).users["moshez"], "Happy and well")

    def test_a_silent_client_is_dropped(self):
        proto, transport = self.connect()
        proto.dataReceived(b"moshez\r\n")
        self.clock.advance(59)
        self.assertFalse(transport.disconnecting)
        self.clock.advance(1)
        self.assertTrue(transport.disconnecting)
        proto.connectionLost(None)
        self.assertEqual(the_service(self.top).users["moshez"], "Happy and well")
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_two_lines_then_close(self):
        proto, transport = self.connect()
        proto.dataReceived("zoë\r\nAu café\r\n".encode())
        proto.connectionLost(None)
        self.assertEqual(the_service(self.top).users["zoë"], "Au café")
        self.assertEqual(self.clock.getDelayedCalls(), [])


class StatusControlCharacterTest(TestCase):
    """A status never carries a control character to a finger client (RFC
    1288 asks servers to filter them; REVIEW 20): each one a status brings
    in -- through the setter, the users file or --user -- becomes a space,
    TAB excepted, so a finger client sees one clean line. In-process, on
    StringTransport: step 19a and the organized finger (finger.py, through
    tap.makeService), the two that serve a setter."""

    # A bare CR (which would start an IRC command), an escape sequence, a
    # BEL, a C1 control (U+009B, CSI) and a TAB, which stays.
    SET = "moshez\r\nfoo\rPRIVMSG tester :x\x1b[2J\x07\u009b1m\tend\r\n"
    SEEN = "foo PRIVMSG tester :x [2J  1m\tend\r\n"
    FILE = "esc: red\x1b[31m alert\x07\n"

    def setUp(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp, True)
        self.users = os.path.join(tmp, "etc.users")
        with open(self.users, "w", encoding="utf-8") as f:
            f.write(USERS_FILE + self.FILE)

    def factories(self, top):
        return {s.role: s.args[1] for s in services(top) if getattr(s, "role", None)}

    def talk(self, factory, data):
        proto = factory.buildProtocol(None)
        transport = StringTransport()
        proto.makeConnection(transport)
        proto.dataReceived(data.encode("utf-8"))
        proto.connectionLost(None)
        return transport.value()

    def check(self, top):
        factories = self.factories(top)
        self.assertEqual(self.talk(factories["setter"], self.SET), b"")
        answer = self.talk(factories["finger"], "moshez\r\n")
        self.assertEqual(answer.decode("utf-8"), self.SEEN)
        self.assertEqual(answer.count(b"\r") + answer.count(b"\n"), 2)
        # REVIEW 20's own lines, as `printf ... | nc -N` sends them: bare LFs.
        self.talk(factories["setter"], "moshez\nfoo\rPRIVMSG tester :injected\n")
        self.assertEqual(self.talk(factories["finger"], "moshez\n"),
                         b"foo PRIVMSG tester :injected\r\n")

    def test_step_19a(self):
        top = load_tac("finger/finger19a.tac",
                       {"FINGER_USERS_FILE": self.users, "FINGER_IRC_SERVER": ""})
        self.check(top)
        answer = self.talk(self.factories(top)["finger"], "esc\r\n")
        self.assertEqual(answer, b"red [31m alert\r\n")

    def test_the_organized_finger(self):
        from finger import finger, tap
        options = tap.Options()
        options.parseOptions(["--file", self.users, "--user", "bel:ring\x07ring"])
        top = tap.makeService(options)
        self.check(top)
        self.assertEqual(self.talk(self.factories(top)["finger"], "bel\r\n"),
                         b"ring ring\r\n")
        with open(self.users, encoding="utf-8") as f:
            self.assertEqual(finger.parse_users(f.read(), self.users)["esc"],
                             "red [31m alert")


class AnswerControlCharacterTest(TestCase):
    """What other people wrote reaches a finger client without a control
    character, TAB and line ends (LF, CRLF) excepted (RFC 1288): the users
    file of steps 17-22, the `finger` program's output (19b), a .plan (19c),
    and another server's answer through the proxy. In-process."""

    FILE = "esc: red\x1b[31m alert\x07\n"

    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def ask(self, top, query):
        """The bytes the finger front-end of a loaded step answers (its
        backend answers at once)."""
        (factory,) = [s.args[1] for s in services(top) if getattr(s, "role", None) == "finger"]
        proto = factory.buildProtocol(None)
        transport = StringTransport()
        proto.makeConnection(transport)
        proto.dataReceived(query.encode("utf-8") + b"\r\n")
        proto.connectionLost(None)
        return transport.value()

    def test_the_users_file_of_steps_17_to_22(self):
        users = os.path.join(self.tmp, "etc.users")
        with open(users, "w", encoding="utf-8") as f:
            f.write(USERS_FILE + self.FILE)
        pem = make_certificate(self.tmp)
        for tac in ["finger17", "finger18", "finger19", "finger20", "finger21", "finger22"]:
            with self.subTest(tac=tac):
                top = load_tac(f"finger/{tac}.tac", {
                    "FINGER_USERS_FILE": users, "FINGER_IRC_SERVER": "", "FINGER_CERT": pem})
                the_service(top)._read()
                self.assertEqual(self.ask(top, "esc"), b"red [31m alert\r\n")

    def test_the_finger_programs_output_19b(self):
        top = load_tac("finger/finger19b.tac", {"FINGER_IRC_SERVER": ""})
        self.assertEqual(
            the_service(top).answer("Login: moshez\nPlan:\n\x1b[31mred\x07\tok\n".encode()),
            "Login: moshez\nPlan:\n [31mred \tok")

    def test_a_plan_19c(self):
        homes = write_homes(self.tmp, {"moshez": "one\x1b[2J\r\ntwo\rthree\x9b"})
        top = load_tac("finger/finger19c.tac", {"FINGER_HOMES": homes, "FINGER_IRC_SERVER": ""})
        self.assertEqual(self.ask(top, "moshez").decode("utf-8"), "one [2J\r\ntwo three\r\n")

    @defer.inlineCallbacks
    def test_another_servers_answer_through_the_proxy(self):
        upstream = protocol.Factory.forProtocol(protocol.Protocol)
        upstream.protocol = lambda: _Answers(b"Login: moshez\r\nPlan: \x1b]0;owned\x07hi\rPlan: forged\n")
        port = reactor.listenTCP(0, upstream, interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        top = load_tac("finger/fingerproxy.tac", {})
        answer = yield the_service(top).getUser(f"moshez@127.0.0.1:{port.getHost().port}")
        self.assertEqual(answer, "Login: moshez\r\nPlan:  ]0;owned hi Plan: forged")


class _Answers(protocol.Protocol):
    """An upstream finger server that answers `answer` to any query, then
    closes."""

    def __init__(self, answer):
        self.answer = answer

    def dataReceived(self, data):
        self.transport.write(self.answer)
        self.transport.loseConnection()


class UnanswerableTest(TestCase):
    """A bug between the backend and the answer (here a backend that gives
    bytes, not text) is logged once, and the finger client is hung up on:
    the query's timeout is off by then, so nothing else would close it.
    In-process, on StringTransport, every finger front-end of 17-28."""

    TACS = ["finger17", "finger18", "finger19", "finger19a", "finger19b", "finger19c",
            "finger20", "finger21", "finger22", "fingerproxy"]

    def check(self, top):
        (factory,) = [s.args[1] for s in services(top)
                      if getattr(s, "role", None) in ("finger", "proxy")]
        factory.getUser = lambda user: defer.succeed(b"bytes, not text")
        proto = factory.buildProtocol(None)
        transport = StringTransport()
        proto.makeConnection(transport)
        proto.dataReceived(b"moshez\r\n")
        self.assertEqual(transport.value(), b"")
        self.assertTrue(transport.disconnecting)
        proto.connectionLost(None)
        self.assertEqual(len(self.flushLoggedErrors(AttributeError)), 1)

    def test_every_step(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp, True)
        pem = make_certificate(tmp)
        for tac in self.TACS:
            with self.subTest(tac=tac):
                self.check(load_tac(f"finger/{tac}.tac",
                                    {"FINGER_IRC_SERVER": "", "FINGER_CERT": pem}))

    def test_the_organized_finger(self):
        from finger import tap
        options = tap.Options()
        options.parseOptions(["--user", "moshez:Happy and well"])
        self.check(tap.makeService(options))


class StatusFileTest(StepTestCase):
    """The status file of steps 18-28: edited, read again; removed users go;
    a bad line is logged once, not at every re-read."""

    @defer.inlineCallbacks
    def check(self, tac):
        self.tac = tac
        certs = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, certs, True)
        yield self.load(FINGER_CERT=make_certificate(certs))
        users = os.path.join(self.tmp, "etc.users")
        with open(users, "w", encoding="utf-8") as f:
            f.write("moshez: Gone fishing\nno colon here\n")
        self.backend._read()
        self.backend._read()  # unchanged: not parsed, not logged again
        self.assertEqual((yield ask_finger(self.ports["finger"], "moshez")),
                         "Gone fishing\r\n")
        self.assertEqual((yield ask_finger(self.ports["finger"], "zoë")),
                         "No such user\r\n")
        self.assertEqual(len(self.log.matching(r"skipped a line")), 1)
        os.remove(users)
        self.backend._read()
        self.backend._read()
        self.assertEqual(len(self.log.matching(r"cannot read")), 1)
        self.assertEqual((yield ask_finger(self.ports["finger"], "moshez")),
                         "Gone fishing\r\n")  # the users we had are kept

    def test_step18(self):
        return self.check("finger/finger18.tac")

    def test_step22(self):
        return self.check("finger/finger22.tac")

    def test_finger_tac(self):
        return self.check("finger/finger.tac")


# -- a half-close is not a hang-up; a hang-up stops the work -------------------------

class HalfCloseProtocolTest(TestCase):
    """The finger protocol of steps 18-28 and the proxy, on StringTransport,
    with a backend whose answer the test gives by hand: after the client's
    half-close (readConnectionLost, what `nc -N` sends after its line) the
    answer still comes; a half-close before any query closes; a hang-up
    (connectionLost) cancels the backend's Deferred and logs nothing."""

    TACS = ("finger18.tac", "finger19.tac", "finger19a.tac", "finger19b.tac",
            "finger19c.tac", "finger20.tac", "finger21.tac", "finger22.tac",
            "finger.tac", "fingerproxy.tac")

    factories = None

    def setUp(self):
        if HalfCloseProtocolTest.factories is None:
            tmp = tempfile.mkdtemp()
            try:
                users = os.path.join(tmp, "etc.users")
                with open(users, "w", encoding="utf-8") as f:
                    f.write(USERS_FILE)
                env = {"FINGER_USERS_FILE": users, "FINGER_IRC_SERVER": "",
                       "FINGER_CERT": make_certificate(tmp)}
                HalfCloseProtocolTest.factories = {
                    name: self.finger_factory(load_tac(f"finger/{name}", env))
                    for name in self.TACS}
            finally:
                shutil.rmtree(tmp, True)

    @staticmethod
    def finger_factory(top):
        (s,) = [s for s in services(top) if getattr(s, "role", None) in ("finger", "proxy")]
        return s.args[1]

    def connect(self, name):
        """A protocol of step `name` whose backend answers with `asked[0]`,
        a Deferred that records whether it was cancelled."""
        factory = self.factories[name]
        cancelled, asked = [], []

        def getUser(user):
            asked.append(defer.Deferred(lambda d: cancelled.append(user)))
            return asked[-1]

        proto = factory.buildProtocol(None)
        proto.factory = mock.Mock(getUser=getUser)  # this connection only
        transport = StringTransport()
        proto.makeConnection(transport)
        self.addCleanup(proto.setTimeout, None)
        return proto, transport, asked, cancelled

    def test_the_answer_comes_after_a_half_close(self):
        for name in self.TACS:
            proto, transport, asked, cancelled = self.connect(name)
            self.assertTrue(IHalfCloseableProtocol.providedBy(proto), name)
            proto.dataReceived(b"moshez\r\n")
            proto.readConnectionLost()
            self.assertEqual((name, transport.value(), transport.disconnecting),
                             (name, b"", False))
            asked[0].callback("Happy and well")
            self.assertEqual((name, transport.value(), transport.disconnecting),
                             (name, b"Happy and well\r\n", True))
            proto.connectionLost(None)
            self.assertEqual(cancelled, [], name)

    def test_a_half_close_before_the_query_ends_the_connection(self):
        for name in self.TACS:
            proto, transport, asked, cancelled = self.connect(name)
            proto.dataReceived(b"mosh")  # no line: not a query
            proto.readConnectionLost()
            self.assertEqual((name, transport.value(), transport.disconnecting, asked),
                             (name, b"", True, []))

    def test_a_hang_up_cancels_the_query(self):
        for name in self.TACS:
            proto, transport, asked, cancelled = self.connect(name)
            proto.dataReceived(b"moshez\r\n")
            proto.connectionLost(None)
            self.assertEqual((name, cancelled, transport.value()),
                             (name, ["moshez"], b""))
        # A cancelled query is no error: nothing was logged (trial would
        # fail this test on a logged failure).


class HangUpTest(StepTestCase):
    """With real connections: a client that resets the connection before its
    answer stops the work behind it -- 19b kills its `finger`, the proxy
    drops its upstream connection -- long before any timeout would."""

    @defer.inlineCallbacks
    def test_step19b_kills_the_program(self):
        self.tac = "finger/finger19b.tac"
        yield self.load()
        program = os.path.join(self.tmp, "finger")
        with open(program, "w") as f:
            f.write("#!/bin/sh\nexec sleep 60\n")
        os.chmod(program, 0o755)
        self.backend.program = program
        self.backend.timeout = 60  # only the hang-up can end it in time
        spawned, ended = defer.Deferred(), defer.Deferred()
        spawn = reactor.spawnProcess

        def spawning(process, *args, **kwargs):
            processEnded = process.processEnded

            def watched(reason):
                processEnded(reason)
                ended.callback(reason.value)  # the exception, not a Failure

            process.processEnded = watched
            result = spawn(process, *args, **kwargs)
            spawned.callback(None)
            return result

        self.patch(reactor, "spawnProcess", spawning)
        asked = fetch(self.ports["finger"], b"moshez\r\n")
        yield support.with_timeout(spawned, 10, "finger to be started")
        asked.cancel()  # a reset, as a client that gives up sends
        yield self.assertFailure(asked, defer.CancelledError)
        reason = yield support.with_timeout(ended, 10, "finger to be killed")
        self.assertEqual(reason.signal, 9)

    @defer.inlineCallbacks
    def test_the_proxy_drops_its_upstream(self):
        self.tac = "finger/fingerproxy.tac"
        yield self.load(FINGER_PROXY_TIMEOUT="60")
        upstream = support.TestServerFactory()  # accepts, never answers
        port = support.serve(self, upstream)
        connected = upstream.next_connection()
        asked = fetch(self.ports["proxy"], f"moshez@127.0.0.1:{port}\r\n".encode())
        yield connected
        dropped = upstream.next_disconnect()
        asked.cancel()  # a reset, as a client that gives up sends
        yield self.assertFailure(asked, defer.CancelledError)
        yield dropped  # within 10 s, not the proxy's 60
        self.assertEqual(self.log.matching(r"proxy: "), [])
