"""defer-11.py: adding callbacks to a fired Deferred; pause and unpause, version 1.0.

Tutorial Part 14, "When a Deferred Isn't". Original repo path:
twisted-deferred/defer-11.py.

Example 1: a Deferred that has already fired keeps its result, and every
callback added later runs at once, right inside addCallback (watch the
order of the lines). Example 2: a paused Deferred holds its callbacks
until unpause(), the same mechanism a Deferred uses on itself while a
callback's inner Deferred is pending (see defer-10.py).

Run: python deferred-examples/defer-11.py
"""

from twisted.internet.defer import Deferred


def callback_1(res):
    print("callback_1 got", res)
    return 1


def callback_2(res):
    print("callback_2 got", res)
    return 2


def callback_3(res):
    print("callback_3 got", res)
    return 3


def main():
    print("Example 1: fire first, add callbacks afterwards.")
    d = Deferred()
    print("Firing the empty Deferred with 0.")
    d.callback(0)
    print("Adding callback_1.")
    d.addCallback(callback_1)
    print("Adding callback_2.")
    d.addCallback(callback_2)
    print("Adding callback_3.")
    d.addCallback(callback_3)
    print("Example 1 done.")
    print()

    print("Example 2: pause, fire, add callbacks, unpause.")
    d = Deferred()
    print("Pausing the Deferred.")
    d.pause()
    print("Firing the paused Deferred with 0.")
    d.callback(0)
    print("Adding callback_1.")
    d.addCallback(callback_1)
    print("Adding callback_2.")
    d.addCallback(callback_2)
    print("Adding callback_3.")
    d.addCallback(callback_3)
    print("Unpausing the Deferred.")
    d.unpause()
    print("Example 2 done.")


if __name__ == "__main__":
    main()
