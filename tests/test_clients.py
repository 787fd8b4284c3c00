"""One spec for every poetry client, from the blocking client of Part 2 to
today's client.

The table CLIENTS says, in one line per client, what that client prints:
per-task byte counts ("counts") or the poems themselves ("poems"), whether
it talks to a transform server first, what it says about a server where
nothing listens, and its exit status then. The spec runs every client
against its own group of paced poetry servers plus one dead port, and
checks the output line by line against the exact poem bytes.

Speed: client processes are the expensive part (about 0.2 s of CPU each),
so each test starts all its clients at once and then checks each result,
naming the client in any failure. Servers that are not under test run in
this process, built from the servers' own modules; the peers test starts
every server version as a real process once and runs every client
against all of them together.

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

from twisted.internet import defer, protocol, reactor, task
from twisted.trial.unittest import TestCase

from tests import support
from tests.support import (
    PYTHON, WARNFLAGS, child_env, free_port, listen, load_script, path, poem_bytes,
    run_script, serve, start, start_script, twistd_argv, with_timeout,
)

slow = load_script("twisted-server/slowpoetry.py")
xform_server = load_script("twisted-server/transformedpoetry-1.0.py")

POEMS = ("fascination.txt", "science.txt", "alla-sera.txt")
NUM_BYTES = 200
DELAY = 0.03
RUN_TIMEOUT = 20

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
FAILED_TASK = (ERR, r"Task 4: failed to connect to {addr}: Connection refused")
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
    """Opens when every factory of a group has had a client."""

    def __init__(self, size):
        self.size = size
        self.arrived = set()
        self.held = []

    def arrive(self, factory):
        self.arrived.add(factory)
        self.held.append(factory)
        if len(self.arrived) == self.size:
            held, self.held = self.held, []
            for f in held:
                f.start_ticking()

    @property
    def open(self):
        return len(self.arrived) == self.size


class PacedFactory(slow.PoetryFactory):
    """The slow server of Part 11 (its own code), optionally gated: the
    first chunk goes out on connect, the rest only once the gate is open."""

    gate = None

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


# --- running a client ------------------------------------------------------

def run_client(client, ports, xform=None, env=None):
    args = ([xform] if client.xform else []) + list(ports)
    return run_script(client.rel, *args, env={**client.env, **(env or {})},
                      timeout=RUN_TIMEOUT)


class Collector(protocol.ProcessProtocol):
    """A child whose stdout/stderr we keep, with an `ended` Deferred."""

    def __init__(self):
        self.out = b""
        self.err = b""
        self.ended = defer.Deferred()
        self.status = None

    def outReceived(self, data):
        self.out += data

    def errReceived(self, data):
        self.err += data

    def processEnded(self, reason):
        self.status = reason.value.exitCode
        self.ended.callback(self.status)


def spawn_client(testcase, client, ports):
    proc = Collector()
    transport = reactor.spawnProcess(
        proc, PYTHON, [PYTHON, *WARNFLAGS, path(client.rel), *map(str, ports)],
        env=child_env(client.env), path=path("."))

    def stop():
        if proc.status is None:
            transport.signalProcess("KILL")
            return proc.ended

    testcase.addCleanup(stop)
    return proc, transport


# --- checking the output ---------------------------------------------------

ADDR = r"(?:[\w.:-]+:(\d+)|IPv4Address\(type='TCP', host='[\d.]+', port=(\d+)\))"
LINE_RES = {
    "chunk": re.compile(rf"Task (\d+): got (\d+) bytes of poetry from {ADDR}(?: in \S+)?"),
    "get": re.compile(rf"Task (\d+): get poetry from: {ADDR}"),
    "finished": re.compile(r"Task (\d+) finished"),
    "total": re.compile(r"Task (\d+): (\d+) (bytes|characters) of poetry"),
    "got": re.compile(r"Got (\d+) poems in (\d+):(\d\d):(\d\d(?:\.\d+)?)"),
}


def failure_re(client, dead):
    stream, pattern = client.failure
    return stream, re.compile(pattern.format(
        addr=re.escape(f"127.0.0.1:{dead}"),
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


def check_counts(r, servers, dead, paced):
    """Per-task lines: chunks add up to each server's exact poem size."""
    by_port = dict(servers)
    task_port, task_bytes, totals, chunks, got = {}, {}, {}, [], None
    fail_stream, fail_re = failure_re(r.client, dead) if dead else (None, None)
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
    check_chunks(r, chunks, servers, paced)
    return seconds(got)


