"""Part 1's pictures (`make figures`, tools/figures.py) and the trace the
clients write for them (POETRY_TRACE).

In memory, on small hand-written traces: the trace format, the step that
turns a trace into lanes, and the point of each picture (`check`): the
synchronous trace never handles two chunks at once and takes the tasks one
after another; the threaded one has every task in progress at once; the
asynchronous one interleaves the tasks and never handles two chunks at
once. Each check is also shown failing on the other models' traces.

For real: every traced client writes what it printed, and refuses a trace
file it cannot write before it connects; the committed run in docs/figures/
shows its models; and a tiny run (two servers, two chunks each) draws
every picture into a temporary folder, as `make figures` does.
"""

import io
import json
import re
import shutil
import tempfile
from pathlib import Path

from twisted.internet import defer
from twisted.trial.unittest import TestCase

from tests import support

FIGURES = "tools/figures.py"
figures = support.load_script(FIGURES)
Chunk, Lane = figures.Chunk, figures.Lane

# The clients that write a trace, and the model each one is drawn as.
TRACED = {model.rel: model.name for model in figures.MODELS}
COMMITTED = support.ROOT / "docs" / "figures"

A, B = "127.0.0.1:10001", "127.0.0.1:10002"


def trace(*records):
    """JSON lines from (task, start, end) records; the size is 10 bytes and
    task N's server is port 1000N. Times are in 1/128 s steps, so that sums
    and differences are exact."""
    return [json.dumps({"task": t, "server": f"127.0.0.1:1000{t}", "start": s, "end": e,
                        "bytes": 10}) for t, s, e in records]


# Two tasks, one after another, each chunk's block taking the whole wait
# for it (a block ends where the next begins: touching is not overlapping).
SYNC = trace((1, 0.0, 0.25), (1, 0.25, 0.5), (2, 0.5, 0.75), (2, 0.75, 1.0))
# The same waits, side by side.
THREADED = trace((1, 0.0, 0.25), (2, 0.0, 0.375), (1, 0.25, 0.5), (2, 0.375, 0.75))
# One thread: short blocks, taken in turn.
ASYNC = trace((1, 0.0, 0.0078125), (2, 0.0078125, 0.015625), (1, 0.25, 0.2578125),
              (2, 0.375, 0.3828125), (1, 0.5, 0.5078125))


def chunks(lines):
    return figures.read_trace(lines)


class KeptText(io.StringIO):
    """A text file in memory that keeps its text when closed."""

    text = None

    def close(self):
        self.text = self.getvalue()
        super().close()


class TraceFormatTest(TestCase):

    def test_a_hand_written_trace(self):
        lines = ['{"task": 1, "server": "127.0.0.1:10001", "start": 0.25, "end": 0.5, '
                 '"bytes": 10}', "",
                 '{"bytes": 3, "end": 0.75, "start": 0, "server": "127.0.0.1:10002", '
                 '"task": 2, "note": "extra keys are ignored"}']
        self.assertEqual(chunks(lines), [Chunk(1, A, 0.25, 0.5, 10), Chunk(2, B, 0, 0.75, 3)])

    def test_a_bad_line_is_an_error_that_names_it(self):
        good = SYNC[0]
        cases = [
            ("{", r"line 2: not JSON"),
            ("[1, 2]", r"line 2: not a JSON object"),
            ('{"task": 1, "server": "x", "start": 0, "end": 1}',
             r"line 2: 'bytes' is missing or not a whole number"),
            ('{"task": "1", "server": "x", "start": 0, "end": 1, "bytes": 1}',
             r"line 2: 'task' is missing or not a whole number"),
            ('{"task": true, "server": "x", "start": 0, "end": 1, "bytes": 1}',
             r"line 2: 'task' is missing or not a whole number"),
            ('{"task": 1, "server": "x", "start": "0", "end": 1, "bytes": 1}',
             r"line 2: 'start' is missing or not a number"),
            ('{"task": 0, "server": "x", "start": 0, "end": 1, "bytes": 1}',
             r"line 2: task and bytes must be at least 1"),
            ('{"task": 1, "server": "x", "start": 0.5, "end": 0.25, "bytes": 1}',
             r"line 2: needs 0 <= start <= end"),
            ('{"task": 1, "server": "x", "start": -1, "end": 0, "bytes": 1}',
             r"line 2: needs 0 <= start <= end"),
        ]
        for bad, message in cases:
            with self.assertRaisesRegex(ValueError, "^" + message, msg=bad):
                chunks([good, bad])

    def test_every_traced_client_writes_the_format(self):
        # Each client is a self-contained script with its own writer: all
        # of them must write what the drawing tool reads.
        records = [(2, B, 10.5, 10.75, 30), (1, A, 10.25, 10.5, 100)]
        for rel in TRACED:
            module = support.load_script(rel)
            out = KeptText()
            module.write_trace(out, records, 10.0)
            self.assertEqual(sorted(chunks(out.text.splitlines())),
                             [Chunk(1, A, 0.25, 0.5, 100), Chunk(2, B, 0.5, 0.75, 30)], rel)


