"""The organized finger, configured: a tac that only configures.

The Evolution of Finger, "Organization" (the original's simple-finger.tac).

    FINGER_PORT=1079 FINGER_SETTER_PORT=1080 FINGER_WEB_PORT=8000 \
        FINGER_PB_PORT=8889 FINGER_IRC_SERVER= twistd -ny finger/finger.tac
    twistd -ny finger/finger.tac                (as the text: 79, 1079, 8000, 8889)

The code lives in the package `finger` (finger/finger.py, finger/tap.py),
which twistd imports from any directory once `make venv` has installed the
project. This file turns the FINGER_* variables of finger/README.md into
the options of `twistd finger` and hands them to the same makeService.
Setting FINGER_CERT (a PEM key and certificate) turns HTTPS on.

Departures from the original: no Application("finger", uid=1, gid=1) (use
`twistd -u`/`-g`); the configuration comes from the environment, checked
before anything is bound.
"""

import os
import sys

from twisted.application import service
from twisted.python import usage

from finger import tap

try:
    config = tap.fromEnvironment(os.environ, defaults={
        # Beside this file, so the tac runs from any directory.
        "FINGER_USERS_FILE": os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                          "etc.users"),
        "FINGER_IRC_SERVER": "irc.libera.chat:6667",
    })
except usage.UsageError as e:
    sys.exit(f"finger.tac: {e}")

application = service.Application("finger")
tap.makeService(config).setServiceParent(application)
