"""One finger step in pytest's idiom, with pytest-twisted: step 7, the
factory that answers from its users (finger/finger07.py; the trial-style
spec is tests.test_finger.Finger07Spec).

A fixture starts the step's FingerFactory in this process and stops it
after the test; parametrize runs one async test per query.

    python -m pytest tests/pytest_idiom/test_finger_pytest.py
"""

import pytest
import pytest_twisted
from twisted.internet import reactor

from tests.support import fetch
from tests.support.finger import load_definitions

step = load_definitions("finger/finger07.py")  # its classes; the step itself would listen
USERS = {"moshez": "Happy and well", "zoë": "Très bien, merci"}


@pytest_twisted.async_yield_fixture
async def finger_port():
    """Step 7's factory with two users, on 127.0.0.1, port 0."""
    port = reactor.listenTCP(0, step.FingerFactory(**USERS), interface="127.0.0.1")
    yield port.getHost().port
    await port.stopListening()


@pytest.mark.parametrize("query, answer", [
    (b"moshez\r\n", b"Happy and well\r\n"),
    (b"moshez\n", b"Happy and well\r\n"),            # a bare LF ends a query too
    (b"/W moshez\r\n", b"Happy and well\r\n"),       # RFC 1288's verbose switch, ignored
    ("zoë\r\n".encode(), "Très bien, merci\r\n".encode()),  # UTF-8 in, UTF-8 out
    (b"nobody\r\n", b"No such user\r\n"),
])
@pytest_twisted.ensureDeferred
async def test_answers_one_query_and_closes(finger_port, query, answer):
    # fetch returns only once the server has closed the connection.
    assert await fetch(finger_port, send=query) == answer
