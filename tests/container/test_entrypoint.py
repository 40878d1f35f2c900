"""docker/entrypoint.sh run directly with bash, outside any container: how it derives the member
id, what zoo.cfg it generates, and that it refuses bad input with a message that says what to fix.

No podman needed: corral-server is replaced on PATH by a stand-in that prints its arguments, the
configuration it was given and the myid file, so these run wherever bash does. The real server
reading the real generated files is tests/container/test_container.py's job.
"""
import os
import pathlib
import shutil
import subprocess
import tempfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
SERVERS = "server.1=corral-0.corral:2888:3888;2181 server.2=corral-1.corral:2888:3888;2181 " \
          "server.3=corral-2.corral:2888:3888;2181"

STAND_IN = """#!/usr/bin/env bash
echo "ARGS: $*"
echo "--- config"
cat "$1"
echo "--- myid"
cat "$(dirname "$1")/myid" 2>/dev/null || echo "(none next to the config)"
"""


class Box:
    """A data dir, a log dir, a conf dir and a PATH with the corral-server stand-in."""

    def __init__(self, tmp_path):
        self.data = tmp_path / "data"
        self.datalog = tmp_path / "datalog"
        self.conf = tmp_path / "conf"
        self.bin = tmp_path / "bin"
        for d in (self.data, self.datalog, self.conf, self.bin):
            d.mkdir()
        server = self.bin / "corral-server"
        server.write_text(STAND_IN)
        server.chmod(0o755)

    def run(self, env=None, args=(), hostname="web", as_nobody=False):
        full_env = {
            "PATH": "%s:/usr/bin:/bin" % self.bin,
            "CORRAL_DATA_DIR": str(self.data),
            "CORRAL_DATALOG_DIR": str(self.datalog),
            "CORRAL_CONF_DIR": str(self.conf),
            "CORRAL_HOSTNAME": hostname,
        }
        full_env.update(env or {})
        cmd = ["bash", str(ENTRYPOINT), *args]
        if as_nobody:
            cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
        return subprocess.run(cmd, env=full_env, cwd=self.data.parent, capture_output=True,
                              text=True, timeout=30)

    def config(self, result):
        assert result.returncode == 0, result.stderr
        text = result.stdout.split("--- config\n", 1)[1].split("--- myid\n", 1)[0]
        return dict(line.split("=", 1) for line in text.splitlines()
                    if line and not line.startswith("#"))


@pytest.fixture
def box(tmp_path):
    return Box(tmp_path)


def test_standalone_without_servers_needs_no_id(box):
    r = box.run()
    cfg = box.config(r)
    assert r.stdout.startswith("ARGS: %s/zoo.cfg\n" % box.data)
    assert cfg["dataDir"] == str(box.data)
    assert cfg["dataLogDir"] == str(box.datalog)
    assert cfg["clientPort"] == "2181"
    assert cfg["admin.serverPort"] == "8080"
    assert cfg["metricsProvider.httpPort"] == "7000"
    assert "ruok" in cfg["4lw.commands.whitelist"].split(",")
    assert not any(k.startswith("server.") for k in cfg)
    assert not (box.data / "myid").exists()


def test_member_id_is_the_pod_ordinal_plus_one(box):
    r = box.run({"CORRAL_SERVERS": SERVERS}, hostname="corral-2")
    cfg = box.config(r)
    assert (box.data / "myid").read_text() == "3\n"
    assert cfg["server.1"] == "corral-0.corral:2888:3888;2181"
    assert cfg["server.3"] == "corral-2.corral:2888:3888;2181"
    assert "member 3 (hostname corral-2: ordinal 2 + 1)" in r.stderr
    # A fully qualified hostname: the ordinal is at the end of its first label.
    box2 = box.run({"CORRAL_SERVERS": SERVERS, "CORRAL_MYID_OFFSET": "0"},
                   hostname="corral-2.corral.default.svc")
    assert box2.returncode == 1
    assert "/myid says member \"3\" but this container is member 2" in box2.stderr


def test_explicit_id_wins_over_the_hostname_and_keys_come_from_the_environment(box):
    (box.data.parent / "3=2:2888:3888").write_text("")  # what the entry, as a glob, matches
    r = box.run({"CORRAL_SERVERS": "1=a:2888:3888,2=b:2888:3888\n3=[2001:db8::3]:2888:3888",
                 "CORRAL_MYID": "2", "CORRAL_TICK_TIME": "500", "CORRAL_ENSEMBLE_ID": "prod/zk",
                 "CORRAL_METRICS_ENABLED": "false", "CORRAL_4LW_WHITELIST": "srvr,mntr",
                 "CORRAL_CFG_EXTRA": "readonlymode.enabled=true\ntickTime=700"},
                hostname="corral-0")
    cfg = box.config(r)
    assert (box.data / "myid").read_text() == "2\n"
    assert [cfg["server.%d" % i] for i in (1, 2, 3)] == \
        ["a:2888:3888", "b:2888:3888", "[2001:db8::3]:2888:3888"]
    assert cfg["ensembleId"] == "prod/zk"
    assert "metricsProvider.className" not in cfg
    assert cfg["4lw.commands.whitelist"] == "srvr,mntr,ruok"  # the HEALTHCHECK needs ruok
    assert cfg["readonlymode.enabled"] == "true"
    assert cfg["tickTime"] == "700"  # the extra lines come last, and the last value wins
    assert "member 2 (CORRAL_MYID)" in r.stderr


