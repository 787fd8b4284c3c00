"""Tac files and twistd: loading an application in this process, and the
files a twistd run needs."""

import os
import shutil
import tempfile

from twisted.application import internet, service

from .paths import path
from .servers import tcp_port


def temp_dir(testcase):
    """A fresh directory for this test, removed when it ends; an absolute
    path in the system's temporary directory. (Not TestCase.mktemp(): under
    pytest that writes into the current directory, the checkout, and a
    path under _trial_temp can be too long for a UNIX socket.)"""
    path = tempfile.mkdtemp(prefix="poetry-test-")
    testcase.addCleanup(shutil.rmtree, path, True)
    return path


def pidfile(testcase):
    """A pid file path in a fresh temporary directory."""
    return os.path.join(temp_dir(testcase), "twistd.pid")


def load_tac(testcase, rel, **env):
    """Load a tac in this process with `env` set while it reads its
    configuration, start its services, and stop them at cleanup."""
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        application = service.loadApplication(path(rel), "python")
    finally:
        for key, value in saved.items():
            if value is None:
                del os.environ[key]
            else:
                os.environ[key] = value
    top = service.IService(application)
    # Registered first: a service that fails to start may leave others running.
    testcase.addCleanup(top.stopService)
    top.startService()
    return application


def listening_ports(multi):
    """Port numbers of every TCPServer under a service, depth first."""
    ports = []
    for child in multi:
        if isinstance(child, internet.TCPServer):
            ports.append(tcp_port(child))
        elif isinstance(child, service.MultiService):
            ports.extend(listening_ports(child))
    return ports
