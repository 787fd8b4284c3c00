"""inline-callbacks-2.py: what an inlineCallbacks function returns, version 1.0.

Tutorial Part 17, "Just Another Way to Spell 'Callback'". Original repo
path: inline-callbacks/inline-callbacks-2.py.

Calling an @inlineCallbacks function gives back a Deferred that fires when
the generator finishes: with the value of its return statement, or with
the exception it raised, wrapped in a Failure.

The text returns the value with defer.returnValue(). A generator may use
a plain `return value` since Python 3.3, and returnValue has been
deprecated since Twisted 24.7, so this version uses plain `return`.

Run: python inline-callbacks/inline-callbacks-2.py
"""

from twisted.internet import reactor
from twisted.internet.defer import Deferred, inlineCallbacks


@inlineCallbacks
def my_callbacks():
    d = Deferred()
    reactor.callLater(0, d.callback, "a result from a Deferred")
    result = yield d
    return "my_callbacks returns: " + result


@inlineCallbacks
def my_failing_callbacks():
    yield 1
    raise Exception("my_failing_callbacks raises")


def got_result(res):
    print("callback got:", res)


def got_failure(err):
    print("errback got:", repr(err.value))


def main():
    # This one never waits, so its Deferred has fired by the time it is
    # returned, and got_failure runs at once.
    d1 = my_failing_callbacks()
    d1.addCallbacks(got_result, got_failure)

    # This one waits for a timer: got_result runs once the reactor is up.
    d2 = my_callbacks()
    d2.addCallbacks(got_result, got_failure)

    done = d2.addBoth(lambda _: d1)
    done.addBoth(lambda _: reactor.stop())
    reactor.run()


if __name__ == "__main__":
    main()
