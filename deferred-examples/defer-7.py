"""defer-7.py: Deferred basics 7, fired by the reactor, version 1.0.

Tutorial Part 7, "An Interlude, Deferred". Original repo path:
twisted-deferred/defer-7.py.

A Deferred is normally fired by something the reactor does. Here the
reactor fires it from a timer after POEM_DELAY seconds, and the callback
stops the reactor. Set TUTORIAL_TIME_SCALE (a float multiplier, default 1)
to shorten the timer, e.g. TUTORIAL_TIME_SCALE=0.01.

Run: python deferred-examples/defer-7.py
"""

import os

from twisted.internet import reactor
from twisted.internet.defer import Deferred

TIME_SCALE = float(os.environ.get("TUTORIAL_TIME_SCALE", "1"))
POEM_DELAY = 2  # seconds, before scaling


def got_poem(res):
    print("Your poem is served:")
    print(res)


def poem_failed(err):
    print("No poetry for you.")


def poem_done(_):
    reactor.stop()


def main():
    d = Deferred()
    d.addCallbacks(got_poem, poem_failed)
    d.addBoth(poem_done)
    reactor.callLater(POEM_DELAY * TIME_SCALE, d.callback, "Another short poem.")
    print("Starting the reactor.")
    reactor.run()
    print("The reactor has stopped.")


if __name__ == "__main__":
    main()
