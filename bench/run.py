"""Run the benchmarks of bench/ and write their results.

    make bench                      (= python bench/run.py: everything, full size)
    python bench/run.py --only capacity,fanin --runs 1
    python bench/run.py --tiny --out /tmp/b     (seconds; what the smoke test runs)

Four benchmarks, side by side in one run (see bench/README.md):

    clients     blocking vs asynchronous clients against N slow servers
    throughput  fast poetry server (plugin) vs a minimal asyncio server
    capacity    thousands of clients held by the Twisted slow server
    fanin       a cold-cache burst of clients against proxy 4.0

It prints progress on stderr, writes results.md, results.json and the PNG
plots to --out (default bench/results/), and after a full-size run of all
four it also puts the table and plots into bench/README.md. A benchmark
whose program is not in the tree yet is skipped with a note saying so.
Everything runs on loopback, is bounded in time and count, and stops by
itself; every process started is stopped before the next benchmark.
"""

import argparse
import datetime
import json
import shlex
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import bench_capacity
import bench_clients
import bench_fanin
import bench_throughput
import harness
from harness import log
from pngplot import LinePlot

BENCHMARKS = {
    "clients": bench_clients,
    "throughput": bench_throughput,
    "capacity": bench_capacity,
    "fanin": bench_fanin,
}
FULL = dict(client_sizes=[1, 2, 5, 10, 20], per_poem=1.0,
            concurrencies=[1, 10, 100, 1000], duration=2.0,
            capacity_sizes=[1000, 5000, 10000], capacity_chunks=41,
            burst_sizes=[100, 1000], upstream_delay=1.0, runs=3)
TINY = dict(client_sizes=[2], per_poem=0.1,
            concurrencies=[10], duration=0.15,
            capacity_sizes=[20], capacity_chunks=4,
            burst_sizes=[10], upstream_delay=0.2, runs=1)
README = harness.BENCH / "README.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Measure what asynchronous I/O buys: clients, servers, proxy.",
        epilog="Example: %(prog)s --only throughput --runs 5")
    parser.add_argument("--only", default=",".join(BENCHMARKS),
                        help="comma-separated benchmarks to run "
                             f"(default: all of {', '.join(BENCHMARKS)})")
    parser.add_argument("--runs", type=int, default=None,
                        help="repetitions of each measurement (default: 3, tiny: 1)")
    parser.add_argument("--tiny", action="store_true",
                        help="tiny sizes, a few seconds in all (the smoke test)")
    parser.add_argument("--out", default=None,
                        help="directory for results.md, results.json and the plots "
                             "(default: bench/results)")
    parser.add_argument("--slow-server", default=None, metavar="SCRIPT",
                        help="measure this slow server in the capacity benchmark "
                             f"(default: {bench_capacity.SERVER})")
    parser.add_argument("--no-readme", action="store_true",
                        help="do not update bench/README.md even after a full run")
    args = parser.parse_args(argv)
    args.only = [b.strip() for b in args.only.split(",") if b.strip()]
    unknown = [b for b in args.only if b not in BENCHMARKS]
    if unknown or not args.only:
        parser.error(f"argument --only: unknown benchmark(s) {', '.join(unknown) or '(none)'}; "
                     f"choose from {', '.join(BENCHMARKS)}")
    if args.runs is not None and not 1 <= args.runs <= 20:
        parser.error("argument --runs: must be from 1 to 20")
    return args


def plot_clients(section, path):
    if not section.get("rows"):
        return None
    plot = LinePlot("Wall time to get N poems (about 1 s each)",
                    "number of slow servers (N)", "seconds, median")
    sizes = sorted({r["N"] for r in section["rows"]})
    plot.xticks = [0] + sizes
    for name, color in section["colors"].items():
        pts = [(r["N"], r["wall"]) for r in section["rows"] if r["client"] == name]
        plot.add(name, pts, color)
    plot.save(path)
    return path.name


def plot_throughput(section, path):
    if not section.get("rows"):
        return None
    plot = LinePlot("Fast server: connections per second",
                    "concurrent connections (c)", "conn/s, median")
    cs = sorted({r["c"] for r in section["rows"]})
    plot.xticks = [(i, str(c)) for i, c in enumerate(cs)]
    colors = {"fastpoetry plugin": (30, 150, 60), "fastpoetry 1.0": (150, 60, 170),
              "asyncio baseline": (40, 90, 200)}
    for name, color in colors.items():
        pts = [(cs.index(r["c"]), r["rate"]) for r in section["rows"]
               if r["server"] == name]
        plot.add(name, pts, color)
    plot.save(path)
    return path.name


