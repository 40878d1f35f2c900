"""corralctl against a live 3-member ensemble: every command, checked through kazoo.

Each command runs as its own build/bin/corralctl process (one-shot mode) unless a test needs one
session across commands, which it gets from the interactive mode fed on a pipe (or, for
completion and history, a pseudo-terminal). What corralctl writes is read back with kazoo and
what kazoo writes is read with corralctl; --json output is parsed; failures must exit non-zero
with ZooKeeper's error name on stderr.
"""
import base64
import fcntl
import glob
import hashlib
import json
import os
import pty
import select
import socket
import subprocess
import termios
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import NoAuthError
from kazoo.security import make_digest_acl

from servers import BUILD_DIR, Ensemble, free_listen_port, wait_until

CORRALCTL = os.path.join(BUILD_DIR, "bin", "corralctl")
CORRAL_DUMP = os.path.join(BUILD_DIR, "bin", "corral-dump")

pytestmark = pytest.mark.skipif(os.environ.get("CORRAL_TEST_TARGET") == "zookeeper",
                                reason="starts its own Corral ensemble")


@pytest.fixture(scope="module")
def ensemble(tmp_path_factory):
    admin_ports = {}

    e = Ensemble(str(tmp_path_factory.mktemp("corralctl")), size=3)
    for i, m in e.members.items():
        # Once the AdminServer lands the admin test reaches it here; until then the port is
        # merely configured.
        admin_ports[i] = free_listen_port()
        m.config["admin.serverPort"] = str(admin_ports[i])
        m.config["admin.serverAddress"] = "127.0.0.1"
    e.admin_ports = admin_ports
    e.start()
    yield e
    e.stop()


def kazoo_host(ensemble):
    """kazoo talks to member 1, the member a one-shot corralctl connects to first (it tries the
    connect string in order). ZooKeeper promises a client its own writes in order, not another
    client's at once on another member: on one member, a write one of them saw acknowledged is
    there for the other's next read, with no sync needed."""
    return ensemble.members[1].connect_string


@pytest.fixture(scope="module")
def zk(ensemble):
    c = KazooClient(hosts=kazoo_host(ensemble), timeout=10.0)
    c.start(timeout=30)
    yield c
    c.stop()
    c.close()


def ctl(ensemble, *args, json_output=False, stdin=None, env=None, timeout=60, server=None):
    """Runs corralctl once; returns (exit status, stdout, stderr)."""
    argv = [CORRALCTL, "-server", server or ensemble.connect_string]
    if json_output:
        argv.append("--json")
    p = subprocess.run(argv + list(args), input=stdin, capture_output=True, text=True,
                       timeout=timeout, env=env)
    return p.returncode, p.stdout, p.stderr


def ok(ensemble, *args, **kw):
    rc, out, err = ctl(ensemble, *args, **kw)
    assert rc == 0, "corralctl %s failed (%d): %s" % (" ".join(args), rc, err)
    return out


def ok_json(ensemble, *args):
    return json.loads(ok(ensemble, *args, json_output=True))


def fails(ensemble, *args, error=None, rc=1, **kw):
    code, out, err = ctl(ensemble, *args, **kw)
    assert code == rc, "expected exit %d from %s, got %d: %s%s" % (rc, args, code, out, err)
    if error:
        assert error in err, err
    return err


def latest_log(member):
    return sorted(glob.glob(os.path.join(member.data_dir, "**", "log.*"), recursive=True))[-1]


def digest(user, password):
    h = hashlib.sha1(("%s:%s" % (user, password)).encode()).digest()
    return "%s:%s" % (user, base64.b64encode(h).decode())


STAT_FIELDS = ["czxid", "mzxid", "ctime", "mtime", "version", "cversion", "aversion",
               "ephemeralOwner", "dataLength", "numChildren", "pzxid"]


def assert_stat_matches(stat_json, kazoo_stat):
    assert sorted(stat_json) == sorted(STAT_FIELDS)
    assert stat_json["czxid"] == kazoo_stat.czxid
    assert stat_json["mzxid"] == kazoo_stat.mzxid
    assert stat_json["ctime"] == kazoo_stat.ctime
    assert stat_json["mtime"] == kazoo_stat.mtime
    assert stat_json["version"] == kazoo_stat.version
    assert stat_json["cversion"] == kazoo_stat.cversion
    assert stat_json["aversion"] == kazoo_stat.aversion
    assert stat_json["ephemeralOwner"] == kazoo_stat.ephemeralOwner
    assert stat_json["dataLength"] == kazoo_stat.dataLength
    assert stat_json["numChildren"] == kazoo_stat.numChildren
    assert stat_json["pzxid"] == kazoo_stat.pzxid


