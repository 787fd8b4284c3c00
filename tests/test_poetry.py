"""Part 15, "Tested Poetry": get_poetry against a test poetry server.

The text copies the client and server code into the test module so that it
is self-contained; we import them from the scripts instead (client 4.0's
get_poetry, fast poetry 1.0's PoetryFactory), so the tests check the very
code a reader runs.
"""

from twisted.internet import reactor
from twisted.internet.error import ConnectionRefusedError
from twisted.trial.unittest import TestCase

from tests.support import load_script

TEST_POEM = b"""\
This is a test.
This is only a test.
"""

get_poetry = load_script("twisted-client/get-poetry-4.0.py").get_poetry
PoetryServerFactory = load_script("twisted-server/fastpoetry-1.0.py").PoetryFactory


class PoetryTestCase(TestCase):

    def setUp(self):
        factory = PoetryServerFactory(TEST_POEM)
        self.port = reactor.listenTCP(0, factory, interface="127.0.0.1")
        self.portnum = self.port.getHost().port

    def tearDown(self):
        port, self.port = self.port, None
        return port.stopListening()

    def test_client(self):
        """The correct poem is returned by get_poetry."""
        d = get_poetry("127.0.0.1", self.portnum)

        def got_poem(poem):
            self.assertEqual(poem, TEST_POEM.decode("utf-8"))

        d.addCallback(got_poem)

        return d

    def test_failure(self):
        """The correct failure is returned by get_poetry when
        connecting to a port with no server."""
        d = get_poetry("127.0.0.1", 0)
        return self.assertFailure(d, ConnectionRefusedError)
