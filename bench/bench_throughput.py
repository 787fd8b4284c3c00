"""Benchmark 2: fast server throughput.

Connections per second, and server CPU per connection, for the shipped fast
poetry server (`twistd -n fastpoetry`, the Part 16 plugin, which logs every
connection), the minimal Twisted server of Part 11 (fastpoetry-1.0.py, no
logging) and a minimal plain-asyncio server, at several concurrencies. All
servers run at once, pinned to one core and idle while another is measured;
the load client (bench/load.py) is pinned to the other core, and the runs
are interleaved so drift in the machine hits every server alike.
"""

import re

from harness import (
    TWISTD, Programs, fmt, log, median, missing, python_argv, run_load, verdict,
)

POEM = "poetry/ecstasy.txt"
PLUGIN = "twisted/plugins/fastpoetry_plugin.py"
MINIMAL = "twisted-server/fastpoetry-1.0.py"
BASELINE = "bench/asyncio_server.py"
TARGET_RATIO, TARGET_C = 1.2, 100


def servers(ctx):
    """name -> (required file, how to start it) for the servers present."""
    poem = str(ctx.root / POEM)
    table = {
        "fastpoetry plugin": (PLUGIN, lambda: dict(
            argv=[TWISTD, "-n", "--pidfile=", "--logfile=-", "fastpoetry",
                  "--port", "0", "--poem", poem],
            cwd=ctx.tmp, ready=re.compile(r"PoetryFactory starting on (\d+)"))),
        "fastpoetry 1.0": (MINIMAL, lambda: dict(
            argv=python_argv(MINIMAL, "--port", 0, poem))),
        "asyncio baseline": (BASELINE, lambda: dict(
            argv=python_argv(BASELINE, "--port", 0, poem))),
    }
    return table


def run(ctx):
    section = {"name": "throughput", "title": "2. Fast server throughput",
               "notes": [], "rows": []}
    size = (ctx.root / POEM).stat().st_size
    present = []
    for name, (rel, how) in servers(ctx).items():
        if missing(rel):
            section["notes"].append(f"{name}: not available yet ({rel} missing)")
        else:
            present.append((name, how))
    if not present:
        return section

    scpu, ccpu = ctx.server_cpu, ctx.client_cpu
    results = {}
    with Programs(ctx.tmp) as progs:
        specs = []
        for name, how in present:
            kw = how()
            argv = kw.pop("argv")
            specs.append((name.replace(" ", "_"), argv, dict(kw, cpu=scpu)))
        procs = dict(zip([n for n, _ in present], progs.start_all(specs)))
        for name, p in procs.items():
            log(f"  {name} on port {p.port}")
        for c in ctx.concurrencies:
            for rep in range(ctx.runs):
                k = rep % len(present)
                for name, _ in present[k:] + present[:k]:
                    p = procs[name]
                    cpu0 = p.cpu()
                    r = run_load(["loop", "--port", p.port, "--concurrency", c,
                                  "--duration", ctx.duration, "--expect", size,
                                  "--grace", 10],
                                 cpu=ccpu, timeout=ctx.duration + 60)
                    r["server_cpu"] = p.cpu() - cpu0
                    results.setdefault((name, c), []).append(r)
                    log(f"  c={c:<5} run {rep + 1}/{ctx.runs} {name:<18} "
                        f"{r['rate']:8.0f} conn/s  server {r['server_cpu'] / r['wall']:4.0%} "
                        f"client {r['cpu_util']:4.0%} cpu  failed {r['failed']} hung {r['hung']}")

    names = [n for n, _ in present]
    for c in ctx.concurrencies:
        for name in names:
            rs = results[(name, c)]
            section["rows"].append({
                "server": name, "c": c,
                "rate": median([r["rate"] for r in rs]),
                "cpu_us": median([r["server_cpu"] / r["ok"] * 1e6 if r["ok"] else None
                                  for r in rs]),
                "server_util": median([r["server_cpu"] / r["wall"] for r in rs]),
                "client_util": median([r["cpu_util"] for r in rs]),
                "p99_ms": median([r["latency"].get("p99", 0) * 1e3 for r in rs]),
                "max_ms": max(r["latency"].get("max", 0) * 1e3 for r in rs),
                "failed": sum(r["failed"] for r in rs),
                "hung": sum(r["hung"] for r in rs),
                "ok": sum(r["ok"] for r in rs),
                "rates": [r["rate"] for r in rs],
            })
    section["markdown"] = markdown(ctx, section, names)
    return section


