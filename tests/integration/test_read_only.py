"""Read-only mode (readonlymode.enabled=true), as ZooKeeper's: a member cut off from its quorum
for a grace period serves reads to clients that asked for read-only service (isro answers
"ro"), refuses every change and sync with NOTREADONLY, refuses clients that did not ask for it,
and serves read-write again once a leader syncs it (isro "rw"). kazoo with read_only=True moves
from the read-only member back to read-write service by itself.
"""
import os
import signal

import pytest
from kazoo.client import KazooClient, KazooState
from kazoo.exceptions import (ConnectionLoss, NodeExistsError, NotReadOnlyCallError,
                              SessionExpiredError)
from kazoo.retry import KazooRetry

import zkwire as z
from conftest import TARGET
from servers import Ensemble, four_letter, wait_until

pytestmark = pytest.mark.skipif(TARGET == "zookeeper", reason="starts a Corral ensemble")


@pytest.fixture
def ro_ensemble(tmp_path):
    e = Ensemble(str(tmp_path), size=3, extra_config={"readonlymode.enabled": "true"})
    try:
        yield e.start()
    finally:
        e.stop()


def isro(member):
    try:
        return four_letter(member.port, "isro", timeout=1.0)
    except OSError:
        return None


def kazoo_read_only(hosts):
    retry = KazooRetry(max_tries=-1, delay=0.05, max_delay=0.5, deadline=30)
    c = KazooClient(hosts=hosts, timeout=4.0, read_only=True, connection_retry=retry,
                    command_retry=None)
    c.start(timeout=20)
    return c


def freeze(members):
    for m in members:
        os.kill(m.proc.pid, signal.SIGSTOP)


def thaw(members):
    for m in members:
        os.kill(m.proc.pid, signal.SIGCONT)


def test_cut_off_member_serves_reads_only_then_read_write_again(ro_ensemble):
    e = ro_ensemble
    assert all(isro(m) == "rw" for m in e.members.values())
    lone = e.followers()[0]
    others = [m for m in e.members.values() if m is not lone]
    # Written through the lone member: its reply means the lone member has applied it.
    writer = z.connect("127.0.0.1", lone.port)
    writer.create("/ro", b"before")
    global_session = writer.session
    last_zxid = writer.call(z.OP_EXISTS, z.path_watch_request("/ro")).zxid
    writer.sock.close()  # the session lives on, to be moved to the read-only member below

    freeze(others)
    try:
        wait_until(lambda: isro(lone) == "ro", timeout=15,
                   what="the cut-off member to serve read-only")
        assert e.mode(lone) == "read-only"

        # A client that did not ask for read-only service is refused at its handshake.
        with pytest.raises((z.ConnectionClosed, OSError)):
            z.connect("127.0.0.1", lone.port, read_only=False).close()

        # A new read-only session: answered with readOnly=true; reads work; every change and
        # sync gets NOTREADONLY; its own closeSession is answered OK.
        ro = z.connect("127.0.0.1", lone.port, read_only=True)
        assert ro.session.read_only is True
        assert ro.session.session_id != 0
        assert ro.get_data("/ro")[0] == b"before"
        assert "ro" in ro.get_children("/")
        for attempt in (lambda: ro.create("/ro/child", b"x"),
                        lambda: ro.set_data("/ro", b"after"),
                        lambda: ro.delete("/ro"),
                        lambda: ro.check("/ro", 0),
                        lambda: ro.sync("/ro")):
            with pytest.raises(z.ZKError) as refused:
                attempt()
            assert refused.value.code == z.NOTREADONLY
        assert ro.close_session().err == z.OK

        # A session created while the quorum was there moves to the read-only member, keeps
        # its id, and reads.
        moved = z.connect("127.0.0.1", lone.port, session_id=global_session.session_id,
                          passwd=global_session.passwd, last_zxid_seen=last_zxid, read_only=True)
        assert moved.session.session_id == global_session.session_id
        assert moved.session.read_only is True
        assert moved.get_data("/ro")[0] == b"before"
        moved.sock.close()

        # kazoo, asking for read-only service, connects in its CONNECTED_RO state.
        kz = kazoo_read_only(lone.connect_string)
        assert kz.client_state == "CONNECTED_RO"
        assert kz.get("/ro")[0] == b"before"
        with pytest.raises(NotReadOnlyCallError):
            kz.create("/ro/kazoo", b"x")
    finally:
        thaw(others)

    # The quorum is back: the member rejoins as a follower and isro answers rw; the read-only
    # kazoo client is moved to read-write service (its read-only session is unknown to the
    # leader, so kazoo starts a new one) and its write commits.
    wait_until(lambda: isro(lone) == "rw", timeout=30, what="the member to serve read-write")
    e.await_serving(timeout=30)

    def write_succeeds():
        try:
            kz.create("/ro/kazoo", b"after")
            return True
        except NodeExistsError:  # an earlier attempt committed, its reply was lost
            return True
        except (NotReadOnlyCallError, ConnectionLoss, SessionExpiredError):
            return False  # still read-only, or kazoo is moving to read-write service
    try:
        wait_until(write_succeeds, timeout=30, what="the kazoo client to write again")
        assert kz.client_state == KazooState.CONNECTED
    finally:
        kz.stop()
        kz.close()
    check = z.connect("127.0.0.1", others[0].port)
    check.sync("/")
    assert check.get_data("/ro/kazoo")[0] == b"after"
    check.sock.close()


def test_without_read_only_mode_a_cut_off_member_refuses_read_only_clients(tmp_path):
    e = Ensemble(str(tmp_path), size=3, extra_config={"4lw.commands.whitelist": "*"})
    try:
        e.start()
        lone = e.followers()[0]
        others = [m for m in e.members.values() if m is not lone]
        freeze(others)
        try:
            # "null" is ZooKeeper's answer when no server runs.
            wait_until(lambda: isro(lone) == "null", timeout=15,
                       what="the cut-off member to stop serving")
            with pytest.raises((z.ConnectionClosed, OSError)):
                z.connect("127.0.0.1", lone.port, read_only=True).close()
        finally:
            thaw(others)
    finally:
        e.stop()
