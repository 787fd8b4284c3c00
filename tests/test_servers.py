"""The poetry servers of Parts 2, 11, 12, 14 and 19, end to end over
loopback (each program run for real as a subprocess), plus protocol-level
checks in memory. Also every server of the repository on a port already in
use: one line and exit 1 (PortInUseSpec, and a test of ServerSpec and
ProxySpec). A Twisted script that listens first thing in main() stops there,
before its reactor runs: that run happens in this process (support.run_here),
the others, and every twistd run, for real."""

import os
import re
import traceback

from twisted.application import service
from twisted.application.service import IServiceMaker
from twisted.internet import defer, reactor, task
from twisted.internet.interfaces import IListeningPort
from twisted.internet.protocol import ServerFactory
from twisted.internet.testing import StringTransport
from twisted.trial.unittest import TestCase

from tests import support
from tests.support import fetch, netstring, poem_bytes
from tests.support.spec import VersionSpec

ALLA_SERA = poem_bytes("alla-sera.txt")  # UTF-8, non-ASCII
SCIENCE = poem_bytes("science.txt")
IN_USE = "Address already in use"


def port_in_use(testcase):
    """A port this process listens on, on 127.0.0.1 (what localhost is)."""
    return support.listen(testcase, ServerFactory())


def in_use_line(name, port):
    return f"{name}: cannot listen on localhost:{port}: {IN_USE}"


def own_stderr(err, first_port_open=False):
    """What a server itself wrote on stderr. A server whose second port is
    in use exits with its first one still open, and Python's exit closes it:
    under the tests' warning flags that socket is reported (a reader's
    Python is silent)."""
    if first_port_open:
        err = re.sub(rb"(sys:1|<sys>:0): ResourceWarning: unclosed <socket\.socket [^\n]*"
                     rb"laddr=\('127\.0\.0\.1', \d+\)>\n", b"", err, count=1)
    return err


@defer.inlineCallbacks
def check_script_on_a_port_in_use(testcase, rel, *args, first_port_open=False, here=False):
    """Run a server script with PORT in `args` standing for a port in use:
    nothing on stdout, one line on stderr, exit status 1. With `here`, the
    script's top level runs in this process (support.run_here): for a
    Twisted script that listens first thing in main(), the run stops before
    the reactor runs, and one that got past a port in use would fail the
    test; the script's real run is its row's other test."""
    port = port_in_use(testcase)
    args = [a.replace("PORT", str(port)) for a in args]
    if here:
        out, err, code = support.run_here(rel, *args)
    else:
        out, err, code = yield support.run_script(rel, *args)
    line = in_use_line(os.path.basename(rel), port)
    testcase.assertEqual((out, own_stderr(err, first_port_open), code),
                         (b"", f"{line}\n".encode(), 1))


class PoetryServer:
    """A row of the server spec: a poetry server run as a script, the line
    it prints at start-up (with PORT for its port), how many clients it
    is tried with at once, and whether its port-in-use run happens in this
    process (`here`: a Twisted script that listens first thing in main())."""

    def __init__(self, id, script, args, poem, banner, clients, here):
        self.id = id
        self.script = script
        self.args = args
        self.poem = poem
        self.banner = banner
        self.clients = clients
        self.here = here


SERVERS = (
    PoetryServer("FastPoetry10", "twisted-server/fastpoetry-1.0.py", ("--port", "0"),
                 "alla-sera.txt", "Serving poetry/alla-sera.txt on IPv4Address(type='TCP', "
                 "host='127.0.0.1', port=PORT).", 50, here=True),
    PoetryServer("SlowPoetry", "twisted-server/slowpoetry.py",
                 ("--num-bytes", "200", "--delay", "0.02"), "ecstasy.txt",
                 "Serving poetry/ecstasy.txt on IPv4Address(type='TCP', host='127.0.0.1', "
                 "port=PORT).", 5, here=True),
    # Serves one client at a time: the others wait in the listen queue. No
    # reactor: a run that got past a port in use would block, so it is real.
    PoetryServer("BlockingSlowPoetry", "blocking-server/slowpoetry.py",
                 ("--num-bytes", "300", "--delay", "0.005"), "science.txt",
                 "Serving poetry/science.txt on port PORT.", 3, here=False),
)


