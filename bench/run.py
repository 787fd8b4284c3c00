"""Run the benchmarks of bench/ and write their results.

    make bench                      (= python bench/run.py: everything, full size)
    make bench-publish              (= python bench/run.py --publish: the last full run
                                     becomes the committed copy)
    python bench/run.py --only capacity,fanin --runs 1
    python bench/run.py --only throughput --rate 5000
    python bench/run.py --tiny --out /tmp/b     (seconds; what the smoke test runs)

Four benchmarks, side by side in one run (see bench/README.md):

    clients     blocking vs asynchronous clients against N slow servers
    throughput  the fastpoetry plugin vs minimal Twisted, asyncio and logging asyncio
    capacity    thousands of clients held by the Twisted slow server
    fanin       a cold-cache burst of clients against proxy 4.0

It prints progress on stderr and writes results.md, results.json and the
plots (PNG, drawn with matplotlib when it is installed: `make bench`
installs the `bench` extra) to --out, by default bench/out/, which git
ignores: a run never changes a tracked file. `--publish` copies the last
full-size run of all four from bench/out/ to bench/results/ and puts its
table into bench/README.md, the committed copy. Everything runs on
loopback, is bounded in time and count, and stops by itself; every process
started is stopped before the next benchmark.
"""

import argparse
import datetime
import json
import re
import shlex
import shutil
import signal
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

BENCHMARKS = {
    "clients": bench_clients,
    "throughput": bench_throughput,
    "capacity": bench_capacity,
    "fanin": bench_fanin,
}
FULL = dict(client_sizes=[1, 2, 5, 10, 20], per_poem=1.0,
            concurrencies=[100, 1000], duration=2.0, throughput_runs=5,
            capacity_sizes=[1000, 5000, 10000], capacity_chunks=41,
            burst_sizes=[100, 1000], upstream_delay=1.0, runs=3)
TINY = dict(client_sizes=[2], per_poem=0.1,
            concurrencies=[10], duration=0.15, throughput_runs=1,
            capacity_sizes=[20], capacity_chunks=4,
            burst_sizes=[10], upstream_delay=0.2, runs=1)
README = harness.BENCH / "README.md"
OUT = harness.BENCH / "out"            # ignored by git: every run writes here
PUBLISHED = harness.BENCH / "results"  # the committed copy, changed by --publish only
PUBLISH_FILES = ["results.md", "results.json", "clients.png", "throughput.png"]
START, END = "<!-- results:start -->", "<!-- results:end -->"
# A note about the published run (say, a correction), which goes when the
# run it is about is replaced.
ERRATUM_START, ERRATUM_END = "<!-- erratum:start -->", "<!-- erratum:end -->"
# The hand-written notes on the published run; their heading names the run.
READING = re.compile(r"^## Reading the results \(run of (?P<stamp>[^)]*) above\)\n.*?(?=^## |\Z)",
                     re.M | re.S)
# bench/README.md is a README: no line of it may be longer than 200
# characters. A run's prose breaks well short of that (at 150), which leaves
# room for the multi-byte characters (×, ≥, µ) of its figures, so that even
# a byte count stays under 200.
FOLD_WIDTH = 150


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
                             "(default: bench/out, ignored by git)")
    parser.add_argument("--slow-server", default=None, metavar="SCRIPT",
                        help="measure this slow server in the capacity benchmark "
                             f"(default: {bench_capacity.SERVER})")
    parser.add_argument("--rate", type=float, default=None, metavar="CONN_PER_S",
                        help="throughput: drive every server at this fixed offered rate "
                             "instead of saturating it (needs the compiled load generator)")
    parser.add_argument("--python-load", action="store_true",
                        help="throughput: use the Python load client even if cc works")
    parser.add_argument("--publish", action="store_true",
                        help="run nothing; copy the last full run in bench/out to "
                             "bench/results and its table into bench/README.md")
    args = parser.parse_args(argv)
    if args.publish:
        return args
    args.only = [b.strip() for b in args.only.split(",") if b.strip()]
    unknown = [b for b in args.only if b not in BENCHMARKS]
    if unknown or not args.only:
        parser.error(f"argument --only: unknown benchmark(s) {', '.join(unknown) or '(none)'}; "
                     f"choose from {', '.join(BENCHMARKS)}")
    if args.runs is not None and not 1 <= args.runs <= 20:
        parser.error("argument --runs: must be from 1 to 20")
    if args.rate is not None and not 1 <= args.rate <= 1_000_000:
        parser.error("argument --rate: must be from 1 to 1000000 connections a second")
    if args.rate and args.python_load:
        parser.error("argument --rate: the Python load client has no fixed-rate mode")
    if args.slow_server and not (harness.ROOT / args.slow_server).is_file():
        parser.error(f"argument --slow-server: no such script {args.slow_server!r}")
    return args


