"""`twistd finger`: the organized finger as a twistd plugin.

The Evolution of Finger, "Organization" (the original's
twisted/plugins/finger_tutorial.py).

    twistd -n finger --file finger/etc.users --port 1079 --web-port 8000
    twistd -n finger --user moshez:"Happy and well" --port 1079
    twistd finger --help

twistd finds this file because it sits in twisted/plugins on sys.path (no
__init__.py anywhere); the code it names, finger.tap, is found the same
way, through the repository root that `make venv` puts on sys.path. The
ServiceMaker imports finger.tap only when `twistd finger` is used, so other
twistd commands do not pay for importing the finger code. finger.tap holds
the Options (the howto's optParameters, optFlags and opt_user) and
makeService; finger/finger.tac uses the same two.

Departures from the original: ServiceMaker keeps its four arguments; the
tapname is `finger`, and the IRC bot runs only when --ircserver is given.
"""

from twisted.application.service import ServiceMaker

finger = ServiceMaker(
    "finger",
    "finger.tap",
    "A finger server: finger, setter, web, XML-RPC, PB, HTTPS and IRC.",
    "finger",
)
