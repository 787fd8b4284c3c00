"""The shared load client of the benchmarks (bench/).

One small epoll loop over non-blocking sockets, written to cost as little
CPU per connection as possible so that it is never the thing measured. It
reports one JSON object on stdout, including its own CPU use, so the
benchmark can say whether the client was the bottleneck.

    loop:  keep C connections going for D seconds; each connects, reads the
           whole poem until the server closes, checks its length, and is
           replaced at once by a new one (connections per second).
    burst: open N connections, at most P of them still waiting for their
           first byte at any time; each reads until the server closes. It
           records connect, first-byte and end times (slow server capacity,
           proxy fan-in).

    python bench/load.py loop --port 10000 --concurrency 100 --duration 2 --expect 2804
    python bench/load.py burst --port 10000 --clients 1000 --pending 500 --expect 610

Loopback only. Every run stops by itself: a loop run stops starting
connections after D seconds and waits at most --grace seconds for the rest;
a burst run gives up after --timeout seconds. Connections still open then
are counted as hung.
"""

import argparse
import errno
import json
import resource
import select
import socket
import sys
import time
from pathlib import Path

# The open-file limit is raised as the tests and the bench harness raise it
# (runner, at the repository root: importable through the editable install,
# or from a plain checkout, hence the path).
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from runner.environment import raise_nofile  # noqa: E402

IN, RDHUP = select.EPOLLIN, select.EPOLLRDHUP
PROBLEMS = select.EPOLLERR | select.EPOLLHUP


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Load client for bench/.")
    sub = parser.add_subparsers(dest="mode", required=True)
    for mode in ("loop", "burst"):
        p = sub.add_parser(mode)
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, required=True)
        p.add_argument("--expect", type=int, default=None,
                       help="poem length in bytes; other lengths count as failures")
        if mode == "loop":
            p.add_argument("--concurrency", type=int, required=True)
            p.add_argument("--duration", type=float, required=True)
            p.add_argument("--grace", type=float, default=5.0)
        else:
            p.add_argument("--clients", type=int, required=True)
            p.add_argument("--pending", type=int, default=None,
                           help="most connections waiting for a first byte (default: all)")
            p.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the load client talks to loopback only")
    return args


def cpu_now():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def sched_now():
    """(seconds on a CPU, seconds waiting for one) from /proc/self/schedstat:
    together they say how busy this client was; (0, 0) where unavailable."""
    try:
        with open("/proc/self/schedstat") as f:
            run, wait = f.read().split()[:2]
        return int(run) / 1e9, int(wait) / 1e9
    except (OSError, ValueError):
        return 0.0, 0.0


class Conn:
    __slots__ = ("sock", "t_connect", "t_first", "nbytes")

    def __init__(self, sock, now):
        self.sock = sock
        self.t_connect = now
        self.t_first = None
        self.nbytes = 0


