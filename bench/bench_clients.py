"""Benchmark 1: the blocking client against the asynchronous ones.

N slow servers (the blocking slow server of Part 2, one process each), each
taking about PER_POEM seconds to deliver its poem. Every client fetches one
poem from each of N servers; we time the whole client process, start to
exit. A blocking client takes the sum of the servers' times; an
asynchronous one the time of the slowest server. That is Figures 1-3 of
the tutorial, measured.

A client process also pays a fixed cost (interpreter start, imports, the
reactor) that has nothing to do with N. We measure it by fetching one poem
from a server with no delay, right after every timed run, so the run and
the fixed cost subtracted from it see the same load on the machine (a fixed
cost measured apart, once, was inflated by load and made net times
impossibly short). Speed-ups are reported raw and net of it.

A net time has a physical floor: the slow servers take PER_POEM seconds
from a poem's first byte to its last, so an asynchronous client cannot
need less than that, and the blocking client not less than N times that. A
net time below its floor by more than FLOOR_SLACK of one poem's time means
the subtraction went wrong (the fixed cost was inflated); it is reported as
invalid, and its speed-up is neither met nor missed.
"""

import math
import subprocess
import time

from harness import (
    Programs, fmt, log, median, python_argv, verdict,
)

SLOW_SERVER = "blocking-server/slowpoetry.py"
TRANSFORM_SERVER = "twisted-server/transformedpoetry-1.0.py"
POEM = "poetry/fascination.txt"

# name, script, needs the transform server first, colour in the plot
CLIENTS = [
    ("blocking", "blocking-client/get-poetry.py", False, "tab:red"),
    ("async (select)", "async-client/get-poetry.py", False, "tab:blue"),
    ("client 8.0", "twisted-client/get-poetry-8.0.py", True, "tab:green"),
    ("today's client", "twisted-client/get-poetry.py", True, "tab:purple"),
]
TARGET = 0.95  # async speed-up >= TARGET * N
# Timer and scheduling noise allowed below a net time's physical floor, as a
# share of one poem's time (50 ms for the full run's 1 s poems).
FLOOR_SLACK = 0.05


def chunking(size, per_poem, chunks):
    """num_bytes and delay so the blocking server sends `size` bytes in
    `chunks` chunks with a sleep between them: (chunks - 1) * delay = per_poem."""
    num_bytes = math.ceil(size / chunks)
    while math.ceil(size / num_bytes) != chunks:
        chunks -= 1
        num_bytes = math.ceil(size / chunks)
    return num_bytes, per_poem / max(1, chunks - 1), chunks


def run_client(script, transform, ports, timeout):
    argv = python_argv(script, *([transform] if transform else []), *ports)
    t0 = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}:\n"
                           f"{proc.stderr.decode(errors='replace')[-1500:]}")
    return wall


def run(ctx):
    sizes, runs, per_poem = ctx.client_sizes, ctx.runs, ctx.per_poem
    section = {"name": "clients", "title": "1. Async vs blocking client",
               "notes": [], "rows": [], "plot": None}
    clients = CLIENTS

    size = (ctx.root / POEM).stat().st_size
    num_bytes, delay, chunks = chunking(size, per_poem, 11)
    nmax = max(sizes)
    with Programs(ctx.tmp) as progs:
        log(f"  starting {nmax} slow servers ({chunks} chunks of {num_bytes} "
            f"bytes, {delay:.3f}s apart = {per_poem}s a poem) and one instant one")
        specs = [(f"slow{i}", python_argv(
                    SLOW_SERVER, "--port", 0, "--num-bytes", num_bytes,
                    "--delay", delay, POEM), {}) for i in range(nmax)]
        specs.append(("instant", python_argv(
            SLOW_SERVER, "--port", 0, "--num-bytes", size, "--delay", 0, POEM), {}))
        if any(c[2] for c in clients):
            specs.append(("transform", python_argv(TRANSFORM_SERVER, "--port", 0), {}))
        ports = [p.port for p in progs.start_all(specs)]
        slow, instant = ports[:nmax], ports[nmax]
        transform = ports[nmax + 1] if len(ports) > nmax + 1 else None

        walls = {(c[0], n): [] for c in clients for n in sizes}
        fixeds = {(c[0], n): [] for c in clients for n in sizes}
        for rep in range(runs):
            for n in sizes:
                # Interleave the clients, so drift in the machine hits all.
                order = clients[rep % len(clients):] + clients[:rep % len(clients)]
                for name, script, needs_xform, _ in order:
                    xform = transform if needs_xform else None
                    w = run_client(script, xform, slow[:n], timeout=per_poem * n * 3 + 30)
                    # The fixed cost to subtract from this run, measured
                    # right after it, under the same load.
                    f = run_client(script, xform, [instant], 60)
                    walls[(name, n)].append(w)
                    fixeds[(name, n)].append(f)
                    log(f"  run {rep + 1}/{runs} N={n:<3} {name:<15} {w:6.3f}s "
                        f"(fixed {f:.3f}s)")

    base = "blocking" if any(c[0] == "blocking" for c in clients) else None
    for n in sizes:
        for name, _, _, _ in clients:
            row = net_row(name, n, walls[(name, n)], fixeds[(name, n)], per_poem,
                          n if name == base else 1)
            section["rows"].append(row)
    if base:
        add_speedups(section["rows"], base)
    section["fixed"] = {name: median([f for n in sizes for f in fixeds[(name, n)]])
                        for name, _, _, _ in clients}
    section["per_poem"] = per_poem
    section["floor_slack"] = FLOOR_SLACK
    section["setup"] = (f"{chunks} chunks of {num_bytes} bytes of {POEM}, "
                        f"{delay:.3f} s apart ({per_poem} s a poem), blocking slow "
                        f"server, one process per server; median of {runs} runs, each "
                        f"followed by its fixed-cost run")
    section["colors"] = {c[0]: c[3] for c in clients}
    section["markdown"] = markdown(section, sizes, [c[0] for c in clients], base)
    return section


