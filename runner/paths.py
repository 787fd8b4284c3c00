"""Where things are: the repository, the poems, this venv's programs, and
the port line every server prints. Also the loader for hyphenated scripts."""

import importlib.util
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POETRY = ROOT / "poetry"
BIN = Path(sys.executable).parent
PYTHON = sys.executable
TWISTD = str(BIN / "twistd")
# Every program under test runs with DeprecationWarnings turned into errors
# and ResourceWarnings shown, but for one of Twisted's own: every process that
# has tried to listen keeps a spare /dev/null open for EMFILE recovery
# (tcp._reservedFD), and Python reports it at exit ("sys:1: ..." up to 3.12,
# "<sys>:0: ..." from 3.13). That one warning, exactly, is ignored, so a
# program's stderr is compared as it is, on every Python.
WARNINGS = ("error::DeprecationWarning", "default::ResourceWarning",
            "ignore:unclosed file <_io.TextIOWrapper name='/dev/null':ResourceWarning")
WARNFLAGS = tuple(flag for warning in WARNINGS for flag in ("-W", warning))

# The line a server prints at start-up names its port, e.g.
# "Serving poetry/ecstasy.txt on IPv4Address(type='TCP', host='127.0.0.1', port=43211)."
PORT_RE = re.compile(rb"port[= ]?(\d+)")


def path(rel):
    """Absolute path of a file in the repository, as a str."""
    return str(ROOT / rel)


def poem_bytes(name):
    """The exact bytes of a poem in poetry/."""
    return (POETRY / name).read_bytes()


_loaded = {}


def load_script(rel):
    """Import a script file (hyphens and all) as a module without running
    its main(). Modules are cached, so a script is executed once."""
    full = ROOT / rel
    if full in _loaded:
        return _loaded[full]
    name = "script_" + re.sub(r"\W", "_", rel)
    spec = importlib.util.spec_from_file_location(name, full)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    _loaded[full] = module
    return module


def script_argv(rel, *args):
    """argv for `python -W ... SCRIPT ARGS`, the script named from the repo root."""
    return [PYTHON, *WARNFLAGS, path(rel), *map(str, args)]


def twistd_argv(*args):
    """The real twistd of this venv (twistd does not add cwd to sys.path,
    so plugins are found only through the editable install)."""
    return [TWISTD, *map(str, args)]
