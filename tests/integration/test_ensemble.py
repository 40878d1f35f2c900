"""A 3-member Corral ensemble on loopback, driven by kazoo (a real ZooKeeper client): writes
through any member commit on all, a follower forwards writes and serves reads, sync catches a
follower up, sessions and ephemerals are global, and the ensemble survives kill -9 of its leader
(a new leader serves within two election timeouts, no acknowledged write is lost, the clients
carry on after a retriable disconnect), SIGSTOP of a member, and restarts.
"""
import os
import signal
import time

import pytest

import zkwire as z
from conftest import TARGET
from servers import Ensemble, wait_until
from writers import KazooWriter as Writer, kazoo_client as client

pytestmark = pytest.mark.skipif(TARGET == "zookeeper", reason="starts a Corral ensemble")


@pytest.fixture
def ensemble(tmp_path):
    e = Ensemble(str(tmp_path), size=3)
    try:
        yield e.start()
    finally:
        e.stop()


def move_session(member, session, last_zxid_seen):
    """Reconnects a wire-level session to `member`, as a client does after a disconnect: with
    its id, password and the last zxid it saw. The member refuses (closes) until it has applied
    that zxid, so the client never sees the past; the caller gets the new connection."""
    def attempt():
        try:
            return z.connect("127.0.0.1", member.port, timeout_ms=10000,
                             session_id=session.session_id, passwd=session.passwd,
                             last_zxid_seen=last_zxid_seen)
        except (z.ConnectionClosed, OSError):
            return None
    return wait_until(attempt, timeout=30, what="member %d to take the session" % member.member_id)


def test_one_leader_two_followers(ensemble):
    modes = sorted(ensemble.mode(m) for m in ensemble.members.values())
    assert modes == ["follower", "follower", "leader"]


def test_write_on_follower_is_read_everywhere(ensemble):
    follower = ensemble.followers()[0]
    c = client(follower.connect_string)
    try:
        c.create("/via-follower", b"hello")
        for m in ensemble.members.values():
            r = client(m.connect_string)
            try:
                r.sync("/via-follower")
                assert r.get("/via-follower")[0] == b"hello", "member %d" % m.member_id
            finally:
                r.stop()
    finally:
        c.stop()


def test_sequential_numbers_are_global(ensemble):
    clients = [client(m.connect_string) for m in ensemble.members.values()]
    try:
        clients[0].create("/seq")
        names = []
        for i in range(30):
            names.append(clients[i % 3].create("/seq/n-", sequence=True))
        assert len(set(names)) == 30
        clients[1].sync("/seq")
        assert sorted(clients[1].get_children("/seq")) == sorted(n.split("/")[-1] for n in names)
    finally:
        for c in clients:
            c.stop()


def test_session_moves_between_members_with_its_ephemeral(ensemble):
    members = list(ensemble.members.values())
    a, b = members[0], members[1]
    first = z.connect("127.0.0.1", a.port, timeout_ms=10000)
    reply = first.call(z.OP_CREATE, z.create_request("/eph", b"x", flags=z.EPHEMERAL))
    assert reply.err == z.OK
    session = first.session
    # The client moves to b with its session id, password and the last zxid it saw (what a
    # client does after a disconnect). b refuses it until b has applied that zxid, so the
    # client never sees the past; then b takes the session over.
    first.close()
    second = move_session(b, session, reply.zxid)
    try:
        assert second.session.session_id == session.session_id
        assert second.session.timeout_ms > 0, "the session was refused on another member"
        assert second.request(z.OP_EXISTS, z.path_watch_request("/eph")) is not None
        # Closing the session removes the ephemeral on every member.
        second.request(z.OP_CLOSE_SESSION)
    finally:
        second.close()
    for m in members:
        r = client(m.connect_string)
        try:
            r.sync("/")
            assert r.exists("/eph") is None, "member %d" % m.member_id
        finally:
            r.stop()