def check_chunks(r, chunks, servers, paced):
    if r.client.chunks == "interleaved" and paced:
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
        _, rx = failure_re(r.client, dead)
        lines = out.splitlines(keepends=True)
        kept = [line for line in lines if not rx.fullmatch(line.rstrip("\n"))]
        if len(lines) - len(kept) != 1:
            r.fail("no failure line on stdout")
        out = "".join(kept)
    orders = [texts] if r.client.ordered else itertools.permutations(texts)
    if not any(out == "".join(order) for order in orders):
        r.fail("stdout is not exactly the poems" + (" in argument order" if r.client.ordered
                                                     else ""))


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
        _, rx = failure_re(r.client, dead)
        expected = 1
        if sum(1 for line in lines if rx.match(line)) != 1:
            r.fail("no failure line on stderr")
    if len(lines) != expected:
        r.fail(f"unexpected stderr lines: {lines}")


def check(client, out, err, code, servers, dead=None, paced=True):
    r = Result(client, out, err, code)
    want = client.code if dead else 0
    if code != want:
        r.fail(f"exit status {code}, expected {want}")
    if "Traceback" in r.err or "b'" in r.out:
        r.fail("a traceback or a bytes repr")
    if client.style == "counts":
        elapsed = check_counts(r, servers, dead, paced)
    else:
        check_poems(r, servers, dead)
        elapsed = None
    check_stderr(r, servers, dead)
    return elapsed


@defer.inlineCallbacks
def check_all(runs, paced=True):
    """runs: [(client, Deferred of (out, err, code), servers, dead)].
    Wait for all, then check each; report every failing client at once.
    Chunks must interleave only where the servers are paced."""
    outputs = yield defer.gatherResults([d for _, d, _, _ in runs], consumeErrors=True)
    problems = []
    for (client, _, servers, dead), (out, err, code) in zip(runs, outputs):
        try:
            check(client, out, err, code, servers, dead, paced)
        except AssertionError as e:
            problems.append(str(e))
    if problems:
        raise AssertionError(f"{len(problems)} client(s) failed:\n\n" + "\n\n".join(problems))


# --- the tests -------------------------------------------------------------

class SpecTest(TestCase):
    """Every client in the table, against its own paced servers and a port
    where nothing listens, all at once."""

    @defer.inlineCallbacks
    def test_every_client_gets_every_poem_and_reports_the_dead_server(self):
        xform = transform_port(self)
        dead = free_port()
        runs = []
        for client in CLIENTS:
            if client.failure == HANGS:
                continue
            servers = paced_group(self, gated=client.concurrent)
            ports = [p for p, _ in servers] + [dead]
            runs.append((client, run_client(client, ports, xform), servers, dead))
        hang = self.client_hangs_on_dead_server([c for c in CLIENTS if c.failure == HANGS])
        yield check_all(runs)
        yield hang

    @defer.inlineCallbacks
    def client_hangs_on_dead_server(self, clients):
        """3.0 has no errback: with a dead server it waits for ever. Once
        the live servers have sent everything, it is still running and has
        printed nothing; SIGTERM stops the reactor and it prints the poems
        it got."""
        for client in clients:
            factories = []
            servers = paced_group(self, factories=factories)
            proc, transport = spawn_client(self, client, [p for p, _ in servers] + [free_port()])
            gate = factories[0].gate
            # Poll (bounded) until every live server has sent its whole poem.
            for _ in range(200):
                if proc.status is not None or (
                        gate.open and not any(f.clients for f in factories)):
                    break
                yield task.deferLater(reactor, 0.05, lambda: None)
            # Give it time to do the wrong thing (finish) if it were going to.
            yield task.deferLater(reactor, 0.3, lambda: None)
            r = Result(client, proc.out, proc.err, proc.status)
            if proc.status is not None or proc.out or proc.err:
                r.fail("expected it to hang, with nothing printed")
            transport.signalProcess("TERM")
            code = yield with_timeout(proc.ended, 10, f"{client.rel} exit")
            check(client, proc.out, proc.err, code, servers)


