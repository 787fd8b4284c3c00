"""defer-3.py: Deferred basics 3, what an errback receives, version 1.0.

Tutorial Part 7, "An Interlude, Deferred". Original repo path:
twisted-deferred/defer-3.py.

We pass a plain exception to .errback(), but the errback receives a
twisted.python.failure.Failure that wraps it. The exception itself is
the Failure's .value.

Run: python deferred-examples/defer-3.py
"""

from twisted.internet.defer import Deferred


def got_poem(res):
    print("Your poem is served:")
    print(res)


def poem_failed(err):
    print("The errback got a", type(err).__name__)
    print("  repr:", repr(err))
    print("  the wrapped exception:", repr(err.value))
    print("  its message:", err.getErrorMessage())
    print("No poetry for you.")


def main():
    d = Deferred()
    d.addCallbacks(got_poem, poem_failed)
    d.errback(Exception("I have failed."))
    print("Finished")


if __name__ == "__main__":
    main()
