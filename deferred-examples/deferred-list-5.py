"""deferred-list-5.py: DeferredList example 5, version 1.0.

Tutorial Part 18, "Deferreds En Masse". Original repo path:
deferred-list/deferred-list-5.py.

One Deferred succeeds and one fails. The DeferredList itself still
succeeds: the failed one shows up as (False, Failure). consumeErrors=True
makes the list swallow d2's failure, so no "Unhandled error in Deferred"
is reported when d2 is garbage collected (compare deferred-list-6.py).

Run: python deferred-examples/deferred-list-5.py
"""

import gc

from twisted.internet import defer


def got_results(res):
    print("We got:", res)


def main():
    d1 = defer.Deferred()
    d2 = defer.Deferred()
    d = defer.DeferredList([d1, d2], consumeErrors=True)
    d.addCallback(got_results)
    print("Firing d1.")
    d1.callback("d1 result")
    print("Firing d2 with errback.")
    d2.errback(Exception("d2 failure"))
    # Drop our references and collect now, so that an unhandled failure
    # (there is none here) would be reported before the program ends.
    del d, d1, d2
    gc.collect()


if __name__ == "__main__":
    main()
