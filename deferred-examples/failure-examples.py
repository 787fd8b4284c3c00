"""failure-examples.py: what a Failure is, version 1.0.

Tutorial Part 9, "A Second Interlude, Deferred". Original repo path:
twisted-failure/failure-examples.py.

A twisted.python.failure.Failure wraps an exception together with its
traceback, so the error can travel down an errback chain long after the
except block is gone. This program makes Failures two ways and uses the
methods errbacks rely on: getErrorMessage, check, trap, raiseException
and getTraceback.

Run: python deferred-examples/failure-examples.py
"""

from twisted.python.failure import Failure


class RhymeError(Exception):
    pass


def find_rhyme(word):
    raise RhymeError("nothing rhymes with " + word)


def main():
    print("1. A Failure made inside an except block captures the exception")
    print("   and its traceback:")
    try:
        find_rhyme("orange")
    except RhymeError:
        f = Failure()
    print("   repr:", repr(f))
    print("   type:", f.type.__name__)
    print("   value:", repr(f.value))
    print("   getErrorMessage():", f.getErrorMessage())
    print("   the traceback it carries:")
    for line in f.getTraceback().splitlines():
        print("     " + line)

    print("2. A Failure made from an exception instance has no frames:")
    g = Failure(RhymeError("nothing rhymes with silver"))
    print("   repr:", repr(g))
    print("   getTraceback():", g.getTraceback().strip().replace("\n", " | "))

    print("3. check() tells which of the given types matches, or None:")
    print("   f.check(KeyError, RhymeError) ->", f.check(KeyError, RhymeError))
    print("   f.check(KeyError) ->", f.check(KeyError))

    print("4. trap() returns the matching type, or raises the original")
    print("   exception again (on Python 3; Python 2 raised the Failure):")
    print("   f.trap(RhymeError) ->", f.trap(RhymeError))
    try:
        f.trap(KeyError)
    except RhymeError as e:
        print("   f.trap(KeyError) raised the wrapped exception:", e is f.value)

    print("5. raiseException() raises the original exception again:")
    try:
        f.raiseException()
    except RhymeError as e:
        print("   caught", repr(e))


if __name__ == "__main__":
    main()
