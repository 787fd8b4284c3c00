"""bench/ is not a test suite, but it must keep working: run every benchmark
at tiny size once and check the files it writes, plus the two pieces that
are easy to get subtly wrong: the PNG writer and the load client's counts."""

import json
import struct
import tempfile
import zlib
from pathlib import Path

from twisted.internet import defer
from twisted.internet.protocol import Protocol, ServerFactory
from twisted.trial.unittest import TestCase

from tests import support

RUN = "bench/run.py"
LOAD = "bench/load.py"
TITLES = ["1. Async vs blocking client", "2. Fast server throughput",
          "3. Slow server capacity", "4. Proxy fan-in"]
CLIENTS = {"blocking", "async (select)", "client 8.0", "today's client"}


def read_png(data):
    """Check a PNG's chunk structure and CRCs; return (width, height, rows)
    with rows as lists of RGB tuples. Only what pngplot writes is accepted:
    8-bit RGB, filter 0 on every row."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, f"bad CRC in {kind!r}"
        chunks[kind] = chunks.get(kind, b"") + body
        pos += 12 + length
    width, height, depth, color, _, _, _ = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, color) == (8, 2), "expected 8-bit RGB"
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = 3 * width + 1
    assert len(raw) == stride * height
    rows = []
    for y in range(height):
        line = raw[y * stride:(y + 1) * stride]
        assert line[0] == 0, "unexpected filter type"
        rows.append([tuple(line[1 + 3 * x:4 + 3 * x]) for x in range(width)])
    assert b"IEND" in chunks
    return width, height, rows


class PngPlotTest(TestCase):

    def setUp(self):
        self.png = support.load_script("bench/pngplot.py")

    def test_canvas_round_trips_through_png(self):
        c = self.png.Canvas(7, 5)
        c.rect(1, 1, 2, 3, (10, 20, 30))
        c.set(6, 4, (255, 0, 0))
        w, h, rows = read_png(c.png())
        self.assertEqual((w, h), (7, 5))
        self.assertEqual(rows[2][1], (10, 20, 30))
        self.assertEqual(rows[4][6], (255, 0, 0))
        self.assertEqual(rows[0][0], (255, 255, 255))
        self.assertEqual(sum(p != (255, 255, 255) for r in rows for p in r), 7)

    def test_text_draws_the_glyph_bits(self):
        c = self.png.Canvas(12, 7)
        self.assertEqual(c.text(0, 0, "1-"), 12)
        ink = {(x, y) for y in range(7) for x in range(12)
               if c.get(x, y) != (255, 255, 255)}
        # "1": the 5x7 glyph 04 0C 04 04 04 04 0E; "-": a bar on row 3.
        one = {(2, 0), (1, 1), (2, 1), (2, 2), (2, 3), (2, 4), (2, 5),
               (1, 6), (2, 6), (3, 6)}
        dash = {(6 + x, 3) for x in range(5)}
        self.assertEqual(ink, one | dash)

    def test_line_plot_puts_points_where_the_axes_say(self):
        plot = self.png.LinePlot("t", "x", "y", width=200, height=150)
        plot.xticks = [0, 10]
        plot.add("a", [(0, 0), (10, 10)], (200, 0, 0))
        w, h, rows = read_png(plot.render().png())
        self.assertEqual((w, h), (200, 150))
        # Plot area: x from 70 to 180, y from 150-60=90 up to 40. The y axis
        # runs to the tick above 10 * 1.05, 12.5, drawn as a grey grid line at
        # the top; the point (10, 10) sits at the right edge, 10/12.5 up.
        self.assertEqual(rows[90 - round(10 / 12.5 * 50)][180], (200, 0, 0))
        self.assertEqual(rows[90][70], (200, 0, 0))
        self.assertEqual(rows[40][150], (200, 200, 200))

    def test_nice_ticks_cover_the_range(self):
        self.assertEqual(self.png.nice_ticks(0, 20.5), [0, 5, 10, 15, 20, 25])
        self.assertEqual(self.png.nice_ticks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1.0])


class Poem(Protocol):
    def connectionMade(self):
        self.transport.write(self.factory.poem)
        self.transport.loseConnection()


class LoadClientTest(TestCase):
    """bench/load.py against an in-process server: it counts what it got."""

    def serve(self, poem):
        factory = ServerFactory.forProtocol(Poem)
        factory.poem = poem
        return support.listen(self, factory)

    @defer.inlineCallbacks
    def load(self, *args):
        out, err, code = yield support.run_script(LOAD, *args, timeout=20)
        self.assertEqual((code, err), (0, b""))
        return json.loads(out)

    @defer.inlineCallbacks
    def test_burst_counts_complete_poems(self):
        port = self.serve(b"x" * 100)
        r = yield self.load("burst", "--port", port, "--clients", 30,
                            "--pending", 7, "--expect", 100, "--timeout", 10)
        self.assertEqual((r["ok"], r["failed"], r["hung"], r["not_started"]),
                         (30, 0, 0, 0))
        self.assertEqual(r["latency"]["n"], 30)
        self.assertLessEqual(r["latency"]["p50"], r["latency"]["p99"])

    @defer.inlineCallbacks
    def test_short_poems_are_failures(self):
        port = self.serve(b"x" * 99)
        r = yield self.load("loop", "--port", port, "--concurrency", 3,
                            "--duration", 0.1, "--expect", 100)
        self.assertEqual(r["ok"], 0)
        self.assertGreater(r["failed"], 0)
        self.assertEqual(r["errors"], {"short": r["failed"]})

    @defer.inlineCallbacks
    def test_refused_connections_are_failures(self):
        r = yield self.load("burst", "--port", support.free_port(),
                            "--clients", 4, "--timeout", 5)
        self.assertEqual((r["ok"], r["failed"]), (0, 4))
        self.assertEqual(r["errors"], {"ECONNREFUSED": 4})


class RunUsageTest(TestCase):

    @defer.inlineCallbacks
    def test_unknown_benchmark_is_a_usage_error(self):
        out, err, code = yield support.run_script(RUN, "--only", "nope", timeout=20)
        self.assertEqual((out, code), (b"", 2))
        self.assertTrue(err.startswith(b"usage: run.py"), err)
        self.assertIn(b"unknown benchmark(s) nope", err)
        self.assertNotIn(b"Traceback", err)


class SmokeTest(TestCase):
    """All four benchmarks at tiny size in a few seconds: the clients
    benchmark in one run, the three server benchmarks in another, side by
    side (the machine has two cores)."""

    GROUPS = {"clients": ["clients"], "servers": ["throughput", "capacity", "fanin"]}

    @defer.inlineCallbacks
    def test_tiny_run_writes_table_plots_and_json(self):
        readme = Path(support.path("bench/README.md"))
        readme_before = readme.read_bytes() if readme.exists() else None
        dirs = {group: Path(tempfile.mkdtemp(prefix=f"bench-smoke-{group}-"))
                for group in self.GROUPS}
        runs = yield defer.gatherResults([
            support.run_script(RUN, "--tiny", "--only", ",".join(names), "--out", dirs[group],
                               timeout=60)
            for group, names in self.GROUPS.items()])
        sections, tables = {}, {}
        for (group, names), (out, err, code) in zip(self.GROUPS.items(), runs):
            self.assertEqual(code, 0, err.decode(errors="replace"))
            self.assertNotIn(b"Traceback", err)
            table = tables[group] = (dirs[group] / "results.md").read_text()
            self.assertEqual(out.decode().strip(), table.split("\n", 2)[2].strip())
            self.assertNotIn("not available yet", table)
            self.assertRegex(table, r"Twisted \d+\.\d+\.\d+; reactor twisted\.internet\.\w+\.\w+Reactor")
            self.assertIn("Command: `python bench/run.py --tiny --only ", table)
            results = json.loads((dirs[group] / "results.json").read_text())
            self.assertEqual([s["name"] for s in results["sections"]], names)
            sections.update({s["name"]: s for s in results["sections"]})
        # A tiny run never touches the committed README.
        self.assertEqual(readme.read_bytes() if readme.exists() else None, readme_before)
        for title, group in zip(TITLES, ["clients", "servers", "servers", "servers"]):
            self.assertIn(f"### {title}", tables[group])

        clients = sections["clients"]["rows"]
        self.assertEqual({r["client"] for r in clients}, CLIENTS)
        per_poem = results["sizes"]["per_poem"]  # the same in both runs
        for r in clients:
            if r["client"] == "blocking":
                # N poems one after another: at least N times the delay.
                self.assertGreaterEqual(r["wall"], r["N"] * per_poem * 0.9)
            else:
                self.assertLess(r["wall"], r["N"] * per_poem + 10)

        for r in sections["throughput"]["rows"]:
            self.assertEqual((r["failed"], r["hung"]), (0, 0), r)
            self.assertGreater(r["rate"], 0)
        self.assertEqual({r["server"] for r in sections["throughput"]["rows"]},
                         {"fastpoetry plugin", "fastpoetry 1.0", "asyncio baseline"})

        capacity = {r["server"]: r for r in sections["capacity"]["rows"]}
        self.assertEqual(set(capacity), {"twisted-server/slowpoetry.py"})
        for cap in capacity.values():
            self.assertEqual((cap["ok_min"], cap["failed"]), (cap["clients"], 0))
            self.assertGreaterEqual(cap["p99"], sections["capacity"]["nominal"] * 0.5)

        fanin = {r["proxy"]: r for r in sections["fanin"]["rows"]}
        self.assertEqual(fanin["proxy 4.0"]["fetches"], [1])
        self.assertEqual(fanin["proxy 4.0"]["ok_min"], fanin["proxy 4.0"]["clients"])
        # The text's proxy 3.0 fetches once per client on a cold cache.
        self.assertEqual(fanin["proxy 3.0"]["fetches"], [fanin["proxy 3.0"]["clients"]])

        for name, group in (("clients.png", "clients"), ("throughput.png", "servers")):
            w, h, rows = read_png((dirs[group] / name).read_bytes())
            self.assertEqual((w, h), (720, 480))
            colors = {p for row in rows for p in row}
            self.assertGreater(len(colors), 4, f"{name} looks blank")
            self.assertIn(f"]({name})", tables[group])
