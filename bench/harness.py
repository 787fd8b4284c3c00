"""Shared plumbing for the benchmarks: starting and stopping programs,
pinning them to CPUs, the open-file limit, CPU, scheduler and memory
readings from /proc, the load clients, medians, and a description of the
machine.

Everything here is synchronous (subprocess + time); the benchmarks measure
other programs and must not share a reactor with them.
"""

import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
# One process runner and one set of paths serve the tests, the demo and the
# bench: they live in the runner package at the repository root (importable
# through the editable install, or from a plain checkout, hence the path),
# which imports no reactor and no test.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from runner import processes as _processes  # noqa: E402
from runner.environment import raise_nofile  # noqa: E402,F401
from runner.paths import PORT_RE, PYTHON, TWISTD  # noqa: E402,F401
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg):
    """Progress goes to stderr so stdout can be piped elsewhere."""
    print(msg, file=sys.stderr, flush=True)


# -- CPUs ------------------------------------------------------------------

def cpus():
    try:
        return sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return list(range(os.cpu_count() or 1))


def cpu_plan():
    """(server cpu, client cpu): different cores when there are two, else
    None (no pinning, and the table says so)."""
    mine = cpus()
    if len(mine) >= 2 and hasattr(os, "sched_setaffinity"):
        return mine[0], mine[1]
    return None, None


def pin(pid, cpu):
    """Pin a process to one CPU; True if it worked."""
    if cpu is None:
        return False
    try:
        os.sched_setaffinity(pid, {cpu})
        return True
    except OSError:
        return False


# -- /proc readings --------------------------------------------------------

def cpu_seconds(pid):
    """User + system CPU seconds a process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def sched_seconds(pid):
    """(seconds on a CPU, seconds runnable but waiting for one) of a process,
    all its threads, from /proc/PID/task/*/schedstat. Their sum over a run,
    divided by the run's wall time, is how busy the process was: near 1.0
    means it always had work (saturated), whoever else shared its core."""
    run = wait = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            r, w = (task / "schedstat").read_text().split()[:2]
        except (OSError, ValueError):
            continue  # a thread that just ended
        run += int(r)
        wait += int(w)
    return run / 1e9, wait / 1e9


def load_average():
    """The 1-minute load average and the number of CPUs, for the record."""
    return os.getloadavg()[0], os.cpu_count()


def peak_rss_mb(pid):
    """The high-water mark of a process's resident memory, in MiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def machine_busy(since=None):
    """Without `since`: a snapshot of the machine's CPU counters. With one:
    the fraction of all CPU time used (by anyone) since that snapshot."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    now = (sum(fields), idle)
    if since is None:
        return now
    total, idle = now[0] - since[0], now[1] - since[1]
    return (total - idle) / total if total else None


# -- programs --------------------------------------------------------------


class Program(_processes.Program):
    """A server started for a benchmark, pinned to `cpu` when one is given.
    Its output goes to a file (never a pipe that could fill up and block
    it); wait_ready() polls the file for the port."""

    def __init__(self, argv, logpath, cwd=None, cpu=None, ready=PORT_RE,
                 timeout=15):
        super().__init__(argv, logpath, cwd=cwd, ready=ready, timeout=timeout)
        pin(self.pid, cpu)

    def cpu(self):
        return cpu_seconds(self.pid)

    def peak_rss_mb(self):
        return peak_rss_mb(self.pid)

    def stop(self, grace=5):
        return super().stop(grace)


class Programs(_processes.Programs):
    """Every server of one benchmark, stopped together at the end (also on
    errors and Ctrl-C), so no benchmark leaves anything running."""

    program = Program


def python_argv(rel, *args):
    return [PYTHON, str(ROOT / rel), *map(str, args)]


LOADGEN_SRC = BENCH / "loadgen.c"


def build_loadgen(outdir):
    """Compile bench/loadgen.c with `cc -O2` into outdir (unless an up-to-date
    binary is there). Returns (path or None, note): None, with the reason,
    when there is no C compiler or the build fails; the caller then uses
    load.py and says so."""
    import shutil

    binary = Path(outdir) / "loadgen"
    if binary.exists() and binary.stat().st_mtime >= LOADGEN_SRC.stat().st_mtime:
        return binary, "compiled epoll load generator (bench/loadgen.c)"
    cc = os.environ.get("CC") or shutil.which("cc")
    if not cc:
        return None, "no C compiler (cc) found"
    Path(outdir).mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([cc, "-O2", "-o", str(binary), str(LOADGEN_SRC)],
                          capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        return None, f"cc failed: {proc.stderr.strip()[-300:]}"
    return binary, "compiled epoll load generator (bench/loadgen.c)"


def _run_json(argv, cpu, timeout, what):
    import json

    proc = subprocess.Popen([str(a) for a in argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    pin(proc.pid, cpu)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise RuntimeError(f"{what} did not finish in {timeout}s: {argv[1:]}") from None
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed ({proc.returncode}): "
                           f"{err.decode(errors='replace')[-2000:]}")
    return json.loads(out)


def run_loop(loadgen, port, concurrency, duration, expect, grace=10, rate=0,
             cpu=None):
    """One closed-loop run (or, with rate > 0, a fixed offered rate) of the
    compiled load generator, or of load.py when `loadgen` is None. Returns
    the client's JSON report; both report the same keys."""
    timeout = duration + grace + 60
    if loadgen is not None:
        argv = [loadgen, port, concurrency, duration, expect, grace, rate]
        return _run_json(argv, cpu, timeout, "loadgen")
    if rate:
        raise ValueError("load.py has no fixed-rate mode; build loadgen")
    argv = [PYTHON, BENCH / "load.py", "loop", "--port", port, "--concurrency",
            concurrency, "--duration", duration, "--expect", expect, "--grace", grace]
    return _run_json(argv, cpu, timeout, "load client")


def run_load(args, cpu=None, timeout=120):
    """Run bench/load.py with args and return its JSON report (a dict)."""
    return _run_json([PYTHON, BENCH / "load.py", *args], cpu, timeout, "load client")


# -- numbers ---------------------------------------------------------------

def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, digits=2, suffix=""):
    if value is None:
        return "n/a"
    if isinstance(value, float) and value != value:
        return "n/a"
    return f"{value:.{digits}f}{suffix}"


def verdict(ok):
    return "**met**" if ok else "**missed**"


# -- the machine -----------------------------------------------------------

def machine():
    """What the numbers were measured on."""
    info = {
        "cores": os.cpu_count(),
        "usable_cpus": len(cpus()),
        "cpu_model": "",
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "os": f"{platform.system()} {platform.release()}",
    }
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu_model"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    # The twisted version and default reactor the programs will get: ask a
    # fresh interpreter, so this process never imports a reactor.
    probe = ("import twisted; from twisted.internet import reactor; "
             "print(twisted.__version__); "
             "print(type(reactor).__module__ + '.' + type(reactor).__name__)")
    try:
        out = subprocess.run([PYTHON, "-c", probe], capture_output=True,
                             text=True, timeout=30).stdout.split()
        info["twisted"], info["reactor"] = out[0], out[1]
    except (subprocess.SubprocessError, IndexError):
        info["twisted"], info["reactor"] = "?", "?"
    return info