class Load:

    def __init__(self, args):
        self.addr = (args.host, args.port)
        self.expect = args.expect
        self.ep = select.epoll()
        self.conns = {}
        self.ok = self.failed = self.short = 0
        self.errors = {}
        self.latency = []    # connect -> end, per finished connection
        self.first = []      # connect -> first byte
        self.delivery = []   # first byte -> end
        self.open_peak = 0
        self.waiting = 0     # connections with no byte yet

    def open(self, events):
        now = time.perf_counter()
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        err = s.connect_ex(self.addr)
        if err not in (0, errno.EINPROGRESS):
            self.fail(errno.errorcode.get(err, str(err)))
            s.close()
            return
        fd = s.fileno()
        self.conns[fd] = Conn(s, now)
        self.waiting += 1
        self.ep.register(fd, events)
        if len(self.conns) > self.open_peak:
            self.open_peak = len(self.conns)

    def fail(self, why):
        self.failed += 1
        self.errors[why] = self.errors.get(why, 0) + 1

    def close(self, fd, conn):
        self.ep.unregister(fd)
        conn.sock.close()
        del self.conns[fd]
        if conn.t_first is None:
            self.waiting -= 1

    def drain(self, conn):
        """Read what is there. True at end of stream; raises on errors."""
        while True:
            try:
                data = conn.sock.recv(65536)
            except BlockingIOError:
                return False
            if not data:
                return True
            if conn.t_first is None:
                conn.t_first = time.perf_counter()
                self.waiting -= 1
            conn.nbytes += len(data)

    def event(self, fd, ev, first_only):
        """Handle one epoll event; True if the connection is finished."""
        conn = self.conns[fd]
        try:
            eof = self.drain(conn)
        except OSError as e:
            self.fail(errno.errorcode.get(e.errno, str(e.errno)))
            self.close(fd, conn)
            return True
        if eof or ev & PROBLEMS:
            now = time.perf_counter()
            if self.expect is not None and conn.nbytes != self.expect:
                self.short += 1
                self.fail("short" if conn.nbytes else "empty")
            else:
                self.ok += 1
                self.latency.append(now - conn.t_connect)
                if conn.t_first is not None:
                    self.first.append(conn.t_first - conn.t_connect)
                    self.delivery.append(now - conn.t_first)
            self.close(fd, conn)
            return True
        if first_only and conn.t_first is not None:
            # From now on wake up only when the server closes: the rest of
            # the (small) poem waits in the socket buffer. One wake-up per
            # connection instead of one per chunk keeps this client cheap.
            self.ep.modify(fd, RDHUP)
        return False

    def loop(self, concurrency, duration, grace):
        events = IN | RDHUP
        start = time.perf_counter()
        stop_at = start + duration
        give_up = stop_at + grace
        for _ in range(concurrency):
            self.open(events)
        while self.conns:
            now = time.perf_counter()
            if now > give_up:
                break
            for fd, ev in self.ep.poll(0.05):
                if self.event(fd, ev, False) and time.perf_counter() < stop_at:
                    self.open(events)
            # A failed open leaves a slot free; refill while there is time.
            while len(self.conns) < concurrency and time.perf_counter() < stop_at:
                before = len(self.conns)
                self.open(events)
                if len(self.conns) == before:
                    break
        return start

    def burst(self, clients, pending, timeout):
        events = IN | RDHUP
        start = time.perf_counter()
        give_up = start + timeout
        left = clients
        held_peak = 0
        while left or self.conns:
            while left and self.waiting < pending:
                self.open(events)
                left -= 1
            held = len(self.conns) - self.waiting
            if held > held_peak:
                held_peak = held
            if time.perf_counter() > give_up:
                break
            for fd, ev in self.ep.poll(0.05):
                self.event(fd, ev, True)
        self.held_peak = held_peak
        self.not_started = left
        return start


def summary(values):
    if not values:
        return {"n": 0}
    s = sorted(values)

    def pick(p):
        return s[max(0, min(len(s) - 1, int(p / 100 * len(s) + 0.5) - 1))]

    return {"n": len(s), "p50": pick(50), "p99": pick(99), "max": s[-1],
            "mean": sum(s) / len(s)}


def main(argv=None):
    args = parse_args(argv)
    need = (args.concurrency if args.mode == "loop" else args.clients) + 64
    _, nofile, _ = raise_nofile(need)
    if nofile < need:
        print(f"load: open-file limit {nofile} is below the {need} needed",
              file=sys.stderr)
        sys.exit(3)

    load = Load(args)
    sched0 = sched_now()
    cpu0 = cpu_now()
    if args.mode == "loop":
        start = load.loop(args.concurrency, args.duration, args.grace)
    else:
        start = load.burst(args.clients, args.pending or args.clients, args.timeout)
    wall = time.perf_counter() - start
    cpu = cpu_now() - cpu0
    sched1 = sched_now()
    hung = len(load.conns)
    for fd, conn in list(load.conns.items()):
        load.close(fd, conn)
    report = {
        "mode": args.mode,
        "client": "load.py",
        "ok": load.ok,
        "failed": load.failed,
        "hung": hung,
        "errors": load.errors,
        "wall": wall,
        "cpu": cpu,
        "cpu_util": cpu / wall if wall > 0 else None,
        "rate": load.ok / wall if wall > 0 else None,
        "open_peak": load.open_peak,
        "latency": summary(load.latency),
        "first_byte": summary(load.first),
        "delivery": summary(load.delivery),
        "nofile": nofile,
        "sched_run": sched1[0] - sched0[0],
        "sched_wait": sched1[1] - sched0[1],
    }
    if args.mode == "burst":
        report["held_peak"] = load.held_peak
        report["not_started"] = load.not_started
    load.ep.close()
    json.dump(report, sys.stdout)
    print()


if __name__ == "__main__":
    main()