def markdown(ctx, section, names):
    pinning = (f"servers pinned to CPU {ctx.server_cpu}, load client to CPU "
               f"{ctx.client_cpu}" if ctx.server_cpu is not None
               else "no pinning (fewer than two usable CPUs)")
    lines = [f"Setup: {POEM} ({(ctx.root / POEM).stat().st_size} bytes) per connection; "
             f"each run keeps c connections going for {ctx.duration} s; "
             f"median of {ctx.runs} interleaved runs; {pinning}. "
             "Server CPU is user+system time from /proc over the run.", "",
             "| c | server | conn/s | vs asyncio | server CPU/conn (µs) | server CPU | "
             "load client CPU | p99 latency (ms) | failed | hung |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    rows = {(r["server"], r["c"]): r for r in section["rows"]}
    base = "asyncio baseline" if "asyncio baseline" in names else None
    client_bound = []
    for c in ctx.concurrencies:
        for name in names:
            r = rows[(name, c)]
            ratio = (r["rate"] / rows[(base, c)]["rate"]) if base else None
            r["ratio"] = ratio
            busy = r["client_util"] >= 0.9
            if busy:
                client_bound.append(f"{name} at c={c}")
            lines.append(
                f"| {c} | {name} | {r['rate']:.0f} | {fmt(ratio, 2, '×')} | "
                f"{fmt(r['cpu_us'], 0)} | {r['server_util']:.0%} | "
                f"{r['client_util']:.0%}{' (saturated)' if busy else ''} | "
                f"{r['p99_ms']:.1f} | {r['failed']} | {r['hung']} |")
    lines.append("")
    if client_bound:
        lines.append("Load client at ≥ 90% CPU (it may be the bottleneck there): "
                     + ", ".join(client_bound) + ".")
    else:
        lines.append("The load client stayed below 90% of its core in every run, "
                     "so it was not the bottleneck.")
    verdicts = []
    plug = "fastpoetry plugin"
    if base and (plug, TARGET_C) in rows:
        ratio = rows[(plug, TARGET_C)]["ratio"]
        ok = ratio >= TARGET_RATIO

        def cpu_ratio(name):
            # CPU per connection is steadier than conn/s on a shared machine.
            a, b = rows[(base, TARGET_C)]["cpu_us"], rows[(name, TARGET_C)]["cpu_us"]
            return fmt(a / b if a and b else None, 2, "×")

        verdicts.append(f"Target ≥ {TARGET_RATIO}× the asyncio baseline at c = {TARGET_C}: "
                        f"measured {ratio:.2f}× conn/s for the shipped plugin — {verdict(ok)} "
                        f"(asyncio's CPU per connection over the plugin's: {cpu_ratio(plug)}).")
        if ("fastpoetry 1.0", TARGET_C) in rows:
            verdicts.append(f"Minimal Twisted server, fastpoetry 1.0: "
                            f"{rows[('fastpoetry 1.0', TARGET_C)]['ratio']:.2f}× conn/s, "
                            f"{cpu_ratio('fastpoetry 1.0')} by CPU per connection.")
    cmax = max(ctx.concurrencies)
    if (plug, cmax) in rows:
        r = rows[(plug, cmax)]
        ok = r["failed"] == 0 and r["hung"] == 0
        verdicts.append(f"Target 0 failed or hung connections at c = {cmax}: measured "
                        f"{r['failed']} failed, {r['hung']} hung of {r['ok'] + r['failed'] + r['hung']} "
                        f"(max latency {r['max_ms']:.0f} ms) — {verdict(ok)}.")
    section["verdict"] = " ".join(verdicts)
    lines.append("")
    lines.extend(verdicts)
    return "\n".join(lines)
