"""fireOnOneCallback and fireOnOneErrback -- Part 18, exercise 2.

Original: none; the exercise asks us to change the deferred-list examples
(deferred-list/deferred-list-1.py ... -7.py, here deferred-examples/).

The exercise: try DeferredList's optional fireOnOneCallback and
fireOnOneErrback arguments, and think of when to use each (or both).

- fireOnOneCallback=True: the list fires as soon as ONE Deferred succeeds,
  with (result, index) -- not a list. Use it for a race: the same poem
  asked of three mirror servers, the first answer wins. If none succeeds
  it fires with the usual list of (False, failure) pairs once all are in.
- fireOnOneErrback=True: the list fails as soon as ONE Deferred fails, with
  a FirstError holding the failure and its index. Use it when every part
  is needed: fetching the chapters of one book, one missing chapter makes
  waiting for the others pointless.
- Both: whichever comes first decides -- the first answer from any mirror,
  or the first error, "fail fast".

Either way, the Deferreds still unfired are left alone: they fire later
into nothing (cancel them if the work should stop).

    python exercises/part-18/deferred-list-fire-on-one.py
"""

from twisted.internet import defer


def show(label):
    def callback(result):
        print(f"{label} fired with: {result!r}")
    return callback


def show_failure(label):
    def errback(failure):
        failure.trap(defer.FirstError)
        first = failure.value
        print(f"{label} failed: FirstError at index {first.index}: "
              f"{first.subFailure.getErrorMessage()}")
    return errback


def fire_on_one_callback():
    print("fireOnOneCallback: three mirrors, the first answer wins.")
    d1, d2, d3 = defer.Deferred(), defer.Deferred(), defer.Deferred()
    d = defer.DeferredList([d1, d2, d3], fireOnOneCallback=True, consumeErrors=True)
    d.addCallback(show("  the list"))
    print("  Firing d2 with an error.")
    d2.errback(Exception("d2 mirror down"))
    print("  Firing d3.")
    d3.callback("poem from d3")
    print("  Firing d1 (too late, nobody waits).")
    d1.callback("poem from d1")


def fire_on_one_callback_none_succeed():
    print("fireOnOneCallback, but every mirror fails:")
    d1, d2 = defer.Deferred(), defer.Deferred()
    d = defer.DeferredList([d1, d2], fireOnOneCallback=True, consumeErrors=True)
    d.addCallback(lambda results: print(
        "  the list fired with:", [(ok, f.getErrorMessage()) for ok, f in results]))
    d1.errback(Exception("d1 down"))
    d2.errback(Exception("d2 down"))


def fire_on_one_errback():
    print("fireOnOneErrback: every chapter is needed, one failure is enough.")
    d1, d2, d3 = defer.Deferred(), defer.Deferred(), defer.Deferred()
    d = defer.DeferredList([d1, d2, d3], fireOnOneErrback=True, consumeErrors=True)
    d.addCallbacks(show("  the list"), show_failure("  the list"))
    print("  Firing d1.")
    d1.callback("chapter 1")
    print("  Firing d3 with an error.")
    d3.errback(Exception("chapter 3 is missing"))
    print("  Firing d2 (too late).")
    d2.callback("chapter 2")


def fire_on_one_errback_all_succeed():
    print("fireOnOneErrback, and every chapter arrives:")
    d1, d2 = defer.Deferred(), defer.Deferred()
    d = defer.DeferredList([d1, d2], fireOnOneErrback=True, consumeErrors=True)
    d.addCallbacks(show("  the list"), show_failure("  the list"))
    d1.callback("chapter 1")
    d2.callback("chapter 2")


def both():
    print("Both: the first success or the first failure, whichever comes first.")
    for first in ("success", "failure"):
        d1, d2 = defer.Deferred(), defer.Deferred()
        d = defer.DeferredList([d1, d2], fireOnOneCallback=True,
                               fireOnOneErrback=True, consumeErrors=True)
        d.addCallbacks(show("  the list"), show_failure("  the list"))
        if first == "success":
            d2.callback("d2 answered")
            d1.errback(Exception("d1 down"))
        else:
            d2.errback(Exception("d2 down"))
            d1.callback("d1 answered")


def main():
    fire_on_one_callback()
    fire_on_one_callback_none_succeed()
    fire_on_one_errback()
    fire_on_one_errback_all_succeed()
    both()


if __name__ == "__main__":
    main()
