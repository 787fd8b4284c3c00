"""defer-8.py: Deferred basics 8, switching between the chains, version 1.0.

Tutorial Part 9, "A Second Interlude, Deferred". Original repo path:
twisted-deferred/defer-8.py.

A callback that raises sends the Deferred down the errback chain; an
errback that returns a value (instead of raising or returning the
Failure) sends it back to the callback chain. Each step prints what it
got, so you can follow the path.

Run: python deferred-examples/defer-8.py
"""

from twisted.internet.defer import Deferred


def callback_1(res):
    print("callback_1 got", repr(res), "and raises")
    raise ValueError("callback_1 broke")


def callback_2(res):
    print("callback_2 got", repr(res), "(skipped: we are failing)")
    return res


def errback_2(err):
    print("errback_2 got", repr(err.value), "and recovers")
    return "recovered value"


def callback_3(res):
    print("callback_3 got", repr(res))
    return res


def errback_3(err):
    print("errback_3 got", repr(err.value), "(skipped: we recovered)")
    return err


def main():
    d = Deferred()
    d.addCallback(callback_1)
    d.addCallbacks(callback_2, errback_2)
    d.addCallbacks(callback_3, errback_3)
    print("Firing with 'a poem'.")
    d.callback("a poem")
    print("Finished")


if __name__ == "__main__":
    main()
