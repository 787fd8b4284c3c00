"""`twistd finger`: the organized finger as a twistd plugin (the text's finger_tutorial.py).

"The Evolution of Finger": Plugins (configuration and packaging of the finger service).
twistd looks for plugins in every twisted/plugins folder on sys.path (no
__init__.py in twisted/ or twisted/plugins/); `make venv` puts this repository's
root there. A ServiceMaker names the plugin, the module that holds its Options
and makeService (finger.tap: a module, not a file name), a description and the
twistd command; the module is imported only when `twistd finger` runs.

    twistd -n finger --file=finger/etc.users --ircnick=fingerbot --ircserver=
    twistd finger --help

Departures: none here; the options' are in finger/tap.py. The text's file is
finger_tutorial.py.
"""

from twisted.application.service import ServiceMaker

finger = ServiceMaker("finger", "finger.tap", "Run a finger service", "finger")
