"""Start and stop real servers for the integration tests: corral-server and Apache ZooKeeper.

Each server binds a free loopback port, keeps its files in a temporary directory, and is stopped
by its pid when the test is done. Readiness is awaited (the server answers `ruok` with `imok`),
never slept for.
"""
import os
import random
import signal
import socket
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD_DIR = os.environ.get("CORRAL_BUILD_DIR", os.path.join(ROOT, "build"))
CORRAL_SERVER = os.path.join(BUILD_DIR, "bin", "corral-server")
# servlet-api is on the classpath for ZooKeeper's AdminServer (Jetty), which the admin tests
# start to compare field names; Debian's zookeeper.jar manifest does not name it.
ZK_CLASSPATH = "/etc/zookeeper/conf:/usr/share/java/zookeeper.jar:/usr/share/java/servlet-api.jar"
PROMETHEUS_PROVIDER = "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider"
ZKCLI = "/usr/share/zookeeper/bin/zkCli.sh"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Ports free_listen_port has handed out in this process. A port it checks is free until the
# server binds it, so without this two calls for one ensemble (a member's peer port and another
# member's client port, say) could pick the same random port, and the second member to start
# failed with "Address already in use" (seen once in ./dev/test, test_reconfig).
_handed_out_ports = set()


def free_listen_port():
    """A free port below the kernel's ephemeral range, for a port a server binds after this
    returns, never one this process was given before. A port from the ephemeral range (what
    free_port gives) can meanwhile become the local end of an outgoing connection, and members
    of an ensemble dial each other while others still start, so their ports are taken from
    below it."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    for _ in range(200):
        port = random.randrange(10000, max(10001, low))
        if port in _handed_out_ports:
            continue
        _handed_out_ports.add(port)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    return free_port()


NOT_WHITELISTED = "%s is not executed because it is not in the whitelist.\n"


def four_letter(port, word, host="127.0.0.1", timeout=5.0):
    """Sends a four-letter word and returns the whole answer as text."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(word.encode())
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
    return b"".join(chunks).decode(errors="replace")


