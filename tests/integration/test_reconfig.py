"""Reconfig (opcode 16) against real ensembles: a member never configured before is added and
serves; removing the leader hands over; the ensemble grows 3 → 5 → 3 and has a member replaced
while kazoo and the C client write without pause, and no acknowledged write is lost, no client
sees more than a retriable disconnect, and every member agrees on /zookeeper/config, on `conf`
and in its dynamicConfigFile (docs/membership.md)."""
import json
import os
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import ConnectionLoss, NewConfigNoQuorumError, ReconfigInProcessError

import zkwire as z
from conftest import TARGET
from servers import BUILD_DIR, ZKCLI, Ensemble, four_letter, wait_until
from writers import (CWriter, KazooWriter, RETRIABLE_C_ERRORS, RETRIABLE_KAZOO_ERRORS,
                     kazoo_client)

pytestmark = pytest.mark.skipif(TARGET == "zookeeper", reason="starts a Corral ensemble")

SUPER_PASSWORD = "reconfig-test"
EXTRA = {"reconfigEnabled": "true",
         "DigestAuthenticationProvider.superDigest": z.digest_id("super", SUPER_PASSWORD)}


def super_client(hosts):
    return kazoo_client(hosts, auth_data=[("digest", "super:" + SUPER_PASSWORD)])


def read_config(member):
    k = KazooClient(hosts=member.connect_string, timeout=4.0)
    k.start(timeout=20)
    try:
        k.sync("/zookeeper/config")
        return k.get("/zookeeper/config")[0]
    finally:
        k.stop()
        k.close()


def conf_membership(member):
    """The "membership:" section of `conf`: the configuration the member counts with."""
    text = four_letter(member.port, "conf")
    return text.split("membership: \n", 1)[1] if "membership: \n" in text else None


def server_lines(config_text):
    return sorted(l for l in config_text.splitlines() if l.startswith("server."))


def reconfigure(c, joining=None, leaving=None, timeout=60):
    """One membership change, retried through what a careful client retries (a change still in
    progress, a new member still catching up, a dropped connection) until /zookeeper/config
    shows it; returns that config."""
    def done(data):
        text = data.decode()
        if joining is not None and joining.split(";")[0] not in text:
            return False
        return leaving is None or ("server.%s=" % leaving) not in text

    deadline = time.monotonic() + timeout
    while True:
        try:
            c.sync("/zookeeper/config")
            data = c.get("/zookeeper/config")[0]
            if done(data):
                return data
            return c.reconfig(joining=joining, leaving=leaving, new_members=None)[0]
        except (NewConfigNoQuorumError, ReconfigInProcessError, ConnectionLoss):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def voting_view_ids(member):
    """The member ids the admin API's voting_view lists, with their roles."""
    with urllib.request.urlopen(member.admin_url + "/voting_view", timeout=5) as r:
        view = json.load(r)["current_config"]
    return {int(k): v["learner_type"] for k, v in view.items()}


def config_ids(config):
    out = {}
    for line in config.decode().splitlines():
        if line.startswith("server."):
            key, spec = line.split("=", 1)
            role = "observer" if ":observer" in spec.split(";")[0] else "participant"
            out[int(key[len("server."):])] = role
    return out


def await_agreement(e, members, config, timeout=30):
    """Every member serves (one leader, the others following or observing), shows `config` at
    /zookeeper/config and counts with it (`conf`, and the admin API's voting_view)."""
    def agreed():
        modes = [e.mode(m) for m in members]
        if modes.count("leader") != 1 or (modes.count("follower") + modes.count("observer") + 1
                                          != len(members)):
            return False
        return all(conf_membership(m) == config.decode() for m in members)
    wait_until(agreed, timeout=timeout, what="every member to serve the new configuration")
    version = [l for l in config.decode().splitlines() if l.startswith("version=")][0]
    version = "0x%x" % int(version[len("version="):], 16)
    for m in members:
        assert read_config(m) == config
        assert voting_view_ids(m) == config_ids(config)
        # The admin API's two versions, which the operator compares: counted and applied.
        with urllib.request.urlopen(m.admin_url + "/ready", timeout=5) as r:
            ready = json.load(r)
        assert ready["config_version"] == ready["committed_config_version"] == version, ready


