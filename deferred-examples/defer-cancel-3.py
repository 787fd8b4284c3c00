"""defer-cancel-3.py: a canceller function, version 1.0.

Tutorial Part 19, "I Thought I Wanted It But I Changed My Mind".
Original repo path: deferred-cancel/defer-cancel-3.py.

The code that makes a Deferred can pass a canceller to it. cancel() calls
the canceller with the Deferred, so the maker can stop the work it
started. This canceller does not fire the Deferred, so Twisted then fails
it with CancelledError. The errback here traps CancelledError and
recovers with a default value, a common way to treat "cancelled" as
"no result".

Run: python deferred-examples/defer-cancel-3.py
"""

from twisted.internet import defer


def canceller(d):
    print("The canceller was called with the", type(d).__name__,
          "being cancelled; it does not fire it.")


def callback(res):
    print("callback got:", res)


def errback(err):
    err.trap(defer.CancelledError)
    print("errback trapped", err.type.__name__, "and supplies a default")
    return "default result"


def main():
    d = defer.Deferred(canceller)
    d.addErrback(errback)
    d.addCallback(callback)
    print("Cancelling the Deferred.")
    d.cancel()
    print("Done.")


if __name__ == "__main__":
    main()
