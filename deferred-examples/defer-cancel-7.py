"""defer-cancel-7.py: cancelling a Deferred with a callLater pending, version 1.0.

Tutorial Part 19, "I Thought I Wanted It But I Changed My Mind".
Original repo path: deferred-cancel/defer-cancel-7.py.

get_poem() returns a Deferred that a timer fires after POEM_DELAY seconds,
with a canceller that cancels that timer. We cancel after CANCEL_DELAY
seconds: the timer never goes off and the Deferred fails with
CancelledError. Set TUTORIAL_TIME_SCALE (a float multiplier, default 1)
to shorten both delays, e.g. TUTORIAL_TIME_SCALE=0.01.

Run: python deferred-examples/defer-cancel-7.py
"""

import os

from twisted.internet import defer, reactor

TIME_SCALE = float(os.environ.get("TUTORIAL_TIME_SCALE", "1"))
POEM_DELAY = 5  # seconds, before scaling
CANCEL_DELAY = 1


def get_poem():
    """A poem that takes POEM_DELAY seconds to arrive, unless cancelled."""

    def canceller(d):
        print("Canceller: cancelling the pending timer.")
        call.cancel()

    d = defer.Deferred(canceller)
    call = reactor.callLater(POEM_DELAY * TIME_SCALE, d.callback, "a poem")
    return d


def got_poem(poem):
    print("Got", poem)


def poem_failed(err):
    print("Poem failed:", repr(err.value))


def main():
    d = get_poem()
    d.addCallbacks(got_poem, poem_failed)
    d.addBoth(lambda _: reactor.stop())
    reactor.callLater(CANCEL_DELAY * TIME_SCALE, d.cancel)
    print("Waiting for a poem; we will change our mind first.")
    reactor.run()
    print("Timers still pending:", len(reactor.getDelayedCalls()))


if __name__ == "__main__":
    main()