class ServerSpec(VersionSpec):
    """Every poetry server script: its start-up line, and the exact bytes
    of its poem to several clients at once (FastPoetry10Spec, ...)."""

    rows = SERVERS

    @defer.inlineCallbacks
    def test_serves_the_exact_poem_to_concurrent_clients(self):
        row = self.row
        server = yield support.start_script(self, row.script, *row.args, f"poetry/{row.poem}")
        banner = row.banner.replace("PORT", str(server.port)).encode()
        self.assertEqual(server.output.splitlines()[0], banner)
        poems = yield defer.gatherResults([fetch(server.port) for _ in range(row.clients)])
        self.assertEqual(poems, [poem_bytes(row.poem)] * row.clients)

    def test_a_port_in_use_is_one_line_and_exit_1(self):
        row = self.row
        return check_script_on_a_port_in_use(self, row.script, *row.args, "--port", "PORT",
                                             f"poetry/{row.poem}", here=row.here)


globals().update(ServerSpec.makeTestCaseClasses())


class FastPoetryProtocolTest(TestCase):

    def test_protocol_writes_poem_and_closes(self):
        mod = support.load_script("twisted-server/fastpoetry-1.0.py")
        proto = mod.PoetryFactory(b"a poem\n").buildProtocol(None)
        transport = StringTransport()
        proto.makeConnection(transport)
        self.assertEqual(transport.value(), b"a poem\n")
        self.assertTrue(transport.disconnecting)


class TransformServerTest(TestCase):

    def setUp(self):
        d = support.start_script(self, "twisted-server/transformedpoetry-1.0.py")
        return d.addCallback(lambda server: setattr(self, "server", server))

    @defer.inlineCallbacks
    def test_cummingsify_round_trip_utf8(self):
        reply = yield fetch(self.server.port,
                            netstring(b"cummingsify." + ALLA_SERA.upper()))
        self.assertEqual(reply, netstring(ALLA_SERA.decode().upper().lower().encode()))

    @defer.inlineCallbacks
    def test_bad_requests_close_without_reply_and_server_keeps_serving(self):
        for request in [b"reverse.A POEM",          # unknown transform
                        b"no dot in this request",  # bad request
                        b"__class__.A POEM",        # only xform_ names count
                        b".A POEM"]:                # empty name
            reply = yield fetch(self.server.port, netstring(request))
            self.assertEqual(reply, b"", request)
        reply = yield fetch(self.server.port, netstring(b"cummingsify.STILL HERE"))
        self.assertEqual(reply, b"10:still here,")

    @defer.inlineCallbacks
    def test_transform_test_script_prints_the_texts_reply(self):
        # Part 12: "15:here is my poem,", sent with Python (netcat flavours
        # differ), and nothing else.
        result = yield support.run(
            [support.path("twisted-server/transform-test"), str(self.server.port)],
            env={"PYTHON": support.PYTHON})
        self.assertEqual(result, (b"15:here is my poem,\n", b"", 0))


class TransformProtocolTest(TestCase):
    """The transform server's pieces, no server running."""

    def test_factory_guards_non_xform_names(self):
        mod = support.load_script("twisted-server/transformedpoetry-1.0.py")
        factory = mod.TransformFactory(mod.TransformService())
        self.assertEqual(factory.transform("cummingsify", "A B"), "a b")
        for name in ["__class__", "_private", "", "transform", "cummingsify "]:
            self.assertIsNone(factory.transform(name, "A B"), name)

    def test_non_utf8_request_is_closed_in_memory(self):
        mod = support.load_script("twisted-server/transformedpoetry-1.0.py")
        proto = mod.TransformFactory(mod.TransformService()).buildProtocol(None)
        transport = StringTransport()
        proto.makeConnection(transport)
        proto.dataReceived(netstring(b"cummingsify.\xff\xfe"))
        self.assertEqual(transport.value(), b"")
        self.assertTrue(transport.disconnecting)


class Proxy:
    """A row of the proxy spec: a caching proxy version."""

    def __init__(self, id, script, cancels=False, here=True):
        self.id = id
        self.script = script
        self.cancels = cancels  # cancels the upstream fetch when the client leaves
        # Its port-in-use run happens in this process (see ServerSpec).
        self.here = here


