"""Instructions per connection, counted by valgrind's callgrind: the
throughput benchmark's servers compared in a way a busy machine cannot
blur.

    python bench/instructions.py [--duration 3] [--runs 1]

CPU time per connection (bench_throughput.py) is what the targets are
about, but on a shared two-core machine it moves by ±20% from run to run.
Instructions executed do not: this runs each server of the throughput
benchmark under `valgrind --tool=callgrind` with instrumentation off while
it starts, switches it on (callgrind_control -i on), drives it with the
compiled load generator at c = 100 for --duration seconds, switches it off
and divides the instructions counted by the connections served. Under
valgrind every server is about fifty times slower, so each is saturated.

What it leaves out: the kernel. accept, send, close and the log's write()
are the same for every server except the write, which the per-connection
loggers (logging asyncio, the text's log.msg) make once per connection
and the plugin once per reactor turn; CPU time includes that, instructions
do not. So this is the user-space half of the story, told steadily.
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import bench_throughput
import harness
from harness import Programs, log, run_loop

TOTALS = re.compile(rb"^(?:summary|totals): (\d+)", re.M)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Instructions per connection, by callgrind.")
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args(argv)
    if not 0.5 <= args.duration <= 60 or not 1 <= args.runs <= 10:
        parser.error("--duration 0.5..60, --runs 1..10")
    for tool in ("valgrind", "callgrind_control"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is not installed (apt-get install valgrind)")
    server_cpu, client_cpu = harness.cpu_plan()
    with tempfile.TemporaryDirectory(prefix="bench-ir-") as tmp:
        tmp = Path(tmp)
        loadgen, note = harness.build_loadgen(tmp)
        if loadgen is None:
            sys.exit(f"instructions.py needs the compiled load generator: {note}")
        ctx = SimpleNamespace(tmp=tmp)
        expect = (harness.ROOT / bench_throughput.POEM).stat().st_size
        results = {}
        for rep in range(args.runs):
            for name, argv_, kw, _ in bench_throughput.servers(ctx):
                slug = bench_throughput.slug(name)
                out = tmp / f"{slug}.{rep}.callgrind"
                vg = ["valgrind", "--tool=callgrind", "--instr-atstart=no",
                      "--trace-children=yes", f"--log-file={tmp / slug}.valgrind",
                      f"--callgrind-out-file={out}"]
                with Programs(tmp) as progs:
                    prog = progs.start(slug, vg + list(map(str, argv_)),
                                       **dict(kw, cpu=server_cpu, timeout=120))
                    subprocess.run(["callgrind_control", "-i", "on", str(prog.pid)],
                                   check=True, capture_output=True, timeout=60)
                    r = run_loop(loadgen, prog.port, args.concurrency, args.duration,
                                 expect, grace=30, cpu=client_cpu)
                    subprocess.run(["callgrind_control", "-i", "off", str(prog.pid)],
                                   check=True, capture_output=True, timeout=60)
                # The profile is written when the process exits.
                deadline = time.monotonic() + 60
                while not out.exists() and time.monotonic() < deadline:
                    time.sleep(0.1)
                ir = sum(int(m) for m in TOTALS.findall(out.read_bytes()))
                per = ir / r["ok"] if r["ok"] else None
                results.setdefault(name, []).append(per)
                log(f"  {name:<26} {r['ok']:6d} connections  {per / 1e3:8.1f} k instructions each"
                    f"  (failed {r['failed']}, hung {r['hung']})")
    base = min(results[bench_throughput.MINIMAL])
    print(f"| server | instructions per connection (thousands; {args.runs} run(s)) "
          "| vs minimal Twisted |")
    print("|---|---|---|")
    for name, pers in results.items():
        best = min(p for p in pers if p)
        print(f"| {name} | {', '.join(f'{p / 1e3:.1f}' for p in pers)} | {best / base:.2f}× |")


if __name__ == "__main__":
    main()
