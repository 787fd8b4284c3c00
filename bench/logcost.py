"""Where a log line's microseconds go: the pieces of twistd's logging path,
timed one at a time in one process.

    python bench/logcost.py [--lines 20000] [--repeat 5] [--stdout]

twistd with --logfile sends every event to textFileLogObserver(LogFile):
this script sets up the same observer (or, with --stdout, the one
`twistd -n` uses, writing to a file opened like sys.stdout) in a temporary
directory and times, in CPU microseconds per call (the minimum over
--repeat rounds, which is the steadiest figure on a busy machine):

    the text's log.msg(f"... {transport.getPeer()}") through the legacy bridge,
    Logger.info with the same text,
    the observer alone (format, timestamp, write and flush),
    its parts: formatting the event, the timestamp, LogFile.write + flush
    and its rotation check,
    getPeer() (an IPv4Address built) and its repr,
    and the plugin's ConnectionLog with 1, 10 and 100 connections a turn.

Nothing here listens or connects; no reactor runs (the ConnectionLog's
end-of-turn call is taken by a stand-in, and flushed by hand).
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def per_call(fn, n, repeat):
    """Minimum CPU microseconds per call of fn() over `repeat` rounds of n."""
    best = None
    for _ in range(repeat):
        t0 = time.process_time()
        for _ in range(n):
            fn()
        t = (time.process_time() - t0) / n * 1e6
        best = t if best is None else min(best, t)
    return best


class NoTurn:
    """Stands in for the reactor: the flush at the end of a turn is done by
    hand in the timing loop."""

    class Call:
        def active(self):
            return False

    def callLater(self, delay, fn):
        return self.Call()


def main(argv=None):
    parser = argparse.ArgumentParser(description="Time the pieces of twistd's logging path.")
    parser.add_argument("--lines", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--stdout", action="store_true",
                        help="time the observer `twistd -n` uses (a text file like stdout)")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args(argv)
    if not 1 <= args.lines <= 1_000_000 or not 1 <= args.repeat <= 50:
        parser.error("--lines 1..1000000, --repeat 1..50")

    from twisted.internet.address import IPv4Address
    from twisted.logger import (
        Logger, formatEvent, formatTime, globalLogBeginner, textFileLogObserver,
        timeFormatRFC3339,
    )
    from twisted.python import log, logfile

    sys.path.insert(0, str(ROOT))
    from twisted.plugins.fastpoetry_plugin import ConnectionLog

    n, rep = args.lines, args.repeat
    tmp = tempfile.mkdtemp(prefix="logcost-")
    if args.stdout:
        out = open(os.path.join(tmp, "stdout.log"), "w", buffering=1)
        kind = "stdout (line-buffered text file)"
    else:
        # A large rotation size: rotations are counted separately.
        out = logfile.LogFile("twistd.log", tmp, rotateLength=10**12)
        kind = "LogFile (--logfile)"
    observer = textFileLogObserver(out)
    globalLogBeginner.beginLoggingTo([observer], redirectStandardIO=False,
                                     discardBuffer=True)

    peer = IPv4Address("TCP", "127.0.0.1", 54321)

    class Transport:
        def getPeer(self):
            return IPv4Address("TCP", "127.0.0.1", 54321)

    transport = Transport()
    logger = Logger(namespace="fastpoetry")
    event = {"log_format": "sending 2804 bytes of poetry to IPv4Address(type='TCP', "
                           "host='127.0.0.1', port=54321)",
             "log_namespace": "fastpoetry", "log_level": None,
             "log_time": time.time(), "log_system": "-"}
    line = observer.formatEvent(event)

    def write_flush():
        out.write(line)
        out.flush()

    results = {}

    def row(name, fn, calls=1):
        results[name] = per_call(fn, n // calls, rep) / calls
        print(f"{results[name]:8.2f} µs  {name}", flush=True)

    print(f"CPU µs per log line, min of {rep} rounds of {n}; observer: {kind}")
    row("log.msg(f'... {getPeer()}'), the text's line (legacy bridge + observer)",
        lambda: log.msg(f"sending 2804 bytes of poetry to {transport.getPeer()}"))
    row("Logger.info('... {n} ... {peer!r}', n=..., peer=getPeer()) (observer included)",
        lambda: logger.info("sending {n} bytes of poetry to {peer!r}", n=2804,
                            peer=transport.getPeer()))
    text = f"sending 2804 bytes of poetry to {peer!r}"
    row("Logger.info(text), the same line formatted beforehand (observer included)",
        lambda: logger.info(text))
    row("the observer alone: format + timestamp + write + flush",
        lambda: observer(event))
    row("  formatting the event text (formatEvent)", lambda: formatEvent(event))
    row("  the timestamp (formatTime)",
        lambda: formatTime(event["log_time"], timeFormatRFC3339))
    row("  write + flush of one line", write_flush)
    if not args.stdout:
        row("  LogFile's rotation check (shouldRotate, inside write)", out.shouldRotate)
    row("getPeer(): an IPv4Address built", transport.getPeer)
    row("repr() of the peer", lambda: repr(peer))

    for k in (1, 10, 100):
        conns = ConnectionLog(NoTurn())

        def turn(k=k, conns=conns):
            for _ in range(k):
                conns.sent(2804, peer)
            conns.flush()

        row(f"plugin's ConnectionLog, {k} connection(s) a turn", turn, calls=k)
    out.close()
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
