"""One spec for every poetry client, from the blocking client of Part 2 to
today's client: ClientSpec, run once per row of CLIENTS as its own TestCase
class (Client40Spec, ClientTodaySpec, ...), so one client can be run and
reported on its own:

    trial tests.test_clients.Client40Spec
    python -m pytest -k Client40Spec

A row says what that client prints: per-task byte counts ("counts") or the
poems themselves ("poems"), whether it talks to a transform server first,
what it says about a server where nothing listens and its exit status then,
and what it prints when Ctrl-C stops it in the middle of a download.

test_every_server_and_a_dead_port runs the client once against its own
group of paced poetry servers, every other server version (the peers) and
one dead port, all on one command line, and checks the output line by line
against the exact poem bytes. Servers run in this process, built from the
servers' own modules (the tac and the plugin through their own services);
only the blocking server, which cannot share a reactor, is a real process.
The servers' command lines and twistd runs are tested in test_servers.py
and test_twistd.py.

Interleaving: the paced servers of a "gated" group send the first chunk at
once but hold back the rest until every server of the group has a client.
A client that does not hold all its connections at the same time can
never finish there, so every client except the blocking one proves that
it downloads concurrently just by passing. Clients that print one line per
chunk must also show chunks of different tasks interleaved (1.0-broken must
show the opposite: one whole poem per task, one task after another).

test_ctrl_c_in_the_middle_of_a_download: one server has sent its whole poem
(and seen the client read it and hang up), another has sent a first line and
holds the connection open. SIGINT then, as a reader presses Ctrl-C: the
client prints what its row says, with no traceback.
"""

import itertools
import os
import random
import re
import runpy

from twisted.internet import defer, reactor, threads
from twisted.internet.error import ConnectionRefusedError
from twisted.trial.unittest import TestCase

from tests import support
from tests.support import (
    TestServerFactory, Watched, listen, load_script, patch_env, path, poem_bytes,
    refused_port, run_script, serve, spawn, start_script,
)
from tests.support.spec import VersionSpec

slow = load_script("twisted-server/slowpoetry.py")
xform_server = load_script("twisted-server/transformedpoetry-1.0.py")
fast_server = load_script("twisted-server/fastpoetry-1.0.py")
fast_plugin = load_script("twisted/plugins/fastpoetry_plugin.py")
proxies = [load_script(f"twisted-server/poetry-proxy-{v}.py") for v in ("1.0", "2.0", "3.0")]

POEMS = ("fascination.txt", "science.txt", "alla-sera.txt")
NUM_BYTES = 200
DELAY = 0.01
RUN_TIMEOUT = 20
BSLOW_BYTES = 300

OUT, ERR = "stdout", "stderr"


class Client:
    """One row of the table: how a client behaves and what it prints."""

    def __init__(self, id, rel, style, failure, code=0, *, xform=False, lower=False,
                 chunks=None, unit="bytes", summary=True, env=None, stack=None,
                 ordered=False, concurrent=True, ctrl_c=None, name=None, reader_gone=True):
        self.id = id
        self.rel = rel
        self.name = name or (os.path.basename(rel) if "twisted-client" in rel
                             else rel.split("/")[0])
        self.style = style            # "counts" or "poems"
        self.failure = failure        # (stream, regex with {addr}/{peer}) or HANGS
        self.code = code              # exit status when one server is dead
        self.xform = xform            # first address is a transform server
        self.lower = lower            # poems come out cummingsified
        self.chunks = chunks          # None, "interleaved" or "whole"
        self.unit = unit              # the per-task summary: bytes or characters
        self.summary = summary        # counts: prints "Task N: SIZE UNIT of poetry"
        self.env = env or {}
        self.stack = stack            # (function name in the stack, times printed)
        self.ordered = ordered        # poems printed in argument order
        self.concurrent = concurrent  # can run against a gated group
        self.ctrl_c = ctrl_c          # what Ctrl-C mid-download prints (see CtrlC)
        self.reader_gone = reader_gone  # stdout's reader leaving ends it as usual


class CtrlC:
    """What a client prints when SIGINT stops it with poem A complete and
    poem B cut after its first line: `out` and `err` are regexes matched
    against the whole of stdout and stderr, with {A} (A's poem, as the
    client prints it), {B} (B's first line) and {b_addr} (B's address)."""

    def __init__(self, out, err="", code=0):
        self.out, self.err, self.code = out, err, code


