"""A log observer factory for `twistd --logger` -- Application howto.

Original: none; the howto ("Using the Twisted Application Framework",
"Customizing twistd logging") shows a three-line my.py.

The exercise: give twistd a log observer from the command line, with no
change to the application: `twistd --logger MODULE.FUNCTION` imports
MODULE (so it must be on sys.path) and calls FUNCTION() for an observer.
Ours writes text lines to the file named by POETRY_LOGFILE (default
poetry-twistd.log), appending, so a restart does not lose the old log.

    PYTHONPATH=exercises/application twistd -n --logger poetry_logger.logger \\
        -y twisted-server/fastpoetry-2.0.tac
    tail -f poetry-twistd.log

A module, not a script: there is nothing to run, so there is no main().
"""

import os

from twisted.logger import textFileLogObserver


def logger():
    path = os.environ.get("POETRY_LOGFILE", "poetry-twistd.log")
    # Line-buffered, so `tail -f` shows each event as it happens. twistd
    # keeps the observer for the life of the process; the file closes at exit.
    return textFileLogObserver(open(path, "a", encoding="utf-8", buffering=1))
