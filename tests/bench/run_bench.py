#!/usr/bin/python3
"""Corral side by side with Apache ZooKeeper on this machine, in one run (docs/benchmarks.md).

Starts Apache ZooKeeper 3.8 (Debian's `zookeeper` package) and corral-server with the same
zoo.cfg settings, 1 or 3 members each, on 127.0.0.1 in a temporary directory, and drives both
with the same tools (built from tests/bench/):

  corral-bench-lean     one-thread epoll wire client, pipelined: measures the server
  corral-bench-cclient  the official C client (libzookeeper_mt, async API): what apps see
  corral-bench-null     a server that answers correctly and does nothing: the rig's ceiling

Every workload runs against each server alternately (ZooKeeper, Corral, ZooKeeper, Corral...)
for several rounds. Round 1 is a warm-up (ZooKeeper's JIT compiles during it); it is shown
apart and left out of the medians. It also measures the disk's write+fdatasync latency in the
data directory, bulk-loads 500,000 znodes into each server (time, RSS per member, and
restart-to-serving), and prints a markdown report (stdout, and --output FILE).

Every process it starts is stopped by its pid, also on Ctrl-C or an error.

Usage: /usr/bin/python3 tests/bench/run_bench.py [--members 3|1] [--rounds 3] [--duration-s 10]
       (or ./dev/bench, which installs packages and builds first); --help lists every flag.
"""
import argparse
import datetime
import json
import multiprocessing
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import servers  # noqa: E402  (launcher helpers shared with the integration tests)
import zkwire  # noqa: E402

ZOOKEEPER = "zookeeper"
CORRAL = "corral"
NULL = "null"
TARGET_NAMES = {ZOOKEEPER: "ZooKeeper", CORRAL: "Corral", NULL: "null responder"}

# ZooKeeper's own default heap (zkEnv.sh: ZK_SERVER_HEAP=1000, i.e. -Xmx1000m).
DEFAULT_ZK_HEAP_MB = 1000

# Workloads whose figures include writes: both servers fsync every write before replying
# (Corral groups them), so they depend on the disk as much as on the server.
WRITE_WORKLOADS = {"mixed", "write", "create-delete"}


class NotSupported(Exception):
    """The server refused the configuration as not supported (yet)."""


# --- Processes ------------------------------------------------------------------------------

class Member:
    """Launch/readiness split of servers.Server, so that ensemble members start together."""

    def launch(self):
        config_path = self.write_config()
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            self.command(config_path), stdout=self.log, stderr=subprocess.STDOUT,
            cwd=self.workdir, start_new_session=True)

    def cpu_s(self):
        return process_cpu_s(self.proc.pid)

    def rss_kib(self):
        """VmRSS of the server process (for ZooKeeper: the java process itself)."""
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return None


class ZooKeeperMember(Member, servers.ZooKeeperServer):
    def __init__(self, workdir, heap_mb, ensemble):
        super().__init__(workdir)
        self.config.pop("extendedTypesEnabled", None)
        self.heap_mb = heap_mb
        self.ensemble = ensemble

    def command(self, config_path):
        main = ("org.apache.zookeeper.server.quorum.QuorumPeerMain" if self.ensemble
                else "org.apache.zookeeper.server.ZooKeeperServerMain")
        return ["java", "-Xmx%dm" % self.heap_mb, "-cp", servers.ZK_CLASSPATH,
                "-Dzookeeper.log.dir=" + self.workdir] + self.system_properties() + [
                main, config_path]

    def _ready(self):
        if not super()._ready():
            return False
        if not self.ensemble:
            return True
        try:  # a member serves once it has a role in a quorum
            return "Mode: " in servers.four_letter(self.port, "srvr", timeout=1.0)
        except OSError:
            return False


class CorralMember(Member, servers.CorralServer):
    def __init__(self, workdir, binary):
        super().__init__(workdir)
        self.config.pop("extendedTypesEnabled", None)
        self.binary = binary

    def command(self, config_path):
        return [self.binary, config_path]


class Ensemble:
    """`members` servers of one kind on loopback, each in its own directory under base_dir."""

    def __init__(self, kind, members, base_dir, args):
        self.kind = kind
        self.members = []
        for i in range(1, members + 1):
            workdir = os.path.join(base_dir, "%s-%d" % (kind, i))
            os.makedirs(workdir, exist_ok=True)
            if kind == ZOOKEEPER:
                self.members.append(ZooKeeperMember(workdir, args.zk_heap_mb, members > 1))
            else:
                self.members.append(
                    CorralMember(workdir, os.path.join(args.build_dir, "bin", "corral-server")))
        if members > 1:
            lines = {}
            for i in range(1, members + 1):
                lines["server.%d" % i] = "127.0.0.1:%d:%d" % (servers.free_port(),
                                                               servers.free_port())
            for i, m in enumerate(self.members, 1):
                m.config.update({"initLimit": "10", "syncLimit": "5"})
                m.config.update(lines)
                with open(os.path.join(m.data_dir, "myid"), "w") as f:
                    f.write("%d\n" % i)

    @property
    def servers_arg(self):
        return ",".join(m.connect_string for m in self.members)

    def start(self, timeout=120.0):
        for m in self.members:
            m.launch()
        try:
            for m in self.members:
                servers.wait_until(m._ready, timeout=timeout, what="%s to serve" % m.kind)
            # ruok answers before an ensemble has a leader; a member serves once srvr shows its
            # mode (both servers answer "not currently serving" before). Without this a run
            # could start its load mid-election and fail at the first connect.
            for m in self.members:
                servers.wait_until(lambda: "Mode: " in self._srvr(m), timeout=timeout,
                                   what="%s to have a leader" % m.kind)
        except RuntimeError as e:
            log = "\n".join(m.read_log() for m in self.members)
            self.stop()
            if "not supported" in log or "not yet supported" in log:
                line = next((x for x in log.splitlines() if "supported" in x), "")
                # The message names the member's temporary config file; that path says nothing.
                line = line.replace(self.members[0].workdir + "/", "")
                raise NotSupported(line.strip()) from e
            raise

    def connect_string_of(self, role):
        """The connect string of the first member whose srvr says `role` ("leader" or
        "follower"); with one member, that member's (it is standalone)."""
        if len(self.members) == 1:
            return self.members[0].connect_string
        for m in self.members:
            if ("Mode: %s" % role) in self._srvr(m):
                return m.connect_string
        raise RuntimeError("%s: no member is %s now" % (self.kind, role))

    @staticmethod
    def _srvr(member):
        try:
            return servers.four_letter(member.port, "srvr", timeout=1.0)
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM):
        for m in self.members:
            if m.proc is not None:
                m.stop(sig)

    def rss_kib(self):
        return [m.rss_kib() for m in self.members]

    def cpu_s(self):
        """CPU seconds (user + system, every thread) used so far by all members together."""
        return sum(m.cpu_s() for m in self.members)


