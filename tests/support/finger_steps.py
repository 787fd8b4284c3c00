"""The finger steps and programs as one table: STEPS, one row each.

A row says how to run a step (its file, the ports it announces, the
environment it needs, and `prepare`, which starts a peer or writes a file
first), what it answers a finger client, and its features: the names of
the checks it must pass beyond the answers. tests/test_finger.py makes one
class per row (Finger07Spec ...), with one mixin of tests per feature; the
contract's rows (tests/test_finger_contract.py) run over the same table.
A new step costs a row here.

`tooLong` is its answer to a query over 1024 bytes, `webUnknown` what its
page says of an unknown user, `keepsRemovedUsers` whether a user removed
from the status file stays, `factoryArgs` what a script step's
FingerFactory is made with.

`answers` is what the step answers for moshez, for an unknown user and for
zoë (a non-ASCII name); "/W moshez" is answered as moshez is, and a name
that is not UTF-8 as the unknown user is. None for steps 1 and 2, which
answer nothing.
"""

from tests.support.finger import (
    CLOSED, with_certificate, with_homes, with_irc_server, with_stand_in_finger,
    with_status_site, with_users_copy,
)
from tests.support.spec import Row

NO_SUCH_USER = "No such user"
TOO_LONG = "Query too long"
HAPPY, TRES_BIEN = "Happy and well", "Très bien, merci"
FILE_HAPPY = "happy and well"  # finger/etc.users


class Step(Row):
    """One step or program: see the module's docstring."""

    def __init__(self, id, rel, answers, *, roles=("finger",), env=None, prepare=None,
                 features=(), tooLong=TOO_LONG, webUnknown=None, keepsRemovedUsers=False,
                 factoryArgs=()):
        super().__init__(id, rel=rel, roles=roles, env=dict(env or {}), prepare=prepare,
                         features=tuple(features), tooLong=tooLong, webUnknown=webUnknown,
                         keepsRemovedUsers=keepsRemovedUsers, factoryArgs=factoryArgs)
        self.answers = None if answers is None else dict(zip(("moshez", "unknown", "zoë"),
                                                             answers, strict=True))


# What each feature checks is in tests/test_finger.py, in the mixin of that
# name: "answers" (a real run, asked as a reader asks), "refuses", "holds",
# "closesAtOnce", "waitsForALine" (steps 1-4), "deferreds" (8-10: the
# FingerProtocol in memory), "program" (9), "webSource" (10), "tac" (the
# FingerProtocol of a tac in memory), "setter" and "setterRun"
# (12, 13), "statusFile" and "editRun" (14 on), "page" and "pageRun" (15 on),
# "irc" and "ircRun" (16 on), "xmlrpc" and "xmlrpcRun" (17).
ANSWERS = ("answers",)
TAC = ("answers", "tac", "deferreds")
PAGE_UNKNOWN = "No such user <p/> usage: site/user"  # steps 16, 17: getData's usage line
# Steps 18 on: the text's web, XML-RPC and IRC front-ends (tests/test_finger_frontends.py).
FRONT_ENDS = ("pages", "rpc2", "statusOf")

