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


# Known gaps, open in issue 2: these tests pass against Apache ZooKeeper and show where Corral
# still differs. They are reported as xfail, never hidden; remove an entry when its fix lands.
KNOWN_GAPS = {
    "test_conformance[seed1]",
    "test_truncated_frame_then_close[length-cut-after-handshake]",
    "test_malformed_request_record[create-acl-count-minus5]",
    "test_malformed_request_record[getData-path-null]",
    "test_malformed_request_record[setWatches-count-minus3]",
    "test_unknown_opcode_gets_unimplemented_then_close[999]",
    "test_unknown_opcode_gets_unimplemented_then_close[minus50]",
    "test_unknown_opcode_gets_unimplemented_then_close[notification-0]",
    "test_unknown_opcode_gets_unimplemented_then_close[int-max]",
    "test_delete_container_from_client_is_bad_arguments",
    "test_create_ttl_with_non_ttl_mode_and_negative_ttl[0]",
    "test_create_ttl_with_non_ttl_mode_and_negative_ttl[1]",
    "test_create_ttl_with_non_ttl_mode_and_negative_ttl[4]",
    "test_auth_with_unknown_scheme_fails_then_closes",
}


def pytest_collection_modifyitems(config, items):
    if TARGET == "zookeeper":
        return
    for item in items:
        if item.nodeid.split("::", 1)[-1] in KNOWN_GAPS:
            item.add_marker(pytest.mark.xfail(reason="known gap vs ZooKeeper, issue 2"))
