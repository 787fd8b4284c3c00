"""inline-callbacks-tb.py: who calls an inline callback, version 1.0.

Tutorial Part 17, "Just Another Way to Spell 'Callback'". Original repo
path: inline-callbacks/inline-callbacks-tb.py.

Prints the stack from inside an @inlineCallbacks generator after a yielded
Deferred has fired: reactor.run() is at the top, Twisted's Deferred and
inlineCallbacks machinery in between, and our generator at the bottom.
inlineCallbacks does not change the rules: the reactor still calls us.

Run: python inline-callbacks/inline-callbacks-tb.py
"""

import traceback

from twisted.internet import reactor
from twisted.internet.defer import Deferred, inlineCallbacks


@inlineCallbacks
def my_callbacks():
    d = Deferred()
    reactor.callLater(0, d.callback, 1)
    yield d
    traceback.print_stack()
    reactor.stop()


def main():
    reactor.callWhenRunning(my_callbacks)
    reactor.run()


if __name__ == "__main__":
    main()
