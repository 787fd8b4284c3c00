"""defer-9.py: Deferred basics 9, addCallbacks versus a separate errback, version 1.0.

Tutorial Part 9, "A Second Interlude, Deferred". Original repo path:
twisted-deferred/defer-9.py.

d.addCallbacks(cb, eb) puts cb and eb at the same level of the chain, so
eb does NOT see an error raised by cb. d.addCallback(cb).addErrback(eb)
puts eb one level lower, so it does. Both Deferreds below run the same
callback, which raises; only the second catches the error in eb.

Run: python deferred-examples/defer-9.py
"""

from twisted.internet.defer import Deferred


def transform(poem):
    print("  transform got", repr(poem), "and raises")
    raise ValueError("cannot transform")


def transform_failed(err):
    print("  transform_failed got", repr(err.value))
    return "original poem"


def show(res):
    print("  final callback got", repr(res))


def show_failure(err):
    print("  final errback got", repr(err.value))


def main():
    print("1. d.addCallbacks(transform, transform_failed):")
    d1 = Deferred()
    d1.addCallbacks(transform, transform_failed)
    d1.addCallbacks(show, show_failure)
    d1.callback("a poem")

    print("2. d.addCallback(transform).addErrback(transform_failed):")
    d2 = Deferred()
    d2.addCallback(transform).addErrback(transform_failed)
    d2.addCallbacks(show, show_failure)
    d2.callback("a poem")


if __name__ == "__main__":
    main()
