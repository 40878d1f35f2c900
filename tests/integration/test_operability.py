"""Operability: the Prometheus endpoint and the admin API of real corral-server processes.

/metrics is validated by Prometheus' own `promtool check metrics` (Debian package `prometheus`),
its values are checked to move with load, and every ZooKeeper metric name the dashboards use is
checked to be there, standalone and in a 3-member ensemble (leader-only gauges on the leader).
The admin API's JSON is compared field by field with what Apache ZooKeeper 3.8 answers (started
here for the standalone commands; the ensemble-only fields were captured from a ZooKeeper 3.8
ensemble and are listed below). Authentication and the readiness answer are exercised too.
"""
import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from kazoo.client import KazooClient
from kazoo.security import make_digest_acl

from conftest import TARGET
import zkwire
from servers import (CorralServer, Ensemble, ZooKeeperServer, free_listen_port, metrics_config,
                     wait_until)

pytestmark = pytest.mark.skipif(TARGET == "zookeeper", reason="Corral's own endpoints")

# The ZooKeeper metric names ZK-COMPAT.md lists (the gauges of ZooKeeperServer, the summaries and
# counters of ServerMetrics.java), which every member exposes, and the process metrics.
EVERY_MEMBER = [
    "znode_count", "watch_count", "ephemerals_count", "approximate_data_size",
    "outstanding_requests", "num_alive_connections", "avg_latency", "min_latency", "max_latency",
    "packets_received", "packets_sent", "global_sessions", "uptime", "open_file_descriptor_count",
    "max_file_descriptor_count", "auth_failed_count",
    "readlatency", "updatelatency", "fsynctime", "snapshottime", "dbinittime", "election_time",
    "commit_count", "looking_count", "stale_sessions_expired", "connection_request_count",
    "process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
    "process_max_fds", "corral_requests_total",
]
ENSEMBLE_MEMBER = ["quorum_size"]
LEADER_ONLY = ["learners", "synced_followers", "synced_non_voting_followers", "synced_observers",
               "pending_syncs", "leader_uptime"]
# promtool's naming lints that ZooKeeper's own names break (counters without "_total", gauges
# ending in "_count"); kept for dashboard compatibility. Anything else it reports fails a test.
ZOOKEEPER_NAMING_LINTS = ('counter metrics should have "_total" suffix',
                          'non-histogram and non-summary metrics should not have "_count" suffix')


def http_get(url, headers=None, timeout=10):
    """(status, headers, body bytes), whatever the status."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def command(server_url, name, headers=None):
    status, _, body = http_get(server_url + "/" + name, headers)
    return status, json.loads(body)


def ready_status(server):
    """The HTTP status of the readiness command; None while the admin port does not answer
    (a member still starting)."""
    try:
        return http_get(server.admin_url + "/ready", timeout=2)[0]
    except OSError:
        return None


def scrape(url):
    status, headers, body = http_get(url)
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return body.decode()


def promtool_check(text):
    """promtool parses the exposition (exit 1 on a syntax error) and lints it (exit 3 with one
    line per problem). Only the naming lints of ZooKeeper's own names are accepted."""
    result = subprocess.run(["promtool", "check", "metrics"], input=text.encode(),
                            capture_output=True, timeout=60)
    problems = [l for l in result.stderr.decode().splitlines() if l.strip()]
    assert result.returncode in (0, 3), result.stderr.decode()
    for line in problems:
        assert line.endswith(ZOOKEEPER_NAMING_LINTS), line


