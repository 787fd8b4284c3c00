"""defer-cancel-4.py: a canceller that fires the Deferred itself, version 1.0.

Tutorial Part 19, "I Thought I Wanted It But I Changed My Mind".
Original repo path: deferred-cancel/defer-cancel-4.py.

If the canceller fires the Deferred (here with a callback), that result
is what the chain sees: Twisted does not add a CancelledError on top, and
the callback runs instead of the errback.

Run: python deferred-examples/defer-cancel-4.py
"""

from twisted.internet import defer


def canceller(d):
    print("The canceller fires the Deferred with a partial result.")
    d.callback("partial result")


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
