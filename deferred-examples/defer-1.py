"""defer-1.py: Deferred basics 1, firing the callback, version 1.0.

Tutorial Part 7, "An Interlude, Deferred". Original repo path:
twisted-deferred/defer-1.py.

A Deferred holds a callback and an errback. Calling .callback(result)
runs the callback right away, synchronously, before .callback() returns:
there is no reactor here at all.

Run: python deferred-examples/defer-1.py
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
    print("Before callback.")
    d.callback("This poem is short.")
    print("After callback.")
    print("Finished")


if __name__ == "__main__":
    main()
