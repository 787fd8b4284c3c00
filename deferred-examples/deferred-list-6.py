"""deferred-list-6.py: DeferredList example 6, version 1.0.

Tutorial Part 18, "Deferreds En Masse". Original repo path:
deferred-list/deferred-list-6.py.

deferred-list-5.py without consumeErrors. The DeferredList records d2's
failure but passes it on down d2's own chain, where nothing handles it.
When d2 is garbage collected Twisted reports "Unhandled error in Deferred"
on stderr. (Twisted 26 logs that report as a critical event through
twisted.logger; with no log observer installed, critical events are
written to stderr, so no set-up is needed to see it.)

Run: python deferred-examples/deferred-list-6.py
"""

import gc

from twisted.internet import defer


def got_results(res):
    print("We got:", res)


def main():
    d1 = defer.Deferred()
    d2 = defer.Deferred()
    d = defer.DeferredList([d1, d2])
    d.addCallback(got_results)
    print("Firing d1.")
    d1.callback("d1 result")
    print("Firing d2 with errback.")
    d2.errback(Exception("d2 failure"))
    # The report is made when d2 is collected; collect now so it appears
    # here rather than somewhere in interpreter shutdown.
    del d, d1, d2
    gc.collect()


if __name__ == "__main__":
    main()
