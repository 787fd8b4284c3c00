"""deferred-list-4.py: DeferredList example 4, version 1.0.

Tutorial Part 18, "Deferreds En Masse". Original repo path:
deferred-list/deferred-list-4.py.

The Deferreds fire in the opposite order here (d2 first), yet the result
list keeps the order of the list we built: d1's result comes first.

Run: python deferred-examples/deferred-list-4.py
"""

from twisted.internet import defer


def got_results(res):
    print("We got:", res)


def main():
    print("Two Deferreds.")
    d1 = defer.Deferred()
    d2 = defer.Deferred()
    d = defer.DeferredList([d1, d2])
    print("Adding Callback.")
    d.addCallback(got_results)
    print("Firing d2.")
    d2.callback("d2 result")
    print("Firing d1.")
    d1.callback("d1 result")


if __name__ == "__main__":
    main()
