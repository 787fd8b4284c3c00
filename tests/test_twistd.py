"""Part 16: the tac file and the fastpoetry plugin, loaded in-process and
run for real under twistd (in the foreground and as a daemon)."""

import os
import re
import signal

from twisted.application import service
from twisted.application.service import IServiceMaker
from twisted.internet import defer
from twisted.plugin import getPlugins
from twisted.trial.unittest import TestCase

from tests import support
from tests.support import fetch, poem_bytes, poll

TAC = "twisted-server/fastpoetry-2.0.tac"
ECSTASY = poem_bytes("ecstasy.txt")
SCIENCE = poem_bytes("science.txt")
STARTED = rb"PoetryFactory starting on (\d+)"


def read_text(path):
    with open(path) as f:
        return f.read()


class TacTest(TestCase):

    def setUp(self):
        self.tmp = support.temp_dir(self)
        self.pidfile = os.path.join(self.tmp, "twistd.pid")
        self.logfile = os.path.join(self.tmp, "twistd.log")

    def test_running_tac_with_python_does_nothing(self):
        # "If you do this, you'll find that what happens is nothing!"
        d = support.run_script(TAC, timeout=10)
        return d.addCallback(self.assertEqual, (b"", b"", 0))

    @defer.inlineCallbacks
    def test_load_application_in_process(self):
        support.patch_env(self, FASTPOETRY_PORT="0")
        # The tac names its poem relative to the repo root, as in the text.
        cwd = os.getcwd()
        os.chdir(support.ROOT)
        self.addCleanup(os.chdir, cwd)
        application = service.loadApplication(support.path(TAC), "python")
        top = service.IServiceCollection(application)
        (multi,) = list(top)
        poetry_service, tcp_service = list(multi)
        self.assertEqual(type(poetry_service).__name__, "PoetryService")
        self.assertEqual(poetry_service.poetry_file, "poetry/ecstasy.txt")
        self.assertEqual(tcp_service.kwargs, {"interface": "localhost", "backlog": 1024})

        # Start it here (stopped at cleanup, whatever happens), fetch the poem.
        service.IService(application).startService()
        self.addCleanup(service.IService(application).stopService)
        self.assertEqual((yield fetch(support.tcp_port(tcp_service))), ECSTASY)

    @defer.inlineCallbacks
    def test_twistd_nodaemon(self):
        server = yield support.start(
            self, support.twistd_argv("--nodaemon", "--pidfile", self.pidfile, "--python", TAC),
            ready=STARTED, env={"FASTPOETRY_PORT": "0"})
        yield server.wait_for("loaded a poem from: poetry/ecstasy.txt")
        self.assertEqual(int(read_text(self.pidfile)), server.pid)
        self.assertEqual((yield fetch(server.port)), ECSTASY)
        yield server.wait_for(rb"sending 2804 bytes of poetry to IPv4Address\(type='TCP', "
                              rb"host='127.0.0.1', port=\d+\)")
        yield server.stop()
        self.assertIn(b"Server Shut Down.", server.output)
        self.assertFalse(os.path.exists(self.pidfile))
        self.assertNotIn(b"Traceback", server.output)

    @defer.inlineCallbacks
    def test_bad_configuration_is_one_line_not_a_traceback(self):
        for env, message in [
            ({"FASTPOETRY_PORT": "abc"},
             b"fastpoetry-2.0.tac: FASTPOETRY_PORT must be a port number, not 'abc'\n"),
            ({"FASTPOETRY_PORT": "0", "FASTPOETRY_POEM": "poetry/nope.txt"},
             b"fastpoetry-2.0.tac: cannot read poem 'poetry/nope.txt'\n"),
        ]:
            out, err, code = yield support.run(
                support.twistd_argv("--nodaemon", "--pidfile", self.pidfile, "--python", TAC),
                env=env)
            self.assertEqual((err, code), (message, 1))
            self.assertNotIn(b"starting on", out)

    @defer.inlineCallbacks
    def test_twistd_daemon_pidfile_logfile_and_sigterm(self):
        out, err, code = yield support.run(
            support.twistd_argv("--pidfile", self.pidfile, "--logfile", self.logfile,
                                "--python", TAC),
            env={"FASTPOETRY_PORT": "0"})
        self.assertEqual((out, err, code), (b"", b"", 0))  # the prompt comes back
        pid = int(read_text(self.pidfile))
        self.addCleanup(self.kill_if_alive, pid)

        def logged(pattern):
            with open(self.logfile, "rb") as f:
                return re.search(pattern, f.read())

        started = yield poll(lambda: logged(STARTED), what="the port in twistd.log")
        self.assertTrue(logged(rb"loaded a poem from: poetry/ecstasy.txt"))
        self.assertEqual((yield fetch(int(started.group(1)))), ECSTASY)
        yield poll(lambda: logged(rb"sending 2804 bytes of poetry to"), what="the send log")

        os.kill(pid, signal.SIGTERM)
        yield poll(lambda: not os.path.exists(self.pidfile), what="pid file removal")
        yield poll(lambda: not self.alive(pid), what="daemon exit")
        self.assertTrue(logged(rb"Server Shut Down\."))

    @staticmethod
    def alive(pid):
        """True while the daemon runs. It is not our child, so once it has
        exited it may linger as a zombie until init reaps it: that counts
        as gone."""
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except FileNotFoundError:
            return False
        except OSError:
            pass
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    def kill_if_alive(self, pid):
        if self.alive(pid):
            os.kill(pid, signal.SIGKILL)


