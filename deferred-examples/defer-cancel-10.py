"""defer-cancel-10.py: cancelling a gatherResults, version 1.0.

Tutorial Part 19, "I Thought I Wanted It But I Changed My Mind" (with the
DeferredList of Part 18). Original repo path:
deferred-cancel/defer-cancel-10.py.

Cancelling the Deferred from defer.gatherResults cancels every Deferred in
it that has not fired yet; ones that have fired are left alone. The
gathered Deferred fails with a FirstError wrapping the first
CancelledError.

Run: python deferred-examples/defer-cancel-10.py
"""

from twisted.internet import defer


def download(name):
    def canceller(d):
        print("Cancelling download", name)

    return defer.Deferred(canceller)


def all_done(poems):
    print("All poems:", poems)


def some_failed(err):
    err.trap(defer.FirstError)
    first = err.value
    print("gatherResults failed; first error at index", first.index,
          "was", first.subFailure.type.__name__)


def main():
    ds = [download("one"), download("two"), download("three")]
    gathered = defer.gatherResults(ds, consumeErrors=True)
    gathered.addCallbacks(all_done, some_failed)
    print("Download two finishes.")
    ds[1].callback("poem two")
    print("Cancelling the gathered Deferred.")
    gathered.cancel()
    print("Done.")


if __name__ == "__main__":
    main()
