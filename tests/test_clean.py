"""`make clean` removes what set-up, tests and twistd leave in a checkout,
and nothing else. It runs the real Makefile in a scratch directory laid out
like the repository, so the checkout's own .venv is never touched."""

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
]
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

    def test_removes_build_and_test_leftovers_only(self):
        make = shutil.which("make")
        if make is None:
            raise SkipTest("make is not installed")
        scratch = Path(temp_dir(self, prefix="make-clean-"))
        shutil.copy(ROOT / "Makefile", scratch / "Makefile")
        for name in LEFT_BEHIND + KEPT:
            (scratch / name).parent.mkdir(parents=True, exist_ok=True)
            (scratch / name).write_text("x")
        out, err, code = run_to_end([make, "-s", "clean"], cwd=scratch, timeout=30)
        self.assertEqual((code, err), (0, b""))
        left = sorted(str(p.relative_to(scratch)) for p in scratch.rglob("*")
                      if p.is_file() and p.name != "Makefile")
        self.assertEqual(left, sorted(KEPT))
        # Folders that held only leftovers are gone too.
        for name in (".venv", ".nox", "_trial_temp", ".pytest_cache", "twisted/plugins/__pycache__"):
            self.assertFalse((scratch / name).exists(), name)
