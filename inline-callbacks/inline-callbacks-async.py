"""inline-callbacks-async.py: inline-callbacks-1.py with async/await, version 1.0.

Tutorial Part 17, "Just Another Way to Spell 'Callback'", in today's
spelling. New in this companion; no original repo path.

The same program as inline-callbacks-1.py, written as an `async def`
coroutine. `await` on a Deferred does what `yield` does under
@inlineCallbacks, and Deferred.fromCoroutine() runs the coroutine and
hands back a Deferred for its result. One difference: only awaitables can
be awaited, so the "yield a plain value" step has no counterpart and the
value is used directly. The two timers are DELAY seconds each; set
TUTORIAL_TIME_SCALE (a float multiplier, default 1) to shorten them.

Run: python inline-callbacks/inline-callbacks-async.py
"""

import os

from twisted.internet import reactor
from twisted.internet.defer import Deferred

TIME_SCALE = float(os.environ.get("TUTORIAL_TIME_SCALE", "1"))
DELAY = 5  # seconds, before scaling


async def my_callbacks():
    print("first callback")
    result = 1  # nothing to wait for: just use the value

    print("second callback got", result)
    d = Deferred()
    reactor.callLater(DELAY * TIME_SCALE, d.callback, 2)
    result = await d  # awaiting a Deferred suspends the coroutine

    print("third callback got", result)

    d = Deferred()
    reactor.callLater(DELAY * TIME_SCALE, d.errback, Exception(3))
    try:
        await d
    except Exception as e:
        result = e

    print("fourth callback got", repr(result))

    reactor.stop()


def main():
    reactor.callWhenRunning(lambda: Deferred.fromCoroutine(my_callbacks()))
    reactor.run()


if __name__ == "__main__":
    main()
