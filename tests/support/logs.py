"""Capturing what code under test logs or prints."""

import io
import sys

from twisted.logger import formatEvent, globalLogPublisher


def capture_log(testcase, namespace="transformpoetry"):
    """Collect the formatted twisted.logger messages of one namespace until
    the test ends; returns the (growing) list."""
    events = []

    def observe(event):
        if event.get("log_namespace") == namespace:
            events.append(formatEvent(event))

    globalLogPublisher.addObserver(observe)
    testcase.addCleanup(globalLogPublisher.removeObserver, observe)
    return events


def quiet(testcase):
    """Capture what the code under test prints; returns the buffer."""
    out = io.StringIO()
    testcase.patch(sys, "stdout", out)
    return out