HANGS = "hangs"
REFUSED = r"Connection was refused by other side"
FAILED_TASK = (ERR, r"Task {task}: failed to connect to {addr}: Connection refused")
FAILED_2 = (OUT, r"Failed to connect to: {peer}")
FORCE_SUCCESS = {"CUMMINGSIFY_FORCE": "success"}
CLOSED = r"Connection was closed cleanly\."
LOST = r"Connection to the other side was lost in a non-clean fashion: Connection lost\."

# What Ctrl-C prints with poem A in and B's connection open, by kind of
# client. The counting clients report B as a poem of 0 bytes; the callback
# clients up to 5.1 get B as an empty poem and print it (a blank line); 6.0
# to 8.0 print A as soon as it is transformed, and B's empty poem never
# reaches the transform server, which has stopped with the reactor.
CTRL_C_1 = CtrlC(r"(?:Task 1: got \d+ bytes of poetry from {a_addr}\n)+"
                 r"Task 1 finished\n"
                 r"Task 1: {a_len} bytes of poetry\n"
                 r"Task 2: 0 bytes of poetry\n"
                 r"Got 2 poems in \d+:\d\d:\d\d\.\d+\n")
# 2.0 numbers tasks in the order the connections are made: A may be 1 or 2.
CTRL_C_2 = CtrlC(r"(?:(?:Task 1: got \d+ bytes of poetry from {a_peer}\n)+"
                 r"Task 1: {a_len} characters of poetry\nTask 2: 0 characters of poetry\n"
                 r"|(?:Task 2: got \d+ bytes of poetry from {a_peer}\n)+"
                 r"Task 1: 0 characters of poetry\nTask 2: {a_len} characters of poetry\n)"
                 r"Got 2 poems in \d+:\d\d:\d\d\.\d+\n")
# The threaded client stops at once, without a summary; A's line may or may
# not be out yet (its thread prints it after hanging up, the moment the test
# presses Ctrl-C).
CTRL_C_THREADED = CtrlC(r"Task 1: get poetry from: {a_addr}\n"
                        r"Task 2: get poetry from: 127\.0\.0\.1:\d+\n"
                        r"(?:Task 1: got {a_len} bytes of poetry from {a_addr} in \S+\n)?",
                        code=130)
CTRL_C_POEMS = CtrlC(r"{A}\n\n")
CTRL_C_TRANSFORMED = CtrlC(r"{A}\n")
# The stack clients print a stack on purpose (frames, no "Traceback").
STACKS = r'(?:  File "[^\n]*", line \d+, in [^\n]+\n    [^\n]*\n)+'


def stacked(ctrl_c):
    return CtrlC(ctrl_c.out, STACKS, ctrl_c.code)


