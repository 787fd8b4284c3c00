"""What the two hardened twistd plugins share: `twistd poetryproxy`
(poetryproxy_plugin.py) and `twistd transformpoetry`
(transformpoetry_plugin.py).

Not a plugin itself: it provides no IPlugin, so twistd lists nothing for it
(twistd imports every module in twisted/plugins/ when it looks for plugins;
this one only defines what follows).

- ListeningService: listens on a TCP port and logs the address it got, so
  `--port 0` is usable. (internet.TCPServer does the same but keeps the port
  private.) A port it cannot have (in use, not allowed) is one line and
  exit 1, e.g. "poetryproxy: cannot listen on localhost:10001: Address
  already in use", not twistd's double traceback, and twistd's pidfile is
  removed.
- HangupService and twistd_logfile: what SIGHUP means for these services.
  With a log file, re-open it, for rotation tools such as logrotate that
  move the file away first: "SIGHUP: re-opening the log file ..." ends the
  old file, "SIGHUP: re-opened the log file ..." starts the new one. With no
  log file (twistd -n logging to stdout, whose terminal hung up) stop
  cleanly, as SIGTERM does, so twistd removes its pidfile. With --syslog,
  log it and go on. SIGUSR1 stays twistd's own (it rotates the log file:
  twistd.log -> twistd.log.1). Without this, SIGHUP's default action killed
  twistd on the spot, silently, and left a stale pidfile.
- port_number, positive_seconds: option coercers for usage.Options.
"""

import gc
import os
import signal

from twisted.application import service
from twisted.internet.error import CannotListenError
from twisted.python.logfile import BaseLogFile


class ListeningService(service.Service):
    """Listens on a TCP port and logs `message` (with {address}) through
    `log`. `listen(port, factory, backlog, interface)` makes the port; by
    default reactor.listenTCP."""

    listening = None

    def __init__(self, port, factory, interface, backlog, message, log, listen=None,
                 twistd=None):
        self.port = port
        self.factory = factory
        self.interface = interface
        self.backlog = backlog
        self.message = message
        self.log = log
        self.listen = listen
        self.twistd = twistd  # twistd's own options (the plugin's parent), or None

    def privilegedStartService(self):
        # Before twistd drops privileges, so a low port works as root.
        listen = self.listen
        if listen is None:
            from twisted.internet import reactor

            def listen(port, factory, backlog, interface):
                return reactor.listenTCP(port, factory, backlog=backlog, interface=interface)

        try:
            self.listening = listen(self.port, self.factory, self.backlog, self.interface)
        except CannotListenError as e:
            self.cannot_listen(e)
        self.log.info(self.message, address=self.listening.getHost())
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

    def cannot_listen(self, error):
        """One line and exit 1.

        In the foreground (twistd -n, or no twistd): SystemExit with the line.
        It passes by twistd's clean-up for a failed start, so the pidfile
        twistd has just written is removed here. A daemon must not exit that
        way: twistd's launching process waits for a word from it on a pipe
        and would wait for ever. There, an exception carrying the line goes
        through twistd's own failed-start path, which removes the pidfile,
        logs it, and has the launching twistd print it and exit 1."""
        why = getattr(error.socketError, "strerror", None) or error.socketError
        line = f"{self.log.namespace}: cannot listen on {self.interface}:{self.port}: {why}"
        twistd = self.twistd if self.twistd is not None else {}
        if twistd and not twistd.get("nodaemon"):
            # A builtin type keeps twistd's report short: it prints the
            # first 100 bytes of "OSError: <line>".
            raise OSError(line)
        pidfile = twistd.get("pidfile")
        if pidfile:
            try:
                os.remove(pidfile)
            except FileNotFoundError:
                pass
        # twistd -n has sent stderr to its log, so the line shows there as
        # "[stderr#error] ...".
        raise SystemExit(line)


