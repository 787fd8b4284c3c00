"""defer-cancel-11.py: a timeout is a cancel on a timer, version 1.0.

Tutorial Part 19, "I Thought I Wanted It But I Changed My Mind".
Original repo path: deferred-cancel/defer-cancel-11.py.

Deferred.addTimeout(seconds, reactor) cancels the Deferred if it has not
fired in time, calling its canceller, and turns the CancelledError into
twisted.internet.defer.TimeoutError. The poem would take POEM_DELAY
seconds; the timeout is TIMEOUT seconds. Set TUTORIAL_TIME_SCALE (a float
multiplier, default 1) to shorten both, e.g. TUTORIAL_TIME_SCALE=0.01.

Run: python deferred-examples/defer-cancel-11.py
"""

import os

from twisted.internet import defer, reactor

TIME_SCALE = float(os.environ.get("TUTORIAL_TIME_SCALE", "1"))
POEM_DELAY = 5  # seconds, before scaling
TIMEOUT = 1


def get_poem():
    def canceller(d):
        print("Canceller called: giving up on the slow poem.")
        call.cancel()

    d = defer.Deferred(canceller)
    call = reactor.callLater(POEM_DELAY * TIME_SCALE, d.callback, "a poem")
    return d


def got_poem(poem):
    print("Got", poem)


def poem_failed(err):
    print("Poem failed:", err.type.__module__ + "." + err.type.__name__)


def main():
    d = get_poem()
    d.addTimeout(TIMEOUT * TIME_SCALE, reactor)
    d.addCallbacks(got_poem, poem_failed)
    d.addBoth(lambda _: reactor.stop())
    print("Waiting for a poem, with a timeout.")
    reactor.run()


if __name__ == "__main__":
    main()