def samples(text):
    """{sample name with labels: value} of an exposition."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def families(text):
    return set(re.findall(r"^# TYPE (\S+) ", text, re.M))


@pytest.fixture
def metered(tmp_path):
    s = CorralServer(str(tmp_path / "corral"), metrics_config())
    s.start()
    yield s
    s.stop()


def test_metrics_pass_promtool_and_move_with_load(metered):
    before_text = scrape(metered.metrics_url)
    promtool_check(before_text)
    assert set(EVERY_MEMBER) <= families(before_text), set(EVERY_MEMBER) - families(before_text)
    for name in LEADER_ONLY + ENSEMBLE_MEMBER:
        assert name not in families(before_text)  # standalone has no quorum
    before = samples(before_text)

    zk = KazooClient(hosts=metered.connect_string)
    zk.start()
    try:
        for i in range(20):
            zk.create("/load-%d" % i, b"x" * 100)
        for i in range(10):
            zk.get("/load-%d" % i)
        zk.create("/eph", b"", ephemeral=True)
        zk.exists("/load-0", watch=lambda event: None)
        after_text = scrape(metered.metrics_url)
        # The same figures under the same names in the admin monitor command (one source).
        status, monitor = command(metered.admin_url, "monitor")
    finally:
        zk.stop()
        zk.close()
    promtool_check(after_text)
    after = samples(after_text)
    assert after["znode_count"] == before["znode_count"] + 21
    assert after["ephemerals_count"] == 1
    assert after["watch_count"] == 1
    assert after["num_alive_connections"] == 1
    assert after["global_sessions"] == 1
    assert after["approximate_data_size"] >= before["approximate_data_size"] + 2000
    assert after['corral_requests_total{op="create"}'] == 21
    assert after['corral_requests_total{op="getData"}'] == 10
    assert after["updatelatency_count"] >= before["updatelatency_count"] + 21
    assert after["readlatency_count"] >= before["readlatency_count"] + 10
    assert after["fsynctime_count"] > before["fsynctime_count"]
    assert after["commit_count"] >= before["commit_count"] + 21
    assert after["packets_received"] > before["packets_received"]
    assert after["process_resident_memory_bytes"] > 0
    assert after["process_open_fds"] > 0
    assert status == 200
    assert monitor["znode_count"] == after["znode_count"]
    assert monitor["cnt_updatelatency"] >= 21


def test_metrics_endpoint_only_serves_metrics(metered):
    status, _, _ = http_get(metered.metrics_url.replace("/metrics", "/other"))
    assert status == 404


def test_no_metrics_endpoint_without_the_prometheus_provider(tmp_path):
    port = free_listen_port()
    s = CorralServer(str(tmp_path / "corral"), {"metricsProvider.httpPort": str(port)})
    s.start()
    try:
        with pytest.raises(OSError):
            http_get("http://127.0.0.1:%d/metrics" % port, timeout=2)
        assert command(s.admin_url, "ruok") == (200, {"command": "ruok", "error": None})
    finally:
        s.stop()


@pytest.fixture
def metered_ensemble(tmp_path):
    ensemble = Ensemble(str(tmp_path))
    for m in ensemble.members.values():
        m.config.update(metrics_config())
    ensemble.start()
    yield ensemble
    ensemble.stop()


def test_ensemble_metrics_with_leader_only_gauges(metered_ensemble):
    leader = metered_ensemble.leader()

    def leader_sees_followers():
        values = samples(scrape(leader.metrics_url))
        return values.get("synced_followers") == 2 and values.get("learners") == 2
    wait_until(leader_sees_followers, what="the leader to count two synced followers")

    zk = KazooClient(hosts=metered_ensemble.connect_string)
    zk.start()
    try:
        for i in range(5):
            zk.create("/e-%d" % i)
        zk.sync("/")
    finally:
        zk.stop()
        zk.close()
    for m in metered_ensemble.members.values():
        text = scrape(m.metrics_url)
        promtool_check(text)
        names = families(text)
        want = EVERY_MEMBER + ENSEMBLE_MEMBER + (LEADER_ONLY if m is leader else [])
        assert set(want) <= names, (m.member_id, set(want) - names)
        if m is not leader:
            assert not set(LEADER_ONLY) & names, m.member_id
        values = samples(text)
        assert values["quorum_size"] == 3
        assert values["election_time_count"] >= 1  # it took part in an election to serve
    leader_values = samples(scrape(leader.metrics_url))
    assert leader_values["proposal_count"] >= 5
    assert leader_values["pending_syncs"] == 0
    # Every member applied the five creates: the znode count agrees everywhere.
    counts = {samples(scrape(m.metrics_url))["znode_count"]
              for m in metered_ensemble.members.values()}
    assert len(counts) == 1
    # The election's outcome is logged with its zxid.
    assert re.search(r"election: won epoch \d+, leading at zxid 0x[0-9a-f]+", leader.read_log())


# --- The admin API against Apache ZooKeeper's field names ----------------------------------------

# Commands both answer in standalone mode, compared key by key (nested objects too).
SAME_FIELDS = ["configuration", "connection_stat_reset", "connections", "dirs", "dump",
               "is_read_only", "last_snapshot", "leader", "observer_connection_stat_reset",
               "observers", "ruok", "server_stats", "stat_reset", "stats", "voting_view",
               "watch_summary", "watches", "watches_by_path", "zabstate"]
# environment: ZooKeeper's minus the java.* and os.memory.* entries of its JVM.
ENVIRONMENT_FIELDS = ["zookeeper.version", "host.name", "os.name", "os.arch", "os.version",
                      "user.name", "user.home", "user.dir"]
# monitor: the keys of ZooKeeper's mntr that Corral has (ZooKeeper lists ~500, most of them
# about its Java request pipeline).
MONITOR_FIELDS = ["version", "server_state", "ephemerals_count", "num_alive_connections",
                  "avg_latency", "outstanding_requests", "znode_count", "global_sessions",
                  "packets_sent", "packets_received", "watch_count", "auth_failed_count",
                  "min_latency", "max_file_descriptor_count", "approximate_data_size",
                  "open_file_descriptor_count", "local_sessions", "uptime", "max_latency",
                  "looking_count", "commit_count", "proposal_count", "stale_sessions_expired",
                  "connection_request_count", "connection_rejected",
                  "avg_fsynctime", "min_fsynctime", "max_fsynctime", "cnt_fsynctime",
                  "sum_fsynctime", "avg_readlatency", "cnt_readlatency", "avg_updatelatency",
                  "cnt_updatelatency", "avg_election_time", "cnt_snapshottime",
                  "cnt_dbinittime"]


def field_paths(value, prefix=""):
    """Every key path of a JSON value: objects by key, lists by their first element, and the
    children of maps keyed by ids/paths (numbers or '/...') under '*'."""
    out = set()
    if isinstance(value, dict):
        for k, v in value.items():
            key = "*" if re.fullmatch(r"-?\d+|/.*", k) else k
            out.add(prefix + key)
            out |= field_paths(v, prefix + key + ".")
    elif isinstance(value, list) and value:
        out |= field_paths(value[0], prefix + "[].")
    return out


def load_like_a_client(connect_string):
    """One session with an ephemeral and a data watch, left open: connections, dump and the
    watch commands then have entries to show."""
    zk = KazooClient(hosts=connect_string)
    zk.start()
    zk.create("/admin-test", b"x")
    zk.create("/admin-eph", b"", ephemeral=True)
    zk.get("/admin-test", watch=lambda event: None)
    return zk


def test_admin_json_has_zookeepers_field_names(tmp_path):
    zk_server = ZooKeeperServer(str(tmp_path / "zookeeper"), {
        "admin.enableServer": "true", "admin.serverAddress": "127.0.0.1",
        "admin.serverPort": str(free_listen_port())})
    corral = CorralServer(str(tmp_path / "corral"))
    zk_server.start()
    corral.start()
    clients = []
    try:
        zk_url = "http://127.0.0.1:%s/commands" % zk_server.config["admin.serverPort"]
        for s in (zk_server, corral):
            clients.append(load_like_a_client(s.connect_string))
        for name in SAME_FIELDS:
            zk_status, zk_answer = command(zk_url, name)
            status, answer = command(corral.admin_url, name)
            assert status == zk_status == 200, name
            assert answer["command"] == zk_answer["command"] == name
            assert field_paths(answer) == field_paths(zk_answer), (
                name, field_paths(answer) ^ field_paths(zk_answer))
        _, environment = command(corral.admin_url, "environment")
        _, zk_environment = command(zk_url, "environment")
        assert set(ENVIRONMENT_FIELDS) <= set(zk_environment)
        assert set(ENVIRONMENT_FIELDS) <= set(environment)
        _, monitor = command(corral.admin_url, "mntr")
        _, zk_monitor = command(zk_url, "mntr")
        assert set(MONITOR_FIELDS) <= set(zk_monitor), set(MONITOR_FIELDS) - set(zk_monitor)
        assert set(MONITOR_FIELDS) <= set(monitor), set(MONITOR_FIELDS) - set(monitor)
        assert monitor["command"] == "monitor"
        # Aliases answer with the primary name; unknown commands as ZooKeeper answers them.
        assert command(corral.admin_url, "wchc")[1]["command"] == "watches"
        assert command(corral.admin_url, "nope") == command(zk_url, "nope")
        # The command list links every command, as ZooKeeper's does.
        status, headers, body = http_get(corral.admin_url)
        assert status == 200 and b'<a href="/commands/monitor">monitor</a>' in body
    finally:
        for c in clients:
            c.stop()
            c.close()
        corral.stop()
        zk_server.stop()


# Captured from an Apache ZooKeeper 3.8.0 ensemble of three (Debian's package): the fields of the
# ensemble-only answers.
ZK_ENSEMBLE_FIELDS = {
    "leader": {"command", "error", "is_leader", "leader_id", "leader_ip"},
    "voting_view": {"command", "error", "current_config", "current_config.*",
                    "current_config.*.server_addresses", "current_config.*.election_addresses",
                    "current_config.*.client_address", "current_config.*.learner_type"},
    "zabstate": {"command", "error", "myid", "is_leader", "quorum_address", "election_address",
                 "client_address", "voting", "last_zxid", "zab_epoch", "zab_counter",
                 "zabstate"} | {
        "%s.%s" % (a, k) for a in ("quorum_address", "election_address")
        for k in ("empty", "all_addresses", "all_reachable_addresses", "one",
                  "reachable_address", "wildcard_addresses", "all_ports", "all_host_strings",
                  "all_reachable_addresses_or_all", "reachable_or_one")},
}
ZK_LEADER_MONITOR = {"peer_state", "quorum_size", "learners", "synced_followers",
                     "synced_non_voting_followers", "synced_observers", "pending_syncs",
                     "leader_uptime"}


@pytest.fixture
def ensemble(tmp_path):
    e = Ensemble(str(tmp_path))
    e.start()
    yield e
    e.stop()


def test_admin_ensemble_answers_and_readiness(ensemble):
    leader = ensemble.leader()
    for m in ensemble.members.values():
        for name, fields in ZK_ENSEMBLE_FIELDS.items():
            status, answer = command(m.admin_url, name)
            assert status == 200
            assert field_paths(answer) == fields, (name, field_paths(answer) ^ fields)
        _, lead = command(m.admin_url, "leader")
        assert lead["is_leader"] == (m is leader)
        assert lead["leader_id"] == leader.member_id
        assert lead["leader_ip"] == "127.0.0.1"
        _, zab = command(m.admin_url, "zabstate")
        assert zab["zabstate"] == "broadcast" and zab["myid"] == m.member_id
        _, monitor = command(m.admin_url, "monitor")
        assert monitor["peer_state"] == ("leading - broadcast" if m is leader
                                         else "following - broadcast")
        if m is leader:
            assert ZK_LEADER_MONITOR <= set(monitor)
        status, ready = command(m.admin_url, "ready")
        assert status == 200 and ready["ready"] is True, ready
        # Never reconfigured: every member counts with, and applied, the static lines.
        assert ready["config_version"] == ready["committed_config_version"] == "0x0", ready

    # A member cut off from the others loses its quorum: not ready (503), and back to 200 once
    # it follows a leader again.
    lone = ensemble.followers()[0]
    others = [m for m in ensemble.members.values() if m is not lone]
    for m in others:
        m.stop()
    wait_until(lambda: ready_status(lone) == 503, timeout=30,
               what="the lone member to report not ready")
    status, ready = command(lone.admin_url, "ready")
    assert ready["ready"] is False and ready["error"]
    assert command(lone.admin_url, "stats")[1]["error"] == (
        "This ZooKeeper instance is not currently serving requests")
    assert command(lone.admin_url, "monitor")[1]["server_state"] == "looking"
    for m in others:
        m.start_process()
    wait_until(lambda: all(ready_status(m) == 200 for m in ensemble.members.values()),
               timeout=60, what="every member to be ready again")


# --- Authentication: ZooKeeper 3.9's rule for snapshot ------------------------------------------

SUPER_PASSWORD = "admin-secret"


def test_snapshot_needs_auth_with_all_permissions_on_root(tmp_path):
    from kazoo.security import make_digest_acl_credential
    super_digest = make_digest_acl_credential("super", SUPER_PASSWORD)
    s = CorralServer(str(tmp_path / "corral"),
                     {"DigestAuthenticationProvider.superDigest": super_digest})
    s.start()
    zk = KazooClient(hosts=s.connect_string)
    zk.start()
    try:
        zk.create("/before-snapshot", b"data")
        url = s.admin_url + "/snapshot"
        status, _, body = http_get(url)
        assert status == 401
        assert json.loads(body)["error"] == "Auth info is missing for the command"
        status, _, body = http_get(url, {"Authorization": "Basic YWxpY2U6cHc="})
        assert status == 401 and json.loads(body)["error"] == "Not authenticated"

        # The root's default ACL is world:anyone ALL: any digest identity passes, as in
        # ZooKeeper. Restrict it to alice: bob is refused (403), alice and super are not.
        zk.add_auth("digest", "super:" + SUPER_PASSWORD)
        zk.set_acls("/", [make_digest_acl("alice", "pw", all=True)])
        status, _, body = http_get(url, {"Authorization": "digest bob:pw"})
        assert status == 403 and json.loads(body)["error"] == "Not authorized"
        status, headers, body = http_get(url, {"Authorization": "digest alice:pw"})
        assert status == 200, body
        assert headers["Content-Type"] == "application/octet-stream"
        assert int(headers["snapshot_size"]) == len(body) > 0
        assert headers["last_zxid"].startswith("0x")
        status, headers, body = http_get(url + "?streaming=false",
                                         {"Authorization": "digest super:" + SUPER_PASSWORD})
        assert status == 200
        assert json.loads(body) == {"command": "snapshot", "error": None}
        _, last = command(s.admin_url, "last_snapshot")
        assert int(last["zxid"], 16) == int(headers["last_zxid"], 16)
        # Commands ZooKeeper leaves open stay open.
        assert command(s.admin_url, "stats")[0] == 200
    finally:
        zk.stop()
        zk.close()
        s.stop()


def test_a_member_serving_read_only_is_not_ready(tmp_path):
    e = Ensemble(str(tmp_path), extra_config={"readonlymode.enabled": "true"})
    e.start()
    try:
        lone = e.followers()[0]
        others = [m for m in e.members.values() if m is not lone]
        for m in others:
            m.stop()
        wait_until(lambda: command(lone.admin_url, "is_read_only")[1].get("read_only") is True,
                   timeout=30, what="the lone member to serve read-only")
        status, ready = command(lone.admin_url, "ready")
        assert status == 503 and ready["ready"] is False, ready
        assert ready["server_state"] == "read-only"
        # Read-only is a running server to ZooKeeper: its commands answer.
        status, stats = command(lone.admin_url, "stats")
        assert status == 200 and stats["error"] is None and stats["read_only"] is True
        for m in others:
            m.start_process()
        wait_until(lambda: ready_status(lone) == 200, timeout=60,
                   what="the member to be ready once it follows a leader again")
        assert command(lone.admin_url, "is_read_only")[1]["read_only"] is False
    finally:
        e.stop()


def test_watch_listings_of_many_paths_do_not_stall_the_core(tmp_path):
    """watches_by_path, watches and dump are built on the core thread, one JSON member per path
    or session. Building such an object must cost O(members): at O(members^2) (a duplicate-key
    search per member) 200,000 watched paths held the core thread, and with it every session of
    the member, for minutes."""
    s = CorralServer(str(tmp_path / "corral")).start()
    try:
        paths = ["/absent/%07d" % i for i in range(200000)]
        c = zkwire.connect(s.connect_string)
        # Exist watches on nodes that do not exist, 20,000 per setWatches2 (under jute.maxbuffer).
        for i in range(0, len(paths), 20000):
            r = c.call(zkwire.OP_SET_WATCHES2,
                       zkwire.set_watches2_request(0, exist=paths[i:i + 20000]), xid=-8)
            assert r.err == zkwire.OK
        start = time.monotonic()
        status, body = command(s.admin_url, "watches_by_path")
        elapsed = time.monotonic() - start
        assert status == 200
        assert len(body["path_to_session_ids"]) == len(paths)
        # Linear work takes well under a second here; the quadratic build took minutes.
        assert elapsed < 10, "watches_by_path took %.1f s" % elapsed
        # The core answers clients at once afterwards (the command did not leave work behind).
        assert c.call(zkwire.OP_EXISTS, zkwire.path_watch_request("/")).err == zkwire.OK
        c.close()
    finally:
        s.stop()