# --- create, get, set, ls, stat, delete ---------------------------------------------------


def test_create_then_kazoo_reads_it(ensemble, zk):
    out = ok(ensemble, "create", "/c1", "hello world")
    assert out == "Created /c1\n"
    data, stat = zk.get("/c1")
    assert data == b"hello world"
    assert stat.ephemeralOwner == 0


def test_kazoo_writes_then_get_reads_it(ensemble, zk):
    zk.create("/g1", "grüße €".encode())
    assert ok(ensemble, "get", "/g1") == "grüße €\n"
    doc = ok_json(ensemble, "get", "/g1")
    _, stat = zk.get("/g1")
    assert base64.b64decode(doc["data_base64"]) == "grüße €".encode()
    assert doc["data_text"] == "grüße €"
    assert_stat_matches(doc["stat"], stat)


def test_binary_data_is_escaped_as_text_and_exact_in_json(ensemble, zk):
    zk.create("/bin1", b"\x00\x01ok\xff")
    assert ok(ensemble, "get", "/bin1") == "\\x00\\x01ok\\xff\n"
    doc = ok_json(ensemble, "get", "/bin1")
    assert base64.b64decode(doc["data_base64"]) == b"\x00\x01ok\xff"
    assert doc["data_text"] is None


def test_null_data(ensemble, zk):
    ok(ensemble, "create", "/null1")
    assert zk.get("/null1")[0] in (None, b"")
    doc = ok_json(ensemble, "get", "/null1")
    assert doc["data_base64"] is None


def test_get_with_stat_prints_zkcli_lines(ensemble, zk):
    zk.create("/gs", b"v")
    _, stat = zk.get("/gs")
    lines = ok(ensemble, "get", "-s", "/gs").splitlines()
    assert lines[0] == "v"
    assert "cZxid = 0x%x" % stat.czxid in lines
    assert "dataVersion = %d" % stat.version in lines
    assert "numChildren = 0" in lines


def test_set_and_versions(ensemble, zk):
    zk.create("/s1", b"one")
    ok(ensemble, "set", "/s1", "two")
    assert zk.get("/s1")[0] == b"two"
    doc = ok_json(ensemble, "set", "-v", "1", "/s1", "three")
    assert doc["stat"]["version"] == 2
    assert zk.get("/s1")[0] == b"three"
    fails(ensemble, "set", "-v", "1", "/s1", "four", error="BadVersion")
    assert zk.get("/s1")[0] == b"three"


def test_ls_plain_json_stat_and_recursive(ensemble, zk):
    zk.create("/ls/b", b"", makepath=True)
    zk.create("/ls/a/deep", b"", makepath=True)
    assert ok(ensemble, "ls", "/ls") == "a\nb\n"
    doc = ok_json(ensemble, "ls", "-s", "/ls")
    assert doc["children"] == ["a", "b"]
    assert_stat_matches(doc["stat"], zk.exists("/ls"))
    assert ok(ensemble, "ls", "-R", "/ls").splitlines() == ["/ls", "/ls/a", "/ls/a/deep", "/ls/b"]
    assert ok_json(ensemble, "ls", "-R", "/ls")["paths"] == ["/ls", "/ls/a", "/ls/a/deep",
                                                              "/ls/b"]
    assert "zookeeper" in ok(ensemble, "ls").split()  # default path /


def test_stat(ensemble, zk):
    zk.create("/st", b"12345")
    doc = ok_json(ensemble, "stat", "/st")
    assert doc["path"] == "/st"
    assert_stat_matches(doc["stat"], zk.exists("/st"))
    assert "dataLength = 5" in ok(ensemble, "stat", "/st")
    fails(ensemble, "stat", "/st-missing", error="NoNode")


