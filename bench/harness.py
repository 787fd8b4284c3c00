"""Shared plumbing for the benchmarks: starting and stopping programs,
pinning them to CPUs, the open-file limit, CPU and memory readings from
/proc, medians, and a description of the machine.

Everything here is synchronous (subprocess + time); the benchmarks measure
other programs and must not share a reactor with them.
"""

import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = sys.executable
TWISTD = str(Path(sys.executable).parent / "twistd")
PORT_RE = re.compile(r"port[= ]?(\d+)")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg):
    """Progress goes to stderr so stdout can be piped elsewhere."""
    print(msg, file=sys.stderr, flush=True)


def missing(*rels):
    """The program files among rels that are not in the tree (yet)."""
    return [rel for rel in rels if not (ROOT / rel).exists()]


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


# -- open files ------------------------------------------------------------

def raise_nofile(wanted):
    """Raise RLIMIT_NOFILE (soft, and hard if we may) towards `wanted`.
    Children inherit it. Returns (soft before, soft after, note)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    before = soft
    note = ""
    if hard != resource.RLIM_INFINITY and hard < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
            hard = wanted
        except (ValueError, OSError) as e:
            note = f"hard limit {hard} could not be raised to {wanted} ({e})"
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError) as e:
            note = f"soft limit {soft} could not be raised to {target} ({e})"
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return before, soft, note


# -- /proc readings --------------------------------------------------------

def cpu_seconds(pid):
    """User + system CPU seconds a process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


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

# One process runner serves the tests, the demo and the bench; it lives in
# tests/support/processes.py (importable through the editable install, or
# from a plain checkout, hence the path) and imports no reactor.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from tests.support import processes as _processes  # noqa: E402


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


def run_load(args, cpu=None, timeout=120):
    """Run bench/load.py with args and return its JSON report (a dict)."""
    import json

    argv = [PYTHON, str(BENCH / "load.py"), *map(str, args)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    pin(proc.pid, cpu)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise RuntimeError(f"load client did not finish in {timeout}s: {args}")
    if proc.returncode != 0:
        raise RuntimeError(f"load client failed ({proc.returncode}): "
                           f"{err.decode(errors='replace')[-2000:]}")
    return json.loads(out)


# -- numbers ---------------------------------------------------------------

def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def percentile(values, p):
    """Nearest-rank percentile of a list (p in 0..100); None if empty."""
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))
    return s[k]


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
