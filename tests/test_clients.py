"""One spec for every poetry client, from the blocking client of Part 2 to
today's client.

The table CLIENTS says, in one line per client, what that client prints:
per-task byte counts ("counts") or the poems themselves ("poems"), whether
it talks to a transform server first, what it says about a server where
nothing listens, and its exit status then. The spec runs every client once,
against its own group of paced poetry servers, every other server version
(the peers) and one dead port, all on one command line, and checks the
output line by line against the exact poem bytes.

Speed: client processes are the expensive part (about 0.2 s of CPU each),
so each client runs once for the spec and the peers together, all clients
at once, and every result is checked, naming the client in any failure.
Servers run in this process, built from the servers' own modules (the tac
and the plugin through their own services); only the blocking server, which
cannot share a reactor, is a real process. The servers' command lines and
twistd runs are tested in test_servers.py and test_twistd.py.

Interleaving: the paced servers of a "gated" group send the first chunk at
once but hold back the rest until every server of the group has a client.
A client that does not hold all its connections at the same time can
never finish there, so every client except the blocking one proves that
it downloads concurrently just by passing. Clients that print one line per
chunk must also show chunks of different tasks interleaved (1.0-broken must
show the opposite: one whole poem per task, one task after another).
"""

import itertools
import os
import random
import re
import runpy

from twisted.application import internet
from twisted.internet import defer, protocol, reactor, task
from twisted.trial.unittest import TestCase

from tests import support
from tests.support import (
    PYTHON, WARNFLAGS, child_env, free_port, listen, load_script, path, poem_bytes,
    run_script, serve, start_script, with_timeout,
)

slow = load_script("twisted-server/slowpoetry.py")
xform_server = load_script("twisted-server/transformedpoetry-1.0.py")
fast_server = load_script("twisted-server/fastpoetry-1.0.py")
fast_plugin = load_script("twisted/plugins/fastpoetry_plugin.py")
proxies = [load_script(f"twisted-server/poetry-proxy-{v}.py") for v in ("1.0", "2.0", "3.0")]

POEMS = ("fascination.txt", "science.txt", "alla-sera.txt")
NUM_BYTES = 200
DELAY = 0.03
RUN_TIMEOUT = 20
BSLOW_BYTES = 300

OUT, ERR = "stdout", "stderr"


class Client:
    """One row of the table: how a client behaves and what it prints."""

    def __init__(self, rel, style, failure, code=0, *, xform=False, lower=False,
                 chunks=None, unit="bytes", env=None, stack=None, ordered=False,
                 concurrent=True):
        self.rel = rel
        self.name = os.path.basename(rel) if "twisted-client" in rel else rel.split("/")[0]
        self.style = style            # "counts" or "poems"
        self.failure = failure        # (stream, regex with {addr}/{peer}) or HANGS
        self.code = code              # exit status when one server is dead
        self.xform = xform            # first address is a transform server
        self.lower = lower            # poems come out cummingsified
        self.chunks = chunks          # None, "interleaved" or "whole"
        self.unit = unit              # the per-task summary: bytes or characters
        self.env = env or {}
        self.stack = stack            # (function name in the stack, times printed)
        self.ordered = ordered        # poems printed in argument order
        self.concurrent = concurrent  # can run against a gated group


HANGS = "hangs"
REFUSED = r"Connection was refused by other side"
FAILED_TASK = (ERR, r"Task {task}: failed to connect to {addr}: Connection refused")
FAILED_2 = (OUT, r"Failed to connect to: {peer}")
FORCE_SUCCESS = {"CUMMINGSIFY_FORCE": "success"}

