"""The environment a child process runs with, and changes to this
process's environment that are undone at cleanup."""

import os


def child_env(extra=None):
    """Environment for a child process: unbuffered, strict about warnings."""
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONWARNINGS"] = "error::DeprecationWarning,default::ResourceWarning"
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if extra:
        env.update(extra)
    return env
