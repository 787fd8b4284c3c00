"""deferred-list-2.py: DeferredList example 2, version 1.0.

Tutorial Part 18, "Deferreds En Masse". Original repo path:
deferred-list/deferred-list-2.py.

A DeferredList of one Deferred waits for that Deferred. Its result is a
list with one (success, result) tuple.

Run: python deferred-examples/deferred-list-2.py
"""

from twisted.internet import defer


def got_results(res):
    print("We got:", res)


def main():
    print("One Deferred.")
    d1 = defer.Deferred()
    d = defer.DeferredList([d1])
    print("Adding Callback.")
    d.addCallback(got_results)
    # Nothing is printed yet: the list is still waiting for d1.
    print("Firing d1.")
    d1.callback("d1 result")


if __name__ == "__main__":
    main()