def test_a_new_member_is_added_by_reconfig_and_serves(tmp_path):
    e = Ensemble(str(tmp_path), size=3, extra_config=EXTRA)
    try:
        e.start()
        new = e.spare(4)
        c = super_client(e.connect_string)
        c.create("/before", b"x")
        data, stat = c.reconfig(joining=new.server_line, leaving=None, new_members=None)
        assert new.server_line.encode() in data
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
        await_agreement(e, list(e.members.values()) + [new], data)
        on_new.stop()
        on_new.close()
        c.stop()
        c.close()
    finally:
        e.stop()


def test_removing_the_leader_hands_over_and_the_removed_member_stops_serving(tmp_path):
    e = Ensemble(str(tmp_path), size=3, extra_config=EXTRA)
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
        # srvr says why the member serves no one, after ZooKeeper's sentence that tools match.
        srvr = four_letter(old.port, "srvr")
        assert srvr.startswith("This ZooKeeper instance is not currently serving requests\n")
        version = [l for l in data.decode().splitlines() if l.startswith("version=")][0]
        assert ("removed from the ensemble by the configuration of version %s\n"
                % version[len("version="):]) in srvr
        c.create("/after", b"y")  # two voters of two commit it
        await_agreement(e, others, data)
        for m in others:
            k = KazooClient(hosts=m.connect_string, timeout=4.0)
            k.start(timeout=20)
            k.sync("/after")
            assert k.exists("/after") is not None
            k.stop()
            k.close()
        c.stop()
        c.close()
    finally:
        e.stop()


def test_grow_to_five_shrink_to_three_and_replace_the_leader_under_load(tmp_path):
    e = Ensemble(str(tmp_path), size=3, extra_config=EXTRA, dynamic_config=True)
    c_writer = None
    try:
        e.start()
        admin = super_client(e.connect_string)
        admin.ensure_path("/load-kazoo")
        kazoo_writer = KazooWriter(kazoo_client(e.connect_string), "/load-kazoo")
        c_writer = CWriter(e.connect_string, "/load-c", str(tmp_path))
        assert c_writer.available(), "the C client driver is not built (libzookeeper-mt-dev)"
        current = dict(e.members)
        timings = []

        def step(name, joining=None, leaving=None):
            before = (len(kazoo_writer.acked), len(c_writer.acked))
            started = time.monotonic()
            config = reconfigure(admin, joining=joining, leaving=leaving)
            await_agreement(e, list(current.values()), config)
            timings.append("%s %.2fs" % (name, time.monotonic() - started))
            # Both clients carry on with the new configuration.
            wait_until(lambda: len(kazoo_writer.acked) >= before[0] + 20
                       and len(c_writer.acked) >= before[1] + 20, timeout=30,
                       what="both writers to go on after '%s'" % name)
            return config

        with kazoo_writer:
            c_writer.start()
            wait_until(lambda: len(kazoo_writer.acked) >= 50 and len(c_writer.acked) >= 50,
                       timeout=30, what="load from both clients")
            for member_id in (4, 5):
                spare = e.spare(member_id)
                current[member_id] = spare
                step("add %d" % member_id, joining=spare.server_line)
            assert sum(1 for l in server_lines(read_config(current[1]).decode())) == 5
            for member_id in (5, 4):
                removed = current.pop(member_id)
                step("remove %d" % member_id, leaving=str(member_id))
                wait_until(lambda: e.mode(removed) is None, timeout=10,
                           what="removed member %d to stop serving" % member_id)
                removed.stop()
            # Replace the leader by a new member: add first, so the ensemble never has fewer
            # than three voters, then remove the old one (its leadership is handed over).
            spare = e.spare(6)
            current[6] = spare
            step("add 6", joining=spare.server_line)
            leader = e.leader()
            current.pop(leader.member_id)
            config = step("remove leader %d" % leader.member_id, leaving=str(leader.member_id))
            leader.stop()
            assert c_writer.stop() == 0, c_writer.other_lines[-5:]
        errors_kazoo, errors_c = dict(kazoo_writer.errors), dict(c_writer.errors)
        assert set(errors_kazoo) <= RETRIABLE_KAZOO_ERRORS, errors_kazoo
        assert set(errors_c) <= RETRIABLE_C_ERRORS, errors_c
        acked = kazoo_writer.acked + c_writer.acked
        for m in current.values():
            k = kazoo_client(m.connect_string)
            k.sync("/")
            missing = [p for p in acked if k.exists(p) is None]
            assert not missing, "member %d lost %d acknowledged writes, e.g. %s" % (
                m.member_id, len(missing), missing[:3])
            k.stop()
            k.close()
            # The dynamicConfigFile holds the committed configuration's server lines.
            with open(m.dynamic_config_path) as f:
                assert server_lines(f.read()) == server_lines(config.decode())
        # A member restarted from its files counts with the same configuration.
        follower = next(m for m in current.values() if e.mode(m) == "follower")
        follower.stop()
        follower.start()
        await_agreement(e, list(current.values()), config)
        admin.stop()
        admin.close()
        print("reconfig steps under load: %s; %d + %d writes acknowledged; errors: kazoo %s, "
              "C %s" % (", ".join(timings), len(kazoo_writer.acked), len(c_writer.acked),
                        errors_kazoo, errors_c))
    finally:
        if c_writer is not None:
            c_writer.kill()
        e.stop()


