"""This process's environment and files, changed for one test and put back
at cleanup."""

import atexit
import os
import shutil
import tempfile
from unittest import mock


def patch_env(testcase, **values):
    """Set environment variables in this process until the test ends (None
    removes one): mock.patch.dict(os.environ), stopped at cleanup, so the
    whole environment is put back as it was."""
    patcher = mock.patch.dict(os.environ, {k: str(v) for k, v in values.items()
                                           if v is not None})
    patcher.start()
    testcase.addCleanup(patcher.stop)
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)


# The name the finger tests still use.
set_env = patch_env


def temp_dir(testcase, prefix="poetry-test-"):
    """A fresh directory for this test, removed when it ends; an absolute
    path in the system's temporary directory. (Not TestCase.mktemp(): under
    pytest that writes into the current directory, the checkout, and a
    path under _trial_temp can be too long for a UNIX socket.)"""
    path = tempfile.mkdtemp(prefix=prefix)
    testcase.addCleanup(shutil.rmtree, path, True)
    return path


def process_temp_dir(prefix):
    """A fresh directory kept for the rest of this test process (something
    built once and shared by several tests), removed when the process exits."""
    path = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, path, True)
    return path