def wait_until(predicate, timeout=30.0, interval=0.02, what="condition"):
    """Polls predicate until it returns a truthy value; raises after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("timed out waiting for " + what)
        time.sleep(interval)


class Server:
    """A running server process. `port` is its client port on 127.0.0.1."""

    kind = "?"

    def __init__(self, workdir, extra_config=None):
        self.workdir = workdir
        self.port = free_port()
        self.data_dir = os.path.join(workdir, "data")
        os.makedirs(self.data_dir, exist_ok=True)
        self.config = {
            "tickTime": "2000",
            "dataDir": self.data_dir,
            "clientPort": str(self.port),
            "clientPortAddress": "127.0.0.1",
            "4lw.commands.whitelist": "*",
            "extendedTypesEnabled": "true",
            "maxClientCnxns": "0",
        }
        self.config.update(extra_config or {})
        self.proc = None
        self.log_path = os.path.join(workdir, "server.log")
        self.env = {}  # environment variables added to the process's

    @property
    def connect_string(self):
        return "127.0.0.1:%d" % self.port

    # Set to keep the server.N lines in a dynamicConfigFile beside zoo.cfg, as ZooKeeper does
    # for reconfig; the file is written once, then it is the server's to rewrite.
    dynamic_config = False

    @property
    def dynamic_config_path(self):
        return os.path.join(self.workdir, "zoo.cfg.dynamic")

    def write_config(self):
        path = os.path.join(self.workdir, "zoo.cfg")
        config = dict(self.config)
        if self.dynamic_config:
            lines = {k: config.pop(k) for k in list(config) if k.startswith("server.")}
            if not os.path.exists(self.dynamic_config_path):
                with open(self.dynamic_config_path, "w") as f:
                    for k, v in lines.items():
                        f.write("%s=%s\n" % (k, v))
            config["dynamicConfigFile"] = self.dynamic_config_path
        with open(path, "w") as f:
            for k, v in config.items():
                f.write("%s=%s\n" % (k, v))
        return path

    def command(self, config_path):
        raise NotImplementedError

    def start(self, timeout=60.0):
        self.start_process()
        wait_until(self._ready, timeout=timeout, what="%s to answer ruok" % self.kind)
        return self

    def start_process(self):
        config_path = self.write_config()
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            self.command(config_path), stdout=self.log, stderr=subprocess.STDOUT,
            cwd=self.workdir, start_new_session=True,
            env=dict(os.environ, **self.env) if self.env else None)

    def _ready(self):
        if self.proc.poll() is not None:
            raise RuntimeError("%s exited with %s; log:\n%s" % (
                self.kind, self.proc.returncode, self.read_log()[-4000:]))
        try:
            # Any answer means the server listens; ruok may be left out of the whitelist.
            return four_letter(self.port, "ruok", timeout=1.0) in ("imok", NOT_WHITELISTED % "ruok")
        except OSError:
            return False

    def read_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM, timeout=30.0):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        self.log.close()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None


def metrics_config():
    """zoo.cfg keys that turn on /metrics on a free loopback port."""
    return {"metricsProvider.className": PROMETHEUS_PROVIDER,
            "metricsProvider.httpHost": "127.0.0.1",
            "metricsProvider.httpPort": str(free_listen_port())}


class CorralServer(Server):
    kind = "corral-server"

    def __init__(self, workdir, extra_config=None):
        super().__init__(workdir, extra_config)
        # The admin API is on by default, as in ZooKeeper (port 8080): every server of a test
        # gets its own loopback port instead.
        self.config.setdefault("admin.serverAddress", "127.0.0.1")
        self.config.setdefault("admin.serverPort", str(free_listen_port()))

    @property
    def admin_url(self):
        return "http://127.0.0.1:%s/commands" % self.config["admin.serverPort"]

    @property
    def metrics_url(self):
        return "http://127.0.0.1:%s/metrics" % self.config["metricsProvider.httpPort"]

    def command(self, config_path):
        return [CORRAL_SERVER, config_path]


class ZooKeeperServer(Server):
    """Apache ZooKeeper 3.8 from Debian's `zookeeper` package, standalone."""

    kind = "zookeeper"

    def __init__(self, workdir, extra_config=None):
        super().__init__(workdir, extra_config)
        self.config.setdefault("admin.enableServer", "false")

    def system_properties(self):
        """zoo.cfg keys that Apache ZooKeeper only reads as JVM system properties (Corral reads
        them from zoo.cfg): `znode.*` and `zookeeper.*` keys verbatim, and the super digest under
        its `zookeeper.` name."""
        props = []
        for k, v in self.config.items():
            if k.startswith("znode.") or k.startswith("zookeeper."):
                props.append("-D%s=%s" % (k, v))
            elif k == "DigestAuthenticationProvider.superDigest":
                props.append("-Dzookeeper.%s=%s" % (k, v))
        return props

    def _ready(self):
        # ZooKeeper answers `ruok` before its request processors run; until they do, client
        # connections are dropped and `srvr` says "not currently serving requests".
        if not super()._ready():
            return False
        try:
            return "not currently serving" not in four_letter(self.port, "srvr", timeout=1.0)
        except OSError:
            return False

    def command(self, config_path):
        return ["java", "-Xmx512m", "-cp", ZK_CLASSPATH,
                "-Dzookeeper.log.dir=" + self.workdir,
                "-Dzookeeper.extendedTypesEnabled=true"] + self.system_properties() + [
                "org.apache.zookeeper.server.ZooKeeperServerMain", config_path]


