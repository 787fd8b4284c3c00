"""The organized finger's options, for `twistd finger` (finger/tap.py).

"The Evolution of Finger": Plugins (configuration and packaging of the finger service).
What twistd needs from a plugin's module: Options, a usage.Options whose
optParameters (long name, short name, default, help) and optFlags (long name,
short name, help) are the command line, and makeService(config), which twistd
calls with the parsed Options. twisted/plugins/finger_plugin.py names this module.

    twistd -n finger --file=finger/etc.users --ircnick=fingerbot --ircserver=    (the text's, with no bot)
    twistd -n finger --user moshez:"Happy and well" --port 1079 --pbport 8889
    twistd finger --help

Departures, marked "departure" below; what every step shares is in contract.py:
- each option is the twin of a FINGER_* variable, checked as the variable is (a bad value
  is a usage error, before anything is bound); an option given wins over its variable
- --ircserver HOST or HOST:PORT (6667), empty for no bot; irc.libera.chat (freenode is gone)
- --templates is taken and unused (the text's template files are gone)
- --port, --web-port, --https-port, --cert: what the text fixes (1079, 8000, 443, cert.pem)
- --setter-port: the setter, on 127.0.0.1 only; none unless given
- --user NAME:STATUS, repeatable, which wins over the file (for "Writing Servers")
"""

import contextlib
import os

from finger import contract, finger
from twisted.python import usage

# Each option's variable (departure: every option is a variable's twin).
VARIABLES = {"file": "FINGER_USERS_FILE", "ircnick": "FINGER_IRC_NICK",
             "ircserver": "FINGER_IRC_SERVER", "pbport": "FINGER_PB_PORT",
             "port": "FINGER_PORT", "web-port": "FINGER_WEB_PORT",
             "https-port": "FINGER_HTTPS_PORT", "setter-port": "FINGER_SETTER_PORT",
             "cert": "FINGER_CERT"}
# The ports the text fixes, and its defaults.
PORTS = {"port": "1079", "web-port": "8000", "https-port": "443", "pbport": "8889"}


@contextlib.contextmanager
def environment(values):
    """os.environ with `values` set, for a while."""
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class Options(usage.Options):
    synopsis = "[options]"
    longdesc = ("A finger server with a web site (XML-RPC at /RPC2), Perspective Broker, "
                "an IRC bot and, with --ssl, HTTPS. Each option is the twin of the FINGER_* "
                "variable in brackets; an option given wins. More variables: " + ", ".join(
                    f"{v} ({contract.VARIABLES[v][0]})" for v in (
                        "FINGER_IFACE", "FINGER_TIMEOUT", "FINGER_MAX_BYTES", "FINGER_RELOAD",
                        "FINGER_MAX_USERS")) + "; see finger/README.md.")

    optParameters = [
        ["file", "f", None, "The users file, 'user: status' lines [FINGER_USERS_FILE, "
                            "default: finger/etc.users]"],
        ["templates", "t", "/usr/share/finger/templates", "Taken, and not used"],
        ["ircnick", "n", None, "The IRC bot's nickname [FINGER_IRC_NICK, default: fingerbot]"],
        ["ircserver", None, None, "The bot's IRC server, HOST or HOST:PORT (6667); empty: "
                                  "no bot [FINGER_IRC_SERVER, default: irc.libera.chat:6667]"],
        ["pbport", "p", None, "The Perspective Broker port [FINGER_PB_PORT, default: 8889]"],
        # departure: the ports and the certificate the text fixes
        ["port", None, None, "The finger port [FINGER_PORT, default: 1079]"],
        ["web-port", None, None, "The web port [FINGER_WEB_PORT, default: 8000]"],
        ["https-port", None, None, "With --ssl, the HTTPS port [FINGER_HTTPS_PORT, "
                                   "default: 443]"],
        ["cert", None, None, "With --ssl, a PEM file with the key and the certificate "
                             "[FINGER_CERT, default: finger/server.pem]"],
        ["setter-port", None, None, "Run the setter on this port, on 127.0.0.1 only "
                                    "[FINGER_SETTER_PORT]"],
    ]

    optFlags = [["ssl", "s", "Serve the web site over HTTPS too"]]

    def __init__(self):
        usage.Options.__init__(self)
        self["users"] = {}

    def opt_user(self, value):  # departure: users on the command line
        """NAME:STATUS, a user and a status (repeatable); wins over the file"""
        name, colon, status = value.partition(":")
        if not colon or not contract.PLAIN_NAME.match(name.strip()):
            raise usage.UsageError(f"--user: {value!r} is not NAME:STATUS")
        self["users"][name.strip()] = contract.clean(status).strip()

    def postOptions(self):
        """Check each option given as its variable is checked, and fill in
        the defaults (departure: from the variables)."""
        given = {VARIABLES[name]: self[name] for name in VARIABLES if self[name] is not None}
        server = given.get("FINGER_IRC_SERVER", "")
        if server and ":" not in server:
            given["FINGER_IRC_SERVER"] = server + ":6667"
        try:
            with environment(given):
                contract.checkSettings()
                self["file"] = contract.usersFile()
                self["ircnick"] = contract.setting("FINGER_IRC_NICK")
                self["ircserver"] = contract.setting("FINGER_IRC_SERVER")
                for name, default in PORTS.items():
                    self[name] = contract.setting(VARIABLES[name], default)
                if self["setter-port"] is not None:
                    self["setter-port"] = contract.setting("FINGER_SETTER_PORT")
                if self["ssl"]:
                    contract.description("ssl:443", "https")  # loads FINGER_CERT
        except SystemExit as e:
            why = str(e.code).split(": ", 1)[1]
            for name, variable in VARIABLES.items():
                if why.startswith(variable) and variable in given:
                    why = "--" + name + why[len(variable):]
            raise usage.UsageError(why) from None
        self.environment = given


def makeService(config):
    with environment(getattr(config, "environment", {})):  # departure: the options win
        return finger.makeService(config)