def test_expired_session_ephemeral_vanishes_everywhere(ensemble):
    follower = ensemble.followers()[0]
    # The minimum session timeout (2 tickTimes); the connection then goes silent: only the
    # leader can expire the session, from the follower's reports that it stopped hearing it.
    conn = z.connect("127.0.0.1", follower.port, timeout_ms=400)
    conn.create("/expiring", b"", flags=z.EPHEMERAL)
    conn.close()
    for m in ensemble.members.values():
        r = client(m.connect_string)
        try:
            wait_until(lambda: (r.sync("/"), r.exists("/expiring"))[1] is None, timeout=20,
                       what="the ephemeral to vanish on member %d" % m.member_id)
        finally:
            r.stop()


def test_active_session_on_a_follower_is_not_expired(ensemble):
    # Only the leader expires sessions; it hears of a follower's clients only through the
    # follower's reports. A session on a follower with the shortest timeout (2 tickTimes) that
    # keeps pinging must outlive many timeouts.
    follower = ensemble.followers()[0]
    conn = z.connect("127.0.0.1", follower.port, timeout_ms=400)
    try:
        assert conn.session.timeout_ms == 2 * ensemble.tick_ms
        conn.create("/alive", b"", flags=z.EPHEMERAL)
        deadline = time.monotonic() + 10 * conn.session.timeout_ms / 1000
        while time.monotonic() < deadline:  # the property is about time passing: it must hold
            assert conn.ping().err == z.OK
            time.sleep(conn.session.timeout_ms / 1000 / 4)  # a client pings every timeout/3
        assert conn.request(z.OP_EXISTS, z.path_watch_request("/alive")) is not None
    finally:
        conn.close()


def check_all_present(ensemble, paths):
    for m in ensemble.members.values():
        if not m.alive():
            continue
        r = client(m.connect_string)
        try:
            r.sync("/")
            missing = [p for p in paths if r.exists(p) is None]
            assert not missing, "member %d lost %d acknowledged writes, e.g. %s" % (
                m.member_id, len(missing), missing[:3])
        finally:
            r.stop()


def test_leader_kill9_failover_loses_nothing(ensemble):
    c = client(ensemble.connect_string)
    c.ensure_path("/load")
    leader = ensemble.leader()
    with Writer(c, "/load") as w:
        wait_until(lambda: len(w.acked) >= 200, timeout=30, what="200 acknowledged writes")
        killed_at = time.monotonic()
        leader.stop(signal.SIGKILL)
        new_leader = ensemble.await_serving(timeout=30, count=2)
        elected_s = time.monotonic() - killed_at
        before = len(w.acked)
        wait_until(lambda: len(w.acked) >= before + 200, timeout=30,
                   what="writes to go on after the failover")
    assert new_leader is not None and new_leader is not leader
    # Two election timeouts (each at most 2 tickTimes), plus a second for polling three members
    # and a loaded machine.
    assert elected_s < 4 * ensemble.tick_ms / 1000 + 1.0, "new leader after %.2fs" % elected_s
    check_all_present(ensemble, w.acked)
    # The old leader comes back as a follower and catches up.
    leader.start()
    ensemble.await_serving(timeout=30)
    check_all_present(ensemble, w.acked)
    c.stop()
    print("election after leader kill: %.3f s; %d writes acknowledged, %d unknown" % (
        elected_s, len(w.acked), w.unknown))


def test_sigstop_follower_ensemble_goes_on(ensemble):
    c = client(ensemble.leader().connect_string)
    c.ensure_path("/stop")
    victim = ensemble.followers()[0]
    os.kill(victim.proc.pid, signal.SIGSTOP)
    try:
        with Writer(c, "/stop") as w:
            wait_until(lambda: len(w.acked) >= 100, timeout=30, what="writes with a member stopped")
    finally:
        os.kill(victim.proc.pid, signal.SIGCONT)
    ensemble.await_serving(timeout=30)
    check_all_present(ensemble, w.acked)
    c.stop()


