"""`make demo` runs tools/demo.py: every server started, the poems
printed transformed, every process stopped, exit 0."""

from twisted.internet import defer
from twisted.trial.unittest import TestCase

from tests import support


class DemoTest(TestCase):

    @defer.inlineCallbacks
    def test_demo_prints_transformed_poems_and_stops_everything(self):
        out, err, code = yield support.run_script("tools/demo.py", timeout=60)
        self.assertEqual(code, 0, err)
        text = out.decode("utf-8")
        for name in ("fascination.txt", "science.txt"):
            poem = support.poem_bytes(name).decode("utf-8").lower()
            self.assertIn(poem, text)
        self.assertIn("==> twistd fastpoetry on port", text)
        self.assertIn("==> caching proxy 4.0 on port", text)
        self.assertTrue(text.endswith("==> stopped 4 servers\n"), text[-200:])
        self.assertNotIn(b"Traceback", out + err)