CLIENTS = [
    # The two clients of Part 2 still die with a traceback when stdout's
    # reader goes away (they never hang: a plain loop, no reactor).
    Client("ClientBlocking", "blocking-client/get-poetry.py", "counts", FAILED_TASK, 1,
           concurrent=False, summary=False, reader_gone=False),
    Client("ClientAsync", "async-client/get-poetry.py", "counts", FAILED_TASK, 1,
           chunks="interleaved", reader_gone=False),
    # Its threads end with the blocking client's traceback, too.
    Client("ClientThreaded", "blocking-client/get-poetry-threaded.py", "counts", FAILED_TASK, 1,
           summary=False, name="get-poetry-threaded.py", ctrl_c=CTRL_C_THREADED,
           reader_gone=False),
    Client("Client10", "twisted-client/get-poetry-1.0.py", "counts", FAILED_TASK, 1,
           chunks="interleaved", ctrl_c=CTRL_C_1),
    Client("Client10Broken", "twisted-client/get-poetry-1.0-broken.py", "counts",
           FAILED_TASK, 1, chunks="whole", ctrl_c=CTRL_C_1),
    Client("Client20", "twisted-client/get-poetry-2.0.py", "counts", FAILED_2,
           chunks="interleaved", unit="characters", ctrl_c=CTRL_C_2),
    Client("Client20Stack", "twisted-client/get-poetry-2.0-stack.py", "counts", FAILED_2,
           chunks="interleaved", unit="characters", stack=("dataReceived", 1),
           ctrl_c=stacked(CTRL_C_2)),
    Client("Client21", "twisted-client/get-poetry-2.1.py", "poems", FAILED_2,
           ctrl_c=CTRL_C_POEMS),
    Client("Client30", "twisted-client/get-poetry-3.0.py", "poems", HANGS,
           ctrl_c=CTRL_C_POEMS),
    Client("Client31", "twisted-client/get-poetry-3.1.py", "poems",
           (ERR, "Poem failed: " + REFUSED), ctrl_c=CTRL_C_POEMS),
    Client("Client40", "twisted-client/get-poetry-4.0.py", "poems",
           (ERR, "Poem failed: " + REFUSED), ctrl_c=CTRL_C_POEMS),
    Client("Client40Stack", "twisted-client/get-poetry-4.0-stack.py", "poems",
           (ERR, "Poem failed: " + REFUSED), stack=("got_poem", "per poem"),
           ctrl_c=stacked(CTRL_C_POEMS)),
    Client("Client50", "twisted-client/get-poetry-5.0.py", "poems",
           (ERR, r"The poem download failed\."), lower=True, env=FORCE_SUCCESS,
           ctrl_c=CTRL_C_POEMS),
    Client("Client51", "twisted-client/get-poetry-5.1.py", "poems",
           (ERR, r"The poem download failed\."), lower=True, env=FORCE_SUCCESS,
           ctrl_c=CTRL_C_POEMS),
    Client("Client60", "twisted-client/get-poetry-6.0.py", "poems",
           (ERR, r"The poem download failed\."), 1, xform=True, lower=True,
           ctrl_c=CTRL_C_TRANSFORMED),
    Client("Client70", "twisted-client/get-poetry-7.0.py", "poems",
           (ERR, "The poem download failed: " + REFUSED), 1, xform=True, lower=True,
           ctrl_c=CTRL_C_TRANSFORMED),
    Client("Client80", "twisted-client/get-poetry-8.0.py", "poems",
           (ERR, "The poem download failed: " + REFUSED), 1, xform=True, lower=True,
           ctrl_c=CTRL_C_TRANSFORMED),
    Client("ClientToday", "twisted-client/get-poetry.py", "poems",
           (ERR, r"The poem download from {addr} failed: " + REFUSED), 1,
           xform=True, lower=True, ordered=True),
]
CLIENT = {c.id: c for c in CLIENTS}


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
        return support.abort_all(self.clients)


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
    (port,) = support.listening_ports(top)
    return port


def tac_port(testcase, poem):
    """fastpoetry-2.0.tac's application, configured through its environment
    variables as the tac documents."""
    patch_env(testcase, FASTPOETRY_PORT="0", FASTPOETRY_POEM=path(f"poetry/{poem}"))
    tac = runpy.run_path(path("twisted-server/fastpoetry-2.0.tac"))
    return start_services(testcase, tac["top_service"])


def plugin_port(testcase, poem):
    """The fastpoetry twistd plugin's service, from its own options."""
    options = fast_plugin.Options()
    options.parseOptions(["--port", "0", "--poem", path(f"poetry/{poem}")])
    return start_services(testcase, fast_plugin.service_maker.makeService(options))


@defer.inlineCallbacks
def start_peers(testcase):
    """Every server version, each serving its own poem; fires with
    [(port, poem bytes)]."""
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
    return peers


def quiet(testcase, module):
    """The proxies print a line per request ("Using cached poem."); in this
    process that would go to the test runner's output, so keep it in a list
    for the length of the test."""
    said = []
    module.print = lambda *args, **kwargs: said.append(" ".join(map(str, args)))
    testcase.addCleanup(delattr, module, "print")
    return said


# --- running a client ------------------------------------------------------

def client_argv(client, ports, xform=None):
    args = ([xform] if client.xform else []) + list(ports)
    return support.script_argv(client.rel, *args)


def run_client(client, ports, xform=None):
    return support.run(client_argv(client, ports, xform), env=client.env,
                       timeout=RUN_TIMEOUT)


def spawn_client(testcase, client, ports, xform=None):
    """Start a client; returns its Server (stopped at cleanup)."""
    return spawn(testcase, client_argv(client, ports, xform), env=client.env)


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
        if r.client.style == "counts" and r.client.summary:
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


