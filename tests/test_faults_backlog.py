"""A thousand clients at once: the servers meant for load pass a listen
backlog large enough that every concurrent connect completes.

With listenTCP's default backlog of 50, a burst like this overflows the
kernel's accept queue and some clients wait on SYN retries or hang. Here
1000 loopback clients connect at the same moment to `twistd fastpoetry`
(run for real) and to proxy 4.0 (the script, run for real); every one of
them must receive the exact poem within a fixed time.

Each client is a socket in this process and each accepted connection one in
the server, so the open-file limit must allow well over 1000: the soft limit
is raised for this process (and the servers it starts inherit it).
"""

import resource

from twisted.internet import defer
from twisted.trial.unittest import TestCase

from tests import support
from tests.support import fetch, poem_bytes

CLIENTS = 1000
DEADLINE = 10  # seconds for the whole burst; it takes about one on 2 cores
POEM = poem_bytes("science.txt")


def ensure_open_files(testcase, needed):
    """Raise the soft RLIMIT_NOFILE to `needed` for this test."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    testcase.addCleanup(resource.setrlimit, resource.RLIMIT_NOFILE, (soft, hard))
    _, now, note = support.raise_nofile(needed)
    if now != resource.RLIM_INFINITY and now < needed:
        raise AssertionError(f"this test needs {needed} open files, but the limit stays at "
                             f"{now} ({note}); raise it (ulimit -Hn) to run it")


class ThousandClientsTest(TestCase):

    def setUp(self):
        ensure_open_files(self, 2 * CLIENTS + 256)

    @defer.inlineCallbacks
    def burst(self, port):
        """Connect CLIENTS at once; fire with the replies once all are in.
        Each client gives up (and hangs up) after DEADLINE seconds."""
        clients = [fetch(port, timeout=DEADLINE) for _ in range(CLIENTS)]
        results = yield support.with_timeout(
            defer.DeferredList(clients, consumeErrors=True), DEADLINE + 5, "the burst")
        poems = [result for ok, result in results if ok]
        stuck = CLIENTS - len(poems)
        self.assertEqual(stuck, 0, f"{stuck} of {CLIENTS} clients got no reply in {DEADLINE}s")
        return poems

    @defer.inlineCallbacks
    def test_fastpoetry_plugin_under_twistd(self):
        argv = support.twistd_argv("-n", "--pidfile=", "fastpoetry", "--port", "0",
                                   "--poem", "poetry/science.txt")
        server = yield support.start(self, argv, ready=rb"PoetryFactory starting on (\d+)")
        poems = yield self.burst(server.port)
        self.assertEqual(poems.count(POEM), CLIENTS)

    @defer.inlineCallbacks
    def test_proxy_4_0(self):
        upstream = support.TestServerFactory(POEM)
        upstream_port = support.serve(self, upstream)
        server = yield support.start_script(
            self, "twisted-server/poetry-proxy-4.0.py", "--port", "0", str(upstream_port))
        poems = yield self.burst(server.port)
        self.assertEqual(poems.count(POEM), CLIENTS)
        self.assertEqual(upstream.connections, 1)