CLIENTS = [
    Client("blocking-client/get-poetry.py", "counts", FAILED_TASK, 1, concurrent=False),
    Client("async-client/get-poetry.py", "counts", FAILED_TASK, 1, chunks="interleaved"),
    Client("twisted-client/get-poetry-1.0.py", "counts", FAILED_TASK, 1, chunks="interleaved"),
    Client("twisted-client/get-poetry-1.0-broken.py", "counts", FAILED_TASK, 1, chunks="whole"),
    Client("twisted-client/get-poetry-2.0.py", "counts", FAILED_2, chunks="interleaved",
           unit="characters"),
    Client("twisted-client/get-poetry-2.0-stack.py", "counts", FAILED_2, chunks="interleaved",
           unit="characters", stack=("dataReceived", 1)),
    Client("twisted-client/get-poetry-2.1.py", "poems", FAILED_2),
    Client("twisted-client/get-poetry-3.0.py", "poems", HANGS),
    Client("twisted-client/get-poetry-3.1.py", "poems", (ERR, "Poem failed: " + REFUSED)),
    Client("twisted-client/get-poetry-4.0.py", "poems", (ERR, "Poem failed: " + REFUSED)),
    Client("twisted-client/get-poetry-4.0-stack.py", "poems", (ERR, "Poem failed: " + REFUSED),
           stack=("got_poem", "per poem")),
    Client("twisted-client/get-poetry-5.0.py", "poems", (ERR, r"The poem download failed\."),
           lower=True, env=FORCE_SUCCESS),
    Client("twisted-client/get-poetry-5.1.py", "poems", (ERR, r"The poem download failed\."),
           lower=True, env=FORCE_SUCCESS),
    Client("twisted-client/get-poetry-6.0.py", "poems", (ERR, r"The poem download failed\."), 1,
           xform=True, lower=True),
    Client("twisted-client/get-poetry-7.0.py", "poems",
           (ERR, "The poem download failed: " + REFUSED), 1, xform=True, lower=True),
    Client("twisted-client/get-poetry-8.0.py", "poems",
           (ERR, "The poem download failed: " + REFUSED), 1, xform=True, lower=True),
    Client("twisted-client/get-poetry.py", "poems",
           (ERR, r"The poem download from {addr} failed: " + REFUSED), 1,
           xform=True, lower=True, ordered=True),
]


# --- servers ---------------------------------------------------------------

class Gate:
    """Opens when every factory of a group has had a client and, if we
    asked for it, once the client has said it got the first chunk from each
    port in `unreported`: then chunks interleave in its output however late
    a busy machine lets it read."""

    def __init__(self, size):
        self.size = size
        self.arrived = set()
        self.held = []
        self.unreported = set()

    def arrive(self, factory):
        self.arrived.add(factory)
        self.held.append(factory)
        self.maybe_open()

    def reported(self, ports):
        self.unreported -= set(ports)
        self.maybe_open()

    def maybe_open(self):
        if self.open:
            held, self.held = self.held, []
            for f in held:
                f.start_ticking()

    @property
    def open(self):
        return len(self.arrived) == self.size and not self.unreported


class PacedProtocol(slow.PoetryProtocol):
    """The slow server's protocol, noting when its client connected and
    when the last chunk went out: the server's actual schedule."""

    started = finished = None

    def connectionMade(self):
        self.started = reactor.seconds()
        slow.PoetryProtocol.connectionMade(self)

    def send_chunk(self, count=1):
        slow.PoetryProtocol.send_chunk(self, count)
        if self.finished is None and self.offset >= len(self.factory.poem):
            self.finished = reactor.seconds()
            self.factory.spans.append((self.started, self.finished))


class PacedFactory(slow.PoetryFactory):
    """The slow server of Part 11 (its own code), optionally gated: the
    first chunk goes out on connect, the rest only once the gate is open.
    `spans` holds (connected, last chunk sent) for each finished client."""

    protocol = PacedProtocol
    gate = None

    def __init__(self, *args, **kwargs):
        slow.PoetryFactory.__init__(self, *args, **kwargs)
        self.spans = []

    def ensure_ticking(self):
        if self.gate is None or self.gate.open:
            self.start_ticking()
        else:
            self.gate.arrive(self)

    def start_ticking(self):
        slow.PoetryFactory.ensure_ticking(self)

    def drop_all(self):
        for client in list(self.clients):
            client.transport.abortConnection()
        return defer.succeed(None)


def paced_group(testcase, poems=POEMS, gated=True, num_bytes=NUM_BYTES, delay=DELAY,
                factories=None):
    """Listen with one paced server per poem; returns [(port, poem bytes)]
    (and appends the factories to `factories` if given)."""
    gate = Gate(len(poems)) if gated else None
    group = []
    for name in poems:
        data = poem_bytes(name)
        factory = PacedFactory(data, num_bytes, delay)
        factory.gate = gate
        if factories is not None:
            factories.append(factory)
        group.append((serve(testcase, factory), data))
    return group


