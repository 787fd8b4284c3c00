"""defer-cancel-9.py: cancelling an inlineCallbacks function, version 1.0.

Tutorial Part 19, "I Thought I Wanted It But I Changed My Mind" (with the
inlineCallbacks of Part 17). Original repo path:
deferred-cancel/defer-cancel-9.py.

Cancelling the Deferred returned by an @inlineCallbacks function cancels
the Deferred the generator is waiting on. The CancelledError is raised at
the yield, inside the generator, where try/finally can clean up.

Run: python deferred-examples/defer-cancel-9.py
"""

from twisted.internet import defer


def slow_operation():
    def canceller(d):
        print("slow_operation's canceller called.")

    return defer.Deferred(canceller)


@defer.inlineCallbacks
def get_poem():
    print("get_poem: waiting for the slow operation.")
    try:
        poem = yield slow_operation()
    except defer.CancelledError:
        print("get_poem: the yield raised CancelledError.")
        raise
    finally:
        print("get_poem: cleaning up.")
    return poem


def got_poem(poem):
    print("Got", poem)


def poem_failed(err):
    print("Poem failed:", repr(err.value))


def main():
    d = get_poem()
    d.addCallbacks(got_poem, poem_failed)
    print("Cancelling the Deferred get_poem() returned.")
    d.cancel()
    print("Done.")


if __name__ == "__main__":
    main()
