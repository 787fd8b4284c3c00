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
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TWISTD = str(Path(sys.executable).parent / "twistd")


class Started:
    def __init__(self, name, argv, ready, logdir):
        self.name = name
        self.log = Path(logdir) / f"{name}.log"
        self.argv = argv
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(argv, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
        self.port = self.wait_for(ready)
        shown = " ".join(str(a) for a in argv).replace(PYTHON, "python")
        shown = shown.replace(TWISTD, "twistd").replace(str(ROOT) + "/", "")
        print(f"==> {name} on port {self.port}: {shown}", flush=True)

    def wait_for(self, pattern, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(pattern, self.log.read_text(errors="replace"))
            if m:
                return int(m.group(1))
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise SystemExit(f"demo: {self.name} did not start:\n{self.log.read_text(errors='replace')}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def main():
    started = []
    with tempfile.TemporaryDirectory(prefix="poetry-demo-") as tmp:
        try:
            port_line = r"port[= ](\d+)"
            xform = Started("transform server",
                            [PYTHON, "twisted-server/transformedpoetry-1.0.py", "--port", "0"],
                            port_line, tmp)
            started.append(xform)
            fast = Started("fast poetry server",
                           [PYTHON, "twisted-server/fastpoetry-1.0.py", "--port", "0",
                            "poetry/fascination.txt"], port_line, tmp)
            started.append(fast)
            plugin = Started("twistd fastpoetry",
                             [TWISTD, "--nodaemon", "--pidfile", os.path.join(tmp, "twistd.pid"),
                              "fastpoetry", "--port", "0", "--poem", "poetry/science.txt"],
                             r"PoetryFactory starting on (\d+)", tmp)
            started.append(plugin)
            proxy = Started("caching proxy 4.0",
                            [PYTHON, "twisted-server/poetry-proxy-4.0.py", "--port", "0",
                             str(plugin.port)], port_line, tmp)
            started.append(proxy)

            argv = [PYTHON, "twisted-client/get-poetry.py",
                    str(xform.port), str(fast.port), str(proxy.port)]
            print(f"==> python twisted-client/get-poetry.py {xform.port} {fast.port} {proxy.port}",
                  flush=True)
            client = subprocess.run(argv, cwd=ROOT, timeout=60, stdin=subprocess.DEVNULL)
            return client.returncode
        finally:
            for server in reversed(started):
                server.stop()
            leftovers = [s.name for s in started if s.proc.poll() is None]
            if leftovers:
                print(f"demo: could not stop {', '.join(leftovers)}", file=sys.stderr)
            else:
                print(f"==> stopped {len(started)} servers", flush=True)


if __name__ == "__main__":
    sys.exit(main())
