"""deferred-list-1.py: DeferredList example 1, version 1.0.

Tutorial Part 18, "Deferreds En Masse". Original repo path:
deferred-list/deferred-list-1.py.

A DeferredList built from an empty list has nothing to wait for, so it
has already fired by the time we add a callback: the callback runs at once,
with an empty list as its result.

Run: python deferred-examples/deferred-list-1.py
"""

from twisted.internet import defer


def got_results(res):
    print("We got:", res)


def main():
    print("Empty List.")
    d = defer.DeferredList([])
    print("Adding Callback.")
    d.addCallback(got_results)


if __name__ == "__main__":
    main()