def transform_port(testcase):
    """The transform server of Part 12, in this process."""
    factory = xform_server.TransformFactory(xform_server.TransformService())
    return listen(testcase, factory)


def start_services(testcase, top):
    """Start a service tree in this process, as twistd would, and stop it at
    cleanup; returns the port its TCPServer got (the tree asks for port 0)."""
    top.startService()
    testcase.addCleanup(top.stopService)
    tcp = [s for s in top if isinstance(s, internet.TCPServer)]
    # TCPServer has no public getter for the port it bound.
    return tcp[0]._port.getHost().port


def tac_port(testcase, poem):
    """fastpoetry-2.0.tac's application, configured through its environment
    variables as the tac documents."""
    saved = {k: os.environ.get(k) for k in ("FASTPOETRY_PORT", "FASTPOETRY_POEM")}
    os.environ.update(FASTPOETRY_PORT="0", FASTPOETRY_POEM=path(f"poetry/{poem}"))
    try:
        tac = runpy.run_path(path("twisted-server/fastpoetry-2.0.tac"))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key)
            else:
                os.environ[key] = value
    return start_services(testcase, tac["top_service"])


def plugin_port(testcase, poem):
    """The fastpoetry twistd plugin's service, from its own options."""
    options = fast_plugin.Options()
    options.parseOptions(["--port", "0", "--poem", path(f"poetry/{poem}")])
    return start_services(testcase, fast_plugin.service_maker.makeService(options))


@defer.inlineCallbacks
def start_peers(testcase):
    """Every server version, each serving its own poem; fires with
    ([(port, poem bytes)], the blocking server's process)."""
    fast = listen(testcase, fast_server.PoetryFactory(poem_bytes("fascination.txt")))
    tslow = PacedFactory(poem_bytes("ecstasy.txt"), 1000, 0.02)
    bslow = yield start_script(testcase, "blocking-server/slowpoetry.py",
                               "--num-bytes", BSLOW_BYTES, "--delay", "0.005",
                               "poetry/science.txt")
    peers = [(fast, poem_bytes("fascination.txt")),
             (tac_port(testcase, "science.txt"), poem_bytes("science.txt")),
             (plugin_port(testcase, "alla-sera.txt"), poem_bytes("alla-sera.txt")),
             (serve(testcase, tslow), poem_bytes("ecstasy.txt")),
             (bslow.port, poem_bytes("science.txt"))]
    for proxy in proxies:
        quiet(testcase, proxy)
        factory = proxy.PoetryProxyFactory(proxy.ProxyService("127.0.0.1", fast))
        peers.append((listen(testcase, factory), poem_bytes("fascination.txt")))
    return peers, bslow


def quiet(testcase, module):
    """The proxies print a line per request ("Using cached poem."); in this
    process that would go to the test runner's output, so keep it in a list
    for the length of the test."""
    said = []
    module.print = lambda *args, **kwargs: said.append(" ".join(map(str, args)))
    testcase.addCleanup(delattr, module, "print")
    return said


# --- running a client ------------------------------------------------------

def run_client(client, ports, xform=None):
    args = ([xform] if client.xform else []) + list(ports)
    return run_script(client.rel, *args, env=client.env, timeout=RUN_TIMEOUT)


class Collector(protocol.ProcessProtocol):
    """A child whose stdout/stderr we keep, with an `ended` Deferred;
    `on_out` (if given) sees stdout so far each time more arrives."""

    def __init__(self, on_out=None):
        self.out = b""
        self.err = b""
        self.ended = defer.Deferred()
        self.status = None
        self.on_out = on_out

    def outReceived(self, data):
        self.out += data
        if self.on_out:
            self.on_out(self.out)

    def errReceived(self, data):
        self.err += data

    def processEnded(self, reason):
        self.status = reason.value.exitCode
        self.ended.callback(self.status)


def spawn_client(testcase, client, ports, xform=None, on_out=None):
    """Start a client; returns its Collector and process transport. The
    process is killed at cleanup if it is still running."""
    args = ([xform] if client.xform else []) + list(ports)
    proc = Collector(on_out)
    transport = reactor.spawnProcess(
        proc, PYTHON, [PYTHON, *WARNFLAGS, path(client.rel), *map(str, args)],
        env=child_env(client.env), path=path("."))

    def stop():
        if proc.status is None:
            transport.signalProcess("KILL")
            return proc.ended

    testcase.addCleanup(stop)
    return proc, transport


