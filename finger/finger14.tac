r"""Finger, step 14: read status file (finger14.tac).

"The Evolution of Finger": Read Status File; annotations section 16.
Changed since step 13: no setter. FingerService reads the users from a file of
"user: status" lines: _read, called by startService, reads it and has the reactor
call _read again 30 seconds later; stopService cancels that call. Users removed
from the file stay until the server restarts (section 17 points this out; step 15
clears them). Section 16 says getFingerFactory also copies startService to the
factory; today's listing no longer does.

    FINGER_PORT=1079 twistd -ny finger/finger14.tac      (the users: finger/etc.users)
    then: echo moshez | nc -N localhost 1079  ->  happy and well

Departures, marked "departure" below; what every step shares is in contract.py:
- where: FINGER_PORT (0: a free one), on FINGER_IFACE (127.0.0.1); an address line in the log
- every connection: at most FINGER_TIMEOUT (60) seconds and FINGER_MAX_BYTES (65536) bytes
- contract.LineReceiver: a bare LF ends a line too; over 1024 bytes is "Query too long"
- text inside, bytes at the edge: the name decoded from UTF-8 (RFC 1288's /W dropped)
- ask(): one query a connection, cancelled if the client hangs up; onError logs once
- no uid=1, gid=1, which makes twistd exit for anyone but root (twistd -u, -g)
- the file: FINGER_USERS_FILE (finger/etc.users, not /etc/users), read every FINGER_RELOAD (30) s
- statusFile(): UTF-8, no control characters; a bad line or an unreadable file is logged once
"""

from finger import contract
from twisted.application import service
from twisted.internet import defer, protocol, reactor


class FingerProtocol(contract.LineReceiver):  # departure: basic.LineReceiver, bounded
    def lineReceived(self, user):
        d = self.ask(self.factory.getUser, user)  # departure: text inside; one query

        def onError(err):
            return contract.internalError(err)  # departure: logged once

        d.addErrback(onError)

        def writeResponse(message):
            self.transport.write(message.encode("utf-8") + b"\r\n")  # bytes at the edge
            self.transport.loseConnection()

        d.addCallback(writeResponse)


class FingerService(service.Service):
    def __init__(self, filename):
        self.users = {}
        self.filename = filename

    def _read(self):
        with contract.statusFile(self.filename) as f:  # departure: checked, as text
            for line in f:
                user, status = line.split(":", 1)
                user = user.strip()
                status = status.strip()
                self.users[user] = status
        self.call = reactor.callLater(contract.setting("FINGER_RELOAD"), self._read)  # departure

    def startService(self):
        self._read()
        service.Service.startService(self)

    def stopService(self):
        service.Service.stopService(self)
        self.call.cancel()

    def getUser(self, user):
        return defer.succeed(self.users.get(user, "No such user"))

    def getFingerFactory(self):
        f = protocol.ServerFactory()
        f.protocol = FingerProtocol
        f.getUser = self.getUser
        return f


application = service.Application("finger")  # departure: no uid=1, gid=1
f = FingerService(contract.usersFile())  # departure: FINGER_USERS_FILE
finger = contract.service("tcp:79", f.getFingerFactory())  # departure: where, said

finger.setServiceParent(service.IServiceCollection(application))
f.setServiceParent(service.IServiceCollection(application))
