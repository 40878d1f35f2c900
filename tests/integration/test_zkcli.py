"""The server as seen by ZooKeeper's own command-line client, zkCli.sh (Debian's zookeeper 3.8).

Each zkCli.sh run is a JVM (~0.5 s), so the tests use few runs: one-command mode where its exit
status matters (0 on success, 1 when the command failed), and commands fed on stdin (interactive
mode without a terminal) for anything that needs one session, such as addauth before setAcl.
stdout and stderr are merged: zkCli prints results on stdout and errors/"Created" on stderr, both
flushed per line, so the merged order is the order of the commands.
"""
import base64
import hashlib
import subprocess

import pytest
from kazoo.client import KazooClient

import zkwire
from conftest import make_server
from servers import ZKCLI

NOISE_PREFIXES = ("SLF4J:", "Connecting to ", "WATCHER::", "WatchedEvent state:",
                  "Welcome to ZooKeeper!", "JLine support is")


def digest(user, password):
    h = hashlib.sha1(("%s:%s" % (user, password)).encode()).digest()
    return "%s:%s" % (user, base64.b64encode(h).decode())


@pytest.fixture(scope="module")
def zk_server(tmp_path_factory):
    s = make_server(tmp_path_factory.mktemp("zkcli"))
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def zk(zk_server):
    c = KazooClient(hosts=zk_server.connect_string, timeout=10.0)
    c.start(timeout=30)
    yield c
    c.stop()
    c.close()


@pytest.fixture
def cli(zk_server, tmp_path):
    """cli(*args, stdin=None) -> (exit status, output lines without zkCli's own chatter)."""

    def run(*args, stdin=None):
        if stdin is not None:
            stdin = stdin if stdin.endswith("quit\n") else stdin + "quit\n"
        p = subprocess.run([ZKCLI, "-server", zk_server.connect_string] + list(args),
                           input=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=120, cwd=str(tmp_path))
        lines = [l.rstrip() for l in p.stdout.splitlines()]
        return p.returncode, [l for l in lines if l and not l.startswith(NOISE_PREFIXES)]

    return run


def stat_lines(st):
    """The lines zkCli prints for a Stat (ctime/mtime omitted: they are client-formatted)."""
    return ["cZxid = 0x%x" % st.czxid, "mZxid = 0x%x" % st.mzxid, "pZxid = 0x%x" % st.pzxid,
            "cversion = %d" % st.cversion, "dataVersion = %d" % st.version,
            "aclVersion = %d" % st.aversion, "ephemeralOwner = 0x%x" % st.ephemeralOwner,
            "dataLength = %d" % st.dataLength, "numChildren = %d" % st.numChildren]


def without_times(lines):
    return [l for l in lines if not l.startswith(("ctime = ", "mtime = "))]


def children_of(line):
    """Parses zkCli's "[a, b, c]" into a set."""
    assert line.startswith("[") and line.endswith("]"), line
    inner = line[1:-1]
    return set(inner.split(", ")) if inner else set()


def test_one_command_mode(cli, zk):
    assert cli("create", "/cli_basic", "hello") == (0, ["Created /cli_basic"])
    assert zk.get("/cli_basic")[0] == b"hello"

    zk.create("/cli_basic/kid")
    zk.set("/cli_basic", b"from-kazoo")
    rc, out = cli("get", "-s", "/cli_basic")
    _, st = zk.get("/cli_basic")
    assert rc == 0
    assert without_times(out) == ["from-kazoo"] + stat_lines(st)
    assert "dataVersion = 1" in out and "numChildren = 1" in out

    assert cli("set", "/cli_basic", "v2") == (0, [])
    data, st = zk.get("/cli_basic")
    assert data == b"v2" and st.version == 2

    assert cli("create", "/cli_basic", "again") == (1, ["Node already exists: /cli_basic"])
    assert cli("get", "/cli_missing") == (1, ["Node does not exist: /cli_missing"])
    assert cli("delete", "/cli_basic") == (1, ["Node not empty: /cli_basic"])
    assert cli("deleteall", "/cli_basic") == (0, [])
    assert zk.exists("/cli_basic") is None


