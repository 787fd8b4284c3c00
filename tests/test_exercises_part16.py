"""Part 16 exercises (exercises/part-16/): a tac serving two poems from two
MultiServices, a tac for the poetry proxy, and the fastpoetry plugin with
an optional second poem (found by twistd through PYTHONPATH, run here as a
real twistd). Exercise 4, a proxy plugin, is `twistd poetryproxy`
(twisted/plugins/poetryproxy_plugin.py); ProxyPluginTest shows it."""

import re

from twisted.application import internet, service
from twisted.internet import defer
from twisted.trial.unittest import TestCase

from tests import support
from tests.support import fetch, listening_ports, load_tac, pidfile, poem_bytes

TWO = "exercises/part-16/fastpoetry-two.tac"
PROXY_TAC = "exercises/part-16/poetry-proxy.tac"
PLUGIN_PATH = "exercises/part-16"
ECSTASY = poem_bytes("ecstasy.txt")
SCIENCE = poem_bytes("science.txt")
TWO_PORTS = re.compile(rb"(?s)PoetryFactory starting on (\d+).*PoetryFactory starting on (\d+)")


def started_ports(server):
    return [int(p) for p in re.findall(rb"starting on (\d+)", server.output)]


class TwoPoemsTacTest(TestCase):

    def test_each_poem_in_its_own_multiservice(self):
        # In-process the cwd is trial's temporary directory: absolute paths.
        ecstasy, science = support.path("poetry/ecstasy.txt"), support.path("poetry/science.txt")
        application = load_tac(self, TWO, TWOPOEMS_PORT1="0", TWOPOEMS_PORT2="0",
                               TWOPOEMS_POEM1=ecstasy, TWOPOEMS_POEM2=science)
        (top,) = list(service.IServiceCollection(application))
        one, two = top.getServiceNamed("poem_one"), top.getServiceNamed("poem_two")
        for multi, path in ((one, ecstasy), (two, science)):
            self.assertIsInstance(multi, service.MultiService)
            # A TCPServer (the tac's subclass, which makes a port in use one
            # line) and the poem's service.
            kinds = sorted("TCPServer" if isinstance(child, internet.TCPServer)
                           else type(child).__name__ for child in multi)
            self.assertEqual(kinds, ["PoetryService", "TCPServer"])
            self.assertEqual([c.poetry_file for c in multi if hasattr(c, "poetry_file")], [path])
        # Stopping one poem's MultiService leaves the other serving.
        return defer.maybeDeferred(one.stopService).addCallback(
            lambda _: self.assertEqual((one.running, two.running), (0, 1)))

    @defer.inlineCallbacks
    def test_under_twistd(self):
        server = yield support.start(
            self, support.twistd_argv("-n", "--pidfile", pidfile(self), "-y", TWO), ready=TWO_PORTS,
            env={"TWOPOEMS_PORT1": "0", "TWOPOEMS_PORT2": "0"})
        port1, port2 = started_ports(server)
        poems = yield defer.gatherResults([fetch(port1), fetch(port2)])
        self.assertEqual(poems, [ECSTASY, SCIENCE])
        yield server.wait_for(rb"sending 663 bytes of poetry to IPv4Address")


class ProxyTacTest(TestCase):

    @defer.inlineCallbacks
    def test_proxies_and_caches(self):
        upstream = support.TestServerFactory(SCIENCE)
        upstream_port = support.serve(self, upstream)
        application = load_tac(self, PROXY_TAC, PROXY_PORT="0",
                               PROXY_SERVER=f"127.0.0.1:{upstream_port}")
        (top,) = list(service.IServiceCollection(application))
        (port,) = listening_ports(top)
        first = yield fetch(port)
        second = yield fetch(port)
        self.assertEqual((first, second), (SCIENCE, SCIENCE))
        self.assertEqual(upstream.connections, 1)

    @defer.inlineCallbacks
    def test_server_down_closes_the_client(self):
        application = load_tac(self, PROXY_TAC, PROXY_PORT="0",
                               PROXY_SERVER=str(support.refused_port(self)))
        (top,) = list(service.IServiceCollection(application))
        (port,) = listening_ports(top)
        self.assertEqual((yield fetch(port)), b"")


class TwoPoemPluginTest(TestCase):

    def twistd(self, *args):
        return support.twistd_argv("-n", "--pidfile", pidfile(self), *args)

    @defer.inlineCallbacks
    def test_second_poem_on_second_port(self):
        server = yield support.start(
            self, self.twistd("fastpoetry2", "--port", "0", "--poem", "poetry/ecstasy.txt",
                              "--port2", "0", "--poem2", "poetry/alla-sera.txt"),
            ready=TWO_PORTS, env={"PYTHONPATH": support.path(PLUGIN_PATH)})
        ports = started_ports(server)
        poems = yield defer.gatherResults([fetch(p) for p in ports])
        self.assertEqual(sorted(poems), sorted([ECSTASY, poem_bytes("alla-sera.txt")]))

    @defer.inlineCallbacks
    def test_one_poem_and_usage_errors(self):
        env = {"PYTHONPATH": support.path(PLUGIN_PATH)}
        one = support.start(
            self, self.twistd("fastpoetry2", "--port", "0", "--poem", "poetry/science.txt"),
            env=env, ready=re.compile(rb"starting on (\d+)"))
        half = support.run(self.twistd("fastpoetry2", "--poem", "poetry/science.txt",
                                       "--poem2", "poetry/ecstasy.txt"), env=env)
        missing = support.run(self.twistd("fastpoetry2", "--poem", "poetry/science.txt",
                                          "--port2", "0", "--poem2", "no/such.txt"), env=env)
        server, half, missing = yield defer.gatherResults([one, half, missing])
        self.assertEqual((yield fetch(server.port)), SCIENCE)
        self.assertEqual(started_ports(server), [server.port])
        # twistd prints the plugin's usage on stdout, then the error.
        self.assertEqual(half[2], 1)
        self.assertIn(b"--poem2 and --port2 go together: give both or neither.", half[0] + half[1])
        self.assertEqual(missing[2], 1)
        self.assertIn(b"cannot read --poem2 'no/such.txt'", missing[0] + missing[1])


class ProxyPluginTest(TestCase):
    """Exercise 4 points to `twistd poetryproxy`."""

    @defer.inlineCallbacks
    def test_proxy_plugin_serves_the_upstream_poem(self):
        upstream = support.TestServerFactory(ECSTASY)
        upstream_port = support.serve(self, upstream)
        server = yield support.start(
            self, support.twistd_argv("-n", "--pidfile", pidfile(self), "poetryproxy",
                                      "--port", "0", "--server", str(upstream_port)),
            ready=re.compile(rb"starting on (\d+)"))
        self.assertEqual((yield fetch(server.port)), ECSTASY)
        self.assertEqual((yield fetch(server.port)), ECSTASY)
        self.assertEqual(upstream.connections, 1)
