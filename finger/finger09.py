"""Finger, step 9: run `finger` locally.

Tutorial: "The Evolution of Finger", "Run 'finger' Locally" (annotations,
section 10).
Changed since step 8: getUser asks the system's own finger program, through
Twisted's non-blocking process utilities; the protocol does not change,
since it already expects a Deferred.

    python finger/finger09.py            (then: telnet localhost 1079, type root)

Departures from the original listing, which ran getProcessOutput("finger",
[user]) on whatever the client sent:
- Only a plain user name (letters, digits, "_", "." and "-", not starting
  with "-" or ".") reaches the command. "-l", "--help", "a@b" (which would
  make finger ask another host) or a name with spaces never does: the client
  gets "No such user" and the reason is logged.
- getProcessOutput turned anything on stderr into a failure, and finger
  writes "no such user" there. A small ProcessProtocol of ours,
  FingerOutput, does what getProcessOutput did, but keeps stderr apart (it
  is logged; an empty answer is "No such user"), keeps at most 64 KiB, and
  kills the process when the query is given up.
- The program is looked up on PATH when a query comes in; if there is none,
  the client is told so in one line ("No finger program on this server")
  and the log says why. Debian and Ubuntu ship it as the package `finger`.
- finger gets 10 seconds; after that it is killed and the client gets
  "Internal error in server".
- Its output is decoded as UTF-8 and sent back with CRLF line ends.
"""

import argparse
import os
import re
import shutil
import sys

from twisted.internet import defer, protocol, reactor
from twisted.internet.error import ProcessDone, ProcessTerminated
from twisted.internet.error import CannotListenError
from twisted.logger import Logger, globalLogBeginner, textFileLogObserver
from twisted.protocols import basic, policies

log = Logger(namespace="finger")

# A user name finger may be asked about: nothing it could take for an
# option (-l), another host (a@b) or a second argument.
PLAIN_NAME = re.compile(r"\w[\w.-]{0,63}\Z")


def query_user(line):
    """The user a finger query asks about, as text.

    Bytes come in; the rest of the program sees str. A leading /W (RFC 1288's
    "verbose" switch) is ignored, so "/W moshez" asks about moshez."""
    query = line.decode("utf-8", errors="replace").strip()
    if query[:2].upper() == "/W" and query[2:3] in ("", " ", "\t"):
        query = query[2:].strip()
    return query


class FingerProtocol(basic.LineReceiver, policies.TimeoutMixin):
    # Split on LF, so a bare LF ends a query as well as CRLF.
    delimiter = b"\n"
    MAX_LENGTH = 1024
    # Seconds a client gets to send its query; a silent one is hung up on.
    timeOut = 60

    def connectionMade(self):
        self.setTimeout(self.timeOut)

    def connectionLost(self, reason):
        self.setTimeout(None)

    def lineReceived(self, line):
        # One query per connection: stop reading lines.
        self.setTimeout(None)
        self.pauseProducing()
        d = defer.maybeDeferred(self.factory.getUser, query_user(line))
        d.addErrback(self.internalError)
        d.addCallback(self.answer)
        d.addErrback(self.unanswerable)

    def internalError(self, failure):
        log.failure("finger query failed", failure)
        return "Internal error in server"

    def answer(self, message):
        self.transport.write(message.encode("utf-8") + b"\r\n")
        self.transport.loseConnection()

    def unanswerable(self, failure):
        # Only a bug in answer() gets here; log it and hang up.
        log.failure("could not send a finger answer", failure)
        self.transport.loseConnection()

    def lineLengthExceeded(self, line):
        if not self.transport.disconnecting:
            self.transport.write(b"Query too long\r\n")
            self.transport.loseConnection()


class FingerOutput(protocol.ProcessProtocol):
    """Runs like getProcessOutputAndValue: `done` fires with (stdout,
    stderr) once the process has ended. Output past MAX_OUTPUT bytes is
    dropped; cancelling `done` kills the process."""

    MAX_OUTPUT = 64 * 1024

    def __init__(self):
        self.out = []
        self.err = []
        self.done = defer.Deferred(self.kill)

    def keep(self, chunks, data):
        if sum(map(len, chunks)) < self.MAX_OUTPUT:
            chunks.append(data)

    def outReceived(self, data):
        self.keep(self.out, data)

    def errReceived(self, data):
        self.keep(self.err, data)

    def kill(self, d):
        try:
            self.transport.signalProcess("KILL")
        except Exception:
            pass  # already gone

    def processEnded(self, reason):
        if not self.done.called:
            if reason.check(ProcessDone, ProcessTerminated) and reason.value.signal is None:
                self.done.callback((b"".join(self.out), b"".join(self.err)))
            else:
                self.done.errback(reason)


class FingerFactory(protocol.ServerFactory):
    protocol = FingerProtocol
    timeout = 10

    def getUser(self, user):
        if not PLAIN_NAME.match(user):
            log.info("not asking finger about {user!r}: not a plain user name", user=user)
            return defer.succeed("No such user")
        program = shutil.which("finger")
        if program is None:
            log.error("cannot answer about {user!r}: there is no finger program on PATH",
                      user=user)
            return defer.succeed("No finger program on this server")
        process = FingerOutput()
        reactor.spawnProcess(process, program, [program, user], env=os.environ)
        d = process.done
        d.addCallback(self.fingerOutput, user)

        def timedOut(result, timeout):
            raise RuntimeError(f"finger {user!r} gave no answer within {timeout} seconds")

        d.addTimeout(self.timeout, reactor, onTimeoutCancel=timedOut)
        return d

    def fingerOutput(self, result, user):
        out, err = result
        if err.strip():
            log.info("finger {user!r} said on stderr: {err}", user=user,
                     err=err.decode("utf-8", "replace").strip())
        lines = out.decode("utf-8", "replace").splitlines()
        if not "".join(lines).strip():
            return "No such user"
        return "\r\n".join(lines)


# --- configuration: the same in every script step --------------------------

NAME = os.path.basename(__file__)


def port_number(text):
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 0 to 65535, not {text!r}")
    return int(text)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog=NAME, description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=port_number,
                        help="port to listen on, 0 for a free one (default: FINGER_PORT or 1079)")
    args = parser.parse_args(argv)
    if args.port is None:  # --port wins over FINGER_PORT
        try:
            args.port = port_number(os.environ.get("FINGER_PORT", "1079"))
        except argparse.ArgumentTypeError as e:
            sys.exit(f"{NAME}: FINGER_PORT {e}")
    args.iface = os.environ.get("FINGER_IFACE", "127.0.0.1")
    return args


def listen(factory, args):
    """Listen, and print the address line, or exit with one line."""
    try:
        port = reactor.listenTCP(args.port, factory, interface=args.iface)
    except CannotListenError as e:
        sys.exit(f"{NAME}: {e}")
    address = port.getHost()
    print(f"finger listening on {address.host}:{address.port}", flush=True)


def main(argv=None):
    args = parse_args(argv)
    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stdout)],
                                     redirectStandardIO=False)
    listen(FingerFactory(), args)
    reactor.run()


if __name__ == "__main__":
    main()
