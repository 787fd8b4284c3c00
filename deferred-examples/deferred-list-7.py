"""deferred-list-7.py: DeferredList example 7, version 1.0.

Tutorial Part 18, "Deferreds En Masse". Original repo path:
deferred-list/deferred-list-7.py.

The other way to silence deferred-list-6.py: leave consumeErrors off and
handle d2's failure ourselves with an errback on d2. The errback returns
None, so d2's chain ends in success and nothing is reported when it is
garbage collected.

Run: python deferred-examples/deferred-list-7.py
"""

import gc

from twisted.internet import defer


def got_results(res):
    print("We got:", res)


def handle_d2_failure(err):
    print("d2 errback got:", err.getErrorMessage())
    # Returning None ends d2's chain in success: the error is handled.


def main():
    d1 = defer.Deferred()
    d2 = defer.Deferred()
    d = defer.DeferredList([d1, d2])
    d.addCallback(got_results)
    d2.addErrback(handle_d2_failure)
    print("Firing d1.")
    d1.callback("d1 result")
    print("Firing d2 with errback.")
    d2.errback(Exception("d2 failure"))
    del d, d1, d2
    gc.collect()


if __name__ == "__main__":
    main()
