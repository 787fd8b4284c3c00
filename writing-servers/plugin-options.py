"""Deployment today: the options a twistd plugin gets, and what they parse to.

"Writing Servers in Twisted", Twisted's old howto: its parts "Deployment"
and "Writing Option Class". No original file.

    python writing-servers/plugin-options.py --user moshez:"Happy and well" --port 1079
    twistd finger --help                       (the same Options, through twistd)
    twistd -n --pidfile= finger --user moshez:"Happy and well" --port 1079

The howto's deployment is gone: mktap, the twisted.tap package and the
pickled .tap files it wrote were removed from Twisted long ago. Their heir
is the twistd plugin of Part 16: a file in twisted/plugins/ names a
module with an Options class and a makeService(options) function, and
`twistd NAME ...` parses the command line with that Options and runs the
service makeService returns. See twisted/plugins/fastpoetry_plugin.py and
twisted/plugins/finger_plugin.py, whose code is in finger/tap.py.

The Options class works as the howto says, with today's names:
- optParameters (the howto's optStrings): [long, short, default, help],
  and a fifth, a coerce function, where one is wanted; the value is stored
  under the long name;
- optFlags: [long, short, help]; 1 when given, 0 when not;
- opt_NAME methods: called once per use, in command-line order, with the
  value when they take one. finger/tap.py's opt_user makes --user
  NAME:STATUS repeatable: each use adds one user, and a later one for the
  same name wins.
- postOptions runs last and checks the whole: finger/tap.py checks each
  value as the FINGER_* variable it stands for is checked, and fills in
  the defaults from those variables, so every mistake is a usage error
  before anything is bound ("--port must be a port number from 0 to
  65535, not 'x'").

This script parses its arguments with finger.tap.Options, exactly as
`twistd finger` would, and prints the options makeService would receive,
one `name = value` line each (users holds every --user; file is the users
file's full path), without starting anything. A usage error is one line
on stderr and exit status 2.
"""

import sys

from twisted.python import usage

from finger.tap import Options

PROG = "plugin-options.py"


def option_names():
    """The keys the command line sets: one per option of `twistd finger
    --help`, and "users", which every --user adds to. Keys postOptions
    derives (the TLS context it builds from --cert) are no option."""
    return ({long for long, *_ in Options.optParameters}
            | {long for long, *_ in Options.optFlags} | {"users"})


def main(argv=None):
    options = Options()
    options.synopsis = f"Usage: {PROG} {Options.synopsis}"
    try:
        options.parseOptions(sys.argv[1:] if argv is None else argv)
    except usage.UsageError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    for name in sorted(option_names()):
        print(f"{name} = {options[name]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
