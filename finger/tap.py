"""The organized finger's options and makeService (the original's finger/tap.py).

`twistd finger` (twisted/plugins/finger_plugin.py) parses its command line
with Options and calls makeService(options). finger/finger.tac builds the
same Options from the FINGER_* variables (fromEnvironment) and calls the
same makeService, so the two mirror each other:

    option            variable             default
    --file, -f        FINGER_USERS_FILE    (plugin: none; tac: finger/etc.users)
    --user NAME:STATUS                     (repeatable; plugin only)
    --port, -p        FINGER_PORT          79
    --setter-port     FINGER_SETTER_PORT   1079 (always on 127.0.0.1)
    --web-port        FINGER_WEB_PORT      8000
    --pb-port         FINGER_PB_PORT       8889
    --ssl, --cert     FINGER_CERT          off (the tac: on when FINGER_CERT is set)
    --https-port      FINGER_HTTPS_PORT    443
    --iface           FINGER_IFACE         127.0.0.1
    --reload          FINGER_RELOAD        30
    --ircserver       FINGER_IRC_SERVER    (plugin: no bot; tac: irc.libera.chat:6667, "" for none)
    --ircnick         FINGER_IRC_NICK      fingerbot

This is the "Writing Servers" howto's deployment part, as it is done today:
a usage.Options subclass with optParameters (name, short name, default,
help, coerce function), optFlags (name, short name, help) and opt_ methods
(called once per use, in command-line order; opt_user collects every
--user), and a makeService that twistd calls, instead of mktap and pickled
.tap files. Every check runs in the options, so a bad value is a usage
error before anything is bound.
"""

import re

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from twisted.application import internet, service
from twisted.internet import endpoints, reactor, ssl
from twisted.python import usage
from twisted.spread import pb
from twisted.web import resource, server

from finger import finger


def port_number(value):
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise ValueError(f"{value!r} is not a port number (0-65535)")
    return port


port_number.coerceDoc = "A number from 0 to 65535; 0 picks a free port."


def seconds(value):
    try:
        number = float(value)
    except ValueError:
        number = 0
    if not 0 < number < float("inf"):
        raise ValueError(f"{value!r} is not a positive number of seconds")
    return number


seconds.coerceDoc = "A positive number of seconds."


def irc_server(value):
    """'host:port' -> (host, port); '' -> None (no IRC bot)."""
    if value == "":
        return None
    host, colon, port = value.rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{value!r} is not host:port")
    return host, int(port)


irc_server.coerceDoc = "The bot answers private messages there."


def irc_nick(value):
    """An IRC nickname (RFC 2812's letters, digits and specials)."""
    if not re.fullmatch(r"[A-Za-z\[\]\\`_^{|}][A-Za-z0-9\[\]\\`_^{|}-]{0,29}", value):
        raise ValueError(f"{value!r} is not an IRC nickname")
    return value


irc_nick.coerceDoc = "Letters, digits and []\\`_^{|}-, at most 30."


def user_status(value):
    """'NAME:STATUS' -> (name, status)."""
    name, colon, status = value.partition(":")
    # finger.plain_text: no control character reaches a finger client.
    name, status = finger.plain_text(name).strip(), finger.plain_text(status).strip()
    if not colon or not name:
        raise ValueError(f"{value!r} is not NAME:STATUS")
    return name, status


def check_users_file(filename):
    try:
        with open(filename, encoding="utf-8") as f:
            f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"cannot read users file {filename!r}: "
                         f"{getattr(e, 'strerror', None) or e}")


def load_certificate(filename):
    """TLS options from a PEM file holding the private key and the
    certificate. cryptography's objects, not pyOpenSSL's X509/PKey, whose
    use pyOpenSSL deprecates (it would warn on every new TLS context)."""
    try:
        with open(filename, "rb") as f:
            pem = f.read()
    except OSError as e:
        raise ValueError(f"cannot read certificate {filename!r}: {e.strerror}")
    try:
        options = ssl.CertificateOptions(
            privateKey=serialization.load_pem_private_key(pem, password=None),
            certificate=x509.load_pem_x509_certificate(pem))
        options.getContext()  # checks that the key matches the certificate
    except Exception as e:
        raise ValueError(f"{filename!r} does not hold a matching PEM private "
                         f"key and certificate ({e})")
    return options


