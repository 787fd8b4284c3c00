"""Benchmark 1: the blocking client against the asynchronous ones.

N slow servers (the blocking slow server of Part 2, one process each), each
taking about PER_POEM seconds to deliver its poem. Every client fetches one
poem from each of N servers; we time the whole client process, start to
exit. A blocking client takes the sum of the servers' times; an
asynchronous one the time of the slowest server. That is Figures 1-3 of
the tutorial, measured.

A client process also pays a fixed cost (interpreter start, imports, the
reactor) that has nothing to do with N. We measure it by fetching one poem
from a server with no delay, and report speed-ups both raw and net of it.
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

        fixed = {}
        for name, script, needs_xform, _ in clients:
            fixed[name] = median([run_client(script, transform if needs_xform else None,
                                              [instant], 60) for _ in range(runs)])
            log(f"  fixed cost of {name}: {fixed[name]:.3f}s")

        walls = {(c[0], n): [] for c in clients for n in sizes}
        for rep in range(runs):
            for n in sizes:
                # Interleave the clients, so drift in the machine hits all.
                order = clients[rep % len(clients):] + clients[:rep % len(clients)]
                for name, script, needs_xform, _ in order:
                    w = run_client(script, transform if needs_xform else None,
                                   slow[:n], timeout=per_poem * n * 3 + 30)
                    walls[(name, n)].append(w)
                    log(f"  run {rep + 1}/{runs} N={n:<3} {name:<15} {w:6.3f}s")

    med = {k: median(v) for k, v in walls.items()}
    base = "blocking" if any(c[0] == "blocking" for c in clients) else None
    for n in sizes:
        for name, _, _, _ in clients:
            wall = med[(name, n)]
            row = {"client": name, "N": n, "wall": wall, "runs": walls[(name, n)],
                   "fixed": fixed[name]}
            if base and name != base:
                b = med[(base, n)]
                row["speedup"] = b / wall
                net_b = max(b - fixed[base], 1e-9)
                row["net_speedup"] = net_b / max(wall - fixed[name], 1e-9)
                row["target"] = TARGET * n
            section["rows"].append(row)
    section["fixed"] = fixed
    section["per_poem"] = per_poem
    section["setup"] = (f"{chunks} chunks of {num_bytes} bytes of {POEM}, "
                        f"{delay:.3f} s apart ({per_poem} s a poem), blocking slow "
                        f"server, one process per server; median of {runs} runs")
    section["colors"] = {c[0]: c[3] for c in clients}
    section["markdown"] = markdown(section, sizes, [c[0] for c in clients], base)
    return section


def markdown(section, sizes, names, base):
    lines = [f"Setup: {section['setup']}. Wall time is the whole client process, "
             "start to exit; *fixed* is the same client fetching one poem from a "
             "server with no delay (interpreter start, imports, reactor).", ""]
    head = "| N | " + " | ".join(f"{n} (s)" for n in names) + " |"
    lines += [head, "|" + "---|" * (len(names) + 1)]
    rows = {(r["client"], r["N"]): r for r in section["rows"]}
    for n in sizes:
        lines.append(f"| {n} | " + " | ".join(fmt(rows[(c, n)]["wall"], 3)
                                              for c in names) + " |")
    lines.append("| fixed | " + " | ".join(fmt(section["fixed"][c], 3)
                                           for c in names) + " |")
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
                mark = "✓" if r["speedup"] >= r["target"] else (
                    "net ✓" if r["net_speedup"] >= r["target"] else "✗")
                cells.append(f"{r['speedup']:.2f}× / {r['net_speedup']:.2f}× {mark}")
            lines.append(f"| {n} | ≥ {TARGET * n:.2f}× | " + " | ".join(cells) + " |")
        parts = []
        for c in others:
            mine = [rows[(c, n)] for n in sizes]
            raw_miss = [r["N"] for r in mine if r["speedup"] < r["target"]]
            net_miss = [r["N"] for r in mine if r["net_speedup"] < r["target"]]
            if not raw_miss:
                parts.append(f"{c}: {verdict(True)} at every N")
            else:
                parts.append(
                    f"{c}: {verdict(False)} on raw wall time at N = "
                    f"{', '.join(map(str, raw_miss))}; net of its fixed cost "
                    + ("met at every N" if not net_miss else
                       f"still short at N = {', '.join(map(str, net_miss))}"))
        section["verdict"] = f"target ≥ {TARGET}·N — " + "; ".join(parts) + "."
        lines += ["", f"Async speed-up {section['verdict']}"]
    return "\n".join(lines)
