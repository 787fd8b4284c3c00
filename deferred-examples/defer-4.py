"""defer-4.py: Deferred basics 4, calling back twice, version 1.0.

Tutorial Part 7, "An Interlude, Deferred". Original repo path:
twisted-deferred/defer-4.py.

A Deferred fires once. The second .callback() raises AlreadyCalledError.
THIS PROGRAM ENDS WITH THAT ERROR ON PURPOSE: a traceback on stderr and
exit status 1.

Run: python deferred-examples/defer-4.py
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
    d.callback("First result.")
    print("Firing the same Deferred again...")
    d.callback("Second result.")  # raises AlreadyCalledError
    print("Finished")  # never reached


if __name__ == "__main__":
    main()