STEPS = (
    Step("Finger01", "finger/finger01.py", None, roles=(), features=("refuses",)),
    Step("Finger02", "finger/finger02.py", None, env={"FINGER_TIMEOUT": "0.5"},
         features=("holds",)),
    Step("Finger03", "finger/finger03.py", (CLOSED, CLOSED, CLOSED), tooLong=CLOSED,
         features=ANSWERS + ("closesAtOnce",)),
    Step("Finger04", "finger/finger04.py", (CLOSED, CLOSED, CLOSED), env={"FINGER_TIMEOUT": "1"},
         features=ANSWERS + ("waitsForALine",)),
    Step("Finger05", "finger/finger05.py", (NO_SUCH_USER,) * 3, features=ANSWERS),
    Step("Finger06", "finger/finger06.py", (NO_SUCH_USER,) * 3, features=ANSWERS),
    Step("Finger07", "finger/finger07.py", (HAPPY, NO_SUCH_USER, TRES_BIEN), features=ANSWERS),
    Step("Finger08", "finger/finger08.py", (HAPPY, NO_SUCH_USER, TRES_BIEN), factoryArgs=({},),
         features=ANSWERS + ("deferreds",)),
    Step("Finger09", "finger/finger09.py", ("argument: moshez", NO_SUCH_USER, "argument: zoë"),
         prepare=with_stand_in_finger, features=ANSWERS + ("program", "deferreds")),
    Step("Finger10", "finger/finger10.py", (HAPPY, NO_SUCH_USER, TRES_BIEN),
         prepare=with_status_site, factoryArgs=("http://127.0.0.1:1/~",),
         features=ANSWERS + ("webSource", "deferreds")),
    Step("Finger11", "finger/finger11.tac", (HAPPY, NO_SUCH_USER, TRES_BIEN), features=TAC),
    Step("Finger12", "finger/finger12.tac", (HAPPY, NO_SUCH_USER, TRES_BIEN),
         roles=("finger", "setter"), features=TAC + ("setter", "setterRun")),
    Step("Finger13", "finger/finger13.tac", (HAPPY, NO_SUCH_USER, TRES_BIEN),
         roles=("finger", "setter"), features=TAC + ("setter", "setterRun")),
    # From step 14 on, the users come from finger/etc.users (14: a copy).
    # Step 14 keeps users removed from the file, as the listing does
    # (annotation 17 says so; step 15 clears them).
    Step("Finger14", "finger/finger14.tac", (FILE_HAPPY, NO_SUCH_USER, TRES_BIEN),
         prepare=with_users_copy, keepsRemovedUsers=True,
         features=TAC + ("statusFile", "editRun")),
    Step("Finger15", "finger/finger15.tac", (FILE_HAPPY, NO_SUCH_USER, TRES_BIEN),
         roles=("finger", "web"), webUnknown=NO_SUCH_USER,
         features=TAC + ("statusFile", "page", "pageRun")),
    Step("Finger16", "finger/finger16.tac", (FILE_HAPPY, NO_SUCH_USER, TRES_BIEN),
         roles=("finger", "web"), webUnknown=PAGE_UNKNOWN, prepare=with_irc_server,
         features=TAC + ("statusFile", "page", "irc", "ircRun")),
    Step("Finger17", "finger/finger17.tac", (FILE_HAPPY, NO_SUCH_USER, TRES_BIEN),
         roles=("finger", "web"), webUnknown=PAGE_UNKNOWN,
         features=TAC + ("statusFile", "page", "irc", "xmlrpc", "xmlrpcRun")),
    # Steps 18-22, the organized finger and the proxy (FB's rows). Users from
    # finger/etc.users; no IRC bot in the real runs. The features that are
    # not test_finger.py's are tests/test_finger_frontends.py's.
    Step("Finger18", "finger/finger18.tac", (FILE_HAPPY, NO_SUCH_USER, TRES_BIEN),
         roles=("finger", "web"), features=TAC + FRONT_ENDS + ("statusFile",)),
    Step("Finger19", "finger/finger19.tac", (FILE_HAPPY, NO_SUCH_USER, TRES_BIEN),
         roles=("finger", "web"), features=TAC + FRONT_ENDS + ("statusFile",)),
    Step("Finger19a", "finger/finger19a.tac", (HAPPY, NO_SUCH_USER, TRES_BIEN),
         roles=("finger", "web", "setter"),
         features=TAC + FRONT_ENDS + ("setter", "setterRun")),
    Step("Finger19b", "finger/finger19b.tac", ("argument: moshez", NO_SUCH_USER, "argument: zoë"),
         roles=("finger", "web"), prepare=with_stand_in_finger,
         features=ANSWERS + FRONT_ENDS + ("program",)),
    Step("Finger19c", "finger/finger19c.tac", (FILE_HAPPY, NO_SUCH_USER, TRES_BIEN),
         roles=("finger", "web"), prepare=with_homes, features=ANSWERS + FRONT_ENDS + ("plan",)),
    Step("Finger20", "finger/finger20.tac", (FILE_HAPPY, NO_SUCH_USER, TRES_BIEN),
         roles=("finger", "web"), features=TAC + FRONT_ENDS + ("rpc2Users", "statusFile")),
    Step("Finger21", "finger/finger21.tac", (FILE_HAPPY, NO_SUCH_USER, TRES_BIEN),
         roles=("finger", "web", "pb"), env={"FINGER_PB_PORT": "0"},
         features=TAC + FRONT_ENDS + ("rpc2Users", "pb", "pbClient")),
    Step("Finger22", "finger/finger22.tac", (FILE_HAPPY, NO_SUCH_USER, TRES_BIEN),
         roles=("finger", "web", "https", "pb"), prepare=with_certificate,
         features=ANSWERS + FRONT_ENDS + ("rpc2Users", "pb", "https")),
    # The organized finger: finger.tac is the text's organized-finger.tac
    # (HTTPS always, so a certificate), simple-finger.tac builds it from
    # finger.makeService; the plugin is tested in tests/test_finger_frontends.py.
    # (Steps 22 and finger.tac have the FingerProtocol of 21 and simple-finger.tac.)
    Step("FingerTac", "finger/finger.tac", (FILE_HAPPY, NO_SUCH_USER, TRES_BIEN),
         roles=("finger", "web", "https", "pb"), prepare=with_certificate,
         features=ANSWERS + FRONT_ENDS + ("rpc2Users", "pb", "https")),
    Step("SimpleFinger", "finger/simple-finger.tac", (FILE_HAPPY, NO_SUCH_USER, TRES_BIEN),
         roles=("finger", "web", "pb"), env={"FINGER_PB_PORT": "0"},
         features=TAC + ("statusFile",)),
    # The proxy answers USER@HOST: it has no answers of its own.
    Step("FingerProxy", "finger/fingerproxy.tac", None, roles=("proxy",),
         env={"FINGER_PROXY_PORT": "0"}, features=("proxy",)),
)

ANSWERING = tuple(row for row in STEPS if row.answers is not None)
