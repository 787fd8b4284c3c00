"""Benchmark 3: how many concurrent clients the Twisted slow server holds.

The Twisted slow server (Part 11, exercise 3) sends 10 bytes every 0.1 s to
every client. A poem of K chunks should arrive within (K - 1) * 0.1 s of
its first byte: that is the nominal time. The load client opens N
connections (at most a few hundred waiting for their first byte at once, so
the kernel's accept queue never overflows), holds them all, and records for
each the time from first byte to the server's close. A fresh server per run,
so its peak RSS belongs to that run.
"""

from harness import Programs, fmt, log, median, python_argv, run_load, verdict

SERVER = "twisted-server/slowpoetry.py"
SOURCE = "poetry/ecstasy.txt"
NUM_BYTES, DELAY = 10, 0.1
TARGET_RATIO = 1.2


def run(ctx):
    section = {"name": "capacity", "title": "3. Slow server capacity",
               "notes": [], "rows": []}
    for rel in ctx.slow_servers:
        measure(ctx, rel, section)
    if section["rows"]:
        section["markdown"] = markdown(ctx, section)
    return section


def measure(ctx, server_rel, section):
    """Every size, ctx.runs times, against one slow server script."""
    chunks = ctx.capacity_chunks
    poem = (ctx.root / SOURCE).read_bytes()[:chunks * NUM_BYTES]
    poem_path = ctx.tmp / "capacity-poem.txt"
    poem_path.write_bytes(poem)
    nominal = (chunks - 1) * DELAY
    results = {}
    for n in ctx.capacity_sizes:
        if n + 100 > ctx.nofile:
            note = (f"{n} clients skipped: the open-file limit is {ctx.nofile} "
                    f"and could not be raised ({ctx.nofile_note or 'not allowed'})")
            section["notes"].append(note)
            log("  " + note)
            continue
        for rep in range(ctx.runs):
            with Programs(ctx.tmp) as progs:
                server = progs.start("slow", python_argv(
                    server_rel, "--port", 0, "--num-bytes", NUM_BYTES, "--delay", DELAY,
                    "--backlog", 1024, poem_path), cpu=ctx.server_cpu)
                cpu0 = server.cpu()
                r = run_load(["burst", "--port", server.port, "--clients", n,
                              "--pending", 500, "--expect", len(poem),
                              "--timeout", nominal * 4 + n / 500 + 10],
                             cpu=ctx.client_cpu, timeout=nominal * 4 + n / 500 + 60)
                r["server_cpu"] = server.cpu() - cpu0
                r["rss"] = server.peak_rss_mb()
            results.setdefault(n, []).append(r)
            d = r["delivery"]
            log(f"  {server_rel}: {n:>6} clients run {rep + 1}/{ctx.runs}: {r['ok']} done, held "
                f"{r['held_peak']} at once, p50 {d.get('p50', 0):.2f}s p99 "
                f"{d.get('p99', 0):.2f}s (nominal {nominal:.1f}s), server CPU "
                f"{r['server_cpu'] / r['wall']:.0%}, client CPU {r['cpu_util']:.0%}, "
                f"peak RSS {r['rss']:.0f} MiB")

    for n, rs in results.items():
        section["rows"].append({
            "server": server_rel, "clients": n,
            "ok": median([r["ok"] for r in rs]),
            "ok_min": min(r["ok"] for r in rs),
            "failed": sum(r["failed"] + r["hung"] + r["not_started"] for r in rs),
            "held": median([r["held_peak"] for r in rs]),
            "p50": median([r["delivery"].get("p50") for r in rs]),
            "p99": median([r["delivery"].get("p99") for r in rs]),
            "max": max(r["delivery"].get("max", 0) for r in rs),
            "accept_p99": median([r["first_byte"].get("p99") for r in rs]),
            "rss": median([r["rss"] for r in rs]),
            "server_util": median([r["server_cpu"] / r["wall"] for r in rs]),
            "client_util": median([r["cpu_util"] for r in rs]),
            "p99s": [r["delivery"].get("p99") for r in rs],
        })
    section.update(nominal=nominal, chunks=chunks, size=len(poem))


def markdown(ctx, section):
    nominal, chunks, size = section["nominal"], section["chunks"], section["size"]
    pinning = (f"server pinned to CPU {ctx.server_cpu}, load client to CPU "
               f"{ctx.client_cpu}" if ctx.server_cpu is not None else "no pinning")
    lines = [f"Setup: a {size}-byte poem, {NUM_BYTES} bytes every {DELAY} s = {chunks} "
             f"chunks, nominal delivery {nominal:.1f} s from first byte to close; "
             f"median of {ctx.runs} runs, a fresh server each; {pinning}; "
             f"open-file limit {ctx.nofile}{' (' + ctx.nofile_note + ')' if ctx.nofile_note else ''}.",
             "",
             "| server | clients | completed | held at once | p50 delivery (s) | p99 delivery (s) | "
             "p99 / nominal | max (s) | p99 wait for first byte (s) | server CPU | "
             "load client CPU | peak RSS (MiB) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in section["rows"]:
        ratio = r["p99"] / nominal if r["p99"] is not None else None
        r["p99_ratio"] = ratio
        r["p50_ratio"] = r["p50"] / nominal if r["p50"] is not None else None
        lines.append(
            f"| {r['server']} | {r['clients']} | {r['ok']:.0f}/{r['clients']} (worst run {r['ok_min']}) | "
            f"{r['held']:.0f} | {fmt(r['p50'], 2)} ({fmt(r['p50_ratio'], 2, '×')}) | "
            f"{fmt(r['p99'], 2)} | {fmt(ratio, 2, '×')} | {r['max']:.2f} | "
            f"{fmt(r['accept_p99'], 3)} | {r['server_util']:.0%} | {r['client_util']:.0%} | "
            f"{r['rss']:.0f} |")
    for note in section["notes"]:
        lines.append(f"\n{note}.")
    verdicts = []
    for r in section["rows"]:
        if r["clients"] != max(ctx.capacity_sizes):
            continue
        ok = (r["p99_ratio"] is not None and r["p99_ratio"] <= TARGET_RATIO
              and r["ok_min"] == r["clients"])
        verdicts.append(f"{r['server']}: measured {fmt(r['p99_ratio'], 2, '×')}, "
                        f"{r['ok_min']}/{r['clients']} completed in the worst run — "
                        f"{verdict(ok)}")
    if verdicts:
        section["verdict"] = (f"Target {max(ctx.capacity_sizes)} clients at p99 ≤ "
                              f"{TARGET_RATIO}× nominal: " + "; ".join(verdicts) + ".")
        lines += ["", section["verdict"]]
    return "\n".join(lines)
