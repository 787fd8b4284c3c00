"""defer-6.py: Deferred basics 6, errback then callback, version 1.0.

Tutorial Part 7, "An Interlude, Deferred". Original repo path:
twisted-deferred/defer-6.py.

The other order: a failed Deferred cannot succeed later either.
THIS PROGRAM ENDS WITH AlreadyCalledError ON PURPOSE: a traceback on
stderr and exit status 1.

Run: python deferred-examples/defer-6.py
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
    d.errback(Exception("I have failed."))
    print("Now calling back the same Deferred...")
    d.callback("Too late to succeed.")  # raises AlreadyCalledError
    print("Finished")  # never reached


if __name__ == "__main__":
    main()
