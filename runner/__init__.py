"""Running this repository's programs as a reader runs them: what the
tests, the demo (tools/) and the bench (bench/) share.

Not a test module, as twisted.internet.testing is not: the demo and the
bench import it without importing the tests, and nothing here imports a
test framework.

- paths:       where things are (ROOT, POETRY, PYTHON, TWISTD), the argv of
               a script or twistd, the port line every server prints, and
               the loader for hyphenated scripts
- environment: the environment a child runs with; the open-file limit
- processes:   the process runner for programs that keep running (the
               servers, the proxy, twistd): under the reactor for the
               tests, blocking for the demo and the bench, with one stop
               policy; and `run_to_end`, for a command run to its end
               without a reactor
- waiting:     bounded waits under the reactor
- outputs:     the checked output of the small examples, shared by
               tools/regen-outputs.py and tests/test_outputs.py

Only processes' reactor flavour, waiting and outputs' checks import
Twisted, and only when used or imported, so the blocking runner costs the
demo and the bench no reactor.
"""
