"""The hardened programs on a port already in use: one line
and exit 1, never a traceback.

- proxy 4.0 (script): `poetry-proxy-4.0.py: cannot listen on localhost:P:
  Address already in use` on stderr, exit 1;
- `twistd -n poetryproxy` and `twistd -n transformpoetry`: the same line,
  named after the plugin, exit 1, and twistd's pidfile removed;
- the same plugins as daemons: the line goes through twistd's own
  failed-start report, so the launching twistd prints it and exits 1 (a
  daemon that simply exited would leave it waiting for ever).

Each plugin in process (one spec, TransformPortInUseSpec and
ProxyPortInUseSpec), then the script and twistd for real.
"""

import os
import signal

from twisted.internet import defer, protocol
from twisted.plugins import poetryproxy_plugin, transformpoetry_plugin
from twisted.scripts.twistd import ServerOptions
from twisted.trial.unittest import TestCase

from tests import support
from tests.support.spec import VersionSpec

IN_USE = "Address already in use"


def port_in_use(testcase):
    """A port this process listens on (127.0.0.1, what localhost is)."""
    return support.listen(testcase, protocol.ServerFactory.forProtocol(protocol.Protocol))


class Plugin:
    def __init__(self, id, module, args):
        self.id = id
        self.module = module
        self.args = args  # the plugin's own options besides --port


class PortInUseSpec(VersionSpec):
    """Each plugin's services, started in this process on a taken port."""

    rows = (
        Plugin("Transform", transformpoetry_plugin, []),
        Plugin("Proxy", poetryproxy_plugin, ["--server", "10001"]),
    )
    suffix = "PortInUseSpec"

    def start(self, twistd_args):
        port = port_in_use(self)
        config = ServerOptions()
        maker = self.row.module.service_maker
        config.parseOptions([*twistd_args, maker.tapname, "--port", str(port), *self.row.args])
        top = maker.makeService(config.subOptions)
        # The SIGHUP service starts first; put back the handler it replaces.
        self.addCleanup(signal.signal, signal.SIGHUP, signal.getsignal(signal.SIGHUP))
        return port, top

    def test_foreground_is_one_line_and_the_pidfile_goes(self):
        pidfile = support.pidfile(self)
        with open(pidfile, "w") as f:
            f.write("12345")  # what twistd has written by then
        port, top = self.start(["-n", "--pidfile", pidfile])
        with self.assertRaises(SystemExit) as raised:
            top.privilegedStartService()
        self.assertEqual(raised.exception.code, f"{self.row.module.service_maker.tapname}: "
                                                f"cannot listen on localhost:{port}: {IN_USE}")
        self.assertFalse(os.path.exists(pidfile))

    def test_daemon_goes_through_twistds_failed_start(self):
        port, top = self.start(["--pidfile", support.pidfile(self)])
        with self.assertRaises(OSError) as raised:
            top.privilegedStartService()
        self.assertNotIsInstance(raised.exception, SystemExit)
        self.assertEqual(str(raised.exception), f"{self.row.module.service_maker.tapname}: "
                                                f"cannot listen on localhost:{port}: {IN_USE}")


globals().update(PortInUseSpec.makeTestCaseClasses())


class PortInUseRunTest(TestCase):
    """The script and twistd, run for real on a taken port."""

    @defer.inlineCallbacks
    def test_script(self):
        port = port_in_use(self)
        out, err, code = yield support.run_script(
            "twisted-server/poetry-proxy-4.0.py", "--port", port, "10002")
        self.assertEqual((out, err, code), (
            b"", f"poetry-proxy-4.0.py: cannot listen on localhost:{port}: {IN_USE}\n".encode(),
            1))

    @defer.inlineCallbacks
    def test_twistd_in_the_foreground(self):
        port = port_in_use(self)
        pidfile = support.pidfile(self)
        out, err, code = yield support.run(support.twistd_argv(
            "-n", "--pidfile", pidfile, "transformpoetry", "--port", port))
        self.assertEqual(code, 1)
        # twistd -n logs to stdout, stderr included: the line, once.
        self.assertIn(f"[stderr#error] transformpoetry: cannot listen on localhost:{port}: "
                      f"{IN_USE}\n".encode(), out)
        self.assertEqual((out + err).count(b"cannot listen"), 1)
        self.assertNotIn(b"Traceback", out + err)
        self.assertFalse(os.path.exists(pidfile))

    @defer.inlineCallbacks
    def test_twistd_as_a_daemon(self):
        port = port_in_use(self)
        pidfile = support.pidfile(self)
        logfile = os.path.join(os.path.dirname(pidfile), "twistd.log")
        # Bounded by run()'s timeout: the launching twistd must not wait for ever.
        out, err, code = yield support.run(support.twistd_argv(
            "--pidfile", pidfile, "--logfile", logfile, "transformpoetry", "--port", port),
            timeout=15)
        self.assertEqual((out, code), (b"", 1))
        self.assertEqual(err, (
            f"An error has occurred: b'OSError: transformpoetry: cannot listen on "
            f"localhost:{port}: {IN_USE}'\nPlease look at log file for more information.\n"
        ).encode())
        # The daemon removes its pidfile after the launching twistd has
        # printed that and exited: wait for it, bounded.
        yield support.poll(lambda: not os.path.exists(pidfile),
                           what=f"the daemon removing {pidfile}")