class ConcurrencyTest(TestCase):
    """The time each client reports for three paced servers: the async ones
    take about as long as the slowest server, the blocking one the sum."""

    @defer.inlineCallbacks
    def test_async_clients_take_the_slowest_blocking_takes_the_sum(self):
        # Ticks long enough that start-up jitter on a busy machine stays small
        # next to them.
        num_bytes, delay = 100, 0.1
        servers = paced_group(self, gated=False, num_bytes=num_bytes, delay=delay)
        ports = [p for p, _ in servers]
        # The least time each server needs: the first chunk goes out at once
        # and the rest on the server's shared ticks, which a later client
        # may join up to one tick early.
        paces = [(-(-len(data) // num_bytes) - 2) * delay for _, data in servers]
        names = ["blocking-client", "async-client", "get-poetry-1.0.py",
                 "get-poetry-1.0-broken.py", "get-poetry-2.0.py"]
        clients = [c for c in CLIENTS if c.name in names]
        outputs = yield defer.gatherResults([run_client(c, ports) for c in clients])
        took = {c.name: check(c, *o, servers) for c, o in zip(clients, outputs)}
        blocking = took.pop("blocking-client")
        self.assertGreater(blocking, 0.9 * sum(paces), took)
        broken = took.pop("get-poetry-1.0-broken.py")
        for name, t in took.items():
            self.assertGreater(t, 0.9 * max(paces), name)
            self.assertLess(t, 0.6 * blocking, f"{name} took {t}s, blocking {blocking}s")
        # 1.0-broken reads one poem at a time (checked by its chunk lines),
        # but the servers keep writing into the socket buffers meanwhile, so
        # on poems this small it finishes with the slowest server.
        self.assertGreater(broken, 0.9 * max(paces))


class RandomCummingsifyTest(TestCase):
    """5.0 and 5.1 pick a branch at random; CUMMINGSIFY_FORCE picks one,
    CUMMINGSIFY_SEED makes the choice repeatable."""

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
        seed = 2026
        rng = random.Random(seed)
        picks = [rng.choice(list(expected)) for _ in range(3)]
        runs = []
        for rel in ("twisted-client/get-poetry-5.0.py", "twisted-client/get-poetry-5.1.py"):
            for branch in expected:
                runs.append((rel, branch, run_script(rel, port, timeout=RUN_TIMEOUT,
                                                     env={"CUMMINGSIFY_FORCE": branch})))
            runs.append((rel, "seed", run_script(rel, port, port, port, timeout=RUN_TIMEOUT,
                                                 env={"CUMMINGSIFY_SEED": str(seed)})))
        outputs = yield defer.gatherResults([d for _, _, d in runs])
        for (rel, branch, _), (out, err, code) in zip(runs, outputs):
            out, err = out.decode("utf-8"), err.decode("utf-8")
            self.assertEqual(code, 0, (rel, branch))
            if branch == "seed":
                # Same poem thrice, so only how many of each branch matters.
                want_out = sorted(expected[p][0] for p in picks if expected[p][0])
                got = [text.lower() + "\n"] * out.count(text.lower()) + \
                      [text + "\n"] * out.count(text)
                self.assertEqual(sorted(got), want_out, (rel, out))
                self.assertEqual(sorted(err.splitlines(keepends=True)),
                                 sorted(expected[p][1] for p in picks if expected[p][1]), rel)
            else:
                self.assertEqual((out, err), expected[branch], (rel, branch))


class PeersTest(TestCase):
    """Every client against every server version, each started once as a
    real process: fast poetry 1.0, the tac and the plugin under twistd, the
    three caching proxies, and both slow servers."""

    @defer.inlineCallbacks
    def test_every_client_against_every_server(self):
        starting = "starting on (\\d+)".encode()
        twistd_env = {"FASTPOETRY_PORT": "0", "FASTPOETRY_POEM": "poetry/science.txt"}
        fast, tac, plugin, tslow, bslow, xform = yield defer.gatherResults([
            start_script(self, "twisted-server/fastpoetry-1.0.py", "poetry/fascination.txt"),
            start(self, twistd_argv("-n", "--pidfile=", "-l", "-", "-y",
                                    "twisted-server/fastpoetry-2.0.tac"),
                  ready=re.compile(starting), env=twistd_env),
            start(self, twistd_argv("-n", "--pidfile=", "-l", "-", "fastpoetry", "--port", "0",
                                    "--poem", "poetry/alla-sera.txt"),
                  ready=re.compile(starting)),
            start_script(self, "twisted-server/slowpoetry.py", "--num-bytes", "1000",
                         "--delay", "0.02", "poetry/ecstasy.txt"),
            start_script(self, "blocking-server/slowpoetry.py", "--num-bytes", "300",
                         "--delay", "0.005", "poetry/science.txt"),
            start_script(self, "twisted-server/transformedpoetry-1.0.py"),
        ])
        proxies = yield defer.gatherResults([
            start_script(self, f"twisted-server/poetry-proxy-{v}.py", fast.port)
            for v in ("1.0", "2.0", "3.0")
        ])
        servers = [(fast.port, poem_bytes("fascination.txt")),
                   (tac.port, poem_bytes("science.txt")),
                   (plugin.port, poem_bytes("alla-sera.txt")),
                   (tslow.port, poem_bytes("ecstasy.txt")),
                   (bslow.port, poem_bytes("science.txt"))]
        servers += [(p.port, poem_bytes("fascination.txt")) for p in proxies]
        ports = [p for p, _ in servers]
        yield check_all([(c, run_client(c, ports, xform.port), servers, None)
                         for c in CLIENTS], paced=False)
