"""deferred-list-3.py: DeferredList example 3, version 1.0.

Tutorial Part 18, "Deferreds En Masse". Original repo path:
deferred-list/deferred-list-3.py.

With two Deferreds the list fires only after the second one has fired,
and its result holds one (success, result) tuple per Deferred.

Run: python deferred-examples/deferred-list-3.py
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
    print("Firing d1.")
    d1.callback("d1 result")
    print("Firing d2.")
    d2.callback("d2 result")


if __name__ == "__main__":
    main()