def zkcli(member, commands, status=0):
    """Feeds commands to one zkCli.sh session (Debian's ZooKeeper 3.8); returns its output.
    `status`: zkCli's exit status (1 when its last command failed)."""
    p = subprocess.run([ZKCLI, "-server", member.connect_string], input=commands + "quit\n",
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    assert p.returncode == status, p.stdout[-2000:]
    return p.stdout


def corralctl(member, *args):
    p = subprocess.run([os.path.join(BUILD_DIR, "bin", "corralctl"), "-server",
                        member.connect_string, "--auth", "digest:super:" + SUPER_PASSWORD]
                       + list(args), capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def test_roles_change_through_zkcli_and_corralctl(tmp_path):
    """An observer joins with zkCli.sh's reconfig -add, becomes a voter with corralctl's, and a
    follower becomes an observer with zkCli.sh's bulk reconfig -members; each step shows in the
    members' modes and configs. Without super auth the same request is refused."""
    e = Ensemble(str(tmp_path), size=3, extra_config=EXTRA)
    try:
        e.start()
        members = dict(e.members)
        spare = e.spare(4, observer=True)
        members[4] = spare
        out = zkcli(e.members[1], "addauth digest super:%s\nreconfig -add %s\n"
                    % (SUPER_PASSWORD, spare.server_line))
        assert spare.server_line in out, out[-2000:]
        config = read_config(e.members[1])
        assert spare.server_line.encode() in config
        await_agreement(e, list(members.values()), config)
        assert e.mode(spare) == "observer"

        as_voter = spare.server_line.replace(":observer;", ":participant;")
        code, out, err = corralctl(e.members[2], "reconfig", "-add", as_voter)
        assert code == 0, err
        assert as_voter in out
        config = read_config(e.members[2])
        await_agreement(e, list(members.values()), config)
        assert e.mode(spare) == "follower"
        # corralctl's optimistic check: an old version is refused by name, nothing changes.
        code, out, err = corralctl(e.members[2], "reconfig", "-v", "1", "-remove", "3")
        assert code == 1 and "BadVersion" in err, (code, out, err)
        assert read_config(e.members[2]) == config

        # Bulk: the same members with one follower an observer (one voter fewer). A follower,
        # so that leadership stays put: a leader change closes the connections of every member
        # while they sync, and zkCli.sh does not retry.
        leader = e.leader()
        demoted = next(m for m in e.members.values() if m is not leader)
        lines = [l for l in config.decode().splitlines() if l.startswith("server.")]
        def as_observer(line):
            spec, _, client = line.partition(";")
            return spec.replace(":participant", ":observer") + (";" + client if client else "")
        prefix = "server.%d=" % demoted.member_id
        bulk = ",".join(as_observer(l) if l.startswith(prefix) else l for l in lines)
        out = zkcli(leader, "addauth digest super:%s\nreconfig -members %s\n"
                    % (SUPER_PASSWORD, bulk))
        config = read_config(leader)
        assert b":observer" in [l for l in config.splitlines()
                                if l.startswith(prefix.encode())][0]
        await_agreement(e, list(members.values()), config)
        assert e.mode(demoted) == "observer"
        k = kazoo_client(demoted.connect_string)
        k.create("/through-observer", b"x")  # forwarded, committed by the three voters
        k.stop()
        k.close()

        # Without super auth (and without ADMIN on /zookeeper/config) reconfig is refused.
        out = zkcli(leader, "reconfig -remove 4\n", status=1)
        assert "Insufficient permission" in out, out[-2000:]
        assert read_config(leader) == config
    finally:
        e.stop()


def admin_ready(member):
    """/commands/ready: (HTTP status, answer); 503 answers carry JSON too."""
    try:
        with urllib.request.urlopen(member.admin_url + "/ready", timeout=5) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_a_voter_joins_as_an_observer_then_is_promoted_as_the_operator_does(tmp_path):
    """The server side of the operator's scale-up (docs/kubernetes.md): a member started with
    the live configuration and itself as an observer answers the admin API but serves nobody;
    added as an observer it catches up and is ready; promoted by a role change it follows. What
    the operator reads at each step (ready, server_state, the two configuration versions) is
    checked as it reads it."""
    e = Ensemble(str(tmp_path), size=3, extra_config=EXTRA)
    try:
        e.start()
        c = super_client(e.connect_string)
        c.create("/before", b"x")
        new = e.spare(4, observer=True)
        status, ready = admin_ready(new)
        assert status == 503 and ready["ready"] is False, ready
        assert ready["config_version"] == ready["committed_config_version"] == "0x0", ready

        def versions_agree_on(member, version):
            _, r = admin_ready(member)
            return r["config_version"] == r["committed_config_version"] == version

        data = reconfigure(c, joining=new.server_line)
        version = "0x%x" % int(data.decode().rsplit("version=", 1)[1], 16)
        wait_until(lambda: admin_ready(new)[0] == 200, timeout=30,
                   what="the new observer to be ready")
        assert admin_ready(new)[1]["server_state"] == "observer"
        wait_until(lambda: versions_agree_on(e.leader(), version), timeout=10,
                   what="the leader to commit the observer's addition")

        as_voter = new.server_line.replace(":observer;", ":participant;")
        data = reconfigure(c, joining=as_voter)
        version = "0x%x" % int(data.decode().rsplit("version=", 1)[1], 16)
        wait_until(lambda: admin_ready(new)[1].get("server_state") == "follower"
                   and versions_agree_on(new, version), timeout=30,
                   what="the promoted member to follow on the new configuration")
        assert voting_view_ids(e.leader())[4] == "participant"
        on_new = KazooClient(hosts=new.connect_string, timeout=4.0)
        on_new.start(timeout=20)
        on_new.sync("/")
        assert on_new.get("/before")[0] == b"x"
        on_new.stop()
        on_new.close()
        c.stop()
        c.close()
    finally:
        e.stop()
