"""Poetry Proxy 4.0, the twistd plugin -- Part 16's exercise 4.

Original: none; the text suggests a plugin for the poetry proxy.

    twistd -n poetryproxy --port 10000 --server 10001             (in the foreground)
    twistd poetryproxy --port 10000 --server otherhost:10001 --expiry 600
    kill `cat twistd.pid`

The proxy itself is twisted-server/poetry-proxy-4.0.py (single flight,
cache expiry, connect and read timeouts, failures logged once, cancel when
the last waiting client leaves). Rather than keep a second copy of it here,
the plugin loads that file and only turns twistd options into a running
service. Its messages go to the twistd log: the text's "Fetching poem from
server." lines as stdout, and each failed fetch as one error line.

Bad options (a missing --server, a bad address, port or timeout) are usage
errors raised from Options: twistd prints them and exits 1 before any port is
bound.
"""

import importlib.util
import sys
from pathlib import Path

from twisted.application import service
from twisted.logger import Logger
from twisted.plugin import IPlugin
from twisted.python import usage
from zope.interface import implementer

log = Logger(namespace="poetryproxy")

PROXY_SCRIPT = Path(__file__).resolve().parents[2] / "twisted-server" / "poetry-proxy-4.0.py"


def load_proxy():
    """Import poetry-proxy-4.0.py (a hyphenated script) as a module, once."""
    name = "poetry_proxy_4_0"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, PROXY_SCRIPT)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
    return sys.modules[name]


class ListeningService(service.Service):
    """Listens on a TCP port and logs the address it got, so `--port 0`
    is usable. (internet.TCPServer does the same but keeps the port private.)"""

    listening = None

    def __init__(self, port, factory, interface, backlog, message):
        self.port = port
        self.factory = factory
        self.interface = interface
        self.backlog = backlog
        self.message = message

    def privilegedStartService(self):
        # Before twistd drops privileges, so a low port works as root.
        from twisted.internet import reactor
        self.listening = reactor.listenTCP(self.port, self.factory, backlog=self.backlog,
                                           interface=self.interface)
        log.info(self.message, address=self.listening.getHost())
        service.Service.privilegedStartService(self)

    def startService(self):
        if self.listening is None:
            self.privilegedStartService()
        service.Service.startService(self)

    def stopService(self):
        service.Service.stopService(self)
        listening, self.listening = self.listening, None
        if listening is not None:
            return listening.stopListening()


def port_number(value):
    port = int(value)
    if not 0 <= port <= 65535:
        raise ValueError(f"{value} is not a port number")
    return port


port_number.coerceDoc = "A number from 0 to 65535; 0 picks a free port."


def server_address(value):
    """[HOST:]PORT -> (host, port); the host defaults to 127.0.0.1."""
    host, _, port = value.rpartition(":")
    try:
        port = int(port)
    except ValueError:
        raise ValueError(f"invalid address {value!r}: the port must be a number")
    if not 0 < port <= 65535:
        raise ValueError(f"invalid address {value!r}: no such port")
    return host or "127.0.0.1", port


server_address.coerceDoc = "[HOST:]PORT; the host defaults to 127.0.0.1."


def positive_seconds(value):
    seconds = float(value)
    if not seconds > 0:
        raise ValueError(f"{value} is not a positive number of seconds")
    return seconds


def expiry_seconds(value):
    seconds = float(value)
    if seconds < 0:
        raise ValueError(f"{value} is negative")
    return seconds


class Options(usage.Options):

    optParameters = [
        ["port", "p", 10000, "The port number to listen on.", port_number],
        ["iface", None, "localhost", "The interface to listen on."],
        ["server", None, None, "The poetry server to proxy for", server_address],
        ["timeout", None, 10.0,
         "Seconds the server may stay silent during a download.", positive_seconds],
        ["connect-timeout", None, 10.0,
         "Seconds allowed to connect to the server.", positive_seconds],
        ["expiry", None, 7200.0,
         "Seconds a cached poem is kept (0: for ever).", expiry_seconds],
        ["backlog", None, 1024, "Length of the listen queue.", int],
    ]

    def postOptions(self):
        if self["server"] is None:
            raise usage.UsageError("--server is required: the [HOST:]PORT of the poetry server.")
        if self["backlog"] < 1:
            raise usage.UsageError("--backlog must be at least 1.")


@implementer(service.IServiceMaker, IPlugin)
class ProxyServiceMaker:

    tapname = "poetryproxy"
    description = "A caching poetry proxy (proxy 4.0)."
    options = Options

    def makeService(self, options):
        proxy = load_proxy()
        host, port = options["server"]
        proxy_service = proxy.ProxyService(host, port, timeout=options["timeout"],
                                           connect_timeout=options["connect-timeout"],
                                           expiry=options["expiry"])
        factory = proxy.PoetryProxyFactory(proxy_service)
        return ListeningService(
            options["port"], factory, options["iface"], options["backlog"],
            f"Proxying poetry on {{address}} for the server at {host}:{port}.")


service_maker = ProxyServiceMaker()
