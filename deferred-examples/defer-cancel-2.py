"""defer-cancel-2.py: cancelling a Deferred that has already fired, version 1.0.

Tutorial Part 19, "I Thought I Wanted It But I Changed My Mind".
Original repo path: deferred-cancel/defer-cancel-2.py.

Cancel means "I no longer want the result". Once the result is there,
it is too late to change our mind: cancel() does nothing, and a callback
added afterwards still gets the result.

Run: python deferred-examples/defer-cancel-2.py
"""

from twisted.internet import defer


def callback(res):
    print("callback got:", res)
    return res


def errback(err):
    print("errback got:", repr(err.value))


def main():
    d = defer.Deferred()
    d.addCallbacks(callback, errback)
    print("Firing the Deferred.")
    d.callback("result")
    print("Cancelling the fired Deferred.")
    d.cancel()
    print("Adding another callback after cancel().")
    d.addCallbacks(callback, errback)
    print("Done.")


if __name__ == "__main__":
    main()
