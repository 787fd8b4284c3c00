"""defer-10.py: outer and inner Deferreds, version 1.0.

Tutorial Part 13, "Deferred All The Way Down". Original repo path:
twisted-deferred/defer-10.py.

Two outer Deferreds with three callbacks each. In the first, every
callback returns a plain value and the chain runs straight through. In
the second, the middle callback returns an inner Deferred: the outer
chain pauses there, control goes back to whoever fired it, and the chain
resumes with the inner Deferred's result once the inner one fires.

There is no reactor here, so we fire the inner Deferred ourselves from
the outside. A real program never does that: the inner Deferred is fired
by whatever asynchronous operation the callback started.

Run: python deferred-examples/defer-10.py
"""

from twisted.internet.defer import Deferred

# Holds the inner Deferred so main() can fire it "from the outside".
# Only this demonstration keeps a Deferred in a global.
inner = {}


def callback_1(res):
    print("callback_1 got", res)
    return 1


def callback_2(res):
    print("callback_2 got", res)
    return 2


def callback_2_async(res):
    print("callback_2_async got", res, "and returns an inner Deferred")
    inner["d"] = Deferred()
    return inner["d"]


def callback_3(res):
    print("callback_3 got", res)
    return 3


def main():
    print("Outer Deferred 1: three callbacks that return plain values.")
    d = Deferred()
    d.addCallback(callback_1)
    d.addCallback(callback_2)
    d.addCallback(callback_3)
    print("Firing outer Deferred 1 with 0.")
    d.callback(0)
    print("Outer Deferred 1 is done.")
    print()

    print("Outer Deferred 2: the middle callback returns an inner Deferred.")
    d = Deferred()
    d.addCallback(callback_1)
    d.addCallback(callback_2_async)
    d.addCallback(callback_3)
    print("Firing outer Deferred 2 with 0.")
    d.callback(0)
    print("Outer Deferred 2 has paused: .callback() returned, callback_3 "
          "has not run.")
    print("Firing the inner Deferred with 2.")
    inner.pop("d").callback(2)
    print("Outer Deferred 2 is done.")


if __name__ == "__main__":
    main()
