"""defer-cancel-5.py: a canceller that fails the Deferred its own way, version 1.0.

Tutorial Part 19, "I Thought I Wanted It But I Changed My Mind".
Original repo path: deferred-cancel/defer-cancel-5.py.

A canceller may also fire the errback with an exception of its own
choosing; the chain then sees that exception, not CancelledError.

Run: python deferred-examples/defer-cancel-5.py
"""

from twisted.internet import defer


class PoemAbandoned(Exception):
    pass


def canceller(d):
    print("The canceller fails the Deferred with PoemAbandoned.")
    d.errback(PoemAbandoned("nobody wants this poem"))


def callback(res):
    print("callback got:", res)


def errback(err):
    print("errback got:", repr(err.value))


def main():
    d = defer.Deferred(canceller)
    d.addCallbacks(callback, errback)
    print("Cancelling the Deferred.")
    d.cancel()
    print("Done.")


if __name__ == "__main__":
    main()