def output_of(client, proc):
    """Fires with (stdout, stderr, exit code) once the client has exited."""
    d = with_timeout(proc.ended, RUN_TIMEOUT, f"{client.rel} exit")
    return d.addCallback(lambda code: (proc.out, proc.err, code))


def chunk_ports(out):
    """The ports a counts client has reported a chunk from, so far (whole
    lines only: a port number may be cut in two)."""
    lines = out[:out.rfind(b"\n") + 1].decode("utf-8", "replace").splitlines()
    return {int(m.group(3) or m.group(4))
            for m in map(LINE_RES["chunk"].fullmatch, lines) if m}


# --- checking the output ---------------------------------------------------

ADDR = r"(?:[\w.:-]+:(\d+)|IPv4Address\(type='TCP', host='[\d.]+', port=(\d+)\))"
LINE_RES = {
    "chunk": re.compile(rf"Task (\d+): got (\d+) bytes of poetry from {ADDR}(?: in \S+)?"),
    "get": re.compile(rf"Task (\d+): get poetry from: {ADDR}"),
    "finished": re.compile(r"Task (\d+) finished"),
    "total": re.compile(r"Task (\d+): (\d+) (bytes|characters) of poetry"),
    "got": re.compile(r"Got (\d+) poems in (\d+):(\d\d):(\d\d(?:\.\d+)?)"),
}


def failure_re(client, dead, servers):
    """The failure line for the dead port, which comes after the servers."""
    stream, pattern = client.failure
    return stream, re.compile(pattern.format(
        task=len(servers) + 1, addr=re.escape(f"127.0.0.1:{dead}"),
        peer=re.escape(f"IPv4Address(type='TCP', host='127.0.0.1', port={dead})")))


def text_of(data, lower):
    text = data.decode("utf-8")
    return text.lower() if lower else text


class Result:
    """What one client run printed, split into lines."""

    def __init__(self, client, out, err, code):
        self.client = client
        self.out = out.decode("utf-8")
        self.err = err.decode("utf-8")
        self.code = code

    def fail(self, message):
        raise AssertionError(
            f"{self.client.rel}: {message}\n--- exit {self.code}\n--- stdout:\n{self.out}"
            f"--- stderr:\n{self.err}")


def seconds(match):
    h, m, s = match.group(2, 3, 4)
    return int(h) * 3600 + int(m) * 60 + float(s)


def check_counts(r, servers, dead):
    """Per-task lines: chunks add up to each server's exact poem size."""
    by_port = dict(servers)
    task_port, task_bytes, totals, chunks, got = {}, {}, {}, [], None
    fail_stream, fail_re = failure_re(r.client, dead, servers) if dead else (None, None)
    failures = 0
    for line in r.out.splitlines():
        kind, m = next(((k, rx.fullmatch(line)) for k, rx in LINE_RES.items()
                        if rx.fullmatch(line)), (None, None))
        if kind == "chunk":
            t, n = int(m.group(1)), int(m.group(2))
            port = int(m.group(3) or m.group(4))
            if task_port.setdefault(t, port) != port:
                r.fail(f"task {t} got data from two servers")
            task_bytes[t] = task_bytes.get(t, 0) + n
            chunks.append(t)
        elif kind == "total":
            totals[int(m.group(1))] = (int(m.group(2)), m.group(3))
        elif kind == "got":
            got = m
        elif kind in ("get", "finished"):
            pass
        elif fail_stream == OUT and fail_re.fullmatch(line):
            failures += 1
        else:
            r.fail(f"unexpected line {line!r}")
    if sorted(task_port.values()) != sorted(by_port):
        r.fail(f"served ports {sorted(task_port.values())}, expected {sorted(by_port)}")
    for t, port in task_port.items():
        poem = by_port[port]
        if task_bytes[t] != len(poem):
            r.fail(f"task {t} got {task_bytes[t]} bytes from port {port}, expected {len(poem)}")
        if r.client.style == "counts" and r.client.rel != "blocking-client/get-poetry.py":
            size = len(poem) if r.client.unit == "bytes" else len(poem.decode("utf-8"))
            if totals.get(t) != (size, r.client.unit):
                r.fail(f"task {t} summary {totals.get(t)}, expected {(size, r.client.unit)}")
    if got is None or int(got.group(1)) != len(servers):
        r.fail(f"no 'Got {len(servers)} poems in ...' line")
    if fail_stream == OUT and failures != 1:
        r.fail("no failure line on stdout")
    check_chunks(r, chunks, servers)
    return seconds(got)


