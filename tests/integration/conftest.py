"""pytest fixtures shared by every integration test.

`server` starts a fresh corral-server per test. Set CORRAL_TEST_TARGET=zookeeper to run the same
tests against Apache ZooKeeper 3.8 instead (how the tests themselves are checked to be right).
"""
import os

import pytest

from servers import CorralServer, ZooKeeperServer

TARGET = os.environ.get("CORRAL_TEST_TARGET", "corral")


def make_server(tmp_path, extra_config=None, name="server"):
    workdir = tmp_path / name
    workdir.mkdir(parents=True, exist_ok=True)
    cls = ZooKeeperServer if TARGET == "zookeeper" else CorralServer
    return cls(str(workdir), extra_config)


@pytest.fixture
def server_factory(tmp_path):
    """Returns start(extra_config=None) -> a started server; all are stopped after the test."""
    started = []

    def start(extra_config=None, name=None):
        s = make_server(tmp_path, extra_config, name or "server%d" % len(started))
        started.append(s)
        return s.start()

    yield start
    for s in started:
        s.stop()


@pytest.fixture
def server(server_factory):
    return server_factory()


# Known gaps: tests that pass against Apache ZooKeeper and show where Corral still differs. They
# are reported as xfail, never hidden; add an entry only with an open issue, remove it when the
# fix lands. Empty: every known gap is closed.
KNOWN_GAPS = set()


def pytest_collection_modifyitems(config, items):
    if TARGET == "zookeeper":
        return
    for item in items:
        if item.nodeid.split("::", 1)[-1] in KNOWN_GAPS:
            item.add_marker(pytest.mark.xfail(reason="known gap vs ZooKeeper, issue 2"))