class LanesTest(TestCase):

    def test_one_lane_per_task_in_task_order(self):
        self.assertEqual(figures.lanes(chunks(ASYNC)), [
            Lane(1, A, [(0.0, 0.0078125), (0.25, 0.0078125), (0.5, 0.0078125)], 0.0, 0.5078125),
            Lane(2, B, [(0.0078125, 0.0078125), (0.375, 0.0078125)], 0.0078125, 0.3828125),
        ])

    def test_blocks_in_time_order_whatever_the_file_order(self):
        (lane,) = figures.lanes(chunks(trace((1, 0.5, 0.75), (1, 0.0, 0.25))))
        self.assertEqual(lane, Lane(1, A, [(0.0, 0.25), (0.5, 0.25)], 0.0, 0.75))

    def test_a_task_with_two_servers_is_an_error(self):
        lines = SYNC + ['{"task": 1, "server": "127.0.0.1:9", "start": 2, "end": 3, "bytes": 1}']
        with self.assertRaisesRegex(ValueError, r"task 1 has chunks from 2 servers"):
            figures.lanes(chunks(lines))


class PointOfEachPictureTest(TestCase):
    """`check(model, trace)`: what is wrong with a trace as that model's
    picture. Each model's own trace passes; the others' fail, and say why."""

    def test_synchronous(self):
        self.assertEqual(figures.check("synchronous", chunks(SYNC)), [])
        self.assertEqual(figures.check("synchronous", chunks(ASYNC)), [
            "task 2 began at 0.007812 s, before task 1 ended at 0.507812 s"])
        self.assertEqual(figures.check("synchronous", chunks(THREADED)), [
            "3 pair(s) of chunks handled at once, such as task 1 at 0.000000-0.250000 s "
            "and task 2 at 0.000000-0.375000 s",
            "task 2 began at 0.000000 s, before task 1 ended at 0.500000 s"])

    def test_threaded(self):
        self.assertEqual(figures.check("threaded", chunks(THREADED)), [])
        self.assertEqual(figures.check("threaded", chunks(ASYNC)), [])
        self.assertEqual(figures.check("threaded", chunks(SYNC)),
                         ["at most 1 of the 2 tasks in progress at once"])

    def test_asynchronous(self):
        self.assertEqual(figures.check("asynchronous", chunks(ASYNC)), [])
        self.assertEqual(figures.check("asynchronous", chunks(SYNC)), [
            "at most 1 of the 2 tasks in progress at once",
            "the tasks' chunks did not interleave"])
        self.assertEqual(figures.check("asynchronous", chunks(THREADED)), [
            "3 pair(s) of chunks handled at once, such as tasks 1 and 2 at 0.000000 s"])

    def test_the_parts(self):
        self.assertEqual(figures.at_once(chunks(SYNC)), [])
        self.assertEqual(len(figures.at_once(chunks(THREADED))), 3)
        self.assertEqual(figures.most_in_progress(figures.lanes(chunks(SYNC))), 1)
        self.assertEqual(figures.most_in_progress(figures.lanes(chunks(ASYNC))), 2)
        self.assertFalse(figures.interleaved(chunks(SYNC)))
        self.assertTrue(figures.interleaved(chunks(ASYNC)))
        # Two tasks at once whose chunks do not interleave: 1 1 2 2.
        self.assertFalse(figures.interleaved(chunks(trace(
            (1, 0.0, 0.125), (1, 0.25, 0.375), (2, 0.5, 0.625), (2, 0.75, 0.875)))))

    def test_one_task_makes_no_picture(self):
        self.assertEqual(figures.check("threaded", chunks(SYNC[:2])),
                         ["1 task(s) in the trace: a picture needs at least two"])

    def test_an_unknown_model_is_an_error(self):
        with self.assertRaisesRegex(ValueError, "no such model: 'fibers'"):
            figures.check("fibers", chunks(SYNC))