def test_create_modes(ensemble, zk):
    # Sequential: the server's suffix comes back.
    zk.create("/modes")
    doc = ok_json(ensemble, "create", "-s", "/modes/seq-", "x")
    assert doc["path"].startswith("/modes/seq-") and len(doc["path"]) == len("/modes/seq-") + 10
    assert zk.exists(doc["path"]) is not None
    # Ephemeral: owned by corralctl's session, gone when the one-shot run ends.
    doc = ok_json(ensemble, "create", "-e", "/modes/eph", "x")
    assert doc["stat"]["ephemeralOwner"] != 0
    wait_until(lambda: zk.exists("/modes/eph") is None, what="the ephemeral to go")
    doc = ok_json(ensemble, "create", "-e", "-s", "/modes/eseq-")
    assert doc["stat"]["ephemeralOwner"] != 0 and doc["path"][-10:].isdigit()
    # Container and TTL nodes read like persistent ones (their ephemeralOwner markers are
    # hidden, as ZooKeeper's DataNode.copyStat hides them); the log shows the requests were
    # createContainer and createTTL.
    ok(ensemble, "create", "-c", "/modes/container")
    ok(ensemble, "create", "-t", "60000", "/modes/ttl", "x")
    assert zk.get("/modes/ttl")[0] == b"x"
    doc = ok_json(ensemble, "create", "-s", "-t", "60000", "/modes/ttlseq-")
    assert doc["path"][-10:].isdigit()
    log = latest_log(ensemble.members[1])
    wait_until(lambda: ok(ensemble, "dump", "log", log).count("type createTTL(21)") >= 2,
               what="member 1 to log the TTL creates")
    assert "type createContainer(19)" in ok(ensemble, "dump", "log", log)
    fails(ensemble, "create", "-c", "-e", "/modes/bad", rc=2)


def test_create_with_acl(ensemble, zk):
    ok(ensemble, "create", "/acl-c", "x", "world:anyone:rw")
    acl, _ = zk.get_acls("/acl-c")
    assert [(a.perms, a.id.scheme, a.id.id) for a in acl] == [(3, "world", "anyone")]


def test_delete_and_deleteall(ensemble, zk):
    zk.create("/d1", b"")
    ok(ensemble, "delete", "/d1")
    assert zk.exists("/d1") is None
    zk.create("/d2", b"")
    zk.set("/d2", b"x")
    fails(ensemble, "delete", "-v", "0", "/d2", error="BadVersion")
    ok(ensemble, "delete", "-v", "1", "/d2")
    assert zk.exists("/d2") is None
    zk.create("/d3/a/b", b"", makepath=True)
    zk.create("/d3/c", b"")
    fails(ensemble, "delete", "/d3", error="NotEmpty")
    assert ok_json(ensemble, "deleteall", "/d3")["deleted"] == 4
    assert zk.exists("/d3") is None
    fails(ensemble, "delete", "/d3", error="NoNode")
    fails(ensemble, "deleteall", "/d3", error="NoNode")


def test_sync(ensemble, zk):
    zk.create("/sync1", b"")
    assert ok(ensemble, "sync", "/sync1") == "Sync is OK\n"
    assert ok_json(ensemble, "sync", "/sync1") == {"path": "/sync1", "synced": True}


def test_tree(ensemble, zk):
    zk.create("/tr/a/x", b"", makepath=True)
    zk.create("/tr/b", b"")
    assert ok(ensemble, "tree", "/tr") == "/tr\n├── a\n│   └── x\n└── b\n"
    doc = ok_json(ensemble, "tree", "/tr")
    assert doc == {"path": "/tr", "children": [
        {"path": "/tr/a", "children": [{"path": "/tr/a/x", "children": []}]},
        {"path": "/tr/b", "children": []}]}
    assert ok(ensemble, "tree", "-d", "1", "/tr") == "/tr\n├── a\n└── b\n"


# --- ACLs and auth ---------------------------------------------------------------------------


