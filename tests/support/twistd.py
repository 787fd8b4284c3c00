"""Tac files and twistd: loading an application in this process, and the
files a twistd run needs."""

import os
from unittest import mock

from twisted.application import internet, service

from runner.paths import path

from .environment import temp_dir
from .servers import tcp_port

__all__ = ["load_tac", "pidfile", "listening_ports", "temp_dir"]


def pidfile(testcase):
    """A pid file path in a fresh temporary directory."""
    return os.path.join(temp_dir(testcase), "twistd.pid")


def load_tac(testcase, rel, **env):
    """Load a tac in this process with `env` set while it reads its
    configuration, start its services, and stop them at cleanup."""
    with mock.patch.dict(os.environ, env):
        application = service.loadApplication(path(rel), "python")
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
