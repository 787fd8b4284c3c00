"""log.py: logging with twisted.python.log, version 1.0.

Tutorial Part 16, "Twisted Daemonologie". Original repo path:
basic-twisted/log.py.

log.msg() records a message and log.err() an error with its traceback.
Nothing is written until an observer is installed: here
log.startLogging(sys.stdout) installs one that writes lines in the same
"TIMESTAMP [SYSTEM] message" form as twistd's log, beginning with
"Log opened.". (Twisted 26 does not deprecate log.msg, log.err or
log.startLogging; twisted.logger is the newer API behind them.)

Run: python basic-twisted/log.py
"""

import sys

from twisted.python import log


def main():
    log.msg("This will not be logged, we have not installed a logger.")

    log.startLogging(sys.stdout)

    log.msg("This will be logged.")
    log.err(Exception("So will this."))
    try:
        1 / 0
    except ZeroDivisionError:
        log.err(None, "And this, with its traceback:")


if __name__ == "__main__":
    main()
