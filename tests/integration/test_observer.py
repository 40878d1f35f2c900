"""Observers (`server.N=host:port:port:observer`): a member that receives every commit, serves
reads, forwards writes and holds sessions like a follower, but never votes, never counts toward
a majority and is never elected. Three voters and one observer, driven by kazoo.
"""
import os
import signal

import pytest
from kazoo.client import KazooClient
from kazoo.retry import KazooRetry

from conftest import TARGET
from servers import Ensemble, four_letter, wait_until

pytestmark = pytest.mark.skipif(TARGET == "zookeeper", reason="starts a Corral ensemble")

OBSERVER = 4


@pytest.fixture
def with_observer(tmp_path):
    e = Ensemble(str(tmp_path), size=4, observers=(OBSERVER,))
    try:
        yield e.start()
    finally:
        e.stop()


def client(hosts):
    retry = KazooRetry(max_tries=-1, delay=0.05, max_delay=0.5, deadline=30)
    c = KazooClient(hosts=hosts, timeout=4.0, connection_retry=retry, command_retry=None)
    c.start(timeout=20)
    return c


def mntr(member):
    out = {}
    for line in four_letter(member.port, "mntr").splitlines():
        key, _, value = line.partition("\t")
        out[key] = value
    return out


def test_observer_serves_reads_forwards_writes_and_holds_sessions(with_observer):
    e = with_observer
    observer = e.members[OBSERVER]
    assert e.mode(observer) == "observer"
    assert sorted(e.mode(m) for m in e.members.values()) == [
        "follower", "follower", "leader", "observer"]
    leader = e.leader()
    # A member serves once it has applied what the leader committed; the leader counts it as
    # synced once its acknowledgement arrives, a moment later.
    wait_until(lambda: mntr(leader)["zk_synced_observers"] == "1", timeout=10,
               what="the leader to count the observer as synced")
    wait_until(lambda: mntr(leader)["zk_synced_followers"] == "2", timeout=10,
               what="the leader to count both followers as synced")

    on_observer = client(observer.connect_string)
    on_voter = client(leader.connect_string)
    try:
        # A write through the observer is forwarded to the leader and readable everywhere.
        on_observer.create("/via-observer", b"o")
        on_voter.sync("/via-observer")
        assert on_voter.get("/via-observer")[0] == b"o"
        # A write through a voter reaches the observer, and fires the observer's watch.
        fired = []
        on_observer.get("/via-observer", watch=fired.append)
        on_voter.set("/via-observer", b"changed")
        wait_until(lambda: fired, timeout=10, what="the watch on the observer to fire")
        assert on_observer.get("/via-observer")[0] == b"changed"
        # An ephemeral of a session held by the observer is global, and goes with the session.
        on_observer.create("/eph", b"", ephemeral=True)
        on_voter.sync("/eph")
        assert on_voter.exists("/eph") is not None
    finally:
        on_observer.stop()
        on_observer.close()
    wait_until(lambda: on_voter.exists("/eph") is None, timeout=10,
               what="the observer session's ephemeral to go with its session")
    on_voter.stop()
    on_voter.close()


def test_observer_does_not_count_toward_a_majority(with_observer):
    e = with_observer
    observer = e.members[OBSERVER]
    followers = e.followers()
    assert len(followers) == 2
    # Two of three voters gone: the leader and the observer are two of four members, but only
    # one of three voters; nobody serves.
    for f in followers:
        os.kill(f.proc.pid, signal.SIGSTOP)
    try:
        wait_until(lambda: e.mode(observer) != "observer", timeout=10,
                   what="the observer to stop serving without a quorum of voters")
        wait_until(lambda: e.leader() is None, timeout=10, what="the leader to step down")
    finally:
        for f in followers:
            os.kill(f.proc.pid, signal.SIGCONT)
    e.await_serving(timeout=30)
    assert e.mode(observer) == "observer"

    # The case that tells the rules apart: one follower and the observer gone. Counted as a
    # voter the observer would make the quorum 3 of 4 and the two left could not commit; not
    # counted, they are 2 of 3 voters and writes go on.
    leader = e.leader()
    stopped = [e.followers()[0], observer]
    for m in stopped:
        os.kill(m.proc.pid, signal.SIGSTOP)
    try:
        c = KazooClient(hosts=leader.connect_string, timeout=4.0)
        c.start(timeout=20)
        c.create("/without-observer", b"")  # commits with two of the three voters
        c.stop()
        c.close()
    finally:
        for m in stopped:
            os.kill(m.proc.pid, signal.SIGCONT)


def test_observer_is_never_elected_and_catches_up_after_a_restart(with_observer):
    e = with_observer
    observer = e.members[OBSERVER]
    # The client talks to the voters only: the observer is killed under it below, and a
    # client connected to it would see that as a lost connection, not as the writes this
    # test makes while the observer is down.
    voters = ",".join(m.connect_string for m in e.members.values() if m is not observer)
    c = client(voters)
    c.create("/before", b"1")
    observer.stop(signal.SIGKILL)
    for i in range(20):
        c.create("/while-down-%02d" % i, b"x")
    old = e.leader()
    old.stop(signal.SIGKILL)
    # The remaining two voters elect one of themselves (the observer is down anyway, and never
    # campaigns when it is up).
    observer.start_process()
    new = e.await_serving(timeout=30)
    assert new is not old and new.member_id != OBSERVER
    wait_until(lambda: e.mode(observer) == "observer", timeout=30,
               what="the restarted observer to catch up")
    c.stop()
    c.close()
    on_observer = client(observer.connect_string)
    try:
        on_observer.sync("/")
        assert on_observer.exists("/before") is not None
        assert len([n for n in on_observer.get_children("/") if n.startswith("while-down")]) == 20
    finally:
        on_observer.stop()
        on_observer.close()