class Ensemble:
    """N corral-server members on loopback, configured as ZooKeeper's are: the same server.N
    lines everywhere and a myid file in each dataDir. tickTime is short so elections take
    tenths of a second (Corral's election timeout is one to two tickTimes)."""

    def __init__(self, workdir, size=3, extra_config=None, tick_ms=200, proxied=False,
                 observers=(), dynamic_config=False):
        """proxied: every peer link goes through a PeerProxy (tests/integration/peer_proxy.py),
        so partition() can cut links; each member's config then names the proxies as its
        peers' addresses. observers: the ids configured with the observer role."""
        from peer_proxy import PeerProxy
        self.members = {}
        self.proxies = {}  # (from, to) -> PeerProxy
        quorum = {i: (free_listen_port(), free_listen_port()) for i in range(1, size + 1)}
        if proxied:
            for i in quorum:
                for j, (qp, _) in quorum.items():
                    if i != j:
                        self.proxies[(i, j)] = PeerProxy(qp)
        for i in range(1, size + 1):
            member_dir = os.path.join(workdir, "member%d" % i)
            os.makedirs(member_dir, exist_ok=True)
            config = {"tickTime": str(tick_ms), "initLimit": "10", "syncLimit": "5",
                      "ensembleId": "test-ensemble"}
            config.update(extra_config or {})
            member = CorralServer(member_dir, config)
            member.port = free_listen_port()
            member.config["clientPort"] = str(member.port)
            for j, (qp, ep) in quorum.items():
                port = self.proxies[(i, j)].port if (i, j) in self.proxies else qp
                member.config["server.%d" % j] = "127.0.0.1:%d:%d%s" % (
                    port, ep, ":observer" if j in observers else "")
            with open(os.path.join(member.data_dir, "myid"), "w") as f:
                f.write("%d\n" % i)
            member.member_id = i
            member.dynamic_config = dynamic_config
            self.members[i] = member
        self.workdir = workdir
        self.extra_config = dict(extra_config or {})
        self.dynamic_config = dynamic_config
        self.tick_ms = tick_ms
        self.spares = {}

    def spare(self, member_id, observer=False):
        """Starts a member the ensemble does not know yet, configured as one that will be added
        by reconfig: its own server line and the ensemble's. `server_line` is what a reconfig
        joining list gives for it."""
        quorum_port, election_port = free_listen_port(), free_listen_port()
        spec = "127.0.0.1:%d:%d:%s" % (quorum_port, election_port,
                                       "observer" if observer else "participant")
        config = {"tickTime": str(self.tick_ms), "initLimit": "10", "syncLimit": "5",
                  "ensembleId": "test-ensemble"}
        config.update(self.extra_config)
        any_member = next(iter(self.members.values()))
        for k, v in any_member.config.items():
            if k.startswith("server."):
                config[k] = v
        config["server.%d" % member_id] = spec
        member = CorralServer(os.path.join(self.workdir, "member%d" % member_id), config)
        member.port = free_listen_port()
        member.config["clientPort"] = str(member.port)
        member.dynamic_config = self.dynamic_config
        with open(os.path.join(member.data_dir, "myid"), "w") as f:
            f.write("%d\n" % member_id)
        member.member_id = member_id
        member.server_line = "server.%d=%s;127.0.0.1:%d" % (member_id, spec, member.port)
        self.spares[member_id] = member
        member.start()
        return member

    @property
    def connect_string(self):
        return ",".join(m.connect_string for m in self.members.values())

    def start(self):
        for m in self.members.values():
            m.start_process()
        for m in self.members.values():
            wait_until(m._ready, timeout=60, what="member %d to answer ruok" % m.member_id)
        self.await_serving()
        return self

    def mode(self, member):
        try:
            out = four_letter(member.port, "srvr", timeout=1.0)
        except OSError:
            return None
        for line in out.splitlines():
            if line.startswith("Mode: "):
                return line[len("Mode: "):]
        return None

    def leader(self):
        for m in self.members.values():
            if m.alive() and self.mode(m) == "leader":
                return m
        return None

    def followers(self):
        return [m for m in self.members.values() if m.alive() and self.mode(m) == "follower"]

    def await_serving(self, timeout=30.0, count=None):
        """Waits until a leader serves and `count` live members (default: all live) serve."""
        want = count if count is not None else sum(1 for m in self.members.values() if m.alive())

        def serving():
            modes = [self.mode(m) for m in self.members.values() if m.alive()]
            return modes.count("leader") == 1 and (
                modes.count("leader") + modes.count("follower") + modes.count("observer") >= want)
        try:
            wait_until(serving, timeout=timeout, what="the ensemble to serve")
        except TimeoutError:
            report = []
            for m in self.members.values():
                report.append("member %d: alive=%s exit=%s mode=%s; log tail:\n%s" % (
                    m.member_id, m.alive(), m.proc.poll() if m.proc else None,
                    self.mode(m) if m.alive() else None, m.read_log()[-1500:]))
            raise TimeoutError("the ensemble did not serve within %ss\n%s" % (
                timeout, "\n".join(report)))
        return self.leader()

    def partition(self, side_a, side_b, both_ways=True):
        """Cuts the links from every member of side_a to every member of side_b (and back)."""
        for a in side_a:
            for b in side_b:
                self.proxies[(a, b)].block()
                if both_ways:
                    self.proxies[(b, a)].block()

    def heal(self):
        for p in self.proxies.values():
            p.unblock()

    def stop(self):
        for m in list(self.members.values()) + list(self.spares.values()):
            m.stop()
        for p in self.proxies.values():
            p.close()
