"""defer-unhandled.py: an unhandled error in a Deferred, version 1.0.

Tutorial Part 9, "A Second Interlude, Deferred" (explained in Part 14).
Original repo path: twisted-deferred/defer-unhandled.py.

A Deferred that fails with no errback to handle the failure is not an
error at once: someone could still add an errback. Only when the Deferred
is garbage collected does Twisted report "Unhandled error in Deferred"
(on stderr; Twisted logs it as a critical event, and with no log observer
installed those are written to stderr). The program itself exits 0.

Run: python deferred-examples/defer-unhandled.py
"""

import gc

from twisted.internet.defer import Deferred


def got_poem(res):
    print("Your poem is served:")
    print(res)


def main():
    d = Deferred()
    d.addCallback(got_poem)  # a callback, but no errback
    d.errback(Exception("I have failed."))
    print("The Deferred has failed; nothing reported yet.")
    print("Dropping the last reference to it...")
    del d
    gc.collect()
    print("Finished")


if __name__ == "__main__":
    main()
