"""Part 15's tests a second time, in pytest's idiom, with pytest-twisted.

tests/test_poetry.py is the text's way: a trial TestCase whose test
methods return Deferreds. Here the same checks are plain functions:
`async def` tests that `await` the Deferred (pytest_twisted.ensureDeferred),
fixtures that start a poetry server and stop it after the test, and
parametrize to run one test over several poems.

This directory has no __init__.py, so `trial tests` never sees it; pytest
runs it after every trial TestCase (see tests/conftest.py), because once a
pytest-twisted test has run the reactor, trial TestCases in the same
process can no longer use it.

    python -m pytest tests/pytest_idiom
"""

import socket

import pytest
import pytest_twisted
from twisted.internet import reactor
from twisted.internet.error import ConnectionRefusedError

from tests.support import load_script, poem_bytes

TEST_POEM = b"""\
This is a test.
This is only a test.
"""

# The code a reader runs: client 4.0's get_poetry, fast poetry 1.0's factory.
get_poetry = load_script("twisted-client/get-poetry-4.0.py").get_poetry
PoetryServerFactory = load_script("twisted-server/fastpoetry-1.0.py").PoetryFactory


@pytest_twisted.async_yield_fixture
async def poetry_server(request):
    """A fast poetry server on 127.0.0.1, port 0, serving TEST_POEM (or,
    when a test parametrizes it indirectly, the poem file it names);
    yields (port, poem bytes) and stops listening after the test."""
    poem = poem_bytes(request.param) if hasattr(request, "param") else TEST_POEM
    port = reactor.listenTCP(0, PoetryServerFactory(poem), interface="127.0.0.1")
    yield port.getHost().port, poem
    await port.stopListening()


@pytest.fixture
def refused_port():
    """A port where nothing listens: bound, not listening, until the test ends."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


@pytest_twisted.ensureDeferred
async def test_client(poetry_server):
    """The correct poem is returned by get_poetry."""
    port, poem = poetry_server
    assert await get_poetry("127.0.0.1", port) == poem.decode("utf-8")


@pytest_twisted.ensureDeferred
async def test_failure(refused_port):
    """The correct failure is returned by get_poetry when connecting to a
    port with no server."""
    with pytest.raises(ConnectionRefusedError):
        await get_poetry("127.0.0.1", refused_port)


@pytest.mark.parametrize("poetry_server", ["science.txt", "alla-sera.txt", "ecstasy.txt"],
                         indirect=True)
@pytest_twisted.ensureDeferred
async def test_every_poem_arrives_whole(poetry_server):
    """Each poem file, UTF-8 and all, comes back exactly, as text."""
    port, poem = poetry_server
    assert await get_poetry("127.0.0.1", port) == poem.decode("utf-8")