PROXIES = (
    Proxy("Proxy10", "twisted-server/poetry-proxy-1.0.py"),
    Proxy("Proxy20", "twisted-server/poetry-proxy-2.0.py"),
    Proxy("Proxy30", "twisted-server/poetry-proxy-3.0.py", cancels=True),
    # Before it listens, 4.0 starts its log and adds shutdown triggers,
    # which would outlive a run in this process: its run is real.
    Proxy("Proxy40", "twisted-server/poetry-proxy-4.0.py", cancels=True, here=False),
)


class CancelsFetch:
    """For the proxies from 3.0 on: a client that hangs up cancels the
    download it was waiting for."""

    @defer.inlineCallbacks
    def test_client_leaving_cancels_upstream_fetch(self):
        silent = support.TestServerFactory(poem=None)  # accepts, never sends
        proxy = yield self.start_proxy(silent)
        upstream_made = silent.next_connection()
        client = fetch(proxy.port)
        yield upstream_made
        upstream_lost = silent.next_disconnect()
        # Hang up on the proxy while it is still waiting for the poem.
        client.cancel()
        yield self.assertFailure(client, defer.CancelledError)
        yield upstream_lost
        yield proxy.wait_for("Canceling poem download.")
        self.assertEqual(silent.open, set())


class ProxySpec(VersionSpec):
    """One spec for every caching proxy version (Proxy10Spec ... Proxy40Spec)."""

    rows = PROXIES

    @classmethod
    def mixins_for(cls, row):
        return (CancelsFetch,) if row.cancels else ()

    @defer.inlineCallbacks
    def start_proxy(self, upstream):
        upstream_port = support.serve(self, upstream)
        proxy = yield support.start_script(self, self.row.script, "--port", "0",
                                           f"127.0.0.1:{upstream_port}")
        self.assertIn(b"for the server at 127.0.0.1:%d." % upstream_port, proxy.output)
        return proxy

    @defer.inlineCallbacks
    def test_second_request_is_served_from_cache(self):
        upstream = support.TestServerFactory(ALLA_SERA)
        proxy = yield self.start_proxy(upstream)
        first = yield fetch(proxy.port)
        yield proxy.wait_for("Fetching poem from server.")
        second = yield fetch(proxy.port)
        yield proxy.wait_for("Using cached poem.")
        self.assertEqual((first, second), (ALLA_SERA, ALLA_SERA))
        self.assertEqual(upstream.connections, 1)

    @defer.inlineCallbacks
    def test_upstream_down_closes_client_without_data(self):
        # The text's proxies send nothing and close (proxy 4.0 also logs the
        # failure). A port where nothing listens is refused at once.
        proxy = yield support.start_script(self, self.row.script, "--port", "0",
                                           f"127.0.0.1:{support.refused_port(self)}")
        self.assertEqual((yield fetch(proxy.port)), b"")
        self.assertNotIn(b"Traceback", proxy.output)

    def test_a_port_in_use_is_one_line_and_exit_1(self):
        return check_script_on_a_port_in_use(self, self.row.script, "--port", "PORT", "10001",
                                             here=self.row.here)


globals().update(ProxySpec.makeTestCaseClasses())


class SlowPoetryServerTest(TestCase):
    """Part 11, exercise 3: the Twisted slow server, in memory with a Clock
    (SlowPoetrySpec runs it for real)."""

    def make(self, poem=b"0123456789abcdefghij", num_bytes=8, delay=1.0):
        mod = support.load_script("twisted-server/slowpoetry.py")
        clock = task.Clock()
        factory = mod.PoetryFactory(poem, num_bytes, delay, clock=clock)
        return factory, clock

    def connect(self, factory):
        proto = factory.buildProtocol(None)
        transport = StringTransport()
        proto.makeConnection(transport)
        return proto, transport

    def test_one_chunk_per_tick(self):
        factory, clock = self.make()
        _, t = self.connect(factory)
        self.assertEqual(t.value(), b"01234567")
        clock.advance(0.999)
        self.assertEqual(t.value(), b"01234567")
        clock.advance(0.001)
        self.assertEqual(t.value(), b"0123456789abcdef")
        self.assertFalse(t.disconnecting)
        clock.advance(1)
        self.assertEqual(t.value(), b"0123456789abcdefghij")
        self.assertTrue(t.disconnecting)
        # Nobody left: the shared timer stops.
        self.assertEqual(clock.getDelayedCalls(), [])

    def test_a_late_tick_catches_up(self):
        # The reactor was busy for 2.5 intervals: the tick that finally runs
        # sends two chunks' worth, so the client stays on schedule.
        factory, clock = self.make()
        _, t = self.connect(factory)
        clock.advance(2.5)
        self.assertEqual(t.value(), b"0123456789abcdefghij")
        self.assertTrue(t.disconnecting)

    def test_client_leaving_early_stops_the_timer(self):
        factory, clock = self.make()
        proto, t = self.connect(factory)
        proto.connectionLost(None)
        clock.advance(1)
        self.assertEqual(t.value(), b"01234567")
        self.assertEqual(clock.getDelayedCalls(), [])

    def test_many_clients_share_one_timer(self):
        factory, clock = self.make()
        transports = [self.connect(factory)[1] for _ in range(100)]
        self.assertEqual(len(clock.getDelayedCalls()), 1)
        clock.advance(1)
        clock.advance(1)
        self.assertEqual({t.value() for t in transports}, {b"0123456789abcdefghij"})