def report(ctx, sections, command, elapsed):
    m = ctx.machine
    pinning = (f"servers on CPU {ctx.server_cpu}, load client on CPU {ctx.client_cpu} "
               "(os.sched_setaffinity)" if ctx.server_cpu is not None
               else "none (fewer than two usable CPUs)")
    lines = [
        f"Command: `{command}` — {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, "
        f"took {elapsed / 60:.1f} min.", "",
        f"Machine: {m['cores']} cores ({m['usable_cpus']} usable) {m['cpu_model']}; "
        f"{m['os']}; {m['implementation']} {m['python']}; Twisted {m['twisted']}; "
        f"reactor {m['reactor']}; pinning: {pinning}; open-file limit "
        f"{ctx.nofile_before} → {ctx.nofile}"
        f"{' (' + ctx.nofile_note + ')' if ctx.nofile_note else ''}. "
        f"Medians of {ctx.runs} run(s) each.", ""]
    summary = [f"- {s['title']}: {s['verdict']}" for s in sections if s.get("verdict")]
    if summary:
        lines += ["Targets at a glance:", ""] + summary + [""]
    for s in sections:
        lines += [f"### {s['title']}", ""]
        if s.get("machine_busy") is not None:
            lines += [f"*Took {s['seconds']:.0f} s; the machine's CPUs were "
                      f"{s['machine_busy']:.0%} busy meanwhile, benchmark included.*", ""]
        for note in s["notes"]:
            if s.get("markdown") is None or "not available" in note:
                lines += [f"*{note}.*", ""]
        if s.get("markdown"):
            lines += [s["markdown"], ""]
        for plot in s.get("plots", []):
            lines += [f"![{s['title']}]({ctx.plot_prefix}{plot})", ""]
    return "\n".join(lines)


def update_readme(text):
    old = README.read_text() if README.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    if START not in old or END not in old:
        old = old.rstrip("\n") + f"\n\n{START}\n{END}\n"
    head, rest = old.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{START}\n{text}\n{END}{tail}")


def main(argv=None):
    args = parse_args(argv)
    sizes = dict(TINY if args.tiny else FULL)
    if args.runs:
        sizes["runs"] = args.runs
    out = Path(args.out) if args.out else harness.BENCH / "results"
    out.mkdir(parents=True, exist_ok=True)
    command = "python bench/run.py" + "".join(
        " " + shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))

    started = time.monotonic()
    server_cpu, client_cpu = harness.cpu_plan()
    # Server and load client are separate processes; each needs one
    # descriptor per client and some to spare.
    wanted = max(sizes["capacity_sizes"] + sizes["burst_sizes"]) + 1000
    before, nofile, note = harness.raise_nofile(wanted)
    log(f"open-file limit {before} -> {nofile}" + (f" ({note})" if note else ""))
    log("probing the machine ...")
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        ctx = SimpleNamespace(
            root=harness.ROOT, tmp=Path(tmp), server_cpu=server_cpu,
            client_cpu=client_cpu, nofile=nofile, nofile_before=before,
            nofile_note=note, machine=harness.machine(),
            slow_servers=[args.slow_server or bench_capacity.SERVER],
            **sizes)
        sections = []
        for name in args.only:
            t0 = time.monotonic()
            log(f"== {name} ==")
            busy0 = harness.machine_busy()
            section = BENCHMARKS[name].run(ctx)
            section["seconds"] = time.monotonic() - t0
            # How busy the whole machine was meanwhile (ours and anyone else's).
            section["machine_busy"] = harness.machine_busy(busy0)
            log(f"== {name} done in {section['seconds']:.1f}s ==")
            sections.append(section)

    plots = {"clients": plot_clients, "throughput": plot_throughput}
    for s in sections:
        s["plots"] = []
        if s["name"] in plots:
            made = plots[s["name"]](s, out / f"{s['name']}.png")
            if made:
                s["plots"].append(made)
    elapsed = time.monotonic() - started
    full_run = (not args.tiny and args.runs in (None, FULL["runs"])
                and args.only == list(BENCHMARKS)
                and args.slow_server is None)
    # results.md sits beside its plots; the README one level up.
    ctx.plot_prefix = ""
    text = report(ctx, sections, command, elapsed)
    (out / "results.md").write_text(f"# Benchmark results\n\n{text}\n")
    with open(out / "results.json", "w") as f:
        json.dump({"command": command, "machine": ctx.machine,
                   "elapsed": elapsed, "sizes": sizes,
                   "sections": sections}, f, indent=1, default=str)
    if full_run and not args.no_readme and args.out is None:
        ctx.plot_prefix = "results/"
        update_readme(report(ctx, sections, command, elapsed))
        log(f"updated {README.relative_to(harness.ROOT)}")
    print(text)
    log(f"wrote {out}/results.md, results.json and plots in {elapsed:.0f}s")


if __name__ == "__main__":
    main()