class NullResponder:
    def __init__(self, binary):
        self.proc = subprocess.Popen([binary, "--port", "0"], stdout=subprocess.PIPE, text=True,
                                     start_new_session=True)
        banner = self.proc.stdout.readline()
        if "listening on" not in banner:
            raise RuntimeError("corral-bench-null did not start: %r" % banner)
        self.servers_arg = banner.split()[-1]

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        self.proc = None

    def cpu_s(self):
        return process_cpu_s(self.proc.pid)


def process_cpu_s(pid):
    """utime + stime of a process (all its threads) in seconds, from /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- Measurements ---------------------------------------------------------------------------

def run_tool(binary, servers_arg, workload, args, duration_s, connections=None, window=None,
             rate_ops_s=0.0, znodes=None, prefix="/bench", timeout_s=None):
    """Runs one load generator; returns its JSON result, with 'failed' set if it had none."""
    cmd = [binary, "--servers", servers_arg, "--workload", workload,
           "--connections", str(connections or args.connections),
           "--window-requests", str(window or args.window_requests),
           "--duration-s", str(duration_s), "--warmup-s", str(args.warmup_s),
           "--znodes", str(znodes or args.znodes), "--prefix", prefix,
           "--data-bytes", str(args.data_bytes), "--rate-ops-s", str(rate_ops_s)]
    timeout_s = timeout_s or duration_s + args.warmup_s + 120
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return {"failed": "timed out after %d s" % timeout_s, "errors": 1}
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"failed": "exit %d: %s" % (proc.returncode, proc.stderr.strip()[-300:]),
                "errors": 1}
    result = json.loads(lines[-1])
    result["exit_code"] = proc.returncode
    if workload != "populate" and result.get("ops") == 0:
        # A server that stalled for the whole window answered nothing in it: that is no
        # throughput figure (0 ops/s) and no latency figure (none was recorded).
        result["failed"] = "no reply within the %g s measured window" % duration_s
    return result


def fdatasync_samples(path, mode, seconds, block_bytes=4096, start_barrier=None):
    """Latencies (ns) of write(4 KiB) + fdatasync into `path`: a file preallocated with written
    zeros (mode "preallocated": only data is flushed, as a log that preallocates) or a growing
    one ("append": the size changes every time, so metadata is flushed too)."""
    block = b"\xab" * block_bytes
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        if mode == "preallocated":
            zeros = b"\0" * (1 << 20)
            for _ in range(64):
                os.write(fd, zeros)
            os.fsync(fd)
            os.lseek(fd, 0, os.SEEK_SET)
        if start_barrier is not None:
            start_barrier.wait()
        samples = []
        deadline = time.monotonic() + seconds
        offset = 0
        while time.monotonic() < deadline or len(samples) < 100:
            t0 = time.perf_counter_ns()
            os.write(fd, block)
            os.fdatasync(fd)
            samples.append(time.perf_counter_ns() - t0)
            offset += block_bytes
            if mode == "preallocated" and offset >= (64 << 20):
                os.lseek(fd, 0, os.SEEK_SET)
                offset = 0
        return samples
    finally:
        os.close(fd)
        os.unlink(path)


def _fdatasync_writer(path, seconds, barrier, results):
    results.put(fdatasync_samples(path, "preallocated", seconds, start_barrier=barrier))


def measure_fdatasync(directory, seconds=2.0):
    """The disk's write+fdatasync latency: {mode: (p50_us, p99_us, count)} for one writer into
    a preallocated file ("preallocated") and into a growing one ("append"), and for 2 and 3
    processes writing their own preallocated files at once ("preallocated x2", "... x3"). The
    members of an ensemble on this machine share its disk: a replicated write waits for the
    fsyncs of at least two of them, issued at about the same time."""
    def summary(samples):
        samples.sort()
        return (samples[len(samples) // 2] / 1000.0,
                samples[min(len(samples) - 1, int(len(samples) * 0.99))] / 1000.0, len(samples))

    results = {}
    for mode in ("preallocated", "append"):
        path = os.path.join(directory, "fdatasync-probe-" + mode)
        results[mode] = summary(fdatasync_samples(path, mode, seconds))
    context = multiprocessing.get_context("fork")
    for writers in (2, 3):
        barrier = context.Barrier(writers)
        queue = context.Queue()
        procs = [context.Process(target=_fdatasync_writer, args=(
            os.path.join(directory, "fdatasync-probe-%d-of-%d" % (i, writers)), seconds,
            barrier, queue)) for i in range(writers)]
        for p in procs:
            p.start()
        samples = []
        for _ in procs:
            samples.extend(queue.get(timeout=60 + seconds))
        for p in procs:
            p.join()
        results["preallocated x%d" % writers] = summary(samples)
    return results


def wait_for_znode(port, path, t0, timeout_s):
    """Polls getData(path) on 127.0.0.1:port until it succeeds. Returns ('ok', seconds since
    t0 (time.monotonic())), ('missing', seconds) when the server serves but the znode is gone
    (it was not durable), or ('timeout', seconds)."""
    while time.monotonic() - t0 < timeout_s:
        try:
            c = zkwire.Connection("127.0.0.1", port, timeout=2.0)
            try:
                c.handshake(timeout_ms=30000)
                reply = c.call(zkwire.OP_GET_DATA, zkwire.get_data_request(path))
            finally:
                c.close()
            if reply.err == zkwire.OK:
                return "ok", time.monotonic() - t0
            if reply.err == zkwire.NONODE:
                return "missing", time.monotonic() - t0
        except (OSError, zkwire.ConnectionClosed, zkwire.ProtocolError):
            pass
        time.sleep(0.005)
    return "timeout", time.monotonic() - t0


# --- The plan -------------------------------------------------------------------------------

class Workload:
    def __init__(self, key, tool_workload, label, connections=None, window=None, ceiling=True,
                 via=None):
        self.key = key
        self.tool_workload = tool_workload
        self.label = label
        self.connections = connections
        self.window = window
        self.ceiling = ceiling  # also run against the null responder
        # None: the generator spreads its connections over every member; "leader" or
        # "follower": its one connection goes to a member in that role (an ensemble only).
        self.via = via

    @property
    def one_in_flight(self):
        return self.connections == 1 and self.window == 1

    @property
    def writes(self):
        return self.tool_workload in WRITE_WORKLOADS


def closed_loop_workloads(args):
    every = [
        Workload("read", "read", "read (getData)"),
        Workload("mixed", "mixed", "mixed 90% getData / 10% setData"),
        Workload("write", "write", "write (setData)"),
        Workload("create-delete", "create-delete", "create + delete"),
        Workload("read-1", "read", "read, 1 in flight (latency)", 1, 1),
        # A write reaches the leader and back through the member the client talks to: through
        # a follower two more hops than through the leader. Measured both ways so that which
        # member an election happened to choose does not move the figure.
        Workload("write-1", "write", "write, 1 in flight, via a follower (latency)", 1, 1,
                 ceiling=False, via="follower"),
        Workload("write-1-leader", "write", "write, 1 in flight, via the leader (latency)", 1, 1,
                 ceiling=False, via="leader"),
    ]
    if args.members == 1:  # standalone: no roles, one write-1
        every = [w for w in every if w.key != "write-1-leader"]
        every[-1] = Workload("write-1", "write", "write, 1 in flight (latency)", 1, 1,
                             ceiling=False)
    return [w for w in every if w.key in args.workloads]


def progress(message):
    print("[bench %s] %s" % (time.strftime("%H:%M:%S"), message), file=sys.stderr, flush=True)


def describe(result):
    if result.get("failed"):
        return "FAILED: " + result["failed"]
    text = "%.0f ops/s  p50 %.0f us  p99 %.0f us  p999 %.0f us" % (
        result["ops_per_s"], result["p50_us"], result["p99_us"], result["p999_us"])
    if result.get("offered_ops_s"):
        text += "  (issued late p99 %.0f us)" % result["schedule_lag_p99_us"]
    if result["errors"]:
        text += "  ERRORS %d %s" % (result["errors"], json.dumps(result["error_detail"]))
    return text


class Bench:
    def __init__(self, args):
        self.args = args
        self.bin = os.path.join(args.build_dir, "bin")
        self.lean = os.path.join(self.bin, "corral-bench-lean")
        self.cclient = os.path.join(self.bin, "corral-bench-cclient")
        self.started = []  # everything to stop, in order
        self.results = {}  # (section, workload key, target) -> [(round, result)]
        self.unsupported = {}  # target -> reason
        self.report = {}

    # -- processes --
    def start_ensemble(self, kind, base_dir):
        ensemble = Ensemble(kind, self.args.members, base_dir, self.args)
        self.started.append(ensemble)
        progress("starting %s (%d member%s)" % (TARGET_NAMES[kind], self.args.members,
                                                "s" if self.args.members > 1 else ""))
        try:
            ensemble.start()
        except NotSupported as e:
            self.unsupported[kind] = str(e)
            progress("%s: not yet supported with %d members: %s" % (
                TARGET_NAMES[kind], self.args.members, e))
            return None
        progress("%s serving on %s" % (TARGET_NAMES[kind], ensemble.servers_arg))
        return ensemble

    def stop_all(self):
        for thing in reversed(self.started):
            try:
                thing.stop()
            except Exception as e:  # keep stopping the others
                print("bench: stopping %r: %s" % (thing, e), file=sys.stderr)
        self.started = []

    def measure(self, section, key, target_name, target, round_index, binary, workload,
                duration, via=None, **kwargs):
        """One run of a load generator against `target` (against its member in role `via`
        when given), with the server's CPU time per reply (all threads of every member, over
        the whole run) added to the result."""
        servers_arg = target.servers_arg
        if via is not None and isinstance(target, Ensemble):
            try:
                servers_arg = target.connect_string_of(via)
            except RuntimeError as e:  # mid-election: this round has no figure
                self.record(section, key, target_name, round_index,
                            {"failed": str(e), "errors": 1})
                return
        cpu_before = target.cpu_s()
        r = run_tool(binary, servers_arg, workload, self.args, duration, **kwargs)
        cpu = target.cpu_s() - cpu_before
        if not r.get("failed") and r.get("replies"):
            r["server_cpu_us_per_reply"] = cpu * 1e6 / r["replies"]
        self.record(section, key, target_name, round_index, r)

    def record(self, section, key, target, round_index, result):
        self.results.setdefault((section, key, target), []).append((round_index, result))
        progress("%-8s %-14s %-15s round %d: %s" % (section, key, TARGET_NAMES[target],
                                                    round_index + 1, describe(result)))

    # -- phases --
    def run(self):
        args = self.args
        base = tempfile.mkdtemp(prefix="corral-bench-", dir=args.work_dir)
        self.report["work_dir"] = base
        try:
            self.report["machine"] = machine_info(base)
            self.report["load_before"] = os.getloadavg()
            progress("measuring write+fdatasync in %s" % base)
            self.report["fdatasync"] = measure_fdatasync(base)
            if not args.bulk_only:
                self.small_phases(base)
            if args.bulk_znodes > 0:
                for bulk_round in range(args.bulk_rounds):
                    self.bulk_phase(os.path.join(base, "bulk-%d" % (bulk_round + 1)))
            self.report["load_after"] = os.getloadavg()
        finally:
            self.stop_all()
            if args.keep_work_dir:
                progress("kept %s" % base)
            else:
                shutil.rmtree(base, ignore_errors=True)

    def small_phases(self, base):
        """The closed-loop, fixed-rate and C-client phases against the 10,000-znode set."""
        args = self.args
        null = NullResponder(os.path.join(self.bin, "corral-bench-null"))
        self.started.append(null)
        targets = {NULL: null}
        for kind in (ZOOKEEPER, CORRAL):
            ensemble = self.start_ensemble(kind, os.path.join(base, "bench"))
            if ensemble is not None:
                targets[kind] = ensemble
        for kind in (ZOOKEEPER, CORRAL):
            if kind in targets:
                r = run_tool(self.lean, targets[kind].servers_arg, "populate", args, 1,
                             connections=4, window=64, timeout_s=600)
                if r.get("failed") or r["errors"]:
                    raise RuntimeError("populating %s failed: %s" % (kind, describe(r)))
        self.closed_loop(targets)
        self.fixed_rate(targets)
        if not args.skip_cclient and os.path.exists(self.cclient):
            self.cclient_phase(targets)
        self.stop_all()

    def order(self, targets, with_null):
        order = [t for t in (ZOOKEEPER, CORRAL) if t in targets]
        if with_null:
            order.append(NULL)
        return order

    def closed_loop(self, targets):
        args = self.args
        rounds = 1 + args.rounds  # round 1 warms up
        for round_index in range(rounds):
            for w in closed_loop_workloads(args):
                for target in self.order(targets, w.ceiling and not args.skip_ceiling):
                    duration = args.warmup_round_s if round_index == 0 else args.duration_s
                    if target == NULL:
                        if round_index == 0:
                            continue  # nothing to warm up
                        duration = min(args.duration_s, args.ceiling_duration_s)
                    self.measure("lean", w.key, target, targets[target], round_index, self.lean,
                                 w.tool_workload, duration, via=w.via,
                                 connections=w.connections, window=w.window)

    def fixed_rate(self, targets):
        """The same offered load for both servers, so their latency is compared at equal load."""
        args = self.args
        if not args.fixed_rate_workloads:
            return
        rates = args.offered_ops_s
        if not rates:
            medians = [median_of(self.measured("lean", "mixed", t), "ops_per_s")
                       for t in (ZOOKEEPER, CORRAL) if t in targets]
            medians = [m for m in medians if m]
            if not medians:
                progress("no closed-loop mixed figure to derive the offered load from; skipped")
                return
            rates = [round(f * min(medians), -2) for f in args.offered_fractions]
        self.report["offered_ops_s"] = rates
        for round_index in range(1, 1 + args.rounds):
            for rate in rates:
                for workload in args.fixed_rate_workloads:
                    for target in self.order(targets, False):
                        self.measure("rate", "%s@%d" % (workload, rate), target,
                                     targets[target], round_index, self.lean, workload,
                                     args.duration_s, rate_ops_s=rate)

    def cclient_phase(self, targets):
        args = self.args
        for round_index in range(1, 1 + args.rounds):  # ZooKeeper is warm by now
            for workload in args.cclient_workloads:
                for target in self.order(targets, not args.skip_ceiling):
                    self.measure("cclient", workload, target, targets[target], round_index,
                                 self.cclient, workload, args.duration_s)

    def bulk_phase(self, base):
        """Per server, fresh: load N znodes of --data-bytes (pipelined creates), read RSS of
        every member, then kill -9 every member, restart, and time until getData of the last
        znode succeeds."""
        args = self.args
        n = args.bulk_znodes
        last_path = "/bulk/n%08d" % (n - 1)
        for kind in (ZOOKEEPER, CORRAL):
            if kind in self.unsupported:
                continue
            entry = {}
            self.report.setdefault("bulk", {}).setdefault(kind, []).append(entry)
            ensemble = self.start_ensemble(kind, os.path.join(base, kind))
            if ensemble is None:
                continue
            entry["rss_empty_kib"] = ensemble.rss_kib()
            progress("%s: creating %d znodes of %d bytes" % (TARGET_NAMES[kind], n,
                                                            args.data_bytes))
            r = run_tool(self.lean, ensemble.servers_arg, "populate", args, 1,
                         connections=args.bulk_connections, window=args.bulk_window_requests,
                         znodes=n, prefix="/bulk", timeout_s=3600)
            entry["load"] = r
            progress("%s: bulk load: %s in %.1f s" % (TARGET_NAMES[kind], describe(r),
                                                      r.get("measured_s", 0)))
            if r.get("failed") or r["errors"]:
                ensemble.stop()
                continue
            time.sleep(args.settle_s)
            entry["rss_kib"] = ensemble.rss_kib()
            progress("%s: RSS per member %s KiB" % (TARGET_NAMES[kind], entry["rss_kib"]))
            ensemble.stop(signal.SIGKILL)
            t0 = time.monotonic()
            for m in ensemble.members:
                m.launch()
            status, seconds = wait_for_znode(ensemble.members[0].port, last_path, t0,
                                             args.restart_timeout_s)
            entry["restart"] = (status, seconds)
            if status == "ok":
                entry["rss_restarted_kib"] = ensemble.rss_kib()
            if kind == CORRAL:
                entry["replayed_entries"] = corral_replayed_entries(ensemble.members[0])
            progress("%s: restart: getData %s -> %s after %.2f s%s" % (
                TARGET_NAMES[kind], last_path, status, seconds,
                "" if entry.get("replayed_entries") is None else
                " (%d log entries replayed)" % entry["replayed_entries"]))
            ensemble.stop()

    # -- results --
    def measured(self, section, key, target):
        """The measured rounds (not the warm-up) that completed; a round that failed is left
        out of the medians and listed under the table (left_out)."""
        return [r for i, r in self.results.get((section, key, target), [])
                if i >= 1 and not r.get("failed")]

    def left_out(self):
        """'section workload server rN: why' for every measured round that failed."""
        return ["%s %s %s r%d: %s" % (section, key, TARGET_NAMES[target], i + 1, r["failed"])
                for (section, key, target), rounds in sorted(self.results.items())
                for i, r in rounds if i >= 1 and r.get("failed")]

    def warmup(self, section, key, target):
        return [r for i, r in self.results.get((section, key, target), []) if i == 0]


def corral_replayed_entries(member):
    """How many log entries Corral's last start replayed after its snapshot (its recovery log
    line), or None. With the default snapCount a restart replays 0 to ~100,000 entries, chosen by
    when the last snapshot happened to be taken, so the figure explains much of the spread."""
    lines = [x for x in member.read_log().splitlines() if "recovered to zxid" in x]
    if not lines:
        return None
    words = lines[-1].split()
    try:
        return int(words[words.index("log") - 1])
    except (ValueError, IndexError):
        return None


def median_of(results, field):
    """Median of `field` over results; None if there are none or any failed or had errors."""
    if not results or any(r.get("failed") or r.get("errors") for r in results):
        return None
    return statistics.median(r[field] for r in results)


def machine_info(directory):
    info = {"nproc": os.cpu_count(), "kernel": platform.release()}
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next(x.split(":", 1)[1].strip() for x in f if x.startswith("model name"))
    except (OSError, StopIteration):
        info["cpu"] = "?"
    with open("/proc/meminfo") as f:
        info["memory_gib"] = int(f.readline().split()[1]) / (1 << 20)
    try:
        out = subprocess.run(["df", "--output=source,fstype", directory], stdout=subprocess.PIPE,
                             text=True).stdout.splitlines()[-1].split()
        info["disk"] = "%s (%s)" % (out[0], out[1])
    except (OSError, IndexError):
        info["disk"] = "?"
    info["java"] = subprocess.run(["java", "-version"], stderr=subprocess.PIPE,
                                  text=True).stderr.splitlines()[0]
    return info


# --- The report -----------------------------------------------------------------------------

def fmt_int(x):
    return "—" if x is None else "{:,.0f}".format(x)


def fmt_ratio(a, b):
    if a is None or b is None or b == 0:
        return "—"
    return "%.2f×" % (a / b)


def cell(bench, section, key, target):
    """(ops/s, p50, p99, p999, text) for one table cell."""
    if target in bench.unsupported:
        return None, None, None, None, "not yet supported"
    results = bench.measured(section, key, target)
    if not results:
        failed = any(r.get("failed") for _, r in bench.results.get((section, key, target), []))
        return None, None, None, None, "failed" if failed else "—"
    if any(r.get("errors") for r in results):
        return None, None, None, None, "errors (%d)" % sum(r["errors"] for r in results)
    ops = median_of(results, "ops_per_s")
    p50, p99, p999 = (median_of(results, f) for f in ("p50_us", "p99_us", "p999_us"))
    return ops, p50, p99, p999, None


def write_floor_us(bench):
    """What one write in flight cannot beat on this rig, from figures of the same run, or None:
    {"rtt_us": a loopback round trip with a wake-up at each end (the null responder's
    one-in-flight read p50), "via_leader_us": 2 round trips + one fsync overlapped with
    another's, "via_follower_us": 3 round trips + that fsync}."""
    fs = bench.report.get("fdatasync", {})
    rtt = cell(bench, "lean", "read-1", NULL)[1]
    if rtt is None or "preallocated x2" not in fs:
        return None
    fsync = fs["preallocated x2"][0]
    return {"rtt_us": rtt, "via_leader_us": 2 * rtt + fsync, "via_follower_us": 3 * rtt + fsync}


def latency_text(p50, p99, p999):
    return "%s / %s / %s" % (fmt_int(p50), fmt_int(p99), fmt_int(p999))


def render(bench):
    a = bench.args
    rep = bench.report
    m = rep["machine"]
    out = []
    w = out.append
    w("## Corral vs Apache ZooKeeper 3.8 — %d member%s, %s" % (
        a.members, "s" if a.members > 1 else "",
        datetime.datetime.now().strftime("%Y-%m-%d %H:%M")))
    w("")
    w("Machine: %d CPUs (%s), %.0f GiB RAM, data on %s, kernel %s, %s. Load average before "
      "the run %.2f, after %.2f." % (
          m["nproc"], m["cpu"], m["memory_gib"], m["disk"], m["kernel"], m["java"],
          rep["load_before"][0], rep.get("load_after", (float("nan"),))[0]))
    if a.bulk_only:
        w("ZooKeeper: `-Xmx%dm` (its zkEnv.sh default), Corral: RelWithDebInfo build. Same "
          "zoo.cfg settings (tickTime 2000, maxClientCnxns 0, 4lw all). The bulk phase only "
          "(`--bulk-only`), %d round%s." % (a.zk_heap_mb, a.bulk_rounds,
                                            "s" if a.bulk_rounds > 1 else ""))
    else:
        w("ZooKeeper: `-Xmx%dm` (its zkEnv.sh default), Corral: RelWithDebInfo build. Same "
          "zoo.cfg settings (tickTime 2000, maxClientCnxns 0, 4lw all). Lean generator: %d "
          "connections × %d requests in flight, %d-byte data, %d znodes; %d measured rounds × "
          "%g s after a %g s warm-up round (round 1, shown apart); each figure is the median "
          "over the measured rounds. Latency in µs (p50 / p99 / p999)." % (
              a.zk_heap_mb, a.connections, a.window_requests, a.data_bytes, a.znodes,
              a.rounds, a.duration_s, a.warmup_round_s))
    for kind, reason in bench.unsupported.items():
        w("")
        w("**%s with %d members: not yet supported** (%s)." % (TARGET_NAMES[kind], a.members,
                                                              reason))
    w("")
    w("† includes writes: both servers make every write durable (fdatasync) before replying; "
      "the disk's own latency is measured below.")
    rows = closed_loop_workloads(a)
    if rows or rep.get("offered_ops_s"):
        w("")
        w("| workload (lean generator) | ZooKeeper ops/s | Corral ops/s | Corral/ZK ops/s "
          "| ZooKeeper latency µs | Corral latency µs | Corral/ZK p99 "
          "| rig ceiling ops/s (null) |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        key, label, section, one_in_flight = row.key, row.label, "lean", row.one_in_flight
        zk = cell(bench, section, key, ZOOKEEPER)
        co = cell(bench, section, key, CORRAL)
        nu = cell(bench, section, key, NULL)
        dagger = " †" if row.writes else ""
        ratio_ops = fmt_ratio(co[0], zk[0])
        if one_in_flight:
            ratio_lat = fmt_ratio(co[1], zk[1]) + (" (p50)" if co[1] and zk[1] else "")
        else:
            ratio_lat = fmt_ratio(co[2], zk[2])
        w("| %s%s | %s | %s | %s | %s | %s | %s | %s |" % (
            label, dagger, zk[4] or fmt_int(zk[0]), co[4] or fmt_int(co[0]), ratio_ops,
            zk[4] or latency_text(*zk[1:4]), co[4] or latency_text(*co[1:4]), ratio_lat,
            nu[4] or fmt_int(nu[0]) + (" (p50 %s µs)" % fmt_int(nu[1]) if one_in_flight
                                       else "")))
    lags = []
    for rate in rep.get("offered_ops_s", []):
        for workload in a.fixed_rate_workloads:
            key = "%s@%d" % (workload, rate)
            zk = cell(bench, "rate", key, ZOOKEEPER)
            co = cell(bench, "rate", key, CORRAL)
            dagger = " †" if workload in WRITE_WORKLOADS else ""
            w("| %s at a fixed %s ops/s offered%s | %s | %s | %s | %s | %s | %s | — |" % (
                workload, fmt_int(rate), dagger, zk[4] or fmt_int(zk[0]),
                co[4] or fmt_int(co[0]), fmt_ratio(co[0], zk[0]),
                zk[4] or latency_text(*zk[1:4]), co[4] or latency_text(*co[1:4]),
                fmt_ratio(co[2], zk[2])))
            for target in (ZOOKEEPER, CORRAL):
                lag = median_of(bench.measured("rate", key, target), "schedule_lag_p99_us")
                if lag is not None:
                    lags.append("%s %s µs against %s" % (key, fmt_int(lag),
                                                         TARGET_NAMES[target]))
    if lags:
        w("")
        w("Fixed offered load: latency counts from each request's scheduled time, so it includes "
          "the generator's own lateness and any wait for a free window slot; that lag's p99 was "
          + "; ".join(lags) + ".")
    if not a.skip_cclient and any(k[0] == "cclient" for k in bench.results):
        w("")
        w("| workload (official C client, %d handles × %d in flight) | ZooKeeper ops/s "
          "| Corral ops/s | Corral/ZK ops/s | ZooKeeper latency µs | Corral latency µs "
          "| rig ceiling ops/s (null) | Corral / ceiling |" % (a.connections, a.window_requests))
        w("|---|---:|---:|---:|---:|---:|---:|---:|")
        for workload in a.cclient_workloads:
            zk = cell(bench, "cclient", workload, ZOOKEEPER)
            co = cell(bench, "cclient", workload, CORRAL)
            nu = cell(bench, "cclient", workload, NULL)
            dagger = " †" if workload in WRITE_WORKLOADS else ""
            w("| %s%s | %s | %s | %s | %s | %s | %s | %s |" % (
                workload, dagger, zk[4] or fmt_int(zk[0]), co[4] or fmt_int(co[0]),
                fmt_ratio(co[0], zk[0]), zk[4] or latency_text(*zk[1:4]),
                co[4] or latency_text(*co[1:4]), nu[4] or fmt_int(nu[0]), fmt_ratio(co[0], nu[0])))
    left_out = bench.left_out()
    if left_out:
        w("")
        w("Rounds left out of the medians above (they failed): " + "; ".join(left_out) + ".")
    cpu_rows = []
    for (section, key, target), _ in sorted(bench.results.items()):
        if target != ZOOKEEPER:
            continue
        zk = median_of(bench.measured(section, key, ZOOKEEPER), "server_cpu_us_per_reply")
        co = median_of(bench.measured(section, key, CORRAL), "server_cpu_us_per_reply")
        cpu_rows.append("| %s %s | %s | %s | %s |" % (
            section, key, "—" if zk is None else "%.1f" % zk,
            "not yet supported" if CORRAL in bench.unsupported else (
                "—" if co is None else "%.1f" % co), fmt_ratio(co, zk)))
    if cpu_rows:
        w("")
        w("Server CPU time per request (µs of user + system time, every thread of every member, "
          "over the whole run divided by every reply; median of the measured rounds). Less "
          "sensitive than throughput to other work on the machine.")
        w("")
        w("| run | ZooKeeper | Corral | Corral/ZK |")
        w("|---|---:|---:|---:|")
        out.extend(cpu_rows)
    fs = rep["fdatasync"]
    w("")
    w("Disk, same run, same directory: write 4 KiB + fdatasync p50 **%s µs**, p99 %s µs into a "
      "preallocated file (%d samples); appending to a growing file p50 %s µs, p99 %s µs. A "
      "durable write cannot be acknowledged faster than this." % (
          fmt_int(fs["preallocated"][0]), fmt_int(fs["preallocated"][1]), fs["preallocated"][2],
          fmt_int(fs["append"][0]), fmt_int(fs["append"][1])))
    if "preallocated x2" in fs:
        w("")
        w("The members share this disk. With 2 and 3 processes each writing + fdatasyncing its "
          "own preallocated file at once: p50 %s and %s µs each (p99 %s and %s)." % (
              fmt_int(fs["preallocated x2"][0]), fmt_int(fs["preallocated x3"][0]),
              fmt_int(fs["preallocated x2"][1]), fmt_int(fs["preallocated x3"][1])))
        floor = write_floor_us(bench)
        if floor is not None and a.members > 1:
            w("")
            w("The floor of one replicated write on this rig: the client's round trip to the "
              "member and the member's round trip to a follower, each at least the null "
              "responder's one-in-flight p50 (%s µs), plus the fsync a majority needs, "
              "overlapped with another member's (%s µs): **%s µs, %s the fdatasync p50**; via "
              "a follower, one more round trip (forward to the leader, commit back): %s µs, "
              "%s. No server can go below it here: it counts no work at all in the members." % (
                  fmt_int(floor["rtt_us"]), fmt_int(fs["preallocated x2"][0]),
                  fmt_int(floor["via_leader_us"]),
                  fmt_ratio(floor["via_leader_us"], fs["preallocated"][0]),
                  fmt_int(floor["via_follower_us"]),
                  fmt_ratio(floor["via_follower_us"], fs["preallocated"][0])))
    bulk = rep.get("bulk", {})
    if a.bulk_znodes > 0:
        w("")
        w("| %s znodes of %d bytes | ZooKeeper | Corral | Corral/ZK |" % (
            fmt_int(a.bulk_znodes), a.data_bytes))
        w("|---|---:|---:|---:|")
        zk, co = bulk.get(ZOOKEEPER, []), bulk.get(CORRAL, [])

        def over_rounds(kind, rounds, one, unit_text):
            """(value, text) of a row's cell: one(entry) -> (value or None, text) for a single
            round; with several rounds the median of their values, each round listed."""
            if kind in bench.unsupported:
                return None, "not yet supported"
            if not rounds:
                return None, "—"
            cells = [one(e) for e in rounds]
            if len(cells) == 1:
                return cells[0]
            if any(v is None for v, _ in cells):
                return None, "; ".join("r%d: %s" % (i + 1, t) for i, (_, t) in enumerate(cells))
            median = statistics.median(v for v, _ in cells)
            return median, "%s (median; rounds %s)" % (
                unit_text(median), " / ".join(unit_text(v) for v, _ in cells))

        def load_one(e):
            r = e.get("load")
            if r is None:
                return None, "—"
            if r.get("failed") or r.get("errors"):
                return None, "failed: %s" % describe(r)
            return r["measured_s"], "%.2f s (%s creates/s)" % (r["measured_s"],
                                                               fmt_int(r["ops_per_s"]))

        seconds_text = lambda v: "%.2f s" % v  # noqa: E731
        mib_text = lambda v: "%.0f MiB" % (v / 1024)  # noqa: E731
        zk_load, zk_text = over_rounds(ZOOKEEPER, zk, load_one, seconds_text)
        co_load, co_text = over_rounds(CORRAL, co, load_one, seconds_text)
        w("| bulk load (pipelined creates, %d connections × %d) † | %s | %s | %s |" % (
            a.bulk_connections, a.bulk_window_requests, zk_text, co_text,
            fmt_ratio(zk_load, co_load) + " faster" if zk_load and co_load else "—"))

        def rss_one(field):
            def one(e):
                v = e.get(field)
                if not v or any(x is None for x in v):
                    return None, "—"
                return max(v), " / ".join("%.0f MiB" % (x / 1024) for x in v)
            return one

        for field, label in (("rss_empty_kib", "RSS per member, empty"),
                             ("rss_kib", "RSS per member holding them"),
                             ("rss_restarted_kib", "RSS per member holding them, just after the "
                                                   "restart below")):
            zv, zt = over_rounds(ZOOKEEPER, zk, rss_one(field), mib_text)
            cv, ct = over_rounds(CORRAL, co, rss_one(field), mib_text)
            w("| %s | %s | %s | %s |" % (label, zt, ct, fmt_ratio(cv, zv)))

        def restart_one(e):
            r = e.get("restart")
            if r is None:
                return None, "—"
            status, seconds = r
            if status == "ok":
                return seconds, "%.2f s" % seconds
            if status == "missing":
                return None, ("n/a (no durability yet: serving after %.2f s, but the znodes "
                              "are gone)" % seconds)
            return None, "did not serve within %.0f s" % seconds

        zv, zt = over_rounds(ZOOKEEPER, zk, restart_one, seconds_text)
        cv, ct = over_rounds(CORRAL, co, restart_one, seconds_text)
        w("| restart-to-serving (kill -9 every member, restart, until getData of the last "
          "znode succeeds) | %s | %s | %s |" % (zt, ct, fmt_ratio(cv, zv)))
        replayed = [e.get("replayed_entries") for e in co]
        if replayed and all(x is not None for x in replayed):
            w("")
            w("Log entries Corral replayed after its newest snapshot at each restart: %s (a "
              "snapshot is taken every snapCount/2 + random(snapCount/2) entries, snapCount "
              "100,000, so this varies from run to run)." % " / ".join(fmt_int(x)
                                                                     for x in replayed))
    # Round one and every round, to judge the noise.
    if not bench.results:
        return "\n".join(out) + "\n"
    w("")
    w("<details><summary>Every round (ops/s; round 1 is the warm-up)</summary>")
    w("")
    w("| section | workload | server | rounds |")
    w("|---|---|---|---|")
    for (section, key, target), rounds in sorted(bench.results.items()):
        w("| %s | %s | %s | %s |" % (section, key, TARGET_NAMES[target], ", ".join(
            "r%d: %s" % (i + 1, "failed" if r.get("failed") else (
                fmt_int(r["ops_per_s"]) + (" (errors %d)" % r["errors"] if r["errors"] else "")))
            for i, r in rounds)))
    w("")
    w("</details>")
    return "\n".join(out) + "\n"


# --- Main -----------------------------------------------------------------------------------

def build(build_dir):
    if not os.path.exists(os.path.join(build_dir, "build.ninja")):
        subprocess.run(["cmake", "-S", ROOT, "-B", build_dir, "-G", "Ninja",
                        "-DCMAKE_BUILD_TYPE=RelWithDebInfo"], check=True,
                       stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", build_dir, "--target", "corral-server",
                    "corral-bench-lean", "corral-bench-null"], check=True)
    subprocess.run(["cmake", "--build", build_dir, "--target", "corral-bench-cclient"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # optional


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--members", type=int, choices=(1, 3), default=3,
                   help="members per ensemble (issue 8's goals are for 3; 1 runs both standalone)")
    p.add_argument("--rounds", type=int, default=3, help="measured rounds (after the warm-up)")
    p.add_argument("--duration-s", type=float, default=10.0, help="measured seconds per run")
    p.add_argument("--warmup-round-s", type=float, default=5.0,
                   help="seconds per run in the warm-up round (round 1)")
    p.add_argument("--warmup-s", type=float, default=1.0,
                   help="unmeasured seconds at the start of every run")
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--window-requests", type=int, default=32,
                   help="requests in flight per connection")
    p.add_argument("--znodes", type=int, default=10000, help="znodes the workloads use")
    p.add_argument("--data-bytes", type=int, default=100)
    p.add_argument("--workloads",
                   default="read,mixed,write,create-delete,read-1,write-1,write-1-leader",
                   help="closed-loop workloads of the lean generator")
    p.add_argument("--fixed-rate-workloads", default="mixed",
                   help="workloads also run at a fixed offered load (empty: none)")
    p.add_argument("--offered-ops-s", default="",
                   help="fixed offered loads, comma-separated (ops/s); empty: derived from "
                        "--offered-fractions")
    p.add_argument("--offered-fractions", default="0.2",
                   help="fixed offered loads as fractions of the slower server's closed-loop "
                        "mixed throughput, comma-separated")
    p.add_argument("--cclient-workloads", default="read",
                   help="workloads of the C-client generator")
    p.add_argument("--skip-cclient", action="store_true")
    p.add_argument("--skip-ceiling", action="store_true",
                   help="do not run against the null responder")
    p.add_argument("--ceiling-duration-s", type=float, default=5.0,
                   help="measured seconds per lean run against the null responder")
    p.add_argument("--bulk-znodes", type=int, default=500000, help="0 skips the bulk phase")
    p.add_argument("--bulk-connections", type=int, default=8)
    p.add_argument("--bulk-window-requests", type=int, default=128)
    p.add_argument("--settle-s", type=float, default=2.0,
                   help="pause after the bulk load before reading RSS")
    p.add_argument("--bulk-rounds", type=int, default=1,
                   help="repeat the bulk phase (fresh servers, load, kill -9, restart) this many "
                        "times; the report shows the medians and every round")
    p.add_argument("--bulk-only", action="store_true",
                   help="run only the bulk phase (load, RSS, restart); skips every other "
                        "workload, the C client and the null responder")
    p.add_argument("--restart-timeout-s", type=float, default=300.0)
    p.add_argument("--zk-heap-mb", type=int, default=DEFAULT_ZK_HEAP_MB)
    p.add_argument("--build-dir",
                   default=os.environ.get("CORRAL_BUILD_DIR", os.path.join(ROOT, "build")))
    p.add_argument("--no-build", action="store_true", help="use the binaries as they are")
    p.add_argument("--work-dir", default=None,
                   help="where the temporary data directories go (default: $TMPDIR or /tmp)")
    p.add_argument("--keep-work-dir", action="store_true")
    p.add_argument("--output", help="also write the markdown report here")
    p.add_argument("--json", help="also write every raw result here")
    args = p.parse_args(argv)
    args.workloads = [x for x in args.workloads.split(",") if x]
    args.fixed_rate_workloads = [x for x in args.fixed_rate_workloads.split(",") if x]
    args.cclient_workloads = [x for x in args.cclient_workloads.split(",") if x]
    args.offered_ops_s = [float(x) for x in args.offered_ops_s.split(",") if x]
    args.offered_fractions = [float(x) for x in args.offered_fractions.split(",") if x]
    args.build_dir = os.path.abspath(args.build_dir)
    if args.bulk_only:
        args.workloads, args.fixed_rate_workloads, args.cclient_workloads = [], [], []
        args.skip_cclient = args.skip_ceiling = True
    return args


def main(argv):
    args = parse_args(argv)
    if not args.no_build:
        build(args.build_dir)
    for tool in ("corral-server", "corral-bench-lean", "corral-bench-null"):
        if not os.path.exists(os.path.join(args.build_dir, "bin", tool)):
            sys.exit("bench: %s/bin/%s is missing; build first" % (args.build_dir, tool))

    def on_term(signum, frame):
        raise KeyboardInterrupt()
    signal.signal(signal.SIGTERM, on_term)

    bench = Bench(args)
    if os.getloadavg()[0] > 0.5:
        progress("warning: load average %.2f before the run; other work on this machine "
                 "skews the figures" % os.getloadavg()[0])
    started = time.monotonic()
    try:
        bench.run()
    except KeyboardInterrupt:
        print("bench: interrupted; every process started was stopped", file=sys.stderr)
        return 130
    markdown = render(bench)
    markdown += "\nWall time of the run: %.1f min.\n" % ((time.monotonic() - started) / 60)
    sys.stdout.write(markdown)
    if args.output:
        with open(args.output, "w") as f:
            f.write(markdown)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "report": bench.report,
                       "results": [{"section": s, "workload": k, "target": t, "round": i + 1,
                                    "result": r}
                                   for (s, k, t), rs in bench.results.items() for i, r in rs]},
                      f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
