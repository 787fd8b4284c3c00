"""Finger step 21's client: test the PB finger (fingerPBclient.py).

"The Evolution of Finger": Use Perspective Broker (Twisted client support using Perspective Broker).
It connects to the Perspective Broker front-end of step 21 (and of step 22, finger.tac
and `twistd finger`), gets its root object, calls getUser and prints what the server
sent, as the first example of the PB howto does.

    python finger/fingerPBclient.py --port 8889 moshez
    got object: <twisted.spread.pb.RemoteReference object at 0x7f...>
    server sent: happy and well

Departures, marked "departure" below:
- task.react for reactor.run and reactor.stop: a failure ends it too, with exit status 1
- the user (moshez), --port (else FINGER_PB_PORT, else 8889) and --host (FINGER_IFACE, else
  127.0.0.1) on the command line; clientFromString gets the reactor, which the listing forgets
- the root object is asked for once connected (a refused connection never reaches it)
- --timeout (10 s) for the connection and the call; a failure is one line on stderr
"""

import argparse
import math
import os
import sys

from twisted.internet import defer, endpoints, error, task
from twisted.spread import pb

PROG = "fingerPBclient.py"


def port_number(text):
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= 65535:
        raise argparse.ArgumentTypeError(
            f"must be a port number from 1 to 65535, not {text!r}")
    return int(text)


def seconds(text):
    try:
        value = float(text)
    except ValueError:
        value = 0
    if not 0 < value < float("inf"):  # also refuses nan
        raise argparse.ArgumentTypeError(
            f"must be a number of seconds greater than 0, not {text!r}")
    return value


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
    parser.add_argument("--timeout", type=seconds, default=10,
                        help="seconds to wait for an answer (default: 10)")
    args = parser.parse_args(argv)
    if args.port is None:  # --port wins over FINGER_PB_PORT
        try:
            args.port = port_number(os.environ.get("FINGER_PB_PORT", "8889"))
        except argparse.ArgumentTypeError as e:
            # Name the variable the bad value came from, not --port.
            sys.exit(f"{PROG}: FINGER_PB_PORT {e}")
    return args


def gotObject(object, args, reactor):
    print("got object:", object)
    d = object.callRemote("getUser", args.user)
    # or
    #   object.callRemote("getUsers").addCallback(gotData)
    return d.addTimeout(args.timeout, reactor).addCallback(gotData)  # departure: a timeout


def gotData(data):
    print("server sent:", data)


def gotNoObject(reason, args):  # departure: one line on stderr, exit status 1
    where = f"{args.host}:{args.port}"
    if reason.check(error.ConnectionRefusedError):
        why = f"no object: cannot connect to {where}: Connection refused"
    elif reason.check(error.ConnectError):
        why = f"no object: cannot connect to {where}: {reason.getErrorMessage()}"
    elif reason.check(defer.TimeoutError, defer.CancelledError):
        why = f"no answer from {where} within {args.timeout}s"
    else:
        why = f"{where}: {reason.getErrorMessage()}"
    print(f"{PROG}: {why}", file=sys.stderr)
    raise SystemExit(1)


def main(reactor, argv=None):
    args = parse_args(argv)  # departure: the user, --port, --host, --timeout
    factory = pb.PBClientFactory()
    host = endpoints.quoteStringArgument(args.host)
    clientEndpoint = endpoints.clientFromString(
        reactor, f"tcp:{host}:{args.port}:timeout={math.ceil(args.timeout)}")
    d = clientEndpoint.connect(factory)
    d.addCallback(  # departure: once connected, and bounded
        lambda _: factory.getRootObject().addTimeout(args.timeout, reactor))
    d.addCallback(gotObject, args, reactor)
    d.addErrback(gotNoObject, args)
    return d.addBoth(lambda result: (factory.disconnect(), result)[1])


if __name__ == "__main__":
    task.react(main, [sys.argv[1:]])  # departure: for reactor.run, reactor.stop
