"""Finger step 21's client: ask the Perspective Broker front-end.

The Evolution of Finger, "Perspective Broker". Original: fingerPBclient.py.

    python finger/fingerPBclient.py --port 8889 moshez
    Happy and well

It connects to the PB root object of steps 21-22 (and `twistd finger`),
calls getUser(USER) and prints the status. The port is --port, else
FINGER_PB_PORT, else 8889; the host is FINGER_IFACE, else 127.0.0.1. On any
failure (no server, a timeout, a remote error) it prints one line on stderr
and exits 1.

Departures from the original: task.react instead of reactor.run and
reactor.stop; options and a user argument; a timeout on the connection and
on the call; one-line errors and an exit code.
"""

import argparse
import os
import sys

from twisted.internet import defer, error, task
from twisted.spread import pb

PROG = "fingerPBclient.py"


def port_number(text):
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= 65535:
        raise argparse.ArgumentTypeError(
            f"must be a port number from 1 to 65535, not {text!r}")
    return int(text)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog=PROG, description="Ask a finger server's Perspective Broker "
        "front-end for the status of a user.")
    parser.add_argument("user", nargs="?", default="moshez",
                        help="the user to ask about (default: moshez)")
    parser.add_argument("--port", type=port_number,
                        help="the PB port (default: FINGER_PB_PORT or 8889)")
    parser.add_argument("--host", default=os.environ.get("FINGER_IFACE", "127.0.0.1"),
                        help="the host (default: FINGER_IFACE or 127.0.0.1)")
    parser.add_argument("--timeout", type=float, default=10,
                        help="seconds to wait for an answer (default: 10)")
    args = parser.parse_args(argv)
    if args.port is None:  # --port wins over FINGER_PB_PORT
        try:
            args.port = port_number(os.environ.get("FINGER_PB_PORT", "8889"))
        except argparse.ArgumentTypeError as e:
            # Name the variable the bad value came from, not --port.
            sys.exit(f"{PROG}: FINGER_PB_PORT {e}")
    return args


@defer.inlineCallbacks
def getUser(reactor, host, port, user, timeout):
    factory = pb.PBClientFactory()
    reactor.connectTCP(host, port, factory, timeout=timeout)
    try:
        root = yield factory.getRootObject()
        d = root.callRemote("getUser", user)
        status = yield d.addTimeout(timeout, reactor)
    finally:
        factory.disconnect()
    return status


def main(reactor, argv=None):
    args = parse_args(argv)
    d = getUser(reactor, args.host, args.port, args.user, args.timeout)

    def show(status):
        print(status)

    def fail(failure):
        where = f"{args.host}:{args.port}"
        if failure.check(error.ConnectionRefusedError):
            message = f"cannot connect to {where}: Connection refused"
        elif failure.check(error.ConnectError):
            message = f"cannot connect to {where}: {failure.getErrorMessage()}"
        elif failure.check(defer.TimeoutError, defer.CancelledError):
            message = f"no answer from {where} within {args.timeout}s"
        else:
            message = f"{where}: {failure.getErrorMessage()}"
        print(f"{PROG}: {message}", file=sys.stderr)
        raise SystemExit(1)

    return d.addCallbacks(show, fail)


if __name__ == "__main__":
    task.react(main, [sys.argv[1:]])
