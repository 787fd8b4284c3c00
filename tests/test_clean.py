"""`make clean` removes what set-up, tests and twistd leave in a checkout,
and nothing else. It runs the real Makefile in a scratch directory laid out
like the repository, so the checkout's own .venv is never touched."""

import os
import shutil
from pathlib import Path

from twisted.trial.unittest import SkipTest, TestCase

from tests.support import ROOT, run_to_end, temp_dir

# What `make venv`, `make test`, `make bench`, `make compat` and twistd runs
# leave behind.
LEFT_BEHIND = [
    ".venv/bin/python",
    ".venv/.installed",
    "_trial_temp/test.log",
    "_trial_temp.lock",
    "_trial_temp-1/test.log",
    ".pytest_cache/README.md",
    "twisted_intro_py3.egg-info/PKG-INFO",
    "twisted/plugins/dropin.cache",
    "exercises/part-16/twisted/plugins/dropin.cache",
    "twisted/plugins/__pycache__/fastpoetry_plugin.cpython-311.pyc",
    "tests/support/__pycache__/spec.cpython-311.pyc",
    "bench/out/results.json",
    ".nox/tests-3-13/bin/python",
    # The READMEs' twistd commands, run from the root.
    "twistd.log",
    "twistd.log.1",
    "poetry.log",
    "poetry.log.2026_11_22",
    "poetry-twistd.log",
    "poetry.sock",
    "poetry.sock.lock",
]
# What a running daemon (its pid in twistd.pid) still writes to.
RUN_FILES = [name for name in LEFT_BEHIND if name.startswith(("twistd.", "poetry"))]
# Sources, the committed bench results, and a running daemon's pidfile: kept.
KEPT = [
    "twisted/plugins/fastpoetry_plugin.py",
    "exercises/part-16/twisted/plugins/fastpoetry2_plugin.py",
    "tests/test_poetry.py",
    "poetry/ecstasy.txt",
    "twistd.pid",
    "bench/results/results.json",
]


class MakeCleanTest(TestCase):

    def make_clean(self, pid="x"):
        """Lay out LEFT_BEHIND and KEPT in a scratch directory, with `pid`
        in its twistd.pid, and run `make clean` there. Returns (stderr, the
        files left)."""
        make = shutil.which("make")
        if make is None:
            raise SkipTest("make is not installed")
        scratch = Path(temp_dir(self, prefix="make-clean-"))
        shutil.copy(ROOT / "Makefile", scratch / "Makefile")
        for name in LEFT_BEHIND + KEPT:
            (scratch / name).parent.mkdir(parents=True, exist_ok=True)
            (scratch / name).write_text(str(pid) if name == "twistd.pid" else "x")
        out, err, code = run_to_end([make, "-s", "clean"], cwd=scratch, timeout=30)
        self.assertEqual(code, 0)
        self.scratch = scratch
        left = sorted(str(p.relative_to(scratch)) for p in scratch.rglob("*")
                      if p.is_file() and p.name != "Makefile")
        return err.decode(), left

    def test_removes_build_and_test_leftovers_only(self):
        err, left = self.make_clean()
        self.assertEqual((err, left), ("", sorted(KEPT)))
        scratch = self.scratch
        # Folders that held only leftovers are gone too.
        for name in (".venv", ".nox", "_trial_temp", ".pytest_cache", "twisted/plugins/__pycache__"):
            self.assertFalse((scratch / name).exists(), name)

    def test_keeps_the_logs_of_a_running_daemon(self):
        # This process stands for the daemon twistd.pid names.
        err, left = self.make_clean(pid=os.getpid())
        self.assertEqual(err, "make clean: twistd.pid names a running daemon; its logs are kept\n")
        self.assertEqual(left, sorted(KEPT + RUN_FILES))
