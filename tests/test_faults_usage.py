"""Bad command lines for every script in twisted-server/ and every plugin in
twisted/plugins/: a wrong option, a missing poem file (or server), a bad port.

Each must be a usage error with no traceback, found before any port is
bound: scripts exit 2 with argparse's usage on stderr; plugins raise
usage.UsageError from their Options, which twistd prints before exiting 1.

The full table runs in-process (parse_args / Options.parseOptions), which is
quick; then each program is run for real once, with --port naming a port
this test is already listening on. A program that bound its port before
checking its arguments would report "Address already in use" there instead
of the usage error.
"""

import io
import os
from contextlib import redirect_stderr

from twisted.application.service import IServiceMaker
from twisted.internet import defer, protocol
from twisted.plugin import getPlugins
from twisted.plugins import fastpoetry_plugin, poetryproxy_plugin, transformpoetry_plugin
from twisted.python import usage
from twisted.trial.unittest import TestCase

from tests import support
from tests.support.spec import Row, VersionSpec, camel_id

POEM = "poetry/science.txt"
NO_POEM = "poetry/no-such-poem.txt"
ENOENT = "No such file or directory"
WRONG = (["--colour=red"], "unrecognized arguments: --colour=red")


def proxy_cases(*extra):
    return [
        ([], "the following arguments are required: [HOST:]PORT"),
        (WRONG[0] + ["10001"], WRONG[1]),
        (["localhost:ten"],
         "argument [HOST:]PORT: invalid address 'localhost:ten': the port must be a number"),
        (["70000"], "argument [HOST:]PORT: invalid address '70000': no such port"),
        (["--port", "70000", "10001"], "argument --port: 70000 is not a port number"),
        (["--port", "ten", "10001"], "argument --port: invalid int value: 'ten'"),
        *extra,
    ]


def poem_cases(*extra):
    return [
        ([NO_POEM], f"cannot read poem {NO_POEM!r}: {ENOENT}"),
        (WRONG[0] + [POEM], WRONG[1]),
        ([], "the following arguments are required: POEM"),
        (["--port", "70000", POEM], "argument --port: 70000 is not a port number"),
        (["--port", "ten", POEM], "argument --port: invalid int value: 'ten'"),
        *extra,
    ]


# script -> [(arguments, argparse's message)]; the first case is also run
# for real, with --port set to a port that is already taken.
SCRIPTS = {
    "fastpoetry-1.0.py": poem_cases(),
    "slowpoetry.py": poem_cases(
        (["--delay", "0", POEM], "argument --delay: must be greater than 0"),
        (["--num-bytes", "0", POEM], "argument --num-bytes: must be at least 1"),
    ),
    "transformedpoetry-1.0.py": [
        WRONG,
        ([POEM], f"unrecognized arguments: {POEM}"),
        (["--port", "70000"], "argument --port: 70000 is not a port number"),
        (["--port", "ten"], "argument --port: invalid int value: 'ten'"),
    ],
    "poetry-proxy-1.0.py": proxy_cases(),
    "poetry-proxy-2.0.py": proxy_cases(),
    "poetry-proxy-3.0.py": proxy_cases(),
    "poetry-proxy-4.0.py": proxy_cases(
        (["--timeout", "0", "10001"], "argument --timeout: '0' must be greater than 0"),
        (["--connect-timeout", "soon", "10001"],
         "argument --connect-timeout: 'soon' is not a number of seconds"),
        (["--expiry", "-1", "10001"], "argument --expiry: must be 0 or more"),
        (["--backlog", "0", "10001"], "argument --backlog: must be at least 1"),
    ),
}


def abs_poem(name):
    return support.path(name)


# plugin module -> [(arguments, the UsageError's message)]
PLUGINS = {
    "fastpoetry": (fastpoetry_plugin, [
        (["--colour", "red"], "option --colour not recognized"),
        (["--poem", abs_poem(NO_POEM)], f"cannot read poem {abs_poem(NO_POEM)!r}: {ENOENT}"),
        ([], "--poem is required: the file containing the poem."),
        (["--port", "ten", "--poem", abs_poem(POEM)],
         "Parameter type enforcement failed: invalid literal for int() with base 10: 'ten'"),
        (["--port", "70000", "--poem", abs_poem(POEM)],
         "Parameter type enforcement failed: 70000 is not a port number"),
    ]),
    "poetryproxy": (poetryproxy_plugin, [
        (["--colour", "red", "--server", "10001"], "option --colour not recognized"),
        ([], "--server is required: the [HOST:]PORT of the poetry server."),
        (["--server", "localhost:ten"], "Parameter type enforcement failed: "
         "invalid address 'localhost:ten': the port must be a number"),
        (["--server", "0"], "Parameter type enforcement failed: invalid address '0': no such port"),
        (["--port", "70000", "--server", "10001"],
         "Parameter type enforcement failed: 70000 is not a port number"),
        (["--timeout", "0", "--server", "10001"],
         "Parameter type enforcement failed: 0 is not a positive number of seconds"),
        (["--expiry", "-5", "--server", "10001"], "Parameter type enforcement failed: -5 is negative"),
        (["--backlog", "0", "--server", "10001"], "--backlog must be at least 1."),
    ]),
    "transformpoetry": (transformpoetry_plugin, [
        (["--colour", "red"], "option --colour not recognized"),
        (["--port", "ten"],
         "Parameter type enforcement failed: invalid literal for int() with base 10: 'ten'"),
        (["--timeout", "-1"], "Parameter type enforcement failed: -1 is not a positive number of seconds"),
        (["--max-connections", "many"],
         "Parameter type enforcement failed: invalid literal for int() with base 10: 'many'"),
    ]),
}

