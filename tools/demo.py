"""make demo: the whole cast on one machine, then a clean exit.

Starts, each on a free port on 127.0.0.1:
  - the transform server (Part 12),
  - a fast poetry server run as a script (Part 11),
  - a fast poetry server run by `twistd fastpoetry` (Part 16),
  - the caching proxy 4.0 in front of the twistd one (Part 14, hardened),
then runs today's client against the transform server, the script server
and the proxy, prints the transformed poems, and stops every process it
started. It exits with the client's status.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

# The repository root must be importable (it is, with the editable install;
# this also covers a plain checkout).
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The same runner the tests and the bench use (it imports no reactor).
from runner.paths import PYTHON, TWISTD  # noqa: E402
from runner.processes import Programs  # noqa: E402

PLUGIN_READY = r"PoetryFactory starting on (\d+)"


def shown(argv):
    """A command line as the reader would type it from the repo root."""
    text = " ".join(map(str, argv)).replace(PYTHON, "python")
    return text.replace(TWISTD, "twistd").replace(str(ROOT) + "/", "")


def main():
    with tempfile.TemporaryDirectory(prefix="poetry-demo-") as tmp, Programs(tmp) as progs:

        def start(name, argv, **kw):
            try:
                prog = progs.start(name, argv, **kw)
            except RuntimeError as e:
                raise SystemExit(f"demo: {name} did not start: {e}") from None
            print(f"==> {name} on port {prog.port}: {shown(argv)}", flush=True)
            return prog

        try:
            xform = start("transform server",
                          [PYTHON, "twisted-server/transformedpoetry-1.0.py", "--port", "0"])
            fast = start("fast poetry server",
                         [PYTHON, "twisted-server/fastpoetry-1.0.py", "--port", "0",
                          "poetry/fascination.txt"])
            plugin = start("twistd fastpoetry",
                           [TWISTD, "--nodaemon", "--pidfile", os.path.join(tmp, "twistd.pid"),
                            "fastpoetry", "--port", "0", "--poem", "poetry/science.txt"],
                           ready=PLUGIN_READY)
            proxy = start("caching proxy 4.0",
                          [PYTHON, "twisted-server/poetry-proxy-4.0.py", "--port", "0",
                           str(plugin.port)])

            argv = [PYTHON, "twisted-client/get-poetry.py",
                    str(xform.port), str(fast.port), str(proxy.port)]
            print(f"==> {shown(argv)}", flush=True)
            client = subprocess.run(argv, cwd=ROOT, timeout=60, stdin=subprocess.DEVNULL)
            return client.returncode
        finally:
            count = len(progs.started)
            leftovers = progs.stop_all()
            if leftovers:
                print(f"demo: could not stop {', '.join(leftovers)}", file=sys.stderr)
            elif count:
                print(f"==> stopped {count} servers", flush=True)


if __name__ == "__main__":
    sys.exit(main())