def pyplot():
    """matplotlib's pyplot on the file-only Agg backend, or None when the
    `bench` extra is not installed (the run then says so)."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_clients(plt, section, path):
    fig, ax = plt.subplots(figsize=(7.2, 4.8), dpi=100)
    sizes = sorted({r["N"] for r in section["rows"]})
    for name, color in section["colors"].items():
        pts = sorted((r["N"], r["wall"]) for r in section["rows"] if r["client"] == name)
        ax.plot([n for n, _ in pts], [w for _, w in pts], marker="o", color=color, label=name)
    ax.set(title=f"Wall time to get N poems (about {section['per_poem']:g} s each)",
           xlabel="number of slow servers (N)", ylabel="seconds, median", xticks=sizes)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_throughput(plt, section, path):
    c = section.get("target_c") or max(r["c"] for r in section["rows"])
    rows = [r for r in section["rows"] if r["c"] == c]
    fig, ax = plt.subplots(figsize=(7.2, 4.8), dpi=100)
    names = [r["server"] for r in rows]
    values = [r["cpu_us"] or 0 for r in rows]
    lows = [r["cpu_us"] - r["cpu_us_range"][0] if r["cpu_us_range"] else 0 for r in rows]
    highs = [r["cpu_us_range"][1] - r["cpu_us"] if r["cpu_us_range"] else 0 for r in rows]
    colors = ["tab:green" if n.startswith("plugin") else "tab:gray" for n in names]
    ax.barh(names, values, xerr=[lows, highs], color=colors, capsize=3)
    ax.invert_yaxis()
    ax.set(title=f"Fast server: CPU per connection at c = {c}",
           xlabel="µs of server CPU per connection, lower is better\n"
                  "(bar: median; whiskers: range of the counted runs)")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


PLOTS = {"clients": plot_clients, "throughput": plot_throughput}


def report(ctx, sections, command, elapsed):
    m = ctx.machine
    pinning = (f"servers on CPU {ctx.server_cpu}, load client on CPU {ctx.client_cpu} "
               "(os.sched_setaffinity)" if ctx.server_cpu is not None
               else "none (fewer than two usable CPUs)")
    lines = [
        f"Command: `{command}` — {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, "
        f"took {elapsed / 60:.1f} min.", "",
        # One paragraph, over lines that fold() need not break inside
        # "Twisted X; reactor Y" whatever the machine's name.
        f"Machine: {m['cores']} cores ({m['usable_cpus']} usable) {m['cpu_model']}; "
        f"{m['os']}; {m['implementation']} {m['python']};",
        f"Twisted {m['twisted']}; reactor {m['reactor']}; pinning: {pinning}; open-file limit "
        f"{ctx.nofile_before} → {ctx.nofile}"
        f"{' (' + ctx.nofile_note + ')' if ctx.nofile_note else ''}.",
        f"Medians of {ctx.runs} run(s) each (throughput: {ctx.throughput_runs}).", ""]
    summary = [f"- {s['title']}: {s['verdict']}" for s in sections if s.get("verdict")]
    if summary:
        lines += ["Targets at a glance:", ""] + summary + [""]
    for s in sections:
        lines += [f"### {s['title']}", ""]
        if s.get("machine_busy") is not None:
            la = s.get("load_average") or [0, 0]
            lines += [f"*Took {s['seconds']:.0f} s; the machine's CPUs were "
                      f"{s['machine_busy']:.0%} busy meanwhile, benchmark included; "
                      f"1-minute load average {la[0]:.1f} before, {la[1]:.1f} after.*", ""]
        for note in s["notes"]:
            lines += [f"*{note}.*", ""]
        if s.get("markdown"):
            lines += [s["markdown"], ""]
        for plot in s.get("plots", []):
            lines += [f"![{s['title']}]({ctx.plot_prefix}{plot})", ""]
    return fold("\n".join(lines))


# Where a long line may break: after a sentence or a "; " clause; failing
# that, between words, a `code span` being one word.
CLAUSE = re.compile(r"(?<=[.;]) +")
WORD = re.compile(r"(?:[^\s`]|`[^`]*`)+")
# A line starting so would be read as a list item, a heading or a table row.
NOT_A_START = re.compile(r"[-+*] |\d+[.)] |#|\|")


def fold(text, width=FOLD_WIDTH):
    """text with no prose line over `width` characters. Markdown joins the
    lines of a paragraph, so this changes how the file reads in an editor,
    not what it shows: a long line breaks after its sentences and "; "
    clauses, as many to a line as fit, and a clause still too long starts a
    line of its own and breaks between words. A list item goes on indented
    under its first line. Tables, headings and images are left whole:
    Markdown cannot break them."""
    out = []
    for line in text.split("\n"):
        if len(line) <= width or line.startswith(("|", "#", "![")):
            out.append(line)
            continue
        indent = "  " if re.match(r"[-*] |\d+\. ", line) else ""
        pieces = []  # (text, whether it must start a line)
        clauses = CLAUSE.split(line)
        # A numbered item's number ("- 3.") is not a sentence of its own.
        if len(clauses) > 1 and re.fullmatch(r"(?:[-*] )?\d+\.", clauses[0]):
            clauses[:2] = [f"{clauses[0]} {clauses[1]}"]
        for clause in clauses:
            if len(indent + clause) <= width:
                pieces.append((clause, False))
            else:
                words = WORD.findall(clause)
                pieces += [(words[0], True)] + [(word, False) for word in words[1:]]
        folded = [pieces[0][0]]
        for piece, starts_a_line in pieces[1:]:
            joined = f"{folded[-1]} {piece}"
            if NOT_A_START.match(piece) or (not starts_a_line and len(joined) <= width):
                folded[-1] = joined
            else:
                folded.append(indent + piece)
        out.extend(folded)
    return "\n".join(out)


def run_stamp(text):
    """When the run a results section reports was made, as its Command line
    gives it ("2026-11-30 04:56 UTC"), or None."""
    m = re.search(r"^Command: `[^`]*` — (.+?), took ", text, re.M)
    return m.group(1) if m else None


def updated_readme(old, text):
    """bench/README.md with `text` (a run's section) between the results
    markers. The erratum about the run it replaces is dropped, and notes
    written by hand for another run ("Reading the results (run of X
    above)") become a stub saying they are to be written: they would
    describe numbers no longer shown. Returns (new text, a line for each
    thing dropped)."""
    if START not in old or END not in old:
        old = old.rstrip("\n") + f"\n\n{START}\n{END}\n"
    head, rest = old.split(START, 1)
    _, tail = rest.split(END, 1)
    dropped = []
    if ERRATUM_START in head and ERRATUM_END in head:
        before, rest = head.split(ERRATUM_START, 1)
        head = before.rstrip("\n") + "\n\n" + rest.split(ERRATUM_END, 1)[1].lstrip("\n")
        dropped.append("removed the erratum about the run this one replaces")
    new_stamp = run_stamp(text)
    m = READING.search(tail)
    if m and m.group("stamp") != new_stamp:
        stub = (f"## Reading the results (run of {new_stamp} above)\n\n"
                f"Not written yet. The notes here are written by hand for each published "
                f"run; those for the run of {m.group('stamp')} described numbers no longer "
                f"shown, so `make bench-publish` removed them. Until these are written, "
                f"the targets at a glance above are the run's own verdicts.")
        stub = fold(stub) + "\n\n"
        tail = tail[:m.start()] + stub + tail[m.end():]
        tail = tail.rstrip("\n") + "\n"
        dropped.append(f"replaced the notes on the run of {m.group('stamp')} (Reading the "
                       f"results) with a stub: write them for this run")
    return f"{head}{START}\n{text}\n{END}{tail}", dropped


def update_readme(text):
    old = README.read_text() if README.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    new, dropped = updated_readme(old, text)
    README.write_text(new)
    for what in dropped:
        log(f"{README.relative_to(harness.ROOT)}: {what}")


def publish():
    """Make the last full run in bench/out the committed copy."""
    results = OUT / "results.json"
    if not results.exists():
        sys.exit(f"run.py: nothing to publish: no {results.relative_to(harness.ROOT)}; "
                 "run `make bench` first")
    data = json.loads(results.read_text())
    if not data.get("full"):
        sys.exit(f"run.py: the last run ({data.get('command')}) was not a full run of all "
                 "four benchmarks; run `make bench` first")
    PUBLISHED.mkdir(exist_ok=True)
    for name in PUBLISH_FILES:
        if (OUT / name).exists():
            shutil.copyfile(OUT / name, PUBLISHED / name)
    update_readme((OUT / "readme-section.md").read_text())
    log(f"published {OUT.relative_to(harness.ROOT)} to "
        f"{PUBLISHED.relative_to(harness.ROOT)} and {README.relative_to(harness.ROOT)}")


def stop_on_sigterm(signum, frame):
    # SystemExit unwinds the `with Programs(...)` blocks, so the servers
    # a benchmark started are stopped too (SIGTERM's default would orphan them).
    sys.exit(128 + signum)


def main(argv=None):
    args = parse_args(argv)
    if args.publish:
        return publish()
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    sizes = dict(TINY if args.tiny else FULL)
    if args.runs:
        sizes["runs"] = sizes["throughput_runs"] = args.runs
    out = Path(args.out) if args.out else OUT
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
    loadgen, loadgen_note = None, "bench/load.py (--python-load)"
    if "throughput" in args.only and not args.python_load:
        loadgen, why = harness.build_loadgen(out)
        if loadgen is None:
            if args.rate:
                sys.exit(f"run.py: --rate needs the compiled load generator: {why}")
            # One clause, so that fold() keeps it on one line.
            loadgen_note = (f"bench/load.py, the Python fallback ({why}), which tops out "
                            "near 20,000 connections a second, so some runs may be "
                            "limited by it")
        else:
            loadgen_note = why
        log(f"load client: {loadgen_note}")
    log("probing the machine ...")
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        ctx = SimpleNamespace(
            root=harness.ROOT, tmp=Path(tmp), server_cpu=server_cpu,
            client_cpu=client_cpu, nofile=nofile, nofile_before=before,
            nofile_note=note, machine=harness.machine(),
            slow_servers=[args.slow_server or bench_capacity.SERVER],
            loadgen=loadgen, loadgen_note=loadgen_note, rate=args.rate,
            **sizes)
        sections = []
        for name in args.only:
            t0 = time.monotonic()
            log(f"== {name} ==")
            busy0 = harness.machine_busy()
            load0 = harness.load_average()[0]
            section = BENCHMARKS[name].run(ctx)
            section["seconds"] = time.monotonic() - t0
            # How busy the whole machine was meanwhile (ours and anyone else's).
            section["machine_busy"] = harness.machine_busy(busy0)
            section["load_average"] = [load0, harness.load_average()[0]]
            log(f"== {name} done in {section['seconds']:.1f}s ==")
            sections.append(section)

    plt = pyplot()
    for s in sections:
        s["plots"] = []
        if s["name"] in PLOTS and s.get("rows"):
            if plt is None:
                s["notes"].append("no plot: matplotlib is not installed "
                                  "(`make bench` installs it: pip install -e \".[bench]\")")
            else:
                PLOTS[s["name"]](plt, s, out / f"{s['name']}.png")
                s["plots"].append(f"{s['name']}.png")
    elapsed = time.monotonic() - started
    full_run = (not args.tiny and args.runs is None and args.only == list(BENCHMARKS)
                and args.slow_server is None and args.rate is None and not args.python_load)
    # results.md sits beside its plots; the README one level up.
    ctx.plot_prefix = ""
    text = report(ctx, sections, command, elapsed)
    (out / "results.md").write_text(f"# Benchmark results\n\n{text}\n")
    with open(out / "results.json", "w") as f:
        json.dump({"command": command, "machine": ctx.machine, "full": full_run,
                   "elapsed": elapsed, "sizes": sizes, "loadgen": loadgen_note,
                   "sections": sections}, f, indent=1, default=str)
    ctx.plot_prefix = "results/"
    (out / "readme-section.md").write_text(report(ctx, sections, command, elapsed))
    print(text)
    plots = [p for s in sections for p in s["plots"]]
    wrote = ", ".join(["results.md", "results.json"] + plots)
    if plots:
        why_none = ""
    elif plt is None:
        why_none = " (no plots: matplotlib is not installed)"
    else:
        why_none = " (no plots: only the clients and throughput benchmarks draw one)"
    log(f"wrote {wrote} in {out}{why_none}, in {elapsed:.0f}s"
        + ("; `make bench-publish` makes this run the committed copy" if full_run
           and out == OUT else ""))


if __name__ == "__main__":
    main()
