"""A DeferredList of DeferredLists -- Part 18, exercise 3.

Original: none; the exercise asks for it.

The exercise: can a DeferredList be made from a list of DeferredLists, and
what would its result look like? Yes: a DeferredList is a Deferred, so it
can go in a list like any other. The outer list fires when every inner
list has fired, and each inner list's result -- itself a list of
(success, value) pairs -- becomes the value of a (True, ...) pair, since a
plain DeferredList never fails. Failures stay nested where they happened:

    [(True, [(True, 'a1'), (False, <Failure>)]), (True, [(True, 'b1')])]

    python exercises/part-18/deferred-list-nested.py
"""

from twisted.internet import defer


def describe(value):
    """The result with each Failure written as Failure(message), for printing."""
    if isinstance(value, list):
        return "[" + ", ".join(describe(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(describe(v) for v in value) + ")"
    if hasattr(value, "getErrorMessage"):
        return f"Failure({value.getErrorMessage()!r})"
    return repr(value)


def got_results(res):
    print("We got:", describe(res))


def main():
    a1, a2, b1 = defer.Deferred(), defer.Deferred(), defer.Deferred()
    inner_a = defer.DeferredList([a1, a2], consumeErrors=True)
    inner_b = defer.DeferredList([b1], consumeErrors=True)
    outer = defer.DeferredList([inner_a, inner_b])
    outer.addCallback(got_results)

    print("Firing a1.")
    a1.callback("a1 result")
    print("Firing b1: inner list b is done, the outer one still waits for a.")
    b1.callback("b1 result")
    print("Firing a2 with an error: inner list a is done, and so is the outer one.")
    a2.errback(Exception("a2 failure"))

    print("An empty inner list fires at once, like any empty DeferredList:")
    defer.DeferredList([defer.DeferredList([]), defer.succeed("x")]).addCallback(got_results)


if __name__ == "__main__":
    main()
