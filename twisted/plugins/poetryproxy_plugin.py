"""Poetry Proxy 4.0, the twistd plugin -- Part 16's exercise 4.

Original: none; the text suggests a plugin for the poetry proxy.

    twistd -n poetryproxy --port 10000 --server 10001             (in the foreground)
    twistd poetryproxy --port 10000 --server otherhost:10001 --expiry 600
    kill `cat twistd.pid`                                         (stop)
    kill -HUP `cat twistd.pid`                                    (re-open twistd.log)

The proxy itself is twisted-server/poetry-proxy-4.0.py (single flight,
cache expiry, connect and read timeouts, a deadline and a size limit for
each download, failures logged once, cancel when the last waiting client's
connection is lost, rate-limited warnings when accept() fails). Rather than
keep a second copy of it here, the plugin loads that file and only turns
twistd options into a running service. Its messages go to the twistd log:
the text's "Fetching poem from server." lines as stdout, and each failed
fetch as one error line. Stopping while a download is under way cancels it
and logs that at info level: a restart is not a failed fetch.

Signals: SIGTERM (and Ctrl-C with -n) stop the proxy; twistd removes its
pidfile. SIGUSR1 is twistd's own: it rotates the log file (twistd.log ->
twistd.log.1). SIGHUP re-opens the log file, for rotation tools such as
logrotate that move the file away first: "SIGHUP: re-opening the log file
..." ends the old file and "SIGHUP: re-opened the log file ..." starts the
new one. With no log file to re-open (twistd -n logging to stdout, whose
terminal hung up) SIGHUP stops the proxy cleanly, as SIGTERM does, and the
pidfile is removed; with --syslog it only logs that it was received.
(Without this, SIGHUP's default action killed twistd on the spot, silently,
leaving a stale pidfile.) The listening and SIGHUP services are shared with
`twistd transformpoetry`, in _hardened.py.

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

from twisted.plugins._hardened import (ListeningService, hangup_service, port_number,
                                       positive_seconds)

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


class ProxyStopper(service.Service):
    """Stops the proxy service before the reactor drops its connections,
    so a download cut short by a restart is not logged as a failure."""

    def __init__(self, proxy_service):
        self.proxy_service = proxy_service

    def stopService(self):
        self.proxy_service.stop()
        return service.Service.stopService(self)


def server_address(value):
    """[HOST:]PORT -> (host, port), with the script's rules: the host
    defaults to 127.0.0.1, an IPv6 host goes in brackets ([::1]:10001)."""
    proxy = load_proxy()
    try:
        return proxy.parse_address(value)
    except proxy.argparse.ArgumentTypeError as e:
        raise ValueError(str(e)) from None


server_address.coerceDoc = "[HOST:]PORT; the host defaults to 127.0.0.1; [::1]:PORT for IPv6."


def byte_count(value):
    size = int(value)
    if size < 1:
        raise ValueError(f"{value} is not a positive number of bytes")
    return size


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
        ["deadline", None, 60.0,
         "Seconds allowed for a whole download, from the connection to the last byte.",
         positive_seconds],
        ["max-size", None, 1048576,
         "Largest poem accepted, in bytes (a larger one is a failed download).", byte_count],
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
                                           expiry=options["expiry"],
                                           max_size=options["max-size"],
                                           deadline=options["deadline"])
        factory = proxy.PoetryProxyFactory(proxy_service)
        top = service.MultiService()
        hangup_service(options, log).setServiceParent(top)  # first: see _hardened
        # The proxy's own port, which reports accept() failures at most
        # once a second.
        ListeningService(
            options["port"], factory, options["iface"], options["backlog"],
            f"Proxying poetry on {{address}} for the server at {host}:{port}.", log,
            listen=proxy.listen_tcp, twistd=getattr(options, "parent", None),
        ).setServiceParent(top)
        ProxyStopper(proxy_service).setServiceParent(top)
        return top


service_maker = ProxyServiceMaker()