class TraceOptionTest(TestCase):
    """POETRY_TRACE in the real clients, run as a reader runs them."""

    def setUp(self):
        # Not self.mktemp(): under pytest that is a folder in the checkout.
        self.tmp = Path(tempfile.mkdtemp(prefix="figures-trace-"))
        self.addCleanup(shutil.rmtree, self.tmp, True)

    @defer.inlineCallbacks
    def test_the_trace_holds_what_the_client_printed(self):
        poems = [support.poem_bytes("science.txt"), support.poem_bytes("fascination.txt")]
        runs = []
        for rel in TRACED:
            ports = [support.poem_port(self, poem) for poem in poems]
            path = self.tmp / (TRACED[rel] + ".jsonl")
            runs.append((rel, ports, path, support.run_script(
                rel, *ports, env={"POETRY_TRACE": str(path)}, timeout=20)))
        for rel, ports, path, run in runs:
            out, err, code = yield run
            self.assertEqual((code, err), (0, b""), rel)
            with open(path, encoding="utf-8") as f:
                found = chunks(f)
            servers = {f"127.0.0.1:{port}": len(poem) for port, poem in zip(ports, poems, strict=True)}
            # Every byte of both poems, task by task, and no chunk without a line.
            sizes = {}
            for c in found:
                sizes[c.server] = sizes.get(c.server, 0) + c.bytes
            self.assertEqual(sizes, servers, rel)
            lines = out.decode("utf-8").splitlines()
            got = [(int(m.group(1)), int(m.group(2)), int(m.group(3) or m.group(4)))
                   for m in map(re.compile(r"Task (\d+): got (\d+) bytes of poetry from "
                                           r"(?:127\.0\.0\.1:(\d+)|IPv4Address\(.*port=(\d+)\))"
                                           r"(?: in \S+)?").fullmatch, lines) if m]
            if TRACED[rel] in ("synchronous", "threaded"):
                # One line per poem, with its whole size.
                printed = sorted(got)
                traced = sorted({(c.task, sizes[c.server], int(c.server.split(":")[1]))
                                 for c in found})
            else:
                # One line per chunk, in the order handled.
                printed = got
                traced = [(c.task, c.bytes, int(c.server.split(":")[1]))
                          for c in sorted(found, key=lambda c: c.start)]
            self.assertEqual(printed, traced, rel)
            self.assertTrue(figures.lanes(found), rel)

    @defer.inlineCallbacks
    def test_a_trace_file_that_cannot_be_written_is_an_error_before_connecting(self):
        factory = support.TestServerFactory(support.poem_bytes("science.txt"))
        port = support.serve(self, factory)
        bad = self.tmp / "no-such-folder" / "trace.jsonl"
        for rel in TRACED:
            out, err, code = yield support.run_script(rel, port, env={"POETRY_TRACE": str(bad)},
                                                      timeout=20)
            self.assertEqual((out, code), (b"", 2), rel)
            self.assertEqual(err.decode(), f"{Path(rel).name}: cannot write the trace file {bad} "
                                           "(POETRY_TRACE): No such file or directory\n")
        self.assertEqual(factory.connections, 0)


def png_pixels(path):
    """A PNG's pixels (rows of RGBA, 0 to 1), read back by matplotlib; fails
    on anything but a whole PNG."""
    from matplotlib import image

    with open(path, "rb") as f:
        if f.read(8) != b"\x89PNG\r\n\x1a\n":
            raise AssertionError(f"{path}: not a PNG")
    return image.imread(path, format="png")


def shows(pixels, hex_color):
    """Whether some pixel is exactly this colour."""
    rgb = [int(hex_color[i:i + 2], 16) for i in (1, 3, 5)]
    return bool(((pixels[..., :3] * 255).round() == rgb).all(axis=-1).any())


