"""inline-callbacks-1.py: a generator as a chain of callbacks, version 1.0.

Tutorial Part 17, "Just Another Way to Spell 'Callback'". Original repo
path: inline-callbacks/inline-callbacks-1.py.

@inlineCallbacks runs a generator for us. A yielded plain value comes
straight back; a yielded Deferred pauses the generator until it fires,
and then the yield evaluates to its result, or raises its exception. The
two timers are DELAY seconds each; set TUTORIAL_TIME_SCALE (a float
multiplier, default 1) to shorten them, e.g. TUTORIAL_TIME_SCALE=0.01.
See inline-callbacks-async.py for the same program with async/await.

Run: python inline-callbacks/inline-callbacks-1.py
"""

import os

from twisted.internet import reactor
from twisted.internet.defer import Deferred, inlineCallbacks

TIME_SCALE = float(os.environ.get("TUTORIAL_TIME_SCALE", "1"))
DELAY = 5  # seconds, before scaling


@inlineCallbacks
def my_callbacks():
    print("first callback")
    result = yield 1  # a yielded value that isn't a Deferred comes right back

    print("second callback got", result)
    d = Deferred()
    reactor.callLater(DELAY * TIME_SCALE, d.callback, 2)
    result = yield d  # a yielded Deferred pauses the generator

    print("third callback got", result)  # the result of the Deferred

    d = Deferred()
    reactor.callLater(DELAY * TIME_SCALE, d.errback, Exception(3))
    try:
        yield d
    except Exception as e:
        result = e

    print("fourth callback got", repr(result))  # the exception from the Deferred

    reactor.stop()


def main():
    reactor.callWhenRunning(my_callbacks)
    reactor.run()


if __name__ == "__main__":
    main()
