"""The environment a child process runs with, and the open-file limit."""

import os

from .paths import WARNINGS


def child_env(extra=None):
    """Environment for a child process: unbuffered, strict about warnings."""
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONWARNINGS"] = ",".join(WARNINGS)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if extra:
        env.update(extra)
    return env


def raise_nofile(wanted):
    """Raise the soft RLIMIT_NOFILE towards `wanted` (and the hard limit
    too, if this process may). Children inherit it. Returns (soft before,
    soft after, a note saying why it fell short, or "")."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    before, note = soft, ""
    if hard != resource.RLIM_INFINITY and hard < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
            hard = wanted
        except (ValueError, OSError) as e:
            note = f"hard limit {hard} could not be raised to {wanted} ({e})"
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError) as e:
            note = f"soft limit {soft} could not be raised to {target} ({e})"
    return before, resource.getrlimit(resource.RLIMIT_NOFILE)[0], note
