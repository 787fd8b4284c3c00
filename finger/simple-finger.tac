"""The organized finger, from makeService (simple-finger.tac).

"The Evolution of Finger": Easy Configuration (making a finger library).
Changed since finger.tac (the text's organized-finger.tac): the finger module's
makeService (at the end of finger/finger.py; the text's finger_config.py) builds
the whole server from a few options, so a tac only chooses them. The plugin,
`twistd finger`, hands makeService the same options from its command line.

    FINGER_PORT=1079 FINGER_WEB_PORT=8000 FINGER_PB_PORT=8889 FINGER_IRC_SERVER= twistd -ny finger/simple-finger.tac
    then: echo moshez | nc -N localhost 1079  ->  happy and well

Departures, marked "departure" below; what every step shares is in contract.py:
- where: the FINGER_* variables, as in step 22; address lines in the log
- no uid=1, gid=1, which makes twistd exit for anyone but root (twistd -u, -g)
- the file: FINGER_USERS_FILE (finger/etc.users, not /etc/users)
- the bot: FINGER_IRC_SERVER (irc.libera.chat:6667; empty: none), FINGER_IRC_NICK
"""

from finger import contract, finger  # departure: the module is finger/finger.py
from twisted.application import service

options = {
    "file": contract.usersFile(),  # departure: FINGER_USERS_FILE
    "templates": "/usr/share/finger/templates",
    "ircnick": "fingerbot",
    "ircserver": "irc.freenode.net",
    "pbport": 8889,
    "ssl": 0,  # departure: the text's "ssl=0" is a true value, which asks for HTTPS
}

ser = finger.makeService(options)
application = service.Application("finger")  # departure: no uid=1, gid=1
ser.setServiceParent(service.IServiceCollection(application))