# --- the tests -------------------------------------------------------------

class InterruptedDownload:
    """Ctrl-C in the middle of a download: mixed into
    the spec's class for every row that says what the client prints then."""

    @defer.inlineCallbacks
    def test_ctrl_c_in_the_middle_of_a_download(self):
        client = self.row
        poem = poem_bytes("science.txt")
        # A sends its whole poem and knows when the client has read it and
        # hung up; B accepts and sends nothing, as proxy 3.0 does while it
        # fetches (the README's Part 19 row).
        a, b = TestServerFactory(poem, close="half"), TestServerFactory(None, close=False)
        a_port, b_port = serve(self, a), serve(self, b)
        waits = [a.next_disconnect(RUN_TIMEOUT), b.next_connection(RUN_TIMEOUT)]
        xform = None
        if client.xform:
            # The transform client hangs up once it has the reply.
            watched = Watched(xform_server.TransformFactory(xform_server.TransformService()))
            xform = serve(self, watched)
            waits.append(watched.next_disconnect(RUN_TIMEOUT))
        proc = spawn_client(self, client, [a_port, b_port], xform)
        yield defer.gatherResults(waits)
        # Poem A is in and B's connection is open: press Ctrl-C.
        proc.signal("INT")
        out, err, code = yield proc.result(RUN_TIMEOUT)
        out, err = out.decode("utf-8"), err.decode("utf-8")
        expected = client.ctrl_c
        fields = {
            "A": re.escape(text_of(poem, client.lower)),
            "a_len": len(poem) if client.unit == "bytes" else len(poem.decode("utf-8")),
            "a_addr": re.escape(f"127.0.0.1:{a_port}"),
            "a_peer": re.escape(f"IPv4Address(type='TCP', host='127.0.0.1', port={a_port})"),
        }
        report = f"\n--- exit {code}\n--- stdout:\n{out}--- stderr:\n{err}"
        self.assertNotIn("Traceback", err, report)
        self.assertNotIn("Unhandled error", err, report)
        self.assertRegex(out, "^" + expected.out.format(**fields) + "$", report)
        self.assertRegex(err, "^" + expected.err.format(**fields) + "$", report)
        self.assertEqual(code, expected.code, report)


class ReaderGone:
    """For the Twisted clients: stdout's reader going away (`... | head -1`)
    ends the run as it would have ended: nothing on stderr (a stack client
    prints its stack), the usual exit status, and never a hang. 2.0, 2.0-stack
    and 2.1 used to hang for ever; the others died with a traceback."""

    @defer.inlineCallbacks
    def test_stdout_reader_gone_ends_the_run_as_usual(self):
        client = self.row
        xform = transform_port(self)
        ports = [p for p, _ in paced_group(self, gated=False)]
        # Bounded by run()'s timeout: a hang fails the test.
        out, err, code = yield support.run(
            support.with_closed_stdout(client_argv(client, ports, xform)), env=client.env,
            timeout=RUN_TIMEOUT)
        self.assertEqual((out, code), (b"", 0), err)
        if client.stack:
            self.assertRegex(err.decode(), f"^{STACKS}$")
        else:
            self.assertEqual(err, b"")


class ClientSpec(VersionSpec):
    """Every client in the table, one TestCase class each."""

    rows = CLIENTS

    @classmethod
    def mixins_for(cls, row):
        return ((InterruptedDownload,) if row.ctrl_c else ()) + \
            ((ReaderGone,) if row.reader_gone else ())

    @defer.inlineCallbacks
    def test_every_server_and_a_dead_port(self):
        """The client once against its own paced servers, every peer server
        version and (unless it would wait for it for ever) a port where
        nothing listens; its output is checked line by line."""
        client = self.row
        xform = transform_port(self)
        peers = yield start_peers(self)
        factories = []
        paced = paced_group(self, gated=client.concurrent, factories=factories)
        servers = paced + peers
        dead = None if client.failure == HANGS else refused_port(self)
        ports = [p for p, _ in servers] + ([dead] if dead else [])
        proc = spawn_client(self, client, ports, xform)
        if client.chunks == "interleaved":
            gate = factories[0].gate
            gate.unreported = {p for p, _ in paced}
            proc.watch(lambda out, err: gate.reported(chunk_ports(out)))
        out, err, code = yield proc.result(RUN_TIMEOUT)
        check(client, out, err, code, servers, dead)


