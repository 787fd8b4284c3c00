"""defer-cancel-1.py: cancelling an unfired Deferred, version 1.0.

Tutorial Part 19, "I Thought I Wanted It But I Changed My Mind".
Original repo path: deferred-cancel/defer-cancel-1.py.

A Deferred made without a canceller, cancelled before it fires: Twisted
fails it with CancelledError, so the errback runs.

Run: python deferred-examples/defer-cancel-1.py
"""

from twisted.internet import defer


def callback(res):
    print("callback got:", res)


def errback(err):
    print("errback got:", repr(err.value))


def main():
    d = defer.Deferred()
    d.addCallbacks(callback, errback)
    print("Cancelling the Deferred.")
    d.cancel()
    print("Done.")


if __name__ == "__main__":
    main()
