"""defer-cancel-8.py: cancelling an outer Deferred cancels the inner one, version 1.0.

Tutorial Part 19, "I Thought I Wanted It But I Changed My Mind".
Original repo path: deferred-cancel/defer-cancel-8.py.

The outer Deferred's first callback returned an inner Deferred, so the
outer one is paused waiting for it (as in defer-10.py). Cancelling the
outer Deferred passes the cancel on to the inner one: the inner canceller
runs, and the CancelledError flows back into the outer chain.

Run: python deferred-examples/defer-cancel-8.py
"""

from twisted.internet import defer


def inner_canceller(d):
    print("Inner canceller called.")


def start_inner(res):
    print("Outer callback got", repr(res), "and returns the inner Deferred.")
    inner = defer.Deferred(inner_canceller)
    inner.addErrback(inner_failed)
    return inner


def inner_failed(err):
    print("Inner errback got:", repr(err.value))
    return err  # pass the failure on to the outer Deferred


def outer_done(res):
    print("Outer callback got:", res)


def outer_failed(err):
    print("Outer errback got:", repr(err.value))


def main():
    outer = defer.Deferred()
    outer.addCallback(start_inner)
    outer.addCallbacks(outer_done, outer_failed)
    outer.callback("first result")
    print("The outer Deferred is waiting for the inner one.")
    print("Cancelling the outer Deferred.")
    outer.cancel()
    print("Done.")


if __name__ == "__main__":
    main()
