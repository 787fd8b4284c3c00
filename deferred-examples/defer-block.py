"""defer-block.py: a blocking callback, version 1.0.

Tutorial Part 7, "An Interlude, Deferred". Original repo path:
twisted-deferred/defer-block.py.

Callbacks run synchronously inside .callback(): a callback that blocks
(here time.sleep) blocks whoever fired the Deferred, and in a real program
that is the whole reactor. The callback sleeps BLOCK_SECONDS seconds; set
TUTORIAL_TIME_SCALE (a float multiplier, default 1) to shorten it.

Run: python deferred-examples/defer-block.py
"""

import os
import time

from twisted.internet.defer import Deferred

TIME_SCALE = float(os.environ.get("TUTORIAL_TIME_SCALE", "1"))
BLOCK_SECONDS = 5  # before scaling


def blocking_poem(res):
    print("callback: blocking for", BLOCK_SECONDS, "(scaled) seconds...")
    time.sleep(BLOCK_SECONDS * TIME_SCALE)
    print("callback: done blocking.")
    return res


def main():
    d = Deferred()
    d.addCallback(blocking_poem)
    start = time.monotonic()
    print("Before callback.")
    d.callback("a poem")
    waited = time.monotonic() - start
    # Nothing else could run while the callback slept.
    print("After callback. .callback() took the whole sleep:",
          waited >= BLOCK_SECONDS * TIME_SCALE)


if __name__ == "__main__":
    main()