def net_row(name, n, walls, fixeds, per_poem, poems_in_a_row):
    """One client at one N: the median wall time, the median fixed cost,
    and the median of each run's wall time less the fixed cost measured
    right after it; `valid` unless that net time is below its physical
    floor (`poems_in_a_row` poems of `per_poem` seconds) by more than
    FLOOR_SLACK of one poem's time."""
    nets = [w - f for w, f in zip(walls, fixeds, strict=True)]
    floor = poems_in_a_row * per_poem
    net = median(nets)
    return {"client": name, "N": n, "wall": median(walls), "runs": walls,
            "fixed": median(fixeds), "fixed_runs": fixeds, "net": net, "nets": nets,
            "floor": floor, "valid": net >= floor - FLOOR_SLACK * per_poem}


def add_speedups(rows, base):
    """Each row but the base client's gets its speed-up over the base at
    the same N, raw and net, and whether the net one can be true (both net
    times at or above their floors)."""
    by = {(r["client"], r["N"]): r for r in rows}
    for r in rows:
        if r["client"] != base:
            b = by[(base, r["N"])]
            r["speedup"] = b["wall"] / r["wall"]
            r["net_speedup"] = b["net"] / max(r["net"], 1e-9)
            r["net_valid"] = b["valid"] and r["valid"]
            r["target"] = TARGET * r["N"]


def listed(ns):
    return ", ".join(map(str, ns))


def markdown(section, sizes, names, base):
    lines = [f"Setup: {section['setup']}. Wall time is the whole client process, "
             "start to exit; *fixed* is the same client fetching one poem from a "
             "server with no delay (interpreter start, imports, reactor), measured "
             "right after each timed run; *net* is each run's wall time less that "
             "run's fixed cost (median). A net time cannot be shorter than the "
             f"poems it waits for ({section['per_poem']:g} s for an asynchronous "
             "client, N times that for the blocking one); one more than "
             f"{FLOOR_SLACK * section['per_poem'] * 1000:.0f} ms shorter is marked *below "
             "floor* and its net speed-up *invalid*.", ""]
    head = "| N | " + " | ".join(f"{n}: wall / fixed / net (s)" for n in names) + " |"
    lines += [head, "|" + "---|" * (len(names) + 1)]
    rows = {(r["client"], r["N"]): r for r in section["rows"]}
    for n in sizes:
        cells = []
        for c in names:
            r = rows[(c, n)]
            cells.append(f"{fmt(r['wall'], 3)} / {fmt(r['fixed'], 3)} / {fmt(r['net'], 3)}"
                         + ("" if r["valid"] else " below floor"))
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    if base:
        lines += ["", f"Speed-up over the blocking client (raw / net of fixed "
                  f"cost). Target: ≥ {TARGET}·N.", ""]
        others = [c for c in names if c != base]
        lines += ["| N | target | " + " | ".join(others) + " |",
                  "|" + "---|" * (len(others) + 2)]
        for n in sizes:
            cells = []
            for c in others:
                r = rows[(c, n)]
                if r["speedup"] >= r["target"]:
                    mark = "✓"
                elif not r["net_valid"]:
                    mark = "✗, net invalid"
                else:
                    mark = "net ✓" if r["net_speedup"] >= r["target"] else "✗"
                cells.append(f"{r['speedup']:.2f}× / {r['net_speedup']:.2f}× {mark}")
            lines.append(f"| {n} | ≥ {TARGET * n:.2f}× | " + " | ".join(cells) + " |")
        parts = []
        for c in others:
            mine = [rows[(c, n)] for n in sizes]
            raw_miss = [r["N"] for r in mine if r["speedup"] < r["target"]]
            if not raw_miss:
                parts.append(f"{c}: {verdict(True)} at every N")
                continue
            invalid = [r["N"] for r in mine if not r["net_valid"]]
            net_met = [r["N"] for r in mine if r["net_valid"] and r["net_speedup"] >= r["target"]]
            net_miss = [r["N"] for r in mine if r["net_valid"] and r["net_speedup"] < r["target"]]
            net = []
            if net_met:
                net.append(f"met at N = {listed(net_met)}")
            if net_miss:
                net.append(f"missed at N = {listed(net_miss)}")
            if invalid:
                net.append(f"invalid at N = {listed(invalid)} (net time below its floor)")
            parts.append(f"{c}: {verdict(False)} on raw wall time at N = {listed(raw_miss)}; "
                         "net of its fixed cost " + ", ".join(net))
        section["verdict"] = f"target ≥ {TARGET}·N — " + "; ".join(parts) + "."
        lines += ["", f"Async speed-up {section['verdict']}"]
    return "\n".join(lines)
