"""Part 12 exercises (exercises/part-12/): a second transform, the same
TransformService over a second (line-based) protocol on a second port, a
synchronous transform client, and netstring-framed poetry so that a poem
cut short is noticed."""

from twisted.internet import defer
from twisted.internet.testing import StringTransport
from twisted.trial.unittest import TestCase

from tests import support
from tests.support import fetch, netstring, poem_bytes
from tests.support.spec import Row, VersionSpec

BACKWARDS = "exercises/part-12/transformedpoetry-backwards.py"
TWO = "exercises/part-12/transformedpoetry-2proto.py"
SYNC = "exercises/part-12/transform-client-sync.py"
NS_SERVER = "exercises/part-12/fastpoetry-netstring.py"
NS_CLIENT = "exercises/part-12/get-poetry-netstring.py"
SCIENCE = poem_bytes("science.txt")
ALLA_SERA = poem_bytes("alla-sera.txt")


def backwards(poem):
    """What "backwards" should give, computed independently: reversed lines."""
    lines = poem.decode("utf-8").split("\n")
    if lines[-1] == "":
        lines.pop()
    return "".join(line + "\n" for line in reversed(lines)).encode("utf-8")


class BackwardsSpec(VersionSpec):
    """The second transform, over the netstring protocol, for each server
    that offers it: BackwardsSpec, TwoProtocolBackwardsSpec."""

    rows = (Row("Backwards", script=BACKWARDS), Row("TwoProtocolBackwards", script=TWO))
    suffix = "Spec"

    def listen(self):
        module = support.load_script(self.row.script)
        return support.listen(self, module.TransformFactory(module.TransformService()))

    @defer.inlineCallbacks
    def test_backwards_reverses_the_lines(self):
        port = self.listen()
        reply = yield fetch(port, send=netstring(b"backwards." + ALLA_SERA))
        self.assertEqual(reply, netstring(backwards(ALLA_SERA)))
        self.assertNotEqual(backwards(ALLA_SERA), ALLA_SERA)

    @defer.inlineCallbacks
    def test_cummingsify_still_there_and_unknown_names_refused(self):
        port = self.listen()
        reply = yield fetch(port, send=netstring(b"cummingsify.HERE IS MY POEM"))
        self.assertEqual(reply, b"15:here is my poem,")
        self.assertEqual((yield fetch(port, send=netstring(b"__init__.x"))), b"")

    def test_last_line_without_newline(self):
        service = support.load_script(self.row.script).TransformService()
        self.assertEqual(service.backwards("one\ntwo"), "two\none\n")
        self.assertEqual(service.backwards(""), "")


globals().update(BackwardsSpec.makeTestCaseClasses())


class LineProtocolTest(TestCase):
    """Protocol 2 of the two-protocol server, byte for byte in memory."""

    def talk(self, *chunks):
        module = support.load_script(TWO)
        proto = module.LineTransformFactory(module.TransformService()).buildProtocol(None)
        transport = StringTransport()
        proto.makeConnection(transport)
        for chunk in chunks:
            proto.dataReceived(chunk)
        return transport

    def test_dot_stuffed_request_and_reply(self):
        t = self.talk(b"cummingsify\nHELLO\n..DOT LINE\n", b"LAST\n.\n")
        self.assertEqual(t.value(), b"+OK\nhello\n..dot line\nlast\n.\n")
        self.assertTrue(t.disconnecting)

    def test_poem_arriving_byte_by_byte(self):
        request = b"backwards\nfirst\nsecond\n.\n"
        t = self.talk(*[request[i:i + 1] for i in range(len(request))])
        self.assertEqual(t.value(), b"+OK\nsecond\nfirst\n.\n")

    def test_errors_say_why(self):
        t = self.talk(b"startService\nx\n.\n")
        self.assertEqual(t.value(), b"-ERR no such transform: startService\n")
        self.assertTrue(t.disconnecting)
        t = self.talk(b"cummingsify\n\xff\xfe\n")
        self.assertEqual(t.value(), b"-ERR request is not UTF-8 text\n")

    def test_no_reply_before_the_end_line(self):
        t = self.talk(b"cummingsify\nHELLO\n")
        self.assertEqual(t.value(), b"")
        self.assertFalse(t.disconnecting)


class TwoProtocolsOneServiceTest(TestCase):

    def test_factories_share_one_service_and_differ_in_protocol(self):
        module = support.load_script(TWO)
        service = module.TransformService()
        a, b = module.TransformFactory(service), module.LineTransformFactory(service)
        self.assertIs(a.service, b.service)
        self.assertIsNot(a.protocol, b.protocol)

    @defer.inlineCallbacks
    def test_both_ports_of_one_process(self):
        server = yield support.start_script(
            self, TWO, ready=rb"line-based transforms on .*port=(\d+)")
        netstring_port = int(support.PORT_RE.search(server.output).group(1))
        line_port = server.port
        self.assertNotEqual(netstring_port, line_port)
        replies = yield defer.gatherResults([
            fetch(netstring_port, send=netstring(b"cummingsify.ABC DEF")),
            fetch(line_port, send=b"cummingsify\nABC DEF\n.\n"),
        ])
        self.assertEqual(replies, [b"7:abc def,", b"+OK\nabc def\n.\n"])


