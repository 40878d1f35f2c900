"""The server as seen by Apache ZooKeeper's C client (libzookeeper_mt 3.8).

tests/integration/c_client/driver.c is built as build/bin/corral-c-client-driver (target
corral-c-client-driver). For each scenario it prints one line per step; the expected lines
below are exactly what Apache ZooKeeper answers.
"""
import base64
import hashlib
import os
import subprocess

import pytest

import servers
from conftest import make_server

DRIVER = os.path.join(servers.BUILD_DIR, "bin", "corral-c-client-driver")


def digest(user, password):
    h = hashlib.sha1(("%s:%s" % (user, password)).encode()).digest()
    return "%s:%s" % (user, base64.b64encode(h).decode())


@pytest.fixture(scope="module")
def zk_server(tmp_path_factory):
    s = make_server(tmp_path_factory.mktemp("c_client"), {
        "tickTime": "200",
        "extendedTypesEnabled": "true",
        "znode.container.checkIntervalMs": "100",
    })
    s.start()
    yield s
    s.stop()


@pytest.fixture
def run_scenario(zk_server):
    """run(name) -> the driver's output lines for scenario `name` under /c_<name>."""

    def run(name):
        if not os.access(DRIVER, os.X_OK):  # a failure, not a skip: the driver is part of the build
            pytest.fail("C client driver not built: %s is missing. Build the project (target "
                        "corral-c-client-driver, needs libzookeeper-mt-dev) or set "
                        "CORRAL_BUILD_DIR." % DRIVER, pytrace=False)
        p = subprocess.run([DRIVER, zk_server.connect_string, name, "/c_" + name],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        lines = p.stdout.splitlines()
        assert p.returncode == 0, "driver failed (%d):\n%s\nstderr:\n%s" % (
            p.returncode, p.stdout, p.stderr[-3000:])
        assert lines[-1] == "done"
        return lines[:-1]

    return run


def st(version=0, cversion=0, aversion=0, dataLength=0, numChildren=0, ephemeralOwner=0):
    return ("version=%d cversion=%d aversion=%d dataLength=%d numChildren=%d ephemeralOwner=0x%x"
            % (version, cversion, aversion, dataLength, numChildren, ephemeralOwner))


def expect(text, **kw):
    return [line.strip() if not line.startswith("  ") else line.rstrip()
            for line in text.format(**kw).strip("\n").splitlines()]


def test_basic_operations(run_scenario):
    b = "/c_basic"
    assert run_scenario("basic") == expect("""
create {b} -> ZOK {b}
create {b}/a -> ZOK {b}/a
create {b}/a -> ZNODEEXISTS
create {b}/missing/x -> ZNONODE
get {b}/a -> ZOK "hello" {s0}
set {b}/a v0 -> ZOK {s1}
set {b}/a v0 -> ZBADVERSION
set {b}/missing v-1 -> ZNONODE
get {b}/a -> ZOK "world" {s1}
exists {b}/a -> ZOK {s1}
exists {b}/missing -> ZNONODE
create {b}/nulldata -> ZOK {b}/nulldata
get {b}/nulldata -> ZOK null {snull}
get {b} -> ZOK "" {sbase}
create2 {b}/b -> ZOK {b}/b {sb} czxid==mzxid:yes
children {b} -> ZOK [a,b,nulldata] {sbase3}
children {b}/missing -> ZNONODE
delete {b} v-1 -> ZNOTEMPTY
delete {b}/a v0 -> ZBADVERSION
delete {b}/a v1 -> ZOK
delete {b}/a v-1 -> ZNONODE
children {b} -> ZOK [b,nulldata] {sbase_after}
""", b=b, s0=st(dataLength=5), s1=st(version=1, dataLength=5), snull=st(),
        sbase=st(cversion=2, numChildren=2), sb=st(dataLength=2),
        sbase3=st(cversion=3, numChildren=3), sbase_after=st(cversion=4, numChildren=2))


def test_sequential_nodes(run_scenario):
    # The suffix counts child creations; Stat.cversion counts creations and deletions.
    b = "/c_sequential"
    assert run_scenario("sequential") == expect("""
create {b} -> ZOK {b}
create {b}/s- -> ZOK {b}/s-0000000000
create {b}/s- -> ZOK {b}/s-0000000001
delete {b}/s-0000000000 v-1 -> ZOK
create {b}/s- -> ZOK {b}/s-0000000002
create {b}/e- -> ZOK {b}/e-0000000003
exists {b} -> ZOK {s}
children {b} -> ZOK [e-0000000003,s-0000000001,s-0000000002] {s}
""", b=b, s=st(cversion=5, numChildren=3))


def test_ephemerals(run_scenario):
    b = "/c_ephemeral"
    assert run_scenario("ephemeral") == expect("""
create {b} -> ZOK {b}
create {b}/eph -> ZOK {b}/eph
create {b}/eph/kid -> ZNOCHILDRENFOREPHEMERALS
exists {b}/eph -> ZOK ephemeralOwner==owner's session:yes
wexists {b}/eph -> ZOK
close owner -> ZOK
event DELETED {b}/eph
exists {b}/eph -> ZNONODE
children {b} -> ZOK [] {s}
""", b=b, s=st(cversion=2))


def test_watches_fire_once(run_scenario):
    # Each "event" line is the next event the watcher got; the sentinel's event coming right
    # after the deletion's proves no other event (e.g. a second CHANGED) was delivered.
    b = "/c_watch"
    assert run_scenario("watch") == expect("""
create {b} -> ZOK {b}
create {b}/w -> ZOK {b}/w
wget {b}/w -> ZOK
set {b}/w v-1 -> ZOK {s1}
event CHANGED {b}/w
set {b}/w v-1 -> ZOK {s2}
wexists {b}/fresh -> ZNONODE
create {b}/fresh -> ZOK {b}/fresh
event CREATED {b}/fresh
wget_children {b} -> ZOK
set {b}/fresh v-1 -> ZOK {s1}
create {b}/kid -> ZOK {b}/kid
event CHILD {b}
wget {b}/w -> ZOK
wget_children {b}/w -> ZOK
delete {b}/w v-1 -> ZOK
event DELETED {b}/w
wexists {b}/sentinel -> ZNONODE
create {b}/sentinel -> ZOK {b}/sentinel
event CREATED {b}/sentinel
""", b=b, s1=st(version=1, dataLength=1), s2=st(version=2, dataLength=1))


def test_events_ordered_with_replies(run_scenario):
    b = "/c_order"
    assert run_scenario("order") == expect("""
create {b} -> ZOK {b}
create {b}/o -> ZOK {b}/o
awget {b}/o -> ZOK
reply get {b}/o -> ZOK "0"
set {b}/o v-1 -> ZOK {s1}
aget {b}/o -> ZOK
event CHANGED {b}/o
reply get {b}/o -> ZOK "1"
awget {b}/o -> ZOK
reply get {b}/o -> ZOK "1"
aset {b}/o -> ZOK
event CHANGED {b}/o
reply set {b}/o -> ZOK
""", b=b, s1=st(version=1, dataLength=1))


def test_multi(run_scenario):
    # In a failed multi the C client reports the ops before the failing one as ZOK (ZooKeeper
    # sends them as error results with code 0) and the ones after as ZRUNTIMEINCONSISTENCY.
    b = "/c_multi"
    assert run_scenario("multi") == expect("""
create {b} -> ZOK {b}
create {b}/v -> ZOK {b}/v
multi -> ZOK
  create a -> ZOK {b}/a
  set v -> ZOK version=1
  check v -> ZOK
  create s- -> ZOK {b}/s-0000000002
  delete a -> ZOK
multi -> ZBADVERSION
  create x -> ZOK
  set v -> ZOK
  check v -> ZBADVERSION
  create y -> ZRUNTIMEINCONSISTENCY
exists {b}/x -> ZNONODE
get {b}/v -> ZOK "1" {sv}
children {b} -> ZOK [s-0000000002,v] {sb}
""", b=b, sv=st(version=1, dataLength=1), sb=st(cversion=4, numChildren=2))


def test_acls_and_auth(run_scenario):
    b = "/c_auth"
    assert run_scenario("auth") == expect("""
create {b} -> ZOK {b}
create {b}/bad -> ZINVALIDACL
auth digest alice:pw -> ZOK
create {b}/secret -> ZOK {b}/secret
getacl(alice) {b}/secret -> ZOK [digest:{alice}:31] aversion=0
get {b}/secret -> ZNOAUTH
set {b}/secret v-1 -> ZNOAUTH
getacl(anon) {b}/secret -> ZNOAUTH
create {b}/mixed -> ZOK {b}/mixed
getacl(anon) {b}/mixed -> ZOK [digest:alice:x:31,world:anyone:1] aversion=0
setacl {b}/mixed v0 -> ZOK
setacl {b}/mixed v0 -> ZBADVERSION
getacl(anon) {b}/mixed -> ZOK [world:anyone:31] aversion=1
auth digest alice:wrong -> ZOK
get {b}/secret -> ZNOAUTH
auth digest alice:pw -> ZOK
get {b}/secret -> ZOK "s" {s}
auth no-such-scheme x -> ZAUTHFAILED
state -> AUTH_FAILED
""", b=b, alice=digest("alice", "pw"), s=st(dataLength=1))


def test_ttl_and_container_nodes(run_scenario):
    # TTL and container nodes report ephemeralOwner 0 to clients.
    b = "/c_ttl"
    assert run_scenario("ttl") == expect("""
create {b} -> ZOK {b}
create_ttl {b}/ttl -> ZOK {sttl}
create_ttl {b}/ttl0 ttl=0 -> ZBADARGUMENTS
create_container {b}/box -> ZOK {sbox}
create {b}/box/kid -> ZOK {b}/box/kid
delete {b}/box/kid v-1 -> ZOK
ttl node and emptied container removed
children {b} -> ZOK [] {sb}
""", b=b, sttl=st(dataLength=1), sbox=st(), sb=st(cversion=4))