class HangupService(service.Service):
    """SIGHUP: re-open the log file; with no log file, stop cleanly; with
    syslog, go on (see the module docstring). Put it first in the plugin's
    MultiService, so the handler is in place before the port line is
    logged."""

    installed = False
    previous = None  # the handler we replaced

    def __init__(self, logfile, log, syslog=False, reactor=None):
        if reactor is None:
            from twisted.internet import reactor
        self.logfile = logfile  # absolute path of twistd's log file, or None
        self.log = log
        self.syslog = syslog
        self.reactor = reactor

    def privilegedStartService(self):
        # As early as twistd lets us: a SIGHUP sent once the server is seen
        # to be up must find the handler in place.
        self.install()
        service.Service.privilegedStartService(self)

    def startService(self):
        self.install()
        service.Service.startService(self)

    def install(self):
        if not self.installed:
            self.previous = signal.signal(signal.SIGHUP, self.received)
            self.installed = True

    def stopService(self):
        if self.installed:
            previous = self.previous if self.previous is not None else signal.SIG_DFL
            signal.signal(signal.SIGHUP, previous)
            self.installed = False
        return service.Service.stopService(self)

    def received(self, signum, frame):
        # A signal handler runs between two bytecodes: do the work in the
        # reactor, as twistd's own SIGUSR1 handler does.
        self.reactor.callFromThread(self.hangup)

    def hangup(self):
        if self.logfile is not None:
            files = twistd_log_files(self.logfile)
            if not files:
                self.log.error("SIGHUP: twistd's log file {path} was not found, so it "
                               "cannot be re-opened; still logging to the old file.",
                               path=self.logfile)
                return
            self.log.info("SIGHUP: re-opening the log file {path}.", path=self.logfile)
            for logfile in files:
                logfile.reopen()
            self.log.info("SIGHUP: re-opened the log file {path}.", path=self.logfile)
        elif self.syslog:
            self.log.info("SIGHUP: logging to syslog, there is no log file to re-open.")
        else:
            self.log.info("SIGHUP: no log file to re-open (logging to stdout); stopping.")
            self.reactor.stop()


def twistd_log_files(path):
    """The open LogFile (twisted.python.logfile) twistd writes `path` with.

    twistd opens it itself and keeps it to itself: no public API hands it
    to a plugin (a tac could set its own ILogObserver; a plugin cannot, and
    twistd's --logger is the operator's choice). So it is looked for among
    the live objects, with gc.get_objects(); there is one per process. This
    is the plugins' one reliance on twistd's internals: if twistd stops
    writing through a BaseLogFile, nothing is found, SIGHUP logs an error
    instead of re-opening, and tests.test_harden_sighup.TwistdHangupTest
    fails (it runs twistd for real)."""
    return [obj for obj in gc.get_objects()
            if isinstance(obj, BaseLogFile) and obj.path == path and not obj.closed]


def twistd_logfile(options):
    """The absolute path of the file twistd logs to, or None (stdout, syslog).
    twistd's own options are the parent of the plugin's."""
    parent = getattr(options, "parent", None)
    if parent is None or parent.get("syslog"):
        return None
    logfile = parent.get("logfile")
    if logfile == "-" or (not logfile and parent.get("nodaemon")):
        return None
    # twistd opens it (LogFile.fromFullPath) before it changes directory.
    return os.path.abspath(logfile or "twistd.log")


def hangup_service(options, log):
    """The HangupService for a plugin's parsed options."""
    parent = getattr(options, "parent", None)
    return HangupService(twistd_logfile(options), log,
                         syslog=bool(parent is not None and parent.get("syslog")))


def port_number(value):
    port = int(value)
    if not 0 <= port <= 65535:
        raise ValueError(f"{value} is not a port number")
    return port


port_number.coerceDoc = "A number from 0 to 65535; 0 picks a free port."


def positive_seconds(value):
    seconds = float(value)
    if not 0 < seconds < float("inf"):
        raise ValueError(f"{value} is not a positive number of seconds")
    return seconds