class SyncClientTest(TestCase):
    """The blocking client as a program, against servers in this process
    (our reactor keeps running while the child blocks)."""

    def setUp(self):
        module = support.load_script(TWO)
        service = module.TransformService()
        self.port = support.listen(self, module.TransformFactory(service))
        self.line_port = support.listen(self, module.LineTransformFactory(service))

    @defer.inlineCallbacks
    def test_transforms_a_poem_file(self):
        result = yield support.run_script(
            SYNC, "--xform", "backwards", self.port, "poetry/alla-sera.txt")
        self.assertEqual(result, (backwards(ALLA_SERA), b"", 0))

    @defer.inlineCallbacks
    def test_line_protocol(self):
        result = yield support.run_script(
            SYNC, "--lines", "--xform", "cummingsify", self.line_port, "poetry/science.txt")
        self.assertEqual(result, (SCIENCE.lower(), b"", 0))

    @defer.inlineCallbacks
    def test_refused_request_and_unreachable_server(self):
        results = yield defer.gatherResults([
            support.run_script(SYNC, "--xform", "nope", self.port, "poetry/science.txt"),
            support.run_script(SYNC, "--lines", "--xform", "nope", self.line_port,
                               "poetry/science.txt"),
            support.run_script(SYNC, support.refused_port(self), "poetry/science.txt"),
        ])
        self.assertEqual(results[0], (
            b"", b"transform-client-sync: the server closed the connection without a reply "
                 b"(no such transform, or the transform failed)\n", 1))
        self.assertEqual(results[1], (
            b"", b"transform-client-sync: the server said: no such transform: nope\n", 1))
        out, err, code = results[2]
        self.assertEqual((out, code), (b"", 1))
        self.assertIn(b"cannot talk to 127.0.0.1:", err)

    def test_truncated_and_malformed_replies_detected(self):
        decode = support.load_script(SYNC).decode_netstring
        error = support.load_script(SYNC).TransformError
        self.assertEqual(decode(b"3:abc,"), b"abc")
        e = self.assertRaises(error, decode, b"10:abc")
        self.assertEqual(str(e), "the reply was cut short: got 3 of 10 bytes")
        self.assertRaises(error, decode, b"abc")
        self.assertRaises(error, decode, b"3:abc,4:more,")


class NetstringPoetryTest(TestCase):

    def serve(self, poem, cut=None):
        module = support.load_script(NS_SERVER)
        return support.listen(self, module.PoetryFactory(poem, cut))

    @defer.inlineCallbacks
    def test_server_sends_one_netstring(self):
        port = self.serve(SCIENCE)
        self.assertEqual((yield fetch(port)), netstring(SCIENCE))
        cut_port = self.serve(SCIENCE, cut=100)
        self.assertEqual((yield fetch(cut_port)), netstring(SCIENCE)[:100])

    @defer.inlineCallbacks
    def test_client_gets_whole_poem(self):
        get_poetry = support.load_script(NS_CLIENT).get_poetry
        poem = yield get_poetry("127.0.0.1", self.serve(ALLA_SERA))
        self.assertEqual(poem, ALLA_SERA)

    @defer.inlineCallbacks
    def test_client_notices_a_poem_cut_short(self):
        module = support.load_script(NS_CLIENT)
        port = self.serve(SCIENCE, cut=100)
        # 100 bytes = "663:" + 96 bytes of poem.
        e = yield self.assertFailure(module.get_poetry("127.0.0.1", port), module.PoemTruncated)
        self.assertEqual(str(e), f"the poem from 127.0.0.1:{port} was cut short: got 96 of 663 bytes")
        port = self.serve(SCIENCE, cut=0)
        e = yield self.assertFailure(module.get_poetry("127.0.0.1", port), module.PoemTruncated)
        self.assertEqual(str(e), f"the poem from 127.0.0.1:{port} was cut short: no data at all")

    @defer.inlineCallbacks
    def test_client_program(self):
        whole, cut = self.serve(SCIENCE), self.serve(SCIENCE, cut=3)
        out, err, code = yield support.run_script(NS_CLIENT, whole, cut)
        self.assertEqual(out, SCIENCE + b"\n")
        self.assertEqual(err, b"Poem failed: the poem from 127.0.0.1:%d was cut short "
                              b"(or is not a netstring)\n" % cut)
        self.assertEqual(code, 1)
