"""defer-5.py: Deferred basics 5, callback then errback, version 1.0.

Tutorial Part 7, "An Interlude, Deferred". Original repo path:
twisted-deferred/defer-5.py.

Firing with .callback() and then with .errback() is also firing twice.
THIS PROGRAM ENDS WITH AlreadyCalledError ON PURPOSE: a traceback on
stderr and exit status 1.

Run: python deferred-examples/defer-5.py
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
    d.callback("A result.")
    print("Now failing the same Deferred...")
    d.errback(Exception("Too late to fail."))  # raises AlreadyCalledError
    print("Finished")  # never reached


if __name__ == "__main__":
    main()