# The case each plugin is run with for real: relative paths are fine here,
# twistd runs from the repository root.
PLUGIN_RUNS = {
    "fastpoetry": (["--poem", NO_POEM], f"cannot read poem {NO_POEM!r}: {ENOENT}"),
    "poetryproxy": ([], "--server is required: the [HOST:]PORT of the poetry server."),
    "transformpoetry": (["--colour", "red"], "option --colour not recognized"),
}


class TakenPort:
    """A port this test listens on, so nobody else can bind it."""

    def __init__(self, testcase):
        self.port = support.listen(testcase, protocol.ServerFactory.forProtocol(protocol.Protocol))


class ScriptUsage:
    """Checks for a script's usage errors."""

    def check_parse(self, module, args, message):
        err = io.StringIO()
        with redirect_stderr(err):
            e = self.assertRaises(SystemExit, module.parse_args, args)
        self.assertEqual(e.code, 2, args)
        self.assertTrue(err.getvalue().startswith("usage: "), err.getvalue())
        self.assertTrue(err.getvalue().endswith(f": error: {message}\n"), err.getvalue())

    @defer.inlineCallbacks
    def check_run(self, script, args, message):
        taken = TakenPort(self)
        out, err, code = yield support.run_script(
            f"twisted-server/{script}", "--port", taken.port, *args, timeout=20)
        self.assertEqual((out, code), (b"", 2), err)
        self.assertTrue(err.startswith(b"usage: "), err)
        self.assertTrue(err.endswith(f"{script}: error: {message}\n".encode()), err)
        self.assertNotIn(b"Traceback", err)



class ScriptUsageSpec(ScriptUsage, VersionSpec):
    """Each script of SCRIPTS: every bad command line gives usage and the
    message (parsed in this process), and the first also for real, with
    the port taken (FastPoetry10UsageSpec, ...)."""

    rows = tuple(Row(camel_id(script), script=script, cases=cases)
                 for script, cases in SCRIPTS.items())
    suffix = "UsageSpec"

    def test_parse_args(self):
        module = support.load_script(f"twisted-server/{self.row.script}")
        for args, message in self.row.cases:
            self.check_parse(module, args, message)

    def test_run(self):
        args, message = self.row.cases[0]
        return self.check_run(self.row.script, args, message)


globals().update(ScriptUsageSpec.makeTestCaseClasses())


class ScriptUsageTest(ScriptUsage, TestCase):

    @defer.inlineCallbacks
    def test_transform_test_script(self):
        for args, message in [([], b"/twisted-server/transform-test PORT\n"),
                              (["ten"], b"PORT must be a number, not 'ten'")]:
            out, err, code = yield support.run(["sh", support.path("twisted-server/transform-test"),
                                                *args], timeout=20)
            self.assertEqual((out, code), (b"", 2), err)
            self.assertIn(message, err)


class PluginUsageSpec(VersionSpec):
    """Each twistd plugin: every bad option gives the message (in this
    process), and one case for real under twistd, with the port taken
    (FastpoetryUsageSpec, PoetryproxyUsageSpec, TransformpoetryUsageSpec)."""

    rows = tuple(Row(camel_id(tapname), tapname=tapname, module=module, cases=cases,
                     run=PLUGIN_RUNS[tapname])
                 for tapname, (module, cases) in PLUGINS.items())
    suffix = "UsageSpec"

    def test_options(self):
        for args, message in self.row.cases:
            self.check_options(self.row.module, args, message)

    def test_twistd(self):
        return self.check_twistd(self.row.tapname, *self.row.run)

    def check_options(self, module, args, message):
        e = self.assertRaises(usage.UsageError, module.Options().parseOptions, args)
        self.assertEqual(str(e), message, args)

    @defer.inlineCallbacks
    def check_twistd(self, tapname, args, message):
        taken = TakenPort(self)
        argv = support.twistd_argv("-n", "--pidfile=", tapname, "--port", taken.port, *args)
        out, err, code = yield support.run(argv, timeout=20)
        self.assertEqual(code, 1, out + err)
        self.assertIn(b"Usage: twistd [options]", out)
        # twistd names itself "twistd -n" or "twistd TAPNAME" in that line.
        self.assertTrue(out.endswith(f": {message}\n".encode()), out)
        self.assertNotIn(b"Traceback", out + err)
        self.assertNotIn(b"Address already in use", out + err)


globals().update(PluginUsageSpec.makeTestCaseClasses())


class PluginsFoundTest(TestCase):

    def test_twistd_finds_the_three_plugins(self):
        found = {maker.tapname: maker.description for maker in getPlugins(IServiceMaker)}
        ours = {name: found.get(name) for name in ("fastpoetry", "poetryproxy", "transformpoetry")}
        self.assertEqual(ours, {
            "fastpoetry": "A fast poetry service.",
            "poetryproxy": "A caching poetry proxy (proxy 4.0).",
            "transformpoetry": "A poetry transformation service (netstrings, hardened).",
        })

    def test_no_init_py_in_twisted_or_plugins(self):
        # twistd finds plugins in twisted/plugins/ only while these two
        # directories are not packages of their own.
        for rel in ("twisted/__init__.py", "twisted/plugins/__init__.py"):
            self.assertFalse(os.path.exists(support.path(rel)), rel)