def check_chunks(r, chunks, servers):
    # Every run has paced servers among its own, so chunks can interleave.
    if r.client.chunks == "interleaved":
        # Some task's chunks must have another task's chunk between them.
        spans = {t: (chunks.index(t), len(chunks) - 1 - chunks[::-1].index(t))
                 for t in set(chunks)}
        if not any(a < chunks.index(u) < b for t, (a, b) in spans.items()
                   for u in spans if u != t):
            r.fail(f"chunks did not interleave: {chunks}")
    elif r.client.chunks == "whole":
        # doRead blocks until the end of the poem: one line per task.
        if len(set(chunks)) != len(chunks) or len(chunks) != len(servers):
            r.fail(f"expected one whole poem per task: {chunks}")


def check_poems(r, servers, dead):
    """stdout is exactly the poems (in some order, or argument order)."""
    texts = [text_of(data, r.client.lower) + "\n" for _, data in servers]
    out = r.out
    if dead and r.client.failure != HANGS and r.client.failure[0] == OUT:
        _, rx = failure_re(r.client, dead, servers)
        lines = out.splitlines(keepends=True)
        kept = [line for line in lines if not rx.fullmatch(line.rstrip("\n"))]
        if len(lines) - len(kept) != 1:
            r.fail("no failure line on stdout")
        out = "".join(kept)
    if r.client.ordered:
        exact = out == "".join(texts)
    else:
        exact = concatenation(out, texts)
    if not exact:
        r.fail("stdout is not exactly the poems" + (" in argument order" if r.client.ordered
                                                     else ""))


def concatenation(out, texts):
    """Whether `out` is exactly the texts one after another, in some order.
    (Trying every order is 11! joins; this follows the only prefixes that
    fit, backing up if two texts could both start at the same place.)"""
    if not texts:
        return out == ""
    return any(out.startswith(text) and concatenation(out[len(text):], texts[:i] + texts[i + 1:])
               for i, text in enumerate(texts) if text not in texts[:i])


def check_stderr(r, servers, dead):
    """stderr: the one failure line (if any), plus the stacks we asked for."""
    lines = r.err.splitlines()
    if r.client.stack:
        name, times = r.client.stack
        times = len(servers) if times == "per poem" else times
        frames = sum(1 for line in lines if line.strip().startswith("File ")
                     and line.endswith(f"in {name}"))
        if frames != times or not any("reactor.run()" in line for line in lines):
            r.fail(f"expected {times} stack(s) ending in {name}, from reactor.run()")
        lines = [line for line in lines if not line.startswith(" ")]
    expected = 0
    if dead and r.client.failure[0] == ERR:
        _, rx = failure_re(r.client, dead, servers)
        expected = 1
        if sum(1 for line in lines if rx.match(line)) != 1:
            r.fail("no failure line on stderr")
    if len(lines) != expected:
        r.fail(f"unexpected stderr lines: {lines}")


def check(client, out, err, code, servers, dead=None):
    r = Result(client, out, err, code)
    want = client.code if dead else 0
    if code != want:
        r.fail(f"exit status {code}, expected {want}")
    if "Traceback" in r.err or "b'" in r.out:
        r.fail("a traceback or a bytes repr")
    if client.style == "counts":
        elapsed = check_counts(r, servers, dead)
    else:
        check_poems(r, servers, dead)
        elapsed = None
    check_stderr(r, servers, dead)
    return elapsed


def check_each(runs, outputs):
    """runs: [(client, servers, dead)], outputs: [(out, err, code)]. Check
    every run; returns the failure reports (empty if all is well)."""
    problems = []
    for (client, servers, dead), (out, err, code) in zip(runs, outputs):
        try:
            check(client, out, err, code, servers, dead)
        except AssertionError as e:
            problems.append(str(e))
    return problems


