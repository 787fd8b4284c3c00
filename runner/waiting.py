"""Bounded waits: every wait in the suite ends, with a message saying what
never happened."""

from twisted.internet import defer, reactor, task
from twisted.python.failure import Failure


def with_timeout(d, seconds, what="operation"):
    """Bound a Deferred in time; on expiry it fails with a clear message."""

    def on_timeout(result, timeout):
        if isinstance(result, Failure) and result.check(
            defer.CancelledError
        ):
            raise AssertionError(f"{what} did not finish within {seconds}s")
        return result

    return d.addTimeout(seconds, reactor, onTimeoutCancel=on_timeout)


def poll(check, timeout=10, interval=0.05, what="condition"):
    """Wait, bounded, for check() to be true: for things no Deferred tells
    us about, such as a daemon (not our child) writing its log."""
    deadline = reactor.seconds() + timeout

    @defer.inlineCallbacks
    def loop():
        while True:
            value = check()
            if value:
                return value
            if reactor.seconds() > deadline:
                raise AssertionError(f"{what} not seen within {timeout}s")
            yield task.deferLater(reactor, interval, lambda: None)

    return loop()
