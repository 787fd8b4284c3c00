"""bench/ is not a test suite, but it must keep working: run every benchmark
at tiny size once and check the files it writes, plus the pieces that are
easy to get subtly wrong: the load clients' counts, the plots, and what
`make bench` installs. No figure is judged here: benchmarks go in bench/."""

import hashlib
import json
import re
import shutil
import statistics
import struct
import sys
import zlib
from pathlib import Path

from twisted.internet import defer
from twisted.internet.protocol import Protocol, ServerFactory
from twisted.trial.unittest import SkipTest, TestCase

from tests import support

RUN = "bench/run.py"
LOAD = "bench/load.py"
TITLES = ["1. Async vs blocking client", "2. Fast server throughput",
          "3. Slow server capacity", "4. Proxy fan-in"]
CLIENTS = {"blocking", "async (select)", "client 8.0", "today's client"}
SERVERS = ["minimal Twisted", "asyncio", "logging asyncio", "plugin --logfile",
           "plugin -n, stdout", "text's log.msg (2.0 tac)"]
LOGGED = {"logging asyncio", "plugin --logfile", "plugin -n, stdout",
          "text's log.msg (2.0 tac)"}


def have_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def png_size(data):
    """(width, height) of a PNG, after checking its signature and the CRC of
    every chunk; fails on anything else."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    pos, kinds = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, f"bad CRC in {kind!r}"
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        kinds.append(kind)
        pos += 12 + length
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"IDAT" in kinds, kinds
    return size


def digest(paths):
    """A fingerprint of files (missing ones included), to prove a run left
    them alone."""
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode() + (p.read_bytes() if p.exists() else b"<absent>"))
    return h.hexdigest()


def bench_module(rel):
    """A bench/ module, loaded as run.py loads it: bench/ modules import
    each other by their plain names, so bench/ is on sys.path while it
    loads."""
    bench = support.path("bench")
    sys.path.insert(0, bench)
    try:
        return support.load_script(rel)
    finally:
        sys.path.remove(bench)


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
        # It reports how busy it was, for the saturation column.
        self.assertGreater(r["sched_run"], 0)

    @defer.inlineCallbacks
    def test_refused_connections_are_failures(self):
        r = yield self.load("burst", "--port", support.refused_port(self),
                            "--clients", 4, "--timeout", 5)
        self.assertEqual((r["ok"], r["failed"]), (0, 4))
        self.assertEqual(r["errors"], {"ECONNREFUSED": 4})


_built = {}


def built_loadgen():
    """bench/loadgen.c compiled once per test process (as run.py does it),
    in a directory removed when the process exits."""
    if not _built:
        build = support.process_temp_dir("loadgen-")
        harness = support.load_script("bench/harness.py")
        _built["result"] = harness.build_loadgen(build)
    return _built["result"]


class LoadGeneratorTest(TestCase):
    """bench/loadgen.c, built as `make bench` builds it, counts the same way."""

    def setUp(self):
        if not shutil.which("cc"):
            # bench/run.py then falls back to load.py; SmokeTest checks that.
            raise SkipTest("no C compiler: the bench uses load.py instead")
        self.binary, note = built_loadgen()
        self.assertIsNotNone(self.binary, note)

    def serve(self, poem):
        factory = ServerFactory.forProtocol(Poem)
        factory.poem = poem
        return support.listen(self, factory)

    @defer.inlineCallbacks
    def loop(self, *args):
        out, err, code = yield support.run([str(self.binary), *map(str, args)], timeout=20)
        self.assertEqual((code, err), (0, b""))
        return json.loads(out)

    @defer.inlineCallbacks
    def test_closed_loop_counts_whole_poems(self):
        port = self.serve(b"y" * 300)
        r = yield self.loop(port, 5, 0.2, 300, 5)
        self.assertEqual((r["client"], r["failed"], r["hung"], r["errors"]), ("loadgen", 0, 0, {}))
        self.assertGreater(r["ok"], 0)
        self.assertEqual(r["latency"]["n"], r["ok"])
        self.assertLessEqual(r["open_peak"], 5)

    @defer.inlineCallbacks
    def test_fixed_rate_never_offers_more_than_the_rate(self):
        port = self.serve(b"y" * 300)
        r = yield self.loop(port, 10, 0.25, 300, 5, 200)
        self.assertEqual((r["offered_rate"], r["failed"], r["hung"]), (200, 0, 0))
        # Started on schedule: at most rate x duration (+1 at time zero),
        # and every one of them served.
        self.assertGreater(r["started"], 0)
        self.assertLessEqual(r["started"], 200 * 0.25 + 1)
        self.assertEqual(r["ok"], r["started"])

    @defer.inlineCallbacks
    def test_short_poems_and_refusals_are_failures(self):
        port = self.serve(b"y" * 299)
        r = yield self.loop(port, 2, 0.1, 300, 5)
        self.assertEqual(r["ok"], 0)
        self.assertEqual(r["errors"], {"short": r["failed"]})
        r = yield self.loop(support.refused_port(self), 2, 0.05, 300, 1)
        self.assertEqual(r["ok"], 0)
        self.assertEqual(r["errors"], {"ECONNREFUSED": r["failed"]})

    @defer.inlineCallbacks
    def test_bad_arguments_are_a_usage_error(self):
        out, err, code = yield support.run([str(self.binary), "80"], timeout=20)
        self.assertEqual((out, code), (b"", 2))
        self.assertEqual(err, b"usage: loadgen PORT CONCURRENCY DURATION EXPECT GRACE [RATE]\n")


class RunUsageTest(TestCase):

    @defer.inlineCallbacks
    def check(self, args, message):
        out, err, code = yield support.run_script(RUN, *args, timeout=20)
        self.assertEqual((out, code), (b"", 2))
        self.assertTrue(err.startswith(b"usage: run.py"), err)
        self.assertIn(message, err)
        self.assertNotIn(b"Traceback", err)

    def test_unknown_benchmark_is_a_usage_error(self):
        return self.check(["--only", "nope"], b"unknown benchmark(s) nope")

    def test_missing_slow_server_is_a_usage_error(self):
        return self.check(["--slow-server", "nope.py"],
                          b"argument --slow-server: no such script 'nope.py'")

    def test_rate_needs_the_compiled_client(self):
        return self.check(["--rate", "100", "--python-load"],
                          b"the Python load client has no fixed-rate mode")


class MakeBenchTest(TestCase):
    """`make bench` installs the bench extra (matplotlib); `make test` does not."""

    @defer.inlineCallbacks
    def dry_run(self, target):
        make = shutil.which("make")
        if make is None:
            raise SkipTest("make is not installed")
        # -B: print every step, even those whose stamps are up to date.
        out, err, code = yield support.run([make, "-n", "-B", target], timeout=20)
        self.assertEqual(code, 0, err)
        return out.decode()

    @defer.inlineCallbacks
    def test_bench_installs_the_extra_and_test_does_not(self):
        bench = yield self.dry_run("bench")
        self.assertIn('-m pip install --quiet -e ".[bench]"', bench)
        self.assertIn("bench/run.py", bench)
        test = yield self.dry_run("test")
        self.assertNotIn(".[bench]", test)
        publish = yield self.dry_run("bench-publish")
        self.assertIn("bench/run.py --publish", publish)
        pyproject = Path(support.path("pyproject.toml")).read_text()
        extra = re.search(r"(?ms)^bench = \[(.*?)^\]", pyproject)
        self.assertIsNotNone(extra, "no bench extra in pyproject.toml")
        self.assertRegex(extra.group(1), r'"matplotlib>=[\d.]+"')

    def test_run_output_is_ignored_by_git(self):
        lines = Path(support.path(".gitignore")).read_text().splitlines()
        self.assertIn("bench/out/", lines)


class SmokeTest(TestCase):
    """All four benchmarks at tiny size in a few seconds, in two runs side by
    side (the machine has two cores): the three server benchmarks, and the
    clients benchmark with throughput again at a fixed offered rate (--rate,
    which needs the compiled load generator), where the plugin targets,
    which are for saturated servers, are reported as not judged, with the
    reason, never "missed"."""

    RATE = ["--rate", "200"]

    def groups(self):
        """group -> (benchmarks, more arguments)."""
        rated = built_loadgen()[0] is not None
        return {"clients": (["clients", "throughput"] if rated else ["clients"],
                            self.RATE if rated else []),
                "servers": (["throughput", "capacity", "fanin"], [])}

    @defer.inlineCallbacks
    def test_tiny_run_writes_table_plots_and_json(self):
        bench = Path(support.path("bench"))
        committed = [bench / "README.md"] + [bench / "results" / n for n in
                                             ("results.md", "results.json", "clients.png",
                                              "throughput.png")]
        committed_before = digest(committed)
        groups = self.groups()
        dirs = {}
        for group in groups:
            dirs[group] = Path(support.temp_dir(self, prefix=f"bench-smoke-{group}-"))
        runs = yield defer.gatherResults([
            support.run_script(RUN, "--tiny", "--only", ",".join(names), *more,
                               "--out", dirs[group], timeout=60)
            for group, (names, more) in groups.items()])
        sections, tables, outs = {}, {}, {}
        for (group, (names, _)), (out, err, code) in zip(groups.items(), runs, strict=True):
            self.assertEqual(code, 0, err.decode(errors="replace"))
            self.assertNotIn(b"Traceback", err)
            # The last line lists what was written: plots only if drawn.
            last = err.decode().splitlines()[-1]
            if have_matplotlib():
                plots = ", ".join(f"{name}\\.png" for name in names
                                  if name in ("clients", "throughput"))
                self.assertRegex(last, rf"^wrote results\.md, results\.json, {plots} "
                                       rf"in {re.escape(str(dirs[group]))}, in \d+s$")
            else:
                self.assertRegex(last, rf"^wrote results\.md, results\.json in "
                                       rf"{re.escape(str(dirs[group]))} \(no plots: matplotlib "
                                       rf"is not installed\), in \d+s$")
            outs[group] = out.decode()
            table = tables[group] = (dirs[group] / "results.md").read_text()
            self.assertEqual(out.decode().strip(), table.split("\n", 2)[2].strip())
            # What a run writes goes into bench/README.md: no prose line over
            # 200 characters (a table row cannot break).
            self.assertEqual([line for line in table.splitlines()
                              if len(line) > 200 and not line.startswith("|")], [])
            self.assertRegex(table, r"Twisted \d+\.\d+\.\d+; reactor twisted\.internet\.\w+\.\w+Reactor")
            self.assertIn("Command: `python bench/run.py --tiny --only ", table)
            self.assertRegex(table, r"1-minute load average \d+\.\d before, \d+\.\d after")
            results = json.loads((dirs[group] / "results.json").read_text())
            self.assertEqual([s["name"] for s in results["sections"]], names)
            self.assertFalse(results["full"])
            sections[group] = {s["name"]: s for s in results["sections"]}
        # A run never touches the committed copy.
        self.assertEqual(digest(committed), committed_before)
        for title, group in zip(TITLES, ["clients", "servers", "servers", "servers"], strict=True):
            self.assertIn(f"### {title}", tables[group])

        clients = {(r["client"], r["N"]): r for r in sections["clients"]["clients"]["rows"]}
        self.assertEqual({c for c, _ in clients}, CLIENTS)
        per_poem = results["sizes"]["per_poem"]  # the same in both runs
        for (name, n), r in clients.items():
            # Every timed run has its own fixed-cost run, and the net time
            # is the median of their differences.
            self.assertEqual(len(r["fixed_runs"]), len(r["runs"]))
            nets = [w - f for w, f in zip(r["runs"], r["fixed_runs"], strict=True)]
            self.assertEqual(r["nets"], nets)
            self.assertAlmostEqual(r["net"], statistics.median(nets))
            self.assertEqual(r["floor"], (n if name == "blocking" else 1) * per_poem)
            self.assertEqual(r["valid"], r["net"] >= r["floor"] - 0.05 * per_poem)
            if name == "blocking":
                # N poems one after another: at least N times the delay.
                self.assertGreaterEqual(r["wall"], n * per_poem * 0.9)
            else:
                # The speed-ups the table reports are the blocking client's
                # time over this one's, raw and net. (How fast is for bench/
                # to say: a busy machine skews a tiny run.)
                b = clients[("blocking", n)]
                self.assertAlmostEqual(r["speedup"], b["wall"] / r["wall"])
                self.assertAlmostEqual(r["net_speedup"], b["net"] / max(r["net"], 1e-9))
                self.assertEqual(r["net_valid"], b["valid"] and r["valid"])
                self.assertEqual(r["target"], 0.95 * n)

        throughput = sections["servers"]["throughput"]
        self.assertEqual([r["server"] for r in throughput["rows"]], SERVERS)
        for r in throughput["rows"]:
            self.assertEqual((r["failed"], r["hung"], r["runs"]), (0, 0, 1), r)
            self.assertGreater(r["ok"], 0)
            # A run that is not counted says why.
            self.assertEqual(bool(r["why"]), r["counted"] == 0, r)
            # Every logging server wrote its lines somewhere we measured.
            self.assertEqual(r["log_mb"] > 0, r["server"] in LOGGED, r)
        load_client = json.loads((dirs["servers"] / "results.json").read_text())["loadgen"]
        if shutil.which("cc"):
            self.assertEqual(load_client, "compiled epoll load generator (bench/loadgen.c)")
        else:
            self.assertIn("bench/load.py, the Python fallback", load_client)
        self.assertIn(f"load client: {load_client}", tables["servers"])

        capacity = {r["server"]: r for r in sections["servers"]["capacity"]["rows"]}
        self.assertEqual(set(capacity), {"twisted-server/slowpoetry.py"})
        for cap in capacity.values():
            self.assertEqual((cap["ok_min"], cap["failed"]), (cap["clients"], 0))
            self.assertGreaterEqual(cap["p99"], sections["servers"]["capacity"]["nominal"] * 0.5)

        fanin = {r["proxy"]: r for r in sections["servers"]["fanin"]["rows"]}
        self.assertEqual(fanin["proxy 4.0"]["fetches"], [1])
        self.assertEqual(fanin["proxy 4.0"]["ok_min"], fanin["proxy 4.0"]["clients"])
        # The text's proxy 3.0 fetches once per client on a cold cache.
        self.assertEqual(fanin["proxy 3.0"]["fetches"], [fanin["proxy 3.0"]["clients"]])

        for name, group in (("clients.png", "clients"), ("throughput.png", "servers")):
            png = dirs[group] / name
            if have_matplotlib():
                self.assertEqual(png_size(png.read_bytes()), (720, 480))
                self.assertIn(f"]({name})", tables[group])
            else:
                self.assertFalse(png.exists())
                self.assertIn("no plot: matplotlib is not installed (`make bench` installs it",
                              tables[group])

        if groups["clients"][1] == self.RATE:
            # Throughput's item of the targets at a glance, at a fixed rate.
            glance = outs["clients"].split("Targets at a glance:", 1)[1].split("###", 1)[0]
            rated = glance.split("\n- 2.", 1)[1]
            self.assertIn("Fast server throughput", rated)
            self.assertIn("Not judged against the targets (≤ 1.25×, ≥ 1.2×), which are for "
                          "saturated servers", rated)
            self.assertIn("plugin --logfile at c = 10 and 200 connections a second: CPU per "
                          "connection", rated)
            self.assertNotIn("target ≤", rated)


class NetTimeFloorTest(TestCase):
    """Benchmark 1's net times (each run less the fixed cost measured right
    after it) cannot be shorter than the poems they wait for; one that is
    is invalid, neither met nor missed. The figures are those of the run
    published on 2026-11-30, whose fixed costs were measured apart."""

    def setUp(self):
        self.clients = bench_module("bench/bench_clients.py")

    def rows(self, n, blocking, client, per_poem=1.0):
        """(wall, fixed) pairs -> the rows the benchmark would make."""
        rows = [self.clients.net_row("blocking", n, [blocking[0]], [blocking[1]], per_poem, n),
                self.clients.net_row("client 8.0", n, [client[0]], [client[1]], per_poem, 1)]
        self.clients.add_speedups(rows, "blocking")
        return rows

    def verdict(self, rows, n):
        section = {"setup": "test", "per_poem": 1.0, "rows": rows}
        text = self.clients.markdown(section, [n], ["blocking", "client 8.0"], "blocking")
        return text, section["verdict"]

    def test_a_net_time_below_the_floor_is_invalid_not_met(self):
        rows = self.rows(20, (20.173, 0.064), (1.482, 0.598))
        self.assertAlmostEqual(rows[1]["net"], 0.884)
        self.assertFalse(rows[1]["valid"])
        self.assertFalse(rows[1]["net_valid"])
        text, verdict = self.verdict(rows, 20)
        self.assertIn("0.884 below floor", text)
        self.assertIn("13.61× / 22.75× ✗, net invalid", text)
        self.assertIn("client 8.0: **missed** on raw wall time at N = 20; net of its fixed "
                      "cost invalid at N = 20 (net time below its floor)", verdict)
        self.assertNotIn("met", verdict.replace("**missed**", ""))

    def test_a_net_time_at_the_floor_counts(self):
        # The select client's: 6 ms under 1.0 s is timer noise.
        rows = self.rows(20, (20.173, 0.064), (1.076, 0.082))
        self.assertTrue(rows[1]["net_valid"])
        _, verdict = self.verdict(rows, 20)
        self.assertIn("net of its fixed cost met at N = 20", verdict)

    def test_the_blocking_clients_floor_is_n_poems(self):
        rows = self.rows(20, (19.9, 0.5), (1.076, 0.082))
        self.assertEqual(rows[0]["floor"], 20.0)
        self.assertFalse(rows[0]["valid"])
        self.assertFalse(rows[1]["net_valid"])


class PublishTest(TestCase):
    """What `make bench-publish` does to bench/README.md, on a copy."""

    OLD = "Command: `python bench/run.py` — 2026-11-30 04:56 UTC, took 7.1 min.\n\nold table"
    NEW = "Command: `python bench/run.py` — 2026-12-07 10:00 UTC, took 7.0 min.\n\nnew table"

    def setUp(self):
        self.run = bench_module("bench/run.py")
        self.readme = (
            "# Benchmarks\n\n## Latest results\n\n"
            "<!-- erratum:start -->\nThe old run's figure X is wrong.\n<!-- erratum:end -->\n\n"
            f"<!-- results:start -->\n{self.OLD}\n<!-- results:end -->\n\n"
            "## Reading the results (run of 2026-11-30 04:56 UTC above)\n\n"
            "- The old run's figures, read.\n\n## After\n\nkept\n")

    def test_a_new_run_replaces_the_notes_on_the_old_one_and_its_erratum(self):
        new, dropped = self.run.updated_readme(self.readme, self.NEW)
        self.assertIn("<!-- results:start -->\n" + self.NEW + "\n<!-- results:end -->", new)
        self.assertNotIn("old table", new)
        self.assertNotIn("erratum", new)
        self.assertNotIn("figure X", new)
        self.assertNotIn("The old run's figures, read.", new)
        self.assertIn("## Reading the results (run of 2026-12-07 10:00 UTC above)\n\n"
                      "Not written yet.", new)
        self.assertIn("those for the run of 2026-11-30 04:56 UTC described numbers no longer "
                      "shown", " ".join(new.split()))
        # The stub is prose of the README like the rest: folded, as a run's is.
        self.assertEqual([line for line in new.split("\n") if len(line) > self.run.FOLD_WIDTH], [])
        self.assertTrue(new.endswith("## After\n\nkept\n"), new)
        self.assertEqual(len(dropped), 2)

    def test_the_same_run_again_keeps_its_notes(self):
        new, dropped = self.run.updated_readme(self.readme.replace(
            "<!-- erratum:start -->\nThe old run's figure X is wrong.\n<!-- erratum:end -->\n\n",
            ""), self.OLD)
        self.assertIn("- The old run's figures, read.", new)
        self.assertEqual(dropped, [])

    def test_the_committed_readme_names_the_published_run(self):
        """The notes in bench/README.md are about the run its table shows."""
        text = Path(support.path("bench/README.md")).read_text()
        table = text.split("<!-- results:start -->", 1)[1].split("<!-- results:end -->", 1)[0]
        m = self.run.READING.search(text)
        self.assertIsNotNone(m)
        self.assertEqual(m.group("stamp"), self.run.run_stamp(table))


class FoldTest(TestCase):
    """What a run writes breaks its long lines, and reads the same."""

    def setUp(self):
        self.run = bench_module("bench/run.py")

    def test_a_long_line_breaks_after_its_clauses(self):
        clauses = [f"clause {n}: `a code span` and some words about it;" for n in range(12)]
        line = "- 1. Title: " + " ".join(clauses)
        folded = self.run.fold(line).split("\n")
        self.assertTrue(all(len(part) <= 200 for part in folded), folded)
        self.assertGreater(len(folded), 1)
        self.assertTrue(all(part.startswith("  ") for part in folded[1:]), folded)
        self.assertTrue(all(part.endswith(";") for part in folded), folded)
        self.assertEqual(" ".join(folded).split(), line.split())

    def test_a_clause_too_long_starts_a_line_and_breaks_between_words(self):
        short = "A short sentence."
        long = "A long one, " + ", ".join(f"word{n} `x y`" for n in range(40)) + "."
        folded = self.run.fold(f"{short} {long}").split("\n")
        self.assertEqual(folded[0], short)
        self.assertTrue(folded[1].startswith("A long one, "), folded)
        self.assertTrue(all(len(part) <= 200 for part in folded), folded)
        self.assertEqual(len(re.findall(r"`x y`", "\n".join(folded))), 40)  # spans whole
        self.assertEqual(" ".join(folded).split(), f"{short} {long}".split())

    def test_a_numbered_item_keeps_its_number_with_its_title(self):
        line = ("- 3. Slow server capacity: Target 10000 clients at p99 ≤ 1.2× nominal: "
                + "measured 1.05×, " * 12 + "in the worst run — **met**.")
        folded = self.run.fold(line).split("\n")
        self.assertTrue(folded[0].startswith("- 3. Slow server capacity: Target"), folded)
        self.assertTrue(all(len(part) <= self.run.FOLD_WIDTH for part in folded), folded)
        self.assertEqual(" ".join(folded).split(), line.split())

    def test_tables_headings_and_short_lines_are_left_whole(self):
        text = "\n".join(["| " + " | ".join(["cell"] * 60) + " |", "### " + "title " * 50,
                         "a short line; of two clauses."])
        self.assertEqual(self.run.fold(text), text)
