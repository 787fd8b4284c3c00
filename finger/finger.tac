"""The organized finger's tac (finger.tac; the text's organized-finger.tac).

"The Evolution of Finger": Organization (making a finger library).
Changed since step 22: the code is the module finger/finger.py; this file only
configures: which backend, which front-ends, on which ports. Code, configuration,
content (the users file) and deployment (twistd) are apart. HTTPS needs a
certificate, as in step 22:

    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost -keyout /tmp/finger.pem -out /tmp/finger.pem
    FINGER_CERT=/tmp/finger.pem FINGER_PORT=1079 FINGER_WEB_PORT=8000 FINGER_HTTPS_PORT=8443 FINGER_PB_PORT=8889 \\
        FINGER_IRC_SERVER= twistd -ny finger/finger.tac
    then: echo moshez | nc -N localhost 1079  ->  happy and well

Departures, marked "departure" below; what every step shares is in contract.py:
- where: the FINGER_* variables, as in step 22; address lines in the log
- no uid=1, gid=1, which makes twistd exit for anyone but root (twistd -u, -g)
- the file: FINGER_USERS_FILE (finger/etc.users, not /etc/users)
- HTTPS: FINGER_HTTPS_PORT (443); FINGER_CERT (finger/server.pem, not shipped): key and certificate
- the bot: FINGER_IRC_SERVER (irc.libera.chat:6667; empty: none), FINGER_IRC_NICK
"""

from finger import contract, finger  # departure: the module is finger/finger.py
from twisted.application import service
from twisted.spread import pb
from twisted.web import resource

application = service.Application("finger")  # departure: no uid=1, gid=1
f = finger.FingerService(contract.usersFile())  # departure: FINGER_USERS_FILE
serviceCollection = service.IServiceCollection(application)
f.setServiceParent(serviceCollection)  # departure: started, so it reads the file
contract.service("tcp:79", finger.IFingerFactory(f)).setServiceParent(serviceCollection)

site = contract.Site(resource.IResource(f))
contract.service(
    "tcp:8000",
    site, "web",
).setServiceParent(serviceCollection)

contract.service(  # departure: FINGER_CERT names one PEM file for the key and certificate
    "ssl:port=443:certKey=cert.pem:privateKey=key.pem", site, "https"
).setServiceParent(serviceCollection)

i = finger.IIRCClientFactory(f)
i.nickname = "fingerbot"
contract.ircClient(  # departure: internet.ClientService, FINGER_IRC_SERVER
    "tcp:irc.libera.chat:6667", i  # departure: freenode is gone
).setServiceParent(serviceCollection)

contract.service(
    "tcp:8889", pb.PBServerFactory(finger.IPerspectiveFinger(f)), "pb"
).setServiceParent(serviceCollection)