class Options(usage.Options):
    synopsis = "[--file USERS] [--user NAME:STATUS ...] [options]"
    longdesc = ("A finger server with a setter, a web site with XML-RPC, "
                "Perspective Broker, optional HTTPS and an optional IRC bot. "
                "Give a users file, or users, or both.")

    optParameters = [
        ["file", "f", None, "The users file: 'user: status' lines."],
        ["port", "p", 79, "The finger port.", port_number],
        ["setter-port", None, 1079, "The setter port (on 127.0.0.1 only).",
         port_number],
        ["web-port", None, 8000, "The web port (XML-RPC at /RPC2).", port_number],
        ["pb-port", None, 8889, "The Perspective Broker port.", port_number],
        ["https-port", None, 443, "The HTTPS port, with --ssl.", port_number],
        ["cert", None, None, "A PEM file with the private key and the "
         "certificate, for --ssl."],
        ["iface", None, "127.0.0.1", "The interface to listen on."],
        ["reload", None, 30, "Seconds between two reads of the users file.",
         seconds],
        ["ircserver", None, None, "host:port of an IRC server for the bot "
         "(none: no bot)", irc_server],
        ["ircnick", None, "fingerbot", "The IRC bot's nickname.", irc_nick],
    ]

    optFlags = [
        ["ssl", None, "Serve the web site over HTTPS too (needs --cert)."],
    ]

    def __init__(self):
        super().__init__()
        self["users"] = {}

    def opt_user(self, value):
        """NAME:STATUS, a user and its status; repeatable; wins over --file."""
        try:
            name, status = user_status(value)
        except ValueError as e:
            raise usage.UsageError(f"--user: {e}")
        self["users"][name] = status

    def postOptions(self):
        if self["file"] is None and not self["users"]:
            raise usage.UsageError(
                "give a users file (--file USERS) or users (--user NAME:STATUS)")
        if self["file"] is not None:
            try:
                check_users_file(self["file"])
            except ValueError as e:
                raise usage.UsageError(f"--file: {e}")
        self["tls"] = None
        if self["ssl"]:
            if self["cert"] is None:
                raise usage.UsageError("--ssl needs --cert PEM")
            try:
                self["tls"] = load_certificate(self["cert"])
            except ValueError as e:
                raise usage.UsageError(f"--cert: {e}")


# The variables of finger/README.md, each the twin of one option.
ENVIRONMENT = [
    ("FINGER_USERS_FILE", "--file", None),
    ("FINGER_PORT", "--port", port_number),
    ("FINGER_SETTER_PORT", "--setter-port", port_number),
    ("FINGER_WEB_PORT", "--web-port", port_number),
    ("FINGER_PB_PORT", "--pb-port", port_number),
    ("FINGER_HTTPS_PORT", "--https-port", port_number),
    ("FINGER_CERT", "--cert", None),
    ("FINGER_IFACE", "--iface", None),
    ("FINGER_RELOAD", "--reload", seconds),
    ("FINGER_IRC_SERVER", "--ircserver", irc_server),
    ("FINGER_IRC_NICK", "--ircnick", irc_nick),
]


def fromEnvironment(environ, defaults=None):
    """Options parsed from FINGER_* variables (and `defaults` for those that
    are unset). A bad value is a UsageError naming the variable."""
    environ = {**(defaults or {}), **environ}
    args = []
    for variable, option, coerce in ENVIRONMENT:
        value = environ.get(variable)
        if value is None:
            continue
        try:
            if coerce is not None:
                coerce(value)
            if variable == "FINGER_USERS_FILE":
                check_users_file(value)
            if variable == "FINGER_CERT":
                load_certificate(value)
                args.append("--ssl")
        except ValueError as e:
            raise usage.UsageError(f"{variable}: {e}")
        if variable == "FINGER_IRC_SERVER" and value == "":
            continue  # no bot
        args += [option, value]
    options = Options()
    options.parseOptions(args)
    return options


def makeService(config):
    """The whole finger server, as a MultiService, from parsed Options (or
    any mapping with the same keys)."""
    top = service.MultiService()
    f = finger.FingerService(config["file"], config["reload"], config["users"])
    f.setServiceParent(top)
    iface = config["iface"]

    finger.AnnouncedTCPServer(
        "finger", config["port"], finger.IFingerFactory(f),
        interface=iface).setServiceParent(top)
    # Anything that changes state listens on localhost only.
    finger.AnnouncedTCPServer(
        "setter", config["setter-port"], finger.IFingerSetterFactory(f),
        interface="127.0.0.1").setServiceParent(top)
    # One Site for HTTP and HTTPS.
    site = server.Site(resource.IResource(f))
    finger.AnnouncedTCPServer(
        "web", config["web-port"], site, interface=iface).setServiceParent(top)
    if config.get("tls") is not None:
        finger.AnnouncedSSLServer(
            "https", config["https-port"], site, config["tls"],
            interface=iface).setServiceParent(top)
    finger.AnnouncedTCPServer(
        "pb", config["pb-port"], pb.PBServerFactory(finger.IPerspectiveFinger(f)),
        interface=iface).setServiceParent(top)

    if config["ircserver"] is not None:
        host, port = config["ircserver"]
        bot = finger.IIRCClientFactory(f)
        bot.nickname = config["ircnick"]
        bot.server = f"{host}:{port}"
        endpoint = endpoints.HostnameEndpoint(reactor, host, port)
        internet.ClientService(endpoint, bot).setServiceParent(top)
    return top