class PluginTest(TestCase):

    def setUp(self):
        # A directory outside the repo: twistd must find the plugin through
        # the installed .pth, not through the current directory.
        self.tmp = support.temp_dir(self)
        self.pidfile = os.path.join(self.tmp, "twistd.pid")

    def twistd(self, *args):
        return support.run(support.twistd_argv(*args), cwd=self.tmp)

    # That getPlugins finds the plugin: test_faults_usage.PluginsFoundTest.

    def test_make_service_builds_poetry_and_tcp_services(self):
        maker = {p.tapname: p for p in getPlugins(IServiceMaker)}["fastpoetry"]
        options = maker.options()
        options.parseOptions(["--port", "0", "--poem", support.path("poetry/science.txt")])
        poetry_service, tcp_service = list(maker.makeService(options))
        self.assertEqual(poetry_service.poetry_file, support.path("poetry/science.txt"))
        self.assertEqual(tcp_service.args[0], 0)

    @defer.inlineCallbacks
    def test_help_from_another_directory(self):
        out, err, code = yield self.twistd("fastpoetry", "--help")
        self.assertEqual(code, 0, err)
        self.assertIn(b"Usage: twistd [options] fastpoetry [options]", out)
        self.assertIn(b"--poem=", out)

    @defer.inlineCallbacks
    def test_runs_for_real_from_another_directory(self):
        server = yield support.start(
            self, support.twistd_argv("-n", "--pidfile", self.pidfile, "fastpoetry",
                                      "--port", "0", "--poem", support.path("poetry/science.txt")),
            ready=STARTED, cwd=self.tmp)
        self.assertEqual((yield fetch(server.port)), SCIENCE)
        yield server.wait_for(rb"sending 663 bytes of poetry to IPv4Address")

    @defer.inlineCallbacks
    def check_usage_error(self, args, message):
        out, err, code = yield self.twistd("fastpoetry", *args)
        output = out + err
        self.assertEqual(code, 1, output)
        self.assertIn(message, output)
        self.assertNotIn(b"Traceback", output)
        self.assertNotIn(b"starting on", output)  # nothing was bound
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "twistd.pid")))

    # Every other usage error of the plugin, and of the other plugins, is
    # in test_faults_usage; this one also shows nothing is left behind in
    # the directory twistd ran from.
    def test_missing_poem_option(self):
        return self.check_usage_error(
            ["--port", "0"], b"fastpoetry: --poem is required: the file containing the poem.")
