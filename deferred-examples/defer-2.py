"""defer-2.py: Deferred basics 2, firing the errback, version 1.0.

Tutorial Part 7, "An Interlude, Deferred". Original repo path:
twisted-deferred/defer-2.py.

The same Deferred as defer-1.py, fired with .errback() instead: the
errback runs, the callback does not.

Run: python deferred-examples/defer-2.py
"""

from twisted.internet.defer import Deferred


def got_poem(res):
    print("Your poem is served:")
    print(res)


def poem_failed(err):
    print("No poetry for you.")


def main():
    d = Deferred()
    d.addCallbacks(got_poem, poem_failed)
    print("Before errback.")
    d.errback(Exception("I have failed."))
    print("After errback.")
    print("Finished")


if __name__ == "__main__":
    main()