def test_interactive_session(cli, zk):
    rc, out = cli(stdin="""create /cli_s
create /cli_s/nodata
get /cli_s/nodata
create /cli_s/d some-data
create -e /cli_s/eph ephemeral
create -s /cli_s/q- one
create -s /cli_s/q- two
create -e -s /cli_s/es- x
create /cli_s/eph/kid
set -v 7 /cli_s/d x
set -v 0 /cli_s/d y
get /cli_s/d
delete /cli_s
ls /cli_s
ls -R /cli_s
stat /cli_s/eph
stat /cli_s/none
getEphemerals /cli_s
sync /cli_s
delete -v 0 /cli_s/q-0000000003
ls /cli_s
""")
    assert rc == 0
    # zkCli's quit waits for closeSession's reply: the ephemerals are gone already.
    assert sorted(zk.get_children("/cli_s")) == ["d", "nodata", "q-0000000004"]

    it = iter(out)
    assert [next(it) for _ in range(10)] == [
        "Created /cli_s",
        "Created /cli_s/nodata",
        "null",  # created without data: getData returns a null buffer, not an empty one
        "Created /cli_s/d",
        "Created /cli_s/eph",
        "Created /cli_s/q-0000000003",
        "Created /cli_s/q-0000000004",
        "Created /cli_s/es-0000000005",
        "Ephemerals cannot have children: /cli_s/eph/kid",
        "version No is not valid : /cli_s/d",
    ]
    assert next(it) == "y"
    assert next(it) == "Node not empty: /cli_s"
    everything = {"nodata", "d", "eph", "q-0000000003", "q-0000000004", "es-0000000005"}
    assert children_of(next(it)) == everything
    recursive = [next(it) for _ in range(7)]
    assert recursive[0] == "/cli_s"
    assert set(recursive[1:]) == {"/cli_s/" + c for c in everything}
    eph_stat = [next(it) for _ in range(11)]
    owner = [l for l in eph_stat if l.startswith("ephemeralOwner = ")]
    assert owner and owner[0] != "ephemeralOwner = 0x0"
    assert "dataLength = 9" in eph_stat and "numChildren = 0" in eph_stat
    assert next(it) == "Node does not exist: /cli_s/none"
    ephemerals = next(it)
    assert ephemerals.startswith("[") and set(ephemerals[1:-1].split(", ")) == {
        "/cli_s/eph", "/cli_s/es-0000000005"}
    assert next(it) == "Sync is OK"
    assert children_of(next(it)) == everything - {"q-0000000003"}
    assert list(it) == []


def test_acls_with_addauth(cli, zk):
    hashed = digest("cli", "pw")
    rc, out = cli(stdin="""addauth digest cli:pw
create /cli_acl secret
setAcl /cli_acl auth::cdrwa
getAcl /cli_acl
get /cli_acl
stat /cli_acl
create /cli_pub public world:anyone:r
create /cli_mixed m
setAcl /cli_mixed digest:%s:cdrwa,world:anyone:r
""" % hashed)
    assert rc == 0
    # exists needs READ on an existing node (ZOOKEEPER-2590, ZooKeeper 3.8.4 and 3.9.2+).
    zk.add_auth("digest", "cli:pw")
    assert out[:5] == ["Created /cli_acl", "'digest,'" + hashed, ": cdrwa", "secret",
                       "cZxid = 0x%x" % zk.exists("/cli_acl").czxid]
    assert "aclVersion = 1" in out
    assert out[-2:] == ["Created /cli_pub", "Created /cli_mixed"]

    # Another session, without credentials.
    rc, out = cli(stdin="""get /cli_acl
getAcl /cli_acl
set /cli_pub x
get /cli_pub
getAcl /cli_pub
getAcl /cli_mixed
addauth digest cli:pw
get /cli_acl
""")
    assert rc == 0
    assert out == [
        "Insufficient permission : /cli_acl",
        "Insufficient permission : /cli_acl",
        "Insufficient permission : /cli_pub",
        "public",
        "'world,'anyone", ": r",
        # Without ADMIN the digest's hash is masked.
        "'digest,'cli:x", ": cdrwa", "'world,'anyone", ": r",
        "secret",
    ]


def test_quota_with_setquota_listquota_and_enforcement(server_factory, tmp_path):
    """zkCli's setquota writes /zookeeper/quota/<path>/zookeeper_limits and zookeeper_stats; the
    server keeps the stats current, and with enforceQuota a hard limit refuses the write."""
    s = server_factory({"zookeeper.enforceQuota": "true"})

    def run(stdin):
        p = subprocess.run([ZKCLI, "-server", s.connect_string], input=stdin + "quit\n",
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=120, cwd=str(tmp_path))
        lines = [l.rstrip() for l in p.stdout.splitlines()]
        return [l for l in lines if l and not l.startswith(NOISE_PREFIXES)]

    out = run("""create /quota_app 12345
create /quota_app/a xy
setquota -N 4 /quota_app
listquota /quota_app
create /quota_app/b
create /quota_app/c
create /quota_app/d
""")
    # (zkCli formats the quota line itself, oddly, from the limits node's data.)
    assert out[-5:] == [
        "Output quota for /quota_app count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=4",
        "Output stat for /quota_app count=2,bytes=7",
        "Created /quota_app/b", "Created /quota_app/c", "Quota has exceeded : /quota_app/d"], out

    # kazoo has no exception for QUOTAEXCEEDED (-125), so the raw wire client checks the rest.
    c = zkwire.connect(s.connect_string)
    try:
        stats_path = "/zookeeper/quota/quota_app/zookeeper_stats"
        assert c.get_data(stats_path)[0] == b"count=4,bytes=7"
        c.delete("/quota_app/c")
        c.set_data("/quota_app/a", b"x" * 50)
        assert c.get_data(stats_path)[0] == b"count=3,bytes=55"
        # A byte hard limit, written the way setquota -B writes it.
        c.set_data("/zookeeper/quota/quota_app/zookeeper_limits",
                   b"count=-1,bytes=-1,byteHardLimit=100,countHardLimit=4")
        c.set_data("/quota_app/a", b"x" * 95)  # 5 (/quota_app) + 95 (/quota_app/a) = 100
        r = c.call(zkwire.OP_SET_DATA, zkwire.set_data_request("/quota_app/a", b"x" * 96))
        assert r.err == zkwire.QUOTAEXCEEDED
        assert c.get_data("/quota_app/a")[0] == b"x" * 95
    finally:
        c.close()