def test_acl_commands_and_auth(ensemble, zk):
    zk.create("/sec", b"secret")
    ok(ensemble, "setAcl", "/sec", "digest:%s:cdrwa" % digest("alice", "pw"))
    zk.add_auth("digest", "carol:pw")  # kazoo, as another user, is now refused too
    with pytest.raises(NoAuthError):
        zk.get("/sec")
    # Without the credentials: NoAuth, exit 1, message naming it.
    fails(ensemble, "get", "/sec", error="NoAuth")
    fails(ensemble, "--auth", "digest:alice:wrong", "get", "/sec", error="NoAuth")
    # --auth before the command, or addauth in a shell session.
    assert ok(ensemble, "--auth", "digest:alice:pw", "get", "/sec") == "secret\n"
    out = ok(ensemble, stdin="addauth digest alice:pw\nget /sec\nwhoami\n")
    assert out.splitlines()[0] == "secret"
    assert "digest:alice" in out.splitlines()
    doc = json.loads(ok(ensemble, "--auth", "digest:alice:pw", "getAcl", "/sec",
                        json_output=True))
    assert doc["acl"] == [{"scheme": "digest", "id": digest("alice", "pw"), "perms": "cdrwa",
                           "perms_bits": 31}]
    # setAcl with an ACL version; kazoo with the credentials sees the change.
    ok(ensemble, "--auth", "digest:alice:pw", "setAcl", "-v", "1", "/sec",
       "digest:%s:cdrwa,world:anyone:r" % digest("alice", "pw"))
    fails(ensemble, "--auth", "digest:alice:pw", "setAcl", "-v", "1", "/sec", "world:anyone:r",
          error="BadVersion")
    assert zk.get("/sec")[0] == b"secret"  # world:anyone:r now
    assert "world:anyone:r" in ok(ensemble, "getAcl", "/sec").splitlines()


def test_kazoo_digest_acl_read_by_corralctl(ensemble):
    k = KazooClient(hosts=kazoo_host(ensemble), auth_data=[("digest", "bob:pw")])
    k.start(timeout=30)
    try:
        k.create("/bobs", b"b", acl=[make_digest_acl("bob", "pw", all=True)])
    finally:
        k.stop()
        k.close()
    fails(ensemble, "get", "/bobs", error="NoAuth")
    assert ok(ensemble, "--auth", "digest:bob:pw", "get", "/bobs") == "b\n"
    fails(ensemble, "getAcl", "/bobs", error="NoAuth")  # getACL needs READ or ADMIN
    assert ok(ensemble, "--auth", "digest:bob:pw", "getAcl", "/bobs").strip() == (
        "digest:%s:cdrwa" % digest("bob", "pw"))


# --- watches -------------------------------------------------------------------------------