def test_minority_stops_serving_and_rejoins(ensemble):
    # Stop both followers: the leader loses its majority and must stop serving writes.
    leader = ensemble.leader()
    followers = ensemble.followers()
    c = client(leader.connect_string)
    c.create("/before", b"1")
    c.stop()
    for f in followers:
        os.kill(f.proc.pid, signal.SIGSTOP)
    try:
        wait_until(lambda: ensemble.mode(leader) != "leader", timeout=10,
                   what="the cut-off leader to step down")
    finally:
        for f in followers:
            os.kill(f.proc.pid, signal.SIGCONT)
    ensemble.await_serving(timeout=30)
    check_all_present(ensemble, ["/before"])


def test_full_restart_keeps_every_write(ensemble):
    c = client(ensemble.connect_string)
    c.ensure_path("/r")
    for i in range(100):
        c.create("/r/n%03d" % i, b"x" * 100)
    c.stop()
    for m in ensemble.members.values():
        m.stop(signal.SIGKILL)
    for m in ensemble.members.values():
        m.start_process()
    for m in ensemble.members.values():
        wait_until(m._ready, timeout=60, what="member %d to answer ruok" % m.member_id)
    ensemble.await_serving(timeout=30)
    check_all_present(ensemble, ["/r/n%03d" % i for i in range(100)])


def test_follower_further_behind_than_the_cache_catches_up_by_snapshot(tmp_path):
    # The leader keeps only 10 applied entries (commitLogBytes 0: nothing more for a follower
    # that is away), so a follower that missed 150 writes gets the leader's state as a snapshot.
    e = Ensemble(str(tmp_path), size=3,
                 extra_config={"commitLogCount": "10", "commitLogBytes": "0"})
    try:
        e.start()
        away = e.followers()[0]
        away.stop()
        c = client(",".join(m.connect_string for m in e.members.values() if m is not away))
        c.ensure_path("/s")
        for i in range(150):
            c.create("/s/n%03d" % i, b"x" * 100)
        c.stop()
        away.start_process()
        wait_until(lambda: "synced from the leader's snapshot" in away.read_log(), timeout=60,
                   what="member %d to install the leader's snapshot" % away.member_id)
        e.await_serving(timeout=30)
        assert "sending a snapshot" in e.leader().read_log()
        check_all_present(e, ["/s/n%03d" % i for i in range(150)])
        # After a kill -9 of that member it serves them again.
        away.stop(signal.SIGKILL)
        away.start_process()
        e.await_serving(timeout=30)
        check_all_present(e, ["/s/n%03d" % i for i in range(150)])
    finally:
        e.stop()


@pytest.fixture
def proxied_ensemble(tmp_path):
    e = Ensemble(str(tmp_path), size=3, proxied=True)
    try:
        yield e.start()
    finally:
        e.stop()


def test_partitioned_leader_steps_down_majority_goes_on_and_heals(proxied_ensemble):
    e = proxied_ensemble
    old = e.leader()
    others = [m for m in e.members.values() if m is not old]
    c = client(e.connect_string)
    c.create("/p", b"before")
    c.stop()

    e.partition([old.member_id], [m.member_id for m in others])
    # The minority side stops serving within two election timeouts (check quorum)...
    wait_until(lambda: e.mode(old) != "leader", timeout=10, what="the cut-off leader to step down")
    # ...and refuses sessions: the ConnectRequest is answered by closing the connection.
    with pytest.raises((z.ConnectionClosed, OSError)):
        z.connect("127.0.0.1", old.port, timeout=5.0).close()
    # The majority elects a leader among themselves and takes writes.
    wait_until(lambda: any(e.mode(m) == "leader" for m in others), timeout=10,
               what="the majority to elect a leader")
    majority = client(",".join(m.connect_string for m in others))
    for i in range(50):
        majority.create("/p/majority-%02d" % i, b"x")
    majority.stop()

    e.heal()
    e.await_serving(timeout=30)
    # The healed member converges on the majority's history.
    r = client(old.connect_string)
    try:
        r.sync("/p")
        children = sorted(r.get_children("/p"))
        assert children == ["majority-%02d" % i for i in range(50)]
        assert r.get("/p")[0] == b"before"
    finally:
        r.stop()