def report(problems):
    if problems:
        raise AssertionError(f"{len(problems)} client(s) failed:\n\n" + "\n\n".join(problems))


def sent_bytes(server):
    """What the blocking server says it has sent so far, in bytes."""
    return sum(int(n) for n in re.findall(rb"Sending (\d+) bytes", server.output))


# --- the tests -------------------------------------------------------------

class SpecTest(TestCase):
    """Every client in the table, each run once against its own paced
    servers, every peer server version and a port where nothing listens,
    all at once."""

    @defer.inlineCallbacks
    def test_every_client_every_server_and_a_dead_port(self):
        xform = transform_port(self)
        peers, bslow = yield start_peers(self)
        # The blocking server serves one client at a time and says what it
        # sends; note when it has sent every client its poem.
        everyone = len(CLIENTS) * len(poem_bytes("science.txt"))
        bslow_done = support.poll(lambda: sent_bytes(bslow) == everyone, timeout=RUN_TIMEOUT,
                                  what="the blocking server serving every client")
        bslow_done.addCallback(lambda _: reactor.seconds())
        # If a client fails first, stop waiting at cleanup.
        bslow_done.addErrback(lambda f: f.trap(defer.CancelledError))
        self.addCleanup(bslow_done.cancel)
        dead = free_port()
        runs, outputs, hung = [], [], []
        for client in CLIENTS:
            factories = []
            paced = paced_group(self, gated=client.concurrent, factories=factories)
            servers = paced + peers
            ports = [p for p, _ in servers] + [dead]
            on_out = None
            if client.chunks == "interleaved":
                gate = factories[0].gate
                gate.unreported = {p for p, _ in paced}
                on_out = lambda out, gate=gate: gate.reported(chunk_ports(out))
            proc, transport = spawn_client(self, client, ports, xform, on_out)
            if client.failure == HANGS:
                hung.append((client, (proc, transport), servers, factories))
            else:
                runs.append((client, servers, dead))
                outputs.append(output_of(client, proc))
        outputs = yield defer.gatherResults(outputs, consumeErrors=True)
        problems = check_each(runs, outputs)
        try:
            bslow_end = yield bslow_done
        except AssertionError as e:
            report(problems + [str(e)])
        for client, (proc, transport), servers, factories in hung:
            problems += (yield self.client_hangs_on_dead_server(
                client, proc, transport, servers, factories, bslow_end))
        report(problems)

    @defer.inlineCallbacks
    def client_hangs_on_dead_server(self, client, proc, transport, servers, factories,
                                    bslow_end):
        """3.0 has no errback: with a dead server it waits for ever. Once
        every live server has sent everything, it is still running and has
        printed nothing; SIGTERM stops the reactor and it prints the poems
        it got. Returns the failure reports."""
        # Its paced servers note when they finished, and we know when the
        # blocking server had served everyone; the other peers answer at
        # once, and have served every other client (all exited) by now.
        try:
            yield support.poll(lambda: all(f.spans for f in factories),
                               what=f"the paced servers of {client.rel} finishing")
        except AssertionError as e:
            return [f"{client.rel}: {e}"]
        ends = [bslow_end] + [end for f in factories for _, end in f.spans]
        # Give it time to do the wrong thing (finish) if it were going to.
        grace = max(ends) + 0.3 - reactor.seconds()
        if grace > 0:
            yield task.deferLater(reactor, grace, lambda: None)
        hanging = proc.status is None and not proc.out and not proc.err
        if proc.status is None:
            transport.signalProcess("TERM")
        code = yield with_timeout(proc.ended, 10, f"{client.rel} exit")
        if not hanging:
            return [f"{client.rel}: expected it to hang, with nothing printed; exit {code}"
                    f"\n--- stdout:\n{proc.out.decode()}--- stderr:\n{proc.err.decode()}"]
        return check_each([(client, servers, None)], [(proc.out, proc.err, code)])


