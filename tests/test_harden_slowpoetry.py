"""twisted-server/slowpoetry.py after an idle spell.

The shared tick catches up missed intervals (LoopingCall.withCount). It is
stopped while nobody is connected; restarted, it counted the idle spell too,
so the first client after a pause got that time's chunks at once. Catching
up must cover only time while clients are connected. In memory, with
task.Clock and StringTransport.
"""

from twisted.internet import task
from twisted.internet.testing import StringTransport
from twisted.trial.unittest import TestCase

from tests import support

slow = support.load_script("twisted-server/slowpoetry.py")

POEM = support.poem_bytes("science.txt")  # 663 bytes
NUM_BYTES, DELAY = 30, 0.5  # 0.5 is exact in binary: no float drift in Clock


class IdleSpellTest(TestCase):

    def setUp(self):
        self.clock = task.Clock()
        self.factory = slow.PoetryFactory(POEM, NUM_BYTES, DELAY, clock=self.clock)

    def connect(self):
        proto = self.factory.buildProtocol(None)
        transport = StringTransport()
        proto.makeConnection(transport)
        return proto, transport

    def received(self, transport, ticks):
        """Bytes the client has after each of `ticks` intervals."""
        sizes = [len(transport.value())]
        for _ in range(ticks):
            self.clock.advance(DELAY)
            sizes.append(len(transport.value()))
        return sizes

    def test_client_after_an_idle_spell_is_paced_like_the_first(self):
        chunks = -(-len(POEM) // NUM_BYTES)  # 23: the whole poem in 22 ticks
        paced = [min(NUM_BYTES * (i + 1), len(POEM)) for i in range(chunks)]

        first, transport = self.connect()
        self.assertEqual(self.received(transport, chunks - 1), paced)
        self.assertTrue(transport.disconnecting)
        first.connectionLost(None)
        self.assertEqual(self.clock.getDelayedCalls(), [])  # idle: no timer

        self.clock.advance(60)  # nobody connected for a minute
        second, transport = self.connect()
        self.assertEqual(self.received(transport, chunks - 1), paced)
        self.assertTrue(transport.disconnecting)
        second.connectionLost(None)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_a_late_tick_still_catches_up(self):
        # What withCount is for: a tick that runs late sends the chunks of
        # every interval it missed, while the client is connected.
        _, transport = self.connect()
        self.clock.advance(DELAY * 3)  # one call, three intervals
        self.assertEqual(len(transport.value()), NUM_BYTES * 4)