class FiguresTest(TestCase):
    """The pictures themselves: the committed run, and a tiny real one."""

    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="figures-"))
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def check_pictures(self, folder, servers):
        """Every picture is a PNG in which each server's colour shows."""
        for name in figures.PICTURES:
            pixels = png_pixels(folder / name)
            self.assertEqual(pixels.shape[1], 10 * figures.DPI, name)
            for color in figures.COLORS[:servers]:
                self.assertTrue(shows(pixels, color), f"{name}: no block in {color}")

    def check_run(self, folder, servers):
        """run.json and the traces: every model shown, every task there."""
        record, traces = figures.load_run(folder)
        self.assertEqual([r["model"] for r in record["runs"]], [m.name for m in figures.MODELS])
        ports = {f"127.0.0.1:{s['port']}" for s in record["servers"]}
        self.assertEqual(len(ports), servers)
        # Each command as a reader types it: python, a program, its arguments.
        commands = [s["command"] for s in record["servers"]] + [r["command"] for r in record["runs"]]
        for command in commands:
            self.assertRegex(command, r"^python [\w/.-]+\.py( [\w/.:-]+)*$")
        for model in figures.MODELS:
            found = traces[model.name]
            self.assertEqual(figures.check(model.checked_as, found), [], model.name)
            self.assertEqual({c.server for c in found}, ports, model.name)
        return record

    def test_the_committed_run(self):
        record = self.check_run(COMMITTED, len(figures.SERVERS))
        self.check_pictures(COMMITTED, len(figures.SERVERS))
        self.assertEqual([{k: s[k] for k in ("poem", "num_bytes", "delay")}
                          for s in record["servers"]],
                         [s._asdict() for s in figures.SERVERS])
        # Part 2's point, in the committed numbers: the synchronous client
        # took the sum of the tasks, the others about the longest.
        totals = {r["model"]: r["total"] for r in record["runs"]}
        for model in ("threaded", "asynchronous", "twisted"):
            self.assertLess(totals[model], 0.6 * totals["synchronous"], model)

    def test_the_readmes_show_every_picture(self):
        shown = set()
        for readme in ("README.md", "blocking-client/README.md"):
            path = support.ROOT / readme
            for name in re.findall(r"""(?:src="|\]\()([\w./-]*docs/figures/[\w.-]+\.png)""",
                                   path.read_text(encoding="utf-8")):
                self.assertTrue((path.parent / name).resolve().is_file(), f"{readme}: {name}")
                shown.add(Path(name).name)
        self.assertEqual(shown, set(figures.PICTURES))

    @defer.inlineCallbacks
    def test_a_tiny_run_draws_every_picture(self):
        out, err, code = yield support.run_script(FIGURES, "--tiny", "--out", self.tmp,
                                                  timeout=60)
        self.assertEqual((code, err.decode()), (0, ""))
        written = sorted(p.name for p in self.tmp.iterdir())
        self.assertEqual(written, sorted(figures.PICTURES + ["run.json"] +
                                         [f"{m.name}.jsonl" for m in figures.MODELS]))
        self.assertIn(f"==> wrote {', '.join(figures.PICTURES)}", out.decode())
        self.check_run(self.tmp, len(figures.TINY))
        self.check_pictures(self.tmp, len(figures.TINY))

    @defer.inlineCallbacks
    def test_redraw_from_the_committed_traces(self):
        for name in ["run.json"] + [f"{m.name}.jsonl" for m in figures.MODELS]:
            shutil.copy(COMMITTED / name, self.tmp / name)
        out, err, code = yield support.run_script(FIGURES, "--redraw", "--out", self.tmp,
                                                  timeout=60)
        self.assertEqual((code, err.decode()), (0, ""))
        self.check_pictures(self.tmp, len(figures.SERVERS))

    @defer.inlineCallbacks
    def test_usage_errors(self):
        for args, message in [(["--tiny", "--redraw"], "--tiny and --redraw do not go together"),
                              (["--redraw", "--out", self.tmp], f"--redraw: no run.json in "
                                                                f"{self.tmp}")]:
            out, err, code = yield support.run_script(FIGURES, *args, timeout=20)
            self.assertEqual((out, code), (b"", 2), args)
            self.assertTrue(err.startswith(b"usage: figures.py"), err)
            self.assertIn(message.encode(), err)