def test_no_derivable_id_fails_clearly_and_writes_nothing(box):
    r = box.run({"CORRAL_SERVERS": SERVERS}, hostname="webserver")
    assert r.returncode == 1
    assert "ARGS:" not in r.stdout
    assert "cannot tell which member this is: set CORRAL_MYID" in r.stderr
    assert not (box.data / "myid").exists()
    assert not (box.data / "zoo.cfg").exists()


def test_an_existing_myid_is_kept_and_never_overwritten(box):
    (box.data / "myid").write_text("2\n")
    r = box.run({"CORRAL_SERVERS": SERVERS}, hostname="webserver")
    assert box.config(r)["server.2"]
    assert "member 2 (from %s/myid" % box.data in r.stderr

    r = box.run({"CORRAL_SERVERS": SERVERS}, hostname="corral-0")
    assert r.returncode == 1
    assert "says member \"2\" but this container is member 1" in r.stderr
    assert "the volume belongs to another member" in r.stderr
    assert (box.data / "myid").read_text() == "2\n"


@pytest.mark.parametrize("env,hostname,message", [
    ({"CORRAL_MYID": "abc"}, "x", 'CORRAL_MYID must be a positive integer, got "abc"'),
    ({"CORRAL_MYID": "0"}, "x", 'CORRAL_MYID must be a positive integer, got "0"'),
    ({}, "corral-3", "member 4 (hostname corral-3: ordinal 3 + 1) is not in CORRAL_SERVERS (ids: 1 2 3)"),
    ({"CORRAL_SERVERS": "zk1:2888:3888"}, "corral-0",
     'CORRAL_SERVERS: "zk1:2888:3888" is not server.N=host:quorumPort:electionPort[;clientPort]'),
    ({"CORRAL_METRICS_ENABLED": "yes"}, "corral-0",
     'CORRAL_METRICS_ENABLED must be true or false, got "yes"'),
    ({"CORRAL_MYID_OFFSET": "-1"}, "corral-0",
     'CORRAL_MYID_OFFSET must be a non-negative integer, got "-1"'),
])
def test_bad_input_is_refused_with_a_message(box, env, hostname, message):
    full = {"CORRAL_SERVERS": SERVERS}
    full.update(env)
    r = box.run(full, hostname=hostname)
    assert r.returncode == 1, r.stdout
    assert "ARGS:" not in r.stdout
    assert "corral-entrypoint: error: " + message in r.stderr
    assert not (box.data / "myid").exists()  # a refused member leaves no identity behind


@pytest.mark.skipif(os.getuid() == 0 and shutil.which("setpriv") is None,
                    reason="root would pass every permission check, and setpriv is missing")
def test_a_data_dir_the_user_cannot_write_is_named():
    # As root, run it as nobody: root may write anywhere. pytest's own temporary directory is
    # closed to other users, so this box lives in one nobody can enter.
    top = pathlib.Path(tempfile.mkdtemp(prefix="corral-entrypoint-"))
    try:
        top.chmod(0o755)
        box = Box(top)
        r = box.run(as_nobody=os.getuid() == 0)
        assert r.returncode == 1
        assert "the data directory %s is not writable by uid" % box.data in r.stderr
        assert "fsGroup" in r.stderr
        missing = box.run({"CORRAL_DATALOG_DIR": str(top / "nowhere")})
        assert missing.returncode == 1
        assert "the transaction log directory %s does not exist" % (top / "nowhere") \
            in missing.stderr
    finally:
        shutil.rmtree(top)


def test_a_mounted_configuration_is_used_as_it_is(box):
    mounted = box.conf / "zoo.cfg"
    mounted.write_text("tickTime = 3000\ndataDir : ../data   # volume\nclientPort 2181\n"
                       "server.1=a:2888:3888\nserver.2=b:2888:3888\nserver.3=c:2888:3888\n")
    r = box.run({"CORRAL_TICK_TIME": "500"}, hostname="corral-1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ARGS: %s\n" % mounted)
    assert "tickTime = 3000" in r.stdout
    assert (box.data / "myid").read_text() == "2\n"  # its dataDir, resolved against conf/
    assert not (box.data / "zoo.cfg").exists()

    yaml = box.conf / "zoo.yaml"
    mounted.unlink()
    yaml.write_text('dataDir: "%s"\nclientPort: 2181\n' % box.datalog)
    r = box.run(hostname="corral-1")
    assert r.stdout.startswith("ARGS: %s\n" % yaml)
    assert not (box.datalog / "myid").exists()  # standalone: no server lines, no myid

    # Server lines in a dynamic configuration file count as server lines.
    yaml.unlink()
    dynamic = box.conf / "zoo.cfg"
    dynamic.write_text("dataDir=%s\nclientPort=2181\ndynamicConfigFile=zoo.cfg.dynamic\n"
                       % box.datalog)
    r = box.run(hostname="corral-0")
    assert r.returncode == 0, r.stderr
    assert (box.datalog / "myid").read_text() == "1\n"

    r = box.run({"CORRAL_CONFIG": str(box.conf / "missing.cfg")})
    assert r.returncode == 1
    assert "configuration %s/missing.cfg is missing or unreadable" % box.conf in r.stderr


def test_other_commands_run_as_given(box):
    r = box.run(args=("echo", "hello"))
    assert r.returncode == 0 and r.stdout == "hello\n"
    r = box.run(args=("corral-server", "/elsewhere/zoo.cfg"))
    assert r.stdout.startswith("ARGS: /elsewhere/zoo.cfg\n")
