"""defer-cancel-6.py: a result that arrives after cancel(), version 1.0.

Tutorial Part 19, "I Thought I Wanted It But I Changed My Mind".
Original repo path: deferred-cancel/defer-cancel-6.py.

Without a canceller nothing stops the underlying work, so its result may
still turn up after the Deferred was cancelled. Firing a cancelled
Deferred once is quietly ignored (no AlreadyCalledError), because the
code doing the work could not know. Firing it a second time is a real
error again.

Run: python deferred-examples/defer-cancel-6.py
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
    print("The late result arrives: calling d.callback().")
    d.callback("late result")
    print("Ignored. Calling d.callback() once more.")
    try:
        d.callback("later result")
    except defer.AlreadyCalledError:
        print("That raised AlreadyCalledError.")
    print("Done.")


if __name__ == "__main__":
    main()
