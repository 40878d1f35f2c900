"""Reconfig (opcode 16) against a real ensemble with kazoo (WIP, issue 5): a member that was
never in the configuration is added by reconfig, catches up and serves; /zookeeper/config shows
the new configuration."""
import os

import pytest
from kazoo.client import KazooClient

import zkwire as z
from conftest import TARGET
from servers import CorralServer, Ensemble, free_listen_port, wait_until

pytestmark = pytest.mark.skipif(TARGET == "zookeeper", reason="starts a Corral ensemble")

SUPER_PASSWORD = "reconfig-test"


def super_client(hosts):
    c = KazooClient(hosts=hosts, timeout=4.0, auth_data=[("digest", "super:" + SUPER_PASSWORD)])
    c.start(timeout=20)
    return c


def test_a_new_member_is_added_by_reconfig_and_serves(tmp_path):
    extra = {"reconfigEnabled": "true",
             "DigestAuthenticationProvider.superDigest": z.digest_id("super", SUPER_PASSWORD)}
    e = Ensemble(str(tmp_path), size=3, extra_config=extra)
    new = None
    try:
        e.start()
        # Member 4 knows the ensemble and itself; the ensemble does not know it yet.
        quorum_port, election_port = free_listen_port(), free_listen_port()
        spec = "127.0.0.1:%d:%d" % (quorum_port, election_port)
        config = {k: v for k, v in e.members[1].config.items() if k.startswith("server.")}
        config.update(extra)
        config.update({"tickTime": str(e.tick_ms), "initLimit": "10", "syncLimit": "5",
                       "ensembleId": "test-ensemble", "server.4": spec})
        new = CorralServer(str(tmp_path / "member4"), config)
        new.port = free_listen_port()
        new.config["clientPort"] = str(new.port)
        with open(os.path.join(new.data_dir, "myid"), "w") as f:
            f.write("4\n")
        new.member_id = 4
        new.start_process()
        wait_until(new._ready, timeout=60, what="member 4 to answer ruok")

        c = super_client(e.connect_string)
        c.create("/before", b"x")
        data, stat = c.reconfig(joining="server.4=%s:participant;%d" % (spec, new.port),
                                leaving=None, new_members=None)
        assert b"server.4=" + spec.encode() in data
        assert b"version=" in data
        wait_until(lambda: e.mode(new) == "follower", timeout=30,
                   what="the added member to follow the leader")
        on_new = KazooClient(hosts=new.connect_string, timeout=4.0)
        on_new.start(timeout=20)
        on_new.sync("/")
        assert on_new.get("/before")[0] == b"x"
        on_new.create("/via-new", b"y")
        c.sync("/via-new")
        assert c.get("/via-new")[0] == b"y"
        config_everywhere = set()
        for m in list(e.members.values()) + [new]:
            k = KazooClient(hosts=m.connect_string, timeout=4.0)
            k.start(timeout=20)
            k.sync("/zookeeper/config")
            config_everywhere.add(k.get("/zookeeper/config")[0])
            k.stop()
            k.close()
        assert config_everywhere == {data}
        on_new.stop()
        on_new.close()
        c.stop()
        c.close()
    finally:
        if new is not None and new.proc is not None:
            new.stop()
        e.stop()


def test_removing_the_leader_hands_over_and_the_removed_member_stops_serving(tmp_path):
    extra = {"reconfigEnabled": "true",
             "DigestAuthenticationProvider.superDigest": z.digest_id("super", SUPER_PASSWORD)}
    e = Ensemble(str(tmp_path), size=3, extra_config=extra)
    try:
        e.start()
        old = e.leader()
        others = [m for m in e.members.values() if m is not old]
        c = super_client(",".join(m.connect_string for m in others))
        c.create("/before", b"x")
        data, _ = c.reconfig(joining=None, leaving=str(old.member_id), new_members=None)
        assert ("server.%d=" % old.member_id).encode() not in data
        wait_until(lambda: any(e.mode(m) == "leader" for m in others), timeout=10,
                   what="a remaining voter to lead")
        wait_until(lambda: e.mode(old) not in ("leader", "follower"), timeout=10,
                   what="the removed leader to stop serving")
        assert "removed from the ensemble" in old.read_log()
        c.create("/after", b"y")  # two voters of two commit it
        for m in others:
            k = KazooClient(hosts=m.connect_string, timeout=4.0)
            k.start(timeout=20)
            k.sync("/after")
            assert k.exists("/after") is not None
            assert k.get("/zookeeper/config")[0] == data
            k.stop()
            k.close()
        c.stop()
        c.close()
    finally:
        e.stop()