globals().update(ClientSpec.makeTestCaseClasses())


class HangingClientTest(TestCase):
    """Client 3.0 has no errback: a server that cannot be reached is never
    reported, so the client waits for ever (its docstring says so, and
    Ctrl-C then prints the poems that did arrive: Client30Spec). In this
    process: once the connection has failed, nothing is left that could
    call the callback."""

    @defer.inlineCallbacks
    def test_a_failed_connection_never_calls_back(self):
        module = load_script("twisted-client/get-poetry-3.0.py")
        failed = defer.Deferred()

        class Factory(module.PoetryClientFactory):
            def clientConnectionFailed(self, connector, reason):
                super().clientConnectionFailed(connector, reason)
                failed.callback(reason.value)

        self.patch(module, "PoetryClientFactory", Factory)
        called = []
        module.get_poetry("127.0.0.1", refused_port(self), called.append)
        error = yield support.with_timeout(failed, 10, "the connection failing")
        self.assertIsInstance(error, ConnectionRefusedError)
        self.assertEqual(called, [])
        # Nothing is left that could still call back: no retry, no timer,
        # no socket (trial fails a test that leaves a pending call or an
        # open socket in the reactor).


class ConcurrencyTest(TestCase):
    """The time each client reports for three paced servers: the async ones
    and the threaded one take about as long as the slowest server, the
    blocking one the sum.
    Each client has its own three servers, so the servers' own record of
    when each connection started and got its last chunk is a lower bound
    for the client's time however busy the machine is (a client connects
    before the server sees it, and finishes after the last chunk)."""

    @defer.inlineCallbacks
    def test_async_and_threaded_clients_take_the_slowest_blocking_takes_the_sum(self):
        # Ticks long enough that start-up jitter on a busy machine stays small
        # next to them.
        num_bytes, delay = 100, 0.1
        names = ["blocking-client", "get-poetry-threaded.py", "async-client", "get-poetry-1.0.py",
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
        for client, (servers, factories), output in zip(clients, groups, outputs, strict=True):
            took[client.name] = check(client, *output, servers)
            spans[client.name] = sorted(s for f in factories for s in f.spans)
            # Each server kept to its schedule: K chunks take (K - 1) ticks.
            for (_, data), f in zip(servers, factories, strict=True):
                (begin, end), = f.spans
                self.assertGreaterEqual(end - begin, 0.95 * (-(-len(data) // num_bytes) - 1)
                                        * delay, client.name)
        # The blocking client's connections came one after another, and
        # it took at least as long as all of them.
        blocking = took.pop("blocking-client")
        serial = spans.pop("blocking-client")
        for (_, end), (begin, _) in itertools.pairwise(serial):
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


class ThreadedClientLinesTest(TestCase):
    """The threaded client writes each line whole, newline included, in one
    write: Python runs a Ctrl-C handler as soon as a write returns, so a line
    written in two (print's text, then its end) could be left without its
    newline. ClientThreadedSpec's Ctrl-C test saw that now and then; here
    main() runs in a thread of this process and every write is kept."""

    @defer.inlineCallbacks
    def test_every_line_is_one_write(self):
        module = load_script("blocking-client/get-poetry-threaded.py")
        poem = poem_bytes("science.txt")
        port, dead = serve(self, TestServerFactory(poem)), refused_port(self)
        writes = {"stdout": [], "stderr": []}
        for name, kept in writes.items():
            self.patch(module.sys, name, type("Kept", (), {"write": staticmethod(kept.append),
                                                           "flush": staticmethod(lambda: None)})())
        code = yield threads.deferToThread(module.main, [str(port), str(dead)])
        self.assertEqual(code, 1)
        self.assertEqual([w.split(" in ")[0].split(":", 1)[0] for w in writes["stdout"]],
                         ["Task 1", "Task 2", "Task 1", "Got 1 poems"])
        self.assertEqual(len(writes["stderr"]), 1)
        for write in writes["stdout"] + writes["stderr"]:
            self.assertEqual(write.count("\n"), 1, write)
            self.assertTrue(write.endswith("\n"), write)


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
        for rel, (out, err, code) in zip(rels, outputs, strict=True):
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
