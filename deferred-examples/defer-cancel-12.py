"""defer-cancel-12.py: cancelling a coroutine's Deferred, version 1.0.

Tutorial Part 19, "I Thought I Wanted It But I Changed My Mind", in
today's spelling. Original repo path: deferred-cancel/defer-cancel-12.py.

Deferred.fromCoroutine() runs an `async def` coroutine and returns a
Deferred for its result. Cancelling that Deferred cancels the Deferred the
coroutine is awaiting, and the CancelledError is raised at the await,
just as with inlineCallbacks in defer-cancel-9.py. Here the coroutine
catches it and returns a fallback poem, so the caller sees a result.

Run: python deferred-examples/defer-cancel-12.py
"""

from twisted.internet import defer


def slow_operation():
    def canceller(d):
        print("slow_operation's canceller called.")

    return defer.Deferred(canceller)


async def get_poem():
    print("get_poem: awaiting the slow operation.")
    try:
        return await slow_operation()
    except defer.CancelledError:
        print("get_poem: the await raised CancelledError; using a fallback.")
        return "a fallback poem"


def got_poem(poem):
    print("Got", poem)


def poem_failed(err):
    print("Poem failed:", repr(err.value))


def main():
    d = defer.Deferred.fromCoroutine(get_poem())
    d.addCallbacks(got_poem, poem_failed)
    print("Cancelling the coroutine's Deferred.")
    d.cancel()
    print("Done.")


if __name__ == "__main__":
    main()
