"""Capturing what code under test logs or prints."""

import io
import sys
from collections.abc import Sequence

from twisted.internet.testing import EventLoggingObserver
from twisted.logger import formatEvent, globalLogPublisher


class LoggedMessages(Sequence):
    """The formatted messages of one namespace among the events an
    EventLoggingObserver has seen so far; compares equal to a list of
    them."""

    def __init__(self, events, namespace):
        self.events = events
        self.namespace = namespace

    def messages(self):
        return [formatEvent(event) for event in self.events
                if event.get("log_namespace") == self.namespace]

    def __getitem__(self, index):
        return self.messages()[index]

    def __len__(self):
        return len(self.messages())

    def __eq__(self, other):
        return isinstance(other, Sequence) and self.messages() == list(other)

    def __repr__(self):
        return repr(self.messages())


def capture_log(testcase, namespace="transformpoetry"):
    """The formatted twisted.logger messages of one namespace, from now
    until the test ends (Twisted's EventLoggingObserver on the global log
    publisher, removed at cleanup); a growing sequence, equal to the list
    of messages logged so far."""
    events = EventLoggingObserver.createWithCleanup(testcase, globalLogPublisher)
    return LoggedMessages(events, namespace)


def quiet(testcase):
    """Capture what the code under test prints; returns the buffer."""
    out = io.StringIO()
    testcase.patch(sys, "stdout", out)
    return out