class ConcurrencyTest(TestCase):
    """The time each client reports for three paced servers: the async ones
    take about as long as the slowest server, the blocking one the sum.
    Each client has its own three servers, so the servers' own record of
    when each connection started and got its last chunk is a lower bound
    for the client's time however busy the machine is (a client connects
    before the server sees it, and finishes after the last chunk)."""

    @defer.inlineCallbacks
    def test_async_clients_take_the_slowest_blocking_takes_the_sum(self):
        # Ticks long enough that start-up jitter on a busy machine stays small
        # next to them.
        num_bytes, delay = 100, 0.1
        names = ["blocking-client", "async-client", "get-poetry-1.0.py",
                 "get-poetry-1.0-broken.py", "get-poetry-2.0.py"]
        clients = [c for c in CLIENTS if c.name in names]
        groups, runs = [], []
        for client in clients:
            factories = []
            servers = paced_group(self, gated=False, num_bytes=num_bytes, delay=delay,
                                  factories=factories)
            groups.append((servers, factories))
            runs.append(run_client(client, [p for p, _ in servers]))
        outputs = yield defer.gatherResults(runs)
        took, spans = {}, {}
        for client, (servers, factories), output in zip(clients, groups, outputs):
            took[client.name] = check(client, *output, servers)
            spans[client.name] = sorted(s for f in factories for s in f.spans)
            # Each server kept to its schedule: K chunks take (K - 1) ticks.
            for (_, data), f in zip(servers, factories):
                (begin, end), = f.spans
                self.assertGreaterEqual(end - begin, 0.95 * (-(-len(data) // num_bytes) - 1)
                                        * delay, client.name)
        # The blocking client's connections came one after another, and
        # it took at least as long as all of them.
        blocking = took.pop("blocking-client")
        serial = spans.pop("blocking-client")
        for (_, end), (begin, _) in zip(serial, serial[1:]):
            self.assertGreaterEqual(begin, end, f"blocking client connections {serial}")
        self.assertGreater(blocking, 0.95 * sum(end - begin for begin, end in serial), took)
        for name, t in took.items():
            # Connected to all three at once, and at least as long as the
            # slowest server took.
            group = spans[name]
            self.assertLess(max(b for b, _ in group), min(e for _, e in group),
                            f"{name} connections {group}")
            self.assertGreater(t, 0.95 * max(e - b for b, e in group), f"{name} took {t}s")
            if name != "get-poetry-1.0-broken.py":
                self.assertLess(t, 0.6 * blocking, f"{name} took {t}s, blocking {blocking}s")
        # 1.0-broken reads one poem at a time (checked by its chunk lines),
        # but the servers keep writing into the socket buffers meanwhile, so
        # on poems this small it finishes with the slowest server.


class RandomCummingsifyTest(TestCase):
    """5.0 and 5.1 pick a branch at random; CUMMINGSIFY_SEED makes the
    choice repeatable, so one run of each with the same poem from three
    servers takes every branch (CUMMINGSIFY_FORCE=success, the other knob,
    is what the spec uses)."""

    @defer.inlineCallbacks
    def test_each_branch(self):
        data = poem_bytes("science.txt")
        text = data.decode("utf-8")
        port = serve(self, support.TestServerFactory(poem=data))
        expected = {
            "success": (text.lower() + "\n", ""),
            "gibberish": ("", "The poem download failed.\n"),
            "bug": (text + "\n", "Cummingsify failed!\n"),
        }

        def picks(seed):
            # The scripts call random.choice once per poem over the three
            # branches, in this order, after random.seed(seed).
            rng = random.Random(seed)
            return [rng.choice(list(expected)) for _ in range(3)]

        seed = next(s for s in itertools.count() if sorted(picks(s)) == sorted(expected))
        rels = ("twisted-client/get-poetry-5.0.py", "twisted-client/get-poetry-5.1.py")
        outputs = yield defer.gatherResults([
            run_script(rel, port, port, port, timeout=RUN_TIMEOUT,
                       env={"CUMMINGSIFY_SEED": str(seed)}) for rel in rels])
        for rel, (out, err, code) in zip(rels, outputs):
            out, err = out.decode("utf-8"), err.decode("utf-8")
            self.assertEqual(code, 0, rel)
            # The poems arrive in any order, and each takes the next pick:
            # stdout is the success and the bug poems, stderr one line each
            # for gibberish and bug.
            self.assertIn(out, ["".join(expected[b][0] for b in order)
                                for order in itertools.permutations(["success", "bug"])],
                          rel)
            self.assertEqual(sorted(err.splitlines(keepends=True)),
                             sorted(expected[b][1] for b in ("gibberish", "bug")), rel)