class BlockingSlowServerTest(TestCase):
    """Part 2's blocking slow server, which the clients are tested against."""

    @defer.inlineCallbacks
    def test_serves_poem_in_chunks(self):
        server = yield support.start_script(
            self, "blocking-server/slowpoetry.py", "--num-bytes", "100", "--delay", "0.01",
            "poetry/science.txt")
        self.assertIn(b"Serving poetry/science.txt on port %d." % server.port, server.output)
        poem = yield fetch(server.port)
        self.assertEqual(poem, SCIENCE)
        yield server.wait_for(b"Sending 63 bytes")
        out = server.output.decode()
        self.assertRegex(out, r"Somebody at \('127\.0\.0\.1', \d+\) wants poetry!")
        self.assertEqual(out.count("Sending 100 bytes"), len(SCIENCE) // 100)

    @defer.inlineCallbacks
    def test_missing_poem_is_a_usage_error(self):
        out, err, code = yield support.run_script("blocking-server/slowpoetry.py", "nope.txt")
        self.assertEqual(code, 2)
        self.assertIn(b"error: cannot read poem 'nope.txt'", err)
        self.assertNotIn(b"Traceback", err)


class Listener:
    """A row of the port-in-use spec: a server that is no row of ServerSpec
    or ProxySpec. `args` (and `env`) may hold PORT, the port in use, and TMP,
    a fresh directory. A script row names its script; a twistd row
    (`script=None`) gives twistd's arguments after its own options, and
    `name` is what its line starts with."""

    def __init__(self, id, script=None, args=(), env=None, name=None, logs_to_file=False,
                 two_ports=False, here=False, plugin=None, daemon_run=False):
        self.id = id
        self.script = script
        self.args = args
        self.env = env or {}
        self.name = name or os.path.basename(script)
        # A plugin row's module, loaded in this process as twistd loads it.
        self.plugin = plugin
        # Run as a real daemon too (see UnderTwistd).
        self.daemon_run = daemon_run
        # The tac sends twistd's log to a file of its own, never to stdout.
        self.logs_to_file = logs_to_file
        # Its first port is free and bound; the second is the one in use.
        self.two_ports = two_ports
        # A script whose run happens in this process (see ServerSpec); not
        # one with two ports (the first would stay open here), nor one
        # without a reactor (one that got past a port in use would block).
        self.here = here


def tac(rel):
    return ("-y", support.path(rel))


LISTENERS = (
    Listener("TransformedPoetry10", "twisted-server/transformedpoetry-1.0.py", ("--port", "PORT"),
             here=True),
    Listener("SelectPoetryServer", "exercises/part-11/select-poetry-server.py",
             ("--port", "PORT", "poetry/science.txt")),
    Listener("LowlevelPoetryServer", "exercises/part-11/lowlevel-poetry-server.py",
             ("--port", "PORT", "poetry/science.txt")),
    # The second port of the three servers with two is the one in use.
    Listener("MultiPoetry", "exercises/part-11/multipoetry.py",
             ("poetry/ecstasy.txt:0", "poetry/science.txt:PORT"), two_ports=True),
    Listener("FastpoetryNetstring", "exercises/part-12/fastpoetry-netstring.py",
             ("--port", "PORT", "poetry/science.txt"), here=True),
    Listener("TransformedpoetryBackwards", "exercises/part-12/transformedpoetry-backwards.py",
             ("--port", "PORT"), here=True),
    Listener("Transformedpoetry2proto", "exercises/part-12/transformedpoetry-2proto.py",
             ("--port", "0", "--line-port", "PORT"), two_ports=True),
    Listener("PoetryProxyXform", "exercises/part-14/poetry-proxy-xform.py",
             ("--port", "0", "--xform-port", "PORT", "10001", "10002"), two_ports=True),
    Listener("FastPoetry20Tac", args=tac("twisted-server/fastpoetry-2.0.tac"),
             env={"FASTPOETRY_PORT": "PORT"}, name="fastpoetry-2.0.tac"),
    Listener("FastpoetryPlugin", args=("fastpoetry", "--port", "PORT",
                                       "--poem", support.path("poetry/ecstasy.txt")),
             name="fastpoetry", plugin="twisted/plugins/fastpoetry_plugin.py", daemon_run=True),
    Listener("FastpoetryTwoTac", args=tac("exercises/part-16/fastpoetry-two.tac"),
             env={"TWOPOEMS_PORT1": "0", "TWOPOEMS_PORT2": "PORT"}, name="fastpoetry-two.tac",
             two_ports=True),
    Listener("PoetryProxyTac", args=tac("exercises/part-16/poetry-proxy.tac"),
             env={"PROXY_PORT": "PORT"}, name="poetry-proxy.tac"),
    Listener("Fastpoetry2Plugin", args=("fastpoetry2", "--port", "PORT",
                                        "--poem", support.path("poetry/ecstasy.txt")),
             env={"PYTHONPATH": support.path("exercises/part-16")}, name="fastpoetry2",
             plugin="exercises/part-16/twisted/plugins/fastpoetry2_plugin.py"),
    # It opens its own log file as it loads (twistd's log in the daemon).
    Listener("PoetryDailylogTac", args=tac("exercises/application/poetry-dailylog.tac"),
             env={"POETRY_PORT": "PORT", "POETRY_LOGDIR": "TMP"}, name="poetry-dailylog.tac",
             logs_to_file=True, daemon_run=True),
    Listener("PoetryReloadTac", args=tac("exercises/application/poetry-reload.tac"),
             env={"POETRY_PORT": "PORT"}, name="poetry-reload.tac"),
    Listener("PoetryUnixTac", args=tac("exercises/application/poetry-unix.tac"),
             env={"POETRY_PORT": "PORT", "POETRY_SOCKET": "TMP/poetry.sock"},
             name="poetry-unix.tac"),
)


class UnderTwistd:
    """For the tacs and plugins: twistd in the foreground, and what twistd
    as a daemon reports."""

    def filled(self):
        """(port in use, fresh directory, fill): fill(text) puts them in for
        PORT and TMP."""
        port = port_in_use(self)
        tmp = support.temp_dir(self)

        def fill(text):
            return text.replace("PORT", str(port)).replace("TMP", tmp)

        return port, tmp, fill

    def twistd(self, *options):
        port, tmp, fill = self.filled()
        pidfile = os.path.join(tmp, "twistd.pid")
        argv = support.twistd_argv("--pidfile", pidfile, *[fill(o) for o in options],
                                   *[fill(a) for a in self.row.args])
        env = {k: fill(v) for k, v in self.row.env.items()}
        # Bounded: a daemon that failed to start must not leave the
        # launching twistd waiting for ever.
        d = support.run(argv, env=env, timeout=15)
        return d.addCallback(lambda result: (result, in_use_line(self.row.name, port), tmp,
                                             pidfile))

    @defer.inlineCallbacks
    def test_twistd_in_the_foreground(self):
        (out, err, code), line, tmp, pidfile = yield self.twistd("-n")
        self.assertEqual(code, 1)
        if self.row.logs_to_file:
            # Nothing else reaches the terminal, so the line does.
            self.assertEqual((out, own_stderr(err)), (b"", f"{line}\n".encode()))
            with open(os.path.join(tmp, "poetry.log"), encoding="utf-8") as f:
                self.assertIn(f"[stderr#error] {line}\n", f.read())
        else:
            # twistd -n logs to stdout, stderr included: the line, once.
            self.assertIn(f"[stderr#error] {line}\n".encode(), out)
            self.assertEqual(own_stderr(err, self.row.two_ports), b"")
        self.assertEqual((out + err).count(b"cannot listen"), 1)
        self.assertNotIn(b"Traceback", out + err)
        self.assertFalse(os.path.exists(pidfile))

    def test_what_twistd_as_a_daemon_reports(self):
        """A daemon reports a failed start to the twistd that launched it:
        the Exception its service raised as it started (twistd's daemon
        catches Exception; a bare SystemExit would go unreported), in one
        line of at most 98 bytes, which the launching twistd prints. The tac
        or plugin is loaded and started in this process as twistd loads and
        starts it, and what it raises is that line; RealDaemon runs twistd
        as a daemon for real."""
        port, tmp, fill = self.filled()
        support.patch_env(self, **{k: fill(v) for k, v in self.row.env.items()})
        args = [fill(a) for a in self.row.args]
        raised = None
        # From the repository root, where the twistd runs are.
        with support.working_directory(support.ROOT):
            if self.row.plugin is None:
                application = service.loadApplication(args[1], "python")
            else:
                module = support.load_script(self.row.plugin)
                maker, = (value for value in vars(module).values()
                          if IServiceMaker.providedBy(value) and value.tapname == args[0])
                options = maker.options()
                options.parseOptions(args[1:])
                application = service.Application(maker.tapname)
                maker.makeService(options).setServiceParent(application)
            top = service.IService(application)
            self.addCleanup(stop_started, top, set(reactor.getReaders()))
            try:
                top.privilegedStartService()
                top.startService()
            except BaseException as e:
                raised = e
        if raised is None:
            self.fail("it started on a port in use")
        self.assertIsInstance(raised, Exception)
        said = traceback.format_exception_only(type(raised), raised)[-1].strip()
        self.assertEqual(said, f"CannotListen: {in_use_line(self.row.name, port)}")
        self.assertLess(len(said.encode("ascii", "backslashreplace")), 98)


def started(svc):
    """The services under `svc` (leaves, depth first) that are running."""
    if isinstance(svc, service.MultiService):
        for child in svc:
            yield from started(child)
    elif svc.running:
        yield svc


@defer.inlineCallbacks
def stop_started(top, readers_before):
    """Stop what a failed start left: the services that run, then the ports
    still listening (a service that bound its port in privilegedStartService
    does not run yet). Only those: twistd stops nothing after a failed
    start, and a TimerService that never started cannot stop."""
    yield defer.gatherResults([defer.maybeDeferred(svc.stopService)
                               for svc in reversed(list(started(top)))])
    yield defer.gatherResults([defer.maybeDeferred(reader.stopListening)
                               for reader in reactor.getReaders()
                               if reader not in readers_before
                               and IListeningPort.providedBy(reader)])


class RealDaemon:
    """For the rows that say so (our fastpoetry plugin, and the tac that
    opens its own log file as it loads): twistd as a daemon, for real. The
    launching twistd prints the daemon's word and exits 1; the daemon
    removes its pidfile. (For every row, UnderTwistd checks that word in
    this process.)"""

    @defer.inlineCallbacks
    def test_twistd_as_a_daemon(self):
        (out, err, code), line, tmp, pidfile = yield self.twistd(
            "--logfile", os.path.join("TMP", "twistd.log"))
        # The launching twistd prints the daemon's word, whole (it passes on
        # 98 bytes), and exits 1.
        said = f"CannotListen: {line}".encode()
        self.assertLess(len(said), 98)
        self.assertEqual((out, err, code), (b"", (
            f"An error has occurred: {said!r}\n"
            f"Please look at log file for more information.\n").encode(), 1))
        # The daemon removes its pidfile after that word.
        yield support.poll(lambda: not os.path.exists(pidfile), what="the pidfile's removal")


class PortInUseSpec(VersionSpec):
    """Every other server, on a port already in use: one line, exit status 1
    and no traceback (TransformedPoetry10PortInUseSpec, ...)."""

    rows = LISTENERS
    suffix = "PortInUseSpec"

    @classmethod
    def mixins_for(cls, row):
        if row.script is not None:
            return (ScriptOnAPortInUse,)
        return (UnderTwistd, RealDaemon) if row.daemon_run else (UnderTwistd,)


class ScriptOnAPortInUse:

    def test_script(self):
        return check_script_on_a_port_in_use(self, self.row.script, *self.row.args,
                                             first_port_open=self.row.two_ports,
                                             here=self.row.here)


globals().update(PortInUseSpec.makeTestCaseClasses())
