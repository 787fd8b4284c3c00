"""Benchmark 4: proxy fan-in on a cold cache.

A burst of N clients hits a freshly started proxy (empty cache) at once.
The upstream poetry server is the asyncio baseline holding each poem back
for UPSTREAM_DELAY seconds, so the whole burst arrives while the first
fetch is still under way; it prints a line per connection, which is how we
count upstream fetches. Proxy 4.0 should fetch exactly once. Proxy 3.0, the
text's version, is measured beside it for contrast: it fetches once per
client while the cache is cold.
"""

from harness import Programs, fmt, log, median, python_argv, run_load, verdict

UPSTREAM = "bench/asyncio_server.py"
POEM = "poetry/science.txt"
PROXIES = [("proxy 4.0", "twisted-server/poetry-proxy-4.0.py"),
           ("proxy 3.0", "twisted-server/poetry-proxy-3.0.py")]


def run(ctx):
    section = {"name": "fanin", "title": "4. Proxy fan-in", "notes": [], "rows": []}
    present = PROXIES
    size = (ctx.root / POEM).stat().st_size
    delay = ctx.upstream_delay
    results = {}
    with Programs(ctx.tmp) as progs:
        upstream = progs.start("upstream", python_argv(
            UPSTREAM, "--port", 0, "--delay", delay, "--log", ctx.root / POEM),
            cpu=ctx.server_cpu)
        for n in ctx.burst_sizes:
            for rep in range(ctx.runs):
                for name, rel in present:
                    before = upstream.output().count("connection ")
                    proxy = progs.start("proxy", python_argv(
                        rel, "--port", 0, upstream.port), cpu=ctx.server_cpu)
                    r = run_load(["burst", "--port", proxy.port, "--clients", n,
                                  "--expect", size, "--timeout", delay * 2 + 8],
                                 cpu=ctx.client_cpu, timeout=delay * 2 + 60)
                    progs.stop(proxy)
                    r["fetches"] = upstream.output().count("connection ") - before
                    results.setdefault((name, n), []).append(r)
                    lat = r["latency"]
                    log(f"  {name} burst {n:>5} run {rep + 1}/{ctx.runs}: "
                        f"{r['fetches']} upstream fetches, {r['ok']}/{n} done, "
                        f"p99 {lat.get('p99', 0):.3f}s, failed {r['failed']}, "
                        f"hung {r['hung']}")
    for n in ctx.burst_sizes:
        for name, _ in present:
            rs = results[(name, n)]
            section["rows"].append({
                "proxy": name, "clients": n,
                "fetches": sorted(r["fetches"] for r in rs),
                "ok": median([r["ok"] for r in rs]),
                "ok_min": min(r["ok"] for r in rs),
                "bad": sum(r["failed"] + r["hung"] + r["not_started"] for r in rs),
                "p50": median([r["latency"].get("p50") for r in rs]),
                "p99": median([r["latency"].get("p99") for r in rs]),
                "max": max(r["latency"].get("max", 0) for r in rs),
                "client_util": median([r["cpu_util"] for r in rs]),
            })
    section["markdown"] = markdown(ctx, section, size, delay)
    return section


def markdown(ctx, section, size, delay):
    lines = [f"Setup: a fresh proxy per burst (cold cache); upstream is "
             f"bench/asyncio_server.py serving {POEM} ({size} bytes) after "
             f"{delay} s; latency is connect to close at the client, whose "
             f"floor is that {delay} s; a client still waiting after "
             f"{delay * 2 + 8:g} s counts as hung; {ctx.runs} runs per size.", "",
             "| proxy | burst | upstream fetches (each run) | completed (worst run) | "
             "p50 latency (s) | p99 latency (s) | max (s) | failed+hung |",
             "|---|---|---|---|---|---|---|---|"]
    for r in section["rows"]:
        lines.append(
            f"| {r['proxy']} | {r['clients']} | {', '.join(map(str, r['fetches']))} | "
            f"{r['ok']:.0f}/{r['clients']} ({r['ok_min']}) | {fmt(r['p50'], 3)} | "
            f"{fmt(r['p99'], 3)} | {r['max']:.3f} | {r['bad']} |")
    mine = [r for r in section["rows"] if r["proxy"] == "proxy 4.0"]
    if mine:
        ok_fetch = all(f == 1 for r in mine for f in r["fetches"])
        ok_done = all(r["ok_min"] == r["clients"] and r["bad"] == 0 for r in mine)
        worst = max(r["p99"] or 0 for r in mine)
        section["verdict"] = (
            f"Target exactly 1 upstream fetch per cold burst (proxy 4.0): "
            f"{verdict(ok_fetch)}; every client served: {verdict(ok_done)}; "
            f"worst p99 {worst:.3f} s against the {delay} s upstream floor.")
        lines += ["", section["verdict"]]
    return "\n".join(lines)