def start_watch(ensemble, *args):
    """Starts `corralctl watch ARGS`; returns the process once it says the watch is armed."""
    p = subprocess.Popen([CORRALCTL, "-server", ensemble.connect_string] + list(args),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stderr.readline()
    assert line.startswith("watching "), line + p.stderr.read()
    return p


def finish(p):
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    return out


def test_watch_persistent_prints_kazoo_changes(ensemble, zk):
    zk.create("/w1", b"")
    p = start_watch(ensemble, "watch", "-c", "2", "/w1")
    zk.set("/w1", b"a")
    zk.set("/w1", b"b")
    assert finish(p) == "NodeDataChanged /w1\nNodeDataChanged /w1\n"


def test_watch_recursive_json(ensemble, zk):
    zk.create("/w2", b"")
    p = start_watch(ensemble, "--json", "watch", "-m", "recursive", "-c", "3", "/w2")
    zk.create("/w2/child", b"")
    zk.set("/w2/child", b"x")
    zk.delete("/w2/child")
    events = [json.loads(line) for line in finish(p).splitlines()]
    assert [(e["type"], e["path"]) for e in events] == [
        ("NodeCreated", "/w2/child"), ("NodeDataChanged", "/w2/child"),
        ("NodeDeleted", "/w2/child")]
    assert all(e["state"] == "SyncConnected" and e["zxid"] > 0 for e in events)


def test_watch_one_shot_modes_are_armed_again(ensemble, zk):
    p = start_watch(ensemble, "watch", "-m", "data", "-c", "3", "/w3")
    zk.create("/w3", b"")  # a data watch on a missing node is an exist watch
    # Each change is made after the previous event was seen, so no change falls between an
    # event and the watch being armed again.
    assert p.stdout.readline() == "NodeCreated /w3\n"
    zk.set("/w3", b"x")
    assert p.stdout.readline() == "NodeDataChanged /w3\n"
    zk.delete("/w3")
    assert finish(p) == "NodeDeleted /w3\n"
    zk.create("/w4", b"")
    p = start_watch(ensemble, "watch", "-m", "children", "-c", "1", "/w4")
    zk.create("/w4/k", b"")
    assert finish(p) == "NodeChildrenChanged /w4\n"


def test_watch_timeout_without_events(ensemble, zk):
    zk.create("/w5", b"")
    assert ok(ensemble, "watch", "-t", "300", "/w5") == ""
    fails(ensemble, "watch", "-c", "1", "-t", "300", "/w5", error="saw 0 of 1 events")


def test_watch_flags_in_shell_deliver_events(ensemble, zk):
    """get -w / ls -w / stat -w leave watches; the shell prints their events ("WATCHER::")
    before its next command. The sync after each change orders the event before the reply."""
    zk.create("/w6/first", b"", makepath=True)
    p = subprocess.Popen([CORRALCTL, "-server", ensemble.connect_string],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)

    def run(line):
        p.stdin.write(line + "\n")
        p.stdin.flush()
        return p.stdout.readline()

    assert run("get -w /w6") == "\n"
    zk.set("/w6", b"x")
    assert run("sync /w6") == "Sync is OK\n"
    # Each command's own output is read before the next change, so the watch is armed.
    assert run("ls -w /w6") == "WATCHER:: NodeDataChanged /w6\n"
    assert p.stdout.readline() == "first\n"
    zk.create("/w6/c", b"")
    assert run("sync /w6") == "Sync is OK\n"
    assert run("stat -w /w6-missing") == "WATCHER:: NodeChildrenChanged /w6\n"
    p.stdin.close()
    assert p.wait(timeout=30) == 1  # stat of a missing node failed
    assert "NoNode" in p.stderr.read()


# --- errors --------------------------------------------------------------------------------


def test_error_exits(ensemble, zk):
    fails(ensemble, "get", "/missing", error="NoNode")
    zk.create("/exists1", b"")
    fails(ensemble, "create", "/exists1", error="NodeExists")
    fails(ensemble, "create", "/missing-parent/x", error="NoNode")
    fails(ensemble, "bogus", rc=2, error="unknown command")
    fails(ensemble, "get", rc=2, error="usage: get")
    fails(ensemble, "get", "-x", "/a", rc=2, error="unknown option -x")
    fails(ensemble, "get", "relative", rc=2, error="starts with '/'")
    fails(ensemble, "set", "-v", "soon", "/a", "x", rc=2)
    fails(ensemble, "setAcl", "/exists1", "world:anyone:xyz", rc=2, error="permission")
    rc, out, err = ctl(ensemble, "get", "/missing", json_output=True)
    assert rc == 1 and out == ""
    assert json.loads(err) == {"error": "NoNode", "code": -101, "path": "/missing"}


def test_no_server_fails_clearly(ensemble):
    port = free_listen_port()
    code, out, err = ctl(ensemble, "--timeout-ms", "500", "ls", "/",
                         server="127.0.0.1:%d" % port)
    assert code == 1
    assert "could not connect to 127.0.0.1:%d" % port in err


# --- the shell -----------------------------------------------------------------------------


def test_shell_runs_a_piped_script(ensemble, zk):
    script = "\n".join([
        "# a comment",
        "create /sh 'two words'",
        "get /sh",
        "set /sh \"say \\\"hi\\\"\"",
        "get /sh",
        "create /sh/k",
        "ls /sh",
        "help create",
        "history",
        "quit",
        "get /never-run",
    ]) + "\n"
    code, out, err = ctl(ensemble, stdin=script)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[:5] == ["Created /sh", "two words", 'say "hi"', "Created /sh/k", "k"]
    assert lines[5].startswith("create [-e] [-s] [-c] [-t TTL_MS] PATH")
    assert lines[-1] == "8  history"
    assert zk.get("/sh")[0] == b'say "hi"'


def test_shell_reports_failures_and_goes_on(ensemble, zk):
    code, out, err = ctl(ensemble, stdin="get /nope\ncreate /after-failure\nbogus\n")
    assert code == 2  # the status of the last command that failed
    assert "NoNode" in err and "unknown command" in err
    assert zk.exists("/after-failure") is not None


def test_shell_session_survives_losing_its_member(ensemble, zk):
    """The shell's session moves to the next member of the connect string when its member
    stops: its ephemeral node stays, and commands go on working. The member stopped is a
    follower other than kazoo's member 1, so kazoo's connection is not disturbed by an
    election."""
    first = next(m for m in ensemble.followers() if m.member_id != 1)
    rest = ",".join(m.connect_string for m in ensemble.members.values() if m is not first)
    p = subprocess.Popen([CORRALCTL, "-server", first.connect_string + "," + rest, "--json"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)

    def run(line):
        p.stdin.write(line + "\n")
        p.stdin.flush()
        return json.loads(p.stdout.readline())

    try:
        owner = run("create -e /moving x")["stat"]["ephemeralOwner"]
        assert run("4lw cons")["server"] == first.connect_string
        first.stop()
        assert run("stat /moving")["stat"]["ephemeralOwner"] == owner
        assert run("4lw cons")["server"] != first.connect_string
        zk.sync("/moving")  # the create was made on another member
        assert zk.exists("/moving").ephemeralOwner == owner
    finally:
        p.stdin.close()
        p.wait(timeout=30)
        if not first.alive():
            first.start()
            ensemble.await_serving()
    wait_until(lambda: zk.sync("/moving") and zk.exists("/moving") is None,
               what="the ephemeral to go with the shell")


def read_until(fd, needle, timeout=20.0):
    """Reads a pseudo-terminal until needle appears; returns everything read."""
    deadline = time.monotonic() + timeout
    seen = b""
    while needle.encode() not in seen:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no %r on the terminal; got %r" % (needle, seen))
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen.decode(errors="replace")


def run_terminal_shell(ensemble, home, keys_and_answers):
    """Runs the shell on a pseudo-terminal: waits for its first prompt, then for each
    (keys, answer) types keys and waits for answer on the screen; finally quits."""
    env = dict(os.environ, HOME=str(home), TERM="xterm")
    master, slave = pty.openpty()


    def controlling_terminal():
        # The pty becomes the shell's terminal, so Ctrl-C there is a SIGINT to it.
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    p = subprocess.Popen([CORRALCTL, "-server", ensemble.connect_string], stdin=slave,
                         stdout=slave, stderr=slave, env=env, close_fds=True,
                         preexec_fn=controlling_terminal)
    os.close(slave)
    try:
        read_until(master, "(CONNECTED) 0] ")
        for keys, answer in keys_and_answers:
            os.write(master, keys)
            read_until(master, answer)
        os.write(master, b"quit\r")
        assert p.wait(timeout=30) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        os.close(master)


def test_terminal_prompt_completion_and_history(ensemble, zk, tmp_path):
    zk.create("/completion-target", b"")
    # Tab completes the command name, then the znode path from the server's children; libedit
    # types the missing letters.
    run_terminal_shell(ensemble, tmp_path, [
        (b"sy\t", "nc "), (b"/completion-t\t", "arget"), (b"\r", "Sync is OK"),
        (b"", "(CONNECTED) 1] "),
        # Ctrl-C ends a running watch and the shell goes on.
        (b"watch /completion-target\r", "Ctrl-C stops"), (b"\x03", "(CONNECTED) 2] ")])
    # libedit's history file (spaces written as \040).
    history = (tmp_path / ".corralctl_history").read_text().replace("\\040", " ")
    assert "sync /completion-target" in history.splitlines()
    assert "quit" in history.splitlines()
    # A new shell loads it: three steps back (quit, watch, sync) is the sync line.
    run_terminal_shell(ensemble, tmp_path, [(b"\x1b[A\x1b[A\x1b[A", "sync"),
                                            (b"\r", "Sync is OK")])


# --- reconfig, 4lw, admin, dump ------------------------------------------------------------


def test_config_and_reconfig(ensemble, zk):
    config = ok(ensemble, "config")
    data, _ = zk.get("/zookeeper/config")
    assert config.rstrip("\n") == data.decode().rstrip("\n")
    # This ensemble leaves reconfigEnabled off: the error comes out by name. The round trip
    # with reconfig on is in test_reconfig.py.
    code, out, err = ctl(ensemble, "reconfig", "-v", "1", "-remove", "3")
    assert code == 1, (code, out, err)
    assert "ReconfigDisabled" in err, err
    fails(ensemble, "reconfig", "-add", "server.4=127.0.0.1:1:2;3", "-members", "x", rc=2)
    fails(ensemble, "reconfig", rc=2)


def test_four_letter_words(ensemble):
    assert ok(ensemble, "4lw", "ruok") == "imok"[:4] + "\n"
    mntr = ok(ensemble, "4lw", "mntr")
    assert "zk_version\t" in mntr
    doc = ok_json(ensemble, "4lw", "srvr")
    assert doc["command"] == "srvr" and "Mode: " in doc["output"]
    member = ensemble.members[2]
    explicit = ok_json(ensemble, "4lw", "srvr", member.connect_string)
    assert explicit["server"] == member.connect_string
    fails(ensemble, "4lw", "RUOK", rc=2)
    fails(ensemble, "4lw", "ruok", "127.0.0.1:%d" % free_listen_port())


class StubAdmin(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/commands/ruok":
            body = json.dumps({"command": "ruok", "error": None}).encode()
            self.send_response(200)
        else:
            body = b'{"error": "Unknown command"}'
            self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_admin_against_a_local_stub(ensemble):
    server = ThreadingHTTPServer(("127.0.0.1", 0), StubAdmin)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = str(server.server_address[1])
        doc = json.loads(ok(ensemble, "admin", "-h", "127.0.0.1", "-p", port, "ruok"))
        assert doc == {"command": "ruok", "error": None}
        fails(ensemble, "admin", "-h", "127.0.0.1", "-p", port, "nope", error="HTTP 404")
    finally:
        server.shutdown()
        server.server_close()


def admin_listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1.0).close()
        return True
    except OSError:
        return False


def test_admin_against_the_ensemble(ensemble):
    port = ensemble.admin_ports[1]
    if not admin_listening(port):
        pytest.skip("the members do not serve the AdminServer yet (issue 6, another part)")
    doc = json.loads(ok(ensemble, "admin", "-h", "127.0.0.1", "-p", str(port), "ruok"))
    assert isinstance(doc, dict)


def test_dump_log_and_snapshot_of_a_member(ensemble, zk):
    zk.create("/dumped", b"x")
    member = ensemble.members[1]
    logs = sorted(glob.glob(os.path.join(member.data_dir, "**", "log.*"), recursive=True))
    snapshots = sorted(glob.glob(os.path.join(member.data_dir, "**", "snapshot.*"),
                                 recursive=True))
    snapshots = [s for s in snapshots if not s.endswith(".tmp")]
    assert logs and snapshots
    out = ok(ensemble, "dump", "log", logs[-1])
    assert out.startswith("file %s" % logs[-1])
    assert "type create" in out
    dump = subprocess.run([CORRAL_DUMP, "log", logs[-1]], capture_output=True, text=True)
    assert dump.returncode == 0
    # Same report as corral-dump (the live log may have grown between the two runs).
    assert dump.stdout.splitlines()[1] == out.splitlines()[1]
    out = ok(ensemble, "dump", "snapshot", "--nodes", snapshots[-1])
    assert "valid: loads as a state machine" in out
    assert " /zookeeper " in out
    dump = subprocess.run([CORRAL_DUMP, "snapshot", "--nodes", snapshots[-1]],
                          capture_output=True, text=True)
    assert dump.returncode == 0 and dump.stdout == out
    epoch = os.path.join(member.data_dir, "epoch")
    assert ok(ensemble, "dump", "meta", epoch) == subprocess.run(
        [CORRAL_DUMP, "meta", epoch], capture_output=True, text=True, check=True).stdout
    fails(ensemble, "dump", "log", os.path.join(member.data_dir, "missing"), rc=2)
    fails(ensemble, "dump", "core", logs[-1], rc=2)


def test_dump_reports_corruption(ensemble, tmp_path):
    member = ensemble.members[2]
    snapshots = [s for s in glob.glob(os.path.join(member.data_dir, "**", "snapshot.*"),
                                      recursive=True) if not s.endswith(".tmp")]
    broken = tmp_path / os.path.basename(snapshots[0])
    data = bytearray(open(snapshots[0], "rb").read())
    data[len(data) // 2] ^= 0xFF
    broken.write_bytes(bytes(data))
    code, out, err = ctl(ensemble, "dump", "snapshot", str(broken))
    assert code == 1 and "corrupt" in err
    assert subprocess.run([CORRAL_DUMP, "snapshot", str(broken)],
                          capture_output=True).returncode == 1