def test_asymmetric_partition_keeps_a_leader(proxied_ensemble):
    # A follower that can send but not receive (one-way cut from the leader) must not depose
    # the leader with ever higher epochs (pre-vote and leader stickiness).
    e = proxied_ensemble
    leader = e.leader()
    follower = e.followers()[0]
    epoch_before = int(four_letter_zxid(leader), 16) >> 32
    e.partition([leader.member_id], [follower.member_id], both_ways=False)
    c = client(leader.connect_string)
    for i in range(50):
        c.create("/asym-%02d" % i)
    c.stop()
    assert e.mode(leader) == "leader"
    e.heal()
    e.await_serving(timeout=30)
    check_all_present(e, ["/asym-%02d" % i for i in range(50)])
    assert e.leader() is leader
    assert int(four_letter_zxid(leader), 16) >> 32 == epoch_before


def four_letter_zxid(member):
    from servers import four_letter
    for line in four_letter(member.port, "srvr").splitlines():
        if line.startswith("Zxid: "):
            return line[len("Zxid: "):]
    raise AssertionError("no Zxid line in srvr")


def test_c_client_writes_through_a_leader_kill(ensemble):
    import subprocess
    import servers
    driver = os.path.join(servers.BUILD_DIR, "bin", "corral-c-client-driver")
    if not os.path.exists(driver):
        pytest.skip("the C client driver is not built (libzookeeper-mt-dev missing)")
    env = dict(os.environ, CORRAL_WRITER_SECONDS="4")
    proc = subprocess.Popen([driver, ensemble.connect_string, "writer", "/cwriter"],
                            stdout=subprocess.PIPE, text=True, env=env)
    lines = []
    first = proc.stdout.readline()  # the first acknowledged write: load is flowing
    lines.append(first)
    old = ensemble.leader()
    old.stop(signal.SIGKILL)
    out, _ = proc.communicate(timeout=60)
    lines.extend(out.splitlines())
    assert proc.returncode == 0, "driver failed: %s" % lines[-5:]
    acked = [l.split()[1] for l in lines if l.startswith("acked ")]
    assert len(acked) > 50, "too few writes acknowledged: %d" % len(acked)
    ensemble.await_serving(timeout=30, count=2)
    check_all_present(ensemble, acked)


def test_watch_survives_moving_to_another_member(ensemble):
    # A client whose member dies reconnects elsewhere with its session and re-registers its
    # watches with setWatches (as the Java and C clients do; kazoo drops one-shot watches on
    # disconnect instead). A change made after the move fires the watch on the new member.
    follower = ensemble.followers()[0]
    other = [m for m in ensemble.members.values() if m is not follower][0]
    writer = client(ensemble.leader().connect_string)
    writer.create("/watched", b"v1")
    first = z.connect("127.0.0.1", follower.port, timeout_ms=10000)
    first.call(z.OP_SYNC, z.path_request("/watched"))
    reply = first.call(z.OP_GET_DATA, z.path_watch_request("/watched", watch=True))
    assert reply.err == z.OK
    session = first.session
    follower.stop(signal.SIGKILL)
    first.close()
    second = move_session(other, session, reply.zxid)
    try:
        assert second.session.session_id == session.session_id
        rewatch = second.call(z.OP_SET_WATCHES, z.set_watches_request(reply.zxid,
                              data=["/watched"]), xid=z.XID_SET_WATCHES)
        assert rewatch.err == z.OK
        assert second.take_events() == [], "nothing changed since relativeZxid: no event yet"
        writer.set("/watched", b"v2")

        def changed():
            second.call(z.OP_EXISTS, z.path_watch_request("/watched"))  # reads what came
            return [e for e in second.take_events() if e.path == "/watched"]
        events = wait_until(changed, timeout=20, what="the moved watch to fire")
        assert events[0].type == z.EVENT_NODE_DATA_CHANGED
    finally:
        second.close()
        writer.stop()
