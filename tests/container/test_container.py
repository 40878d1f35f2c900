"""The container image, end to end: the Dockerfile built with buildah on Debian base images made
here with debootstrap (no registry is reachable), then a 3-member ensemble of containers run with
podman on a bridge network of their own, driven by kazoo through ports published on 127.0.0.1.

What must hold: the image carries every library its binaries need and nothing of the builder; it
runs as a non-root user with the volumes, ports and HEALTHCHECK it declares; the entrypoint turns
the StatefulSet-style hostname (or CORRAL_MYID) and CORRAL_SERVERS into a working ensemble; when
the leader's container is killed the other two keep serving reads and writes and every write
acknowledged before the kill is still there; and the killed member, started again on its volumes,
rejoins with all of it.

Every container and network is created with a name unique to this run and removed by id when the
module ends, failed or not. Needs root (rootful podman; debootstrap) or passwordless sudo, and
podman, buildah, runc and debootstrap, which ./dev/test installs; without them these tests are
skipped and say why.
"""
import ipaddress
import json
import os
import pathlib
import re
import resource
import secrets
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BASE_IMAGES = ROOT / "tests" / "container" / "base_images.sh"
IMAGE_TAG = "localhost/corral:test"
BUILDER_TAG = "localhost/corral-builder:test"
# Builds on this machine share its 2 cores with other work: at most two compile jobs.
BUILD_JOBS = os.environ.get("CORRAL_IMAGE_BUILD_JOBS", "2")
IMAGE_SIZE_MAX_BYTES = 150 * 1000 * 1000  # the slim base is ~80 MB; the builder stage is ~750 MB
RUN_ID = "%d-%s" % (os.getpid(), secrets.token_hex(3))
TICK_MS = 500  # a dead leader is noticed within one or two ticks (docs/replication.md)


def _privilege_prefix():
    if os.getuid() == 0:
        return []
    if shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"],
                                               capture_output=True).returncode == 0:
        return ["sudo", "-n"]
    return None


def _why_skip():
    if os.environ.get("CORRAL_TEST_TARGET", "corral") != "corral":
        return "the container image is Corral's; CORRAL_TEST_TARGET asks for another server"
    missing = [t for t in ("podman", "buildah", "debootstrap", "runc") if shutil.which(t) is None]
    if missing:
        return ("%s not installed and ./dev/test could not install them "
                "(apt-get as root or with passwordless sudo): the container image is NOT tested"
                % ", ".join(missing))
    if _privilege_prefix() is None:
        return ("rootful podman and debootstrap need root or passwordless sudo: "
                "the container image is NOT tested")
    return None


SKIP_REASON = _why_skip()
pytestmark = pytest.mark.skipif(SKIP_REASON is not None, reason=SKIP_REASON or "")
PREFIX = _privilege_prefix() or []
# The OCI runtime and cgroup manager are given explicitly: runc and cgroupfs are what works on a
# host without systemd; the defaults would look for crun and a systemd bus.
PODMAN = PREFIX + ["podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs"]


def _ulimits():
    """Explicit limits for every container: podman's defaults ask for more open files than a
    process here may have (runc then fails with 'error setting rlimit'), so stay within ours."""
    nofile_hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nproc_hard = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    nofile = 65536 if nofile_hard == resource.RLIM_INFINITY else min(65536, nofile_hard)
    nproc = 4096 if nproc_hard == resource.RLIM_INFINITY else min(4096, nproc_hard)
    return ["--ulimit", "nofile=%d:%d" % (nofile, nofile), "--ulimit", "nproc=%d:%d" % (nproc, nproc)]


def run(cmd, timeout=120, check=True, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise AssertionError("%s exited %d\nstdout:\n%s\nstderr:\n%s"
                             % (" ".join(cmd), r.returncode, r.stdout[-4000:], r.stderr[-4000:]))
    return r


def podman(*args, **kw):
    return run(PODMAN + list(args), **kw)


def report(capsys, text):
    """Shown in ./dev/test's output even with pytest's capture on: the figures the issue asks for."""
    with capsys.disabled():
        print("\n  [container] " + text, flush=True)


def wait_until(what, condition, timeout=60.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(interval)


def image_id_of(name):
    r = podman("image", "inspect", "--format", "{{.Id}}", name, check=False)
    return r.stdout.strip() if r.returncode == 0 else None


def image_names(image_id):
    r = podman("image", "inspect", image_id, check=False)
    return json.loads(r.stdout)[0].get("RepoTags") or [] if r.returncode == 0 else []


def buildah_bud(target, tags, log):
    cmd = PREFIX + ["buildah", "bud", "--isolation", "chroot", "--pull=never", "--layers",
                    "--format", "docker", "--target", target, "--build-arg",
                    "BUILD_JOBS=" + BUILD_JOBS]
    for tag in tags:
        cmd += ["--tag", tag]
    cmd.append(str(ROOT))
    with open(log, "a") as out:
        out.write("$ %s\n" % " ".join(cmd))
        out.flush()
        r = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, timeout=40 * 60)
    if r.returncode != 0:
        tail = pathlib.Path(log).read_text()[-6000:]
        raise AssertionError("buildah bud --target %s failed (log %s):\n%s" % (target, log, tail))


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    """Builds the image once per run; returns its id. Base images and layers are cached in the
    machine's container storage, object files in buildah's ccache mount (docs/container.md)."""
    log = tmp_path_factory.mktemp("image") / "build.log"
    started = time.monotonic()
    base = run(PREFIX + [str(BASE_IMAGES)], timeout=20 * 60)
    base_s = time.monotonic() - started

    # Two tags each: the shared one keeps the newest build (and its layers, the next build's
    # cache) in the store; this run's own tag is removed when the module ends, and so is the
    # build the shared tag named before, once nothing names it any more. Removing a tag only
    # untags an image another tag still names, so no run removes an image another run is
    # using, and CI on one machine does not fill the disk a commit at a time. The builder stage
    # is tagged too, or its result would be left behind as a dangling image by every build.
    run_tags = [IMAGE_TAG + "-" + RUN_ID, BUILDER_TAG + "-" + RUN_ID]
    previous = [image_id_of(IMAGE_TAG), image_id_of(BUILDER_TAG)]
    started = time.monotonic()
    try:
        buildah_bud("builder", [BUILDER_TAG, run_tags[1]], log)
        buildah_bud("server", [IMAGE_TAG, run_tags[0]], log)  # the builder comes from the cache
        build_s = time.monotonic() - started
        image_id = image_id_of(run_tags[0])
        assert image_id, "the build succeeded but %s is not in the store" % run_tags[0]
        # ccache's summary of the compile, when there was one: "Hits: 104 / 104 (100.0%)".
        hits = re.findall(r"^\s*Hits:\s*(\d+)\s*/\s*(\d+)", log.read_text(), re.M)
        size = int(podman("image", "inspect", "--format", "{{.Size}}", image_id).stdout)
        base_line = (base.stdout.strip().splitlines() or ["?"])[-1].replace("base_images: ", "")
        BUILD_REPORT.append("base images: %s (%.0f s)" % (base_line, base_s))
        BUILD_REPORT.append(
            "image %s %s: %.1f MB, built in %.0f s (%s)"
            % (IMAGE_TAG, image_id[:12], size / 1e6, build_s,
               "compiled, ccache hits %s/%s" % hits[-1] if hits
               else "no compile: every layer cached"))
        yield image_id
    finally:
        for tag in run_tags:
            if image_id_of(tag):
                podman("rmi", tag, check=False)
        for old in previous:
            if old and image_id_of(old) and not image_names(old):
                podman("rmi", old, check=False)  # refused while a container still uses it


BUILD_REPORT = []  # filled by `image`, printed once by the first test that uses it


@pytest.fixture
def built(image, capsys):
    """The image id; the first test to ask prints the build figures (capsys is per test)."""
    while BUILD_REPORT:
        report(capsys, BUILD_REPORT.pop(0))
    return image


def test_image_is_small_non_root_and_complete(built):
    info = json.loads(podman("image", "inspect", built).stdout)[0]
    config = info["Config"]
    assert info["Size"] < IMAGE_SIZE_MAX_BYTES, \
        "image is %.1f MB: did build tools or debug info get in?" % (info["Size"] / 1e6)
    assert config["User"] == "1000:1000"
    assert set(config["Volumes"]) == {"/data", "/datalog"}
    assert set(config["ExposedPorts"]) == {"%d/tcp" % p for p in (2181, 2888, 3888, 7000, 8080)}
    assert config["Entrypoint"] == ["/usr/local/bin/corral-entrypoint"]
    assert config["Cmd"] == ["corral-server"]
    health = info.get("Healthcheck")
    assert health and health["Test"] == ["CMD", "/usr/local/bin/corral-healthcheck"], \
        "no HEALTHCHECK in the image (an OCI-format build drops it: use --format docker)"

    # Inside: every library each binary needs resolves; no compiler; the binaries run.
    script = r"""
set -e
id -u; id -g
for b in corral-server corralctl corral-dump; do
  ldd /usr/local/bin/$b | grep 'not found' && { echo "MISSING LIBRARY for $b"; exit 1; }
done
for tool in gcc g++ cmake make; do
  command -v $tool && { echo "BUILD TOOL $tool IN IMAGE"; exit 1; }
done
corral-server --help 2>&1 | head -n 1
corralctl --help | head -n 1
corral-dump 2>&1 | head -n 1
test -w /data && test -w /datalog && echo writable
"""
    r = podman("run", "--rm", "--network", "none", "--no-healthcheck", *_ulimits(),
               "--entrypoint", "bash", built,
               "-c", script)
    lines = r.stdout.splitlines()
    assert lines[:2] == ["1000", "1000"]
    assert "usage: corral-server CONFIG" in r.stdout
    assert "usage: corralctl [-server HOST:PORT" in r.stdout
    assert "usage: corral-dump log FILE" in r.stdout
    assert lines[-1] == "writable"


def test_entrypoint_in_the_image_refuses_a_member_without_an_id(built):
    r = podman("run", "--rm", "--network", "none", *_ulimits(), "--hostname", "webserver",
               "--no-healthcheck", "-e",
               "CORRAL_SERVERS=server.1=a:2888:3888 server.2=b:2888:3888 server.3=c:2888:3888",
               built, check=False)
    assert r.returncode == 1
    assert "corral-entrypoint: error: cannot tell which member this is: set CORRAL_MYID" in r.stderr


# ---------------------------------------------------------------------------------------------
# The ensemble.

def four_letter(port, word, timeout=2.0):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(word.encode())
            chunks = []
            while True:
                data = s.recv(4096)
                if not data:
                    break
                chunks.append(data)
            return b"".join(chunks).decode(errors="replace")
    except OSError:
        return ""


def mode(port):
    for line in four_letter(port, "srvr").splitlines():
        if line.startswith("Mode: "):
            return line[len("Mode: "):]
    return None


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        return None, ""


class Member:
    def __init__(self, index, container_id):
        self.index = index
        self.id = container_id  # the container's id: everything is done by id
        self.client_port = self.admin_port = self.metrics_port = None

    def read_ports(self):
        def port(p):
            out = podman("port", self.id, "%d/tcp" % p).stdout.strip().splitlines()[0]
            host, _, number = out.rpartition(":")
            assert host == "127.0.0.1", "port %d published on %s, not loopback" % (p, host)
            return int(number)
        self.client_port, self.admin_port, self.metrics_port = port(2181), port(8080), port(7000)


class Ensemble:
    def __init__(self, image):
        self.image = image
        self.network_id = None
        self.members = []

    def start(self):
        self.started = time.monotonic()
        name = "corral-ct-" + RUN_ID
        # No DNS server on the network (--disable-dns): podman's would listen on the bridge's
        # address in the host's namespace. The members get fixed addresses in the subnet podman
        # picked and find each other by name through /etc/hosts instead; the server resolves
        # names the same way either way (getaddrinfo).
        self.network_id = podman("network", "create", "--disable-dns", "--label",
                                 "corral.test=" + RUN_ID, name).stdout.strip()
        subnet = json.loads(podman("network", "inspect", self.network_id).stdout)[0]
        hosts = list(ipaddress.ip_network(subnet["subnets"][0]["subnet"]).hosts())
        addresses = [str(hosts[10 + i]) for i in range(3)]
        names = ["--add-host=corral-%d:%s" % (i, a) for i, a in enumerate(addresses)]
        servers = " ".join("server.%d=corral-%d:2888:3888;2181" % (i + 1, i) for i in range(3))
        for i in range(3):
            # Members 1 and 2 take their id from the StatefulSet-style hostname; member 3 from
            # CORRAL_MYID with a hostname that has no ordinal.
            identity = (["--hostname", "corral-%d" % i] if i < 2
                        else ["--hostname", "corral-third", "-e", "CORRAL_MYID=3"])
            container_name = "%s-%d" % (name, i)
            r = podman(
                "run", "-d", "--name", container_name, "--label", "corral.test=" + RUN_ID,
                "--network", self.network_id, "--ip", addresses[i], *names, *identity,
                # The image's HEALTHCHECK stays on, for `podman healthcheck run` below. (podman
                # logs that it cannot schedule it without systemd; the container runs anyway.)
                *_ulimits(),
                "-p", "127.0.0.1::2181", "-p", "127.0.0.1::8080", "-p", "127.0.0.1::7000",
                "-e", "CORRAL_SERVERS=" + servers, "-e", "CORRAL_ENSEMBLE_ID=container-test-" + RUN_ID,
                "-e", "CORRAL_TICK_TIME=%d" % TICK_MS, self.image, check=False)
            if r.returncode != 0:
                # podman may have created the container before the runtime refused to start it:
                # find its id so that remove() takes it away too.
                found = podman("container", "inspect", "--format", "{{.Id}}", container_name,
                               check=False).stdout.strip()
                if found:
                    self.members.append(Member(i + 1, found))
                raise AssertionError("podman run of member %d failed:\n%s" % (i + 1, r.stderr))
            member = Member(i + 1, r.stdout.strip().splitlines()[-1])
            self.members.append(member)
            member.read_ports()
        return self

    def modes(self, members=None):
        return {m.index: mode(m.client_port) for m in (members or self.members)}

    def wait_for_leader(self, members, what, timeout=90):
        def settled():
            modes = self.modes(members)
            leaders = [i for i, m in modes.items() if m == "leader"]
            if len(leaders) == 1 and all(m in ("leader", "follower") for m in modes.values()):
                return leaders[0]
            return None
        return wait_until(what, settled, timeout=timeout)

    def member(self, index):
        return next(m for m in self.members if m.index == index)

    def logs(self):
        out = []
        for m in self.members:
            r = podman("logs", m.id, check=False)
            out.append("---- member %d (%s)\n%s%s" % (m.index, m.id[:12], r.stdout[-5000:],
                                                      r.stderr[-5000:]))
        return "\n".join(out)

    def remove(self):
        ids = [m.id for m in self.members]
        if ids:
            podman("rm", "--force", "--volumes", "--time", "0", *ids, check=False, timeout=120)
        if self.network_id:
            podman("network", "rm", self.network_id, check=False)


@pytest.fixture
def ensemble(built):
    e = Ensemble(built)
    try:
        yield e.start()
    finally:
        e.remove()


def kazoo(ports, **kw):
    from kazoo.client import KazooClient
    zk = KazooClient(hosts=",".join("127.0.0.1:%d" % p for p in ports), timeout=10.0, **kw)
    zk.start(timeout=30)
    return zk


def test_ensemble_of_containers_survives_a_killed_leader(ensemble, capsys):
    try:
        _ensemble_survives_a_killed_leader(ensemble, capsys)
    except BaseException:
        report(capsys, "container logs:\n" + ensemble.logs())
        raise


def _ensemble_survives_a_killed_leader(ensemble, capsys):
    members = ensemble.members
    leader = ensemble.wait_for_leader(members, "a leader and two followers")
    report(capsys, "3 containers started and formed an ensemble in %.1f s (leader: member %d)"
           % (time.monotonic() - ensemble.started, leader))

    # The image's HEALTHCHECK, run as the runtime runs it, passes on every member.
    for m in members:
        r = podman("healthcheck", "run", m.id, check=False)
        assert r.returncode == 0, "healthcheck failed on member %d: %s%s" % (
            m.index, r.stdout, r.stderr)
    # Each member's id came out as meant: 1 and 2 from the hostname ordinal, 3 from CORRAL_MYID.
    for m in members:
        status, body = http_status("http://127.0.0.1:%d/commands/zabstate" % m.admin_port)
        assert status == 200 and json.loads(body)["myid"] == m.index, body
    status, body = http_status("http://127.0.0.1:%d/metrics" % members[0].metrics_port)
    assert status == 200 and "\nznode_count " in body

    zk = kazoo([m.client_port for m in members])
    try:
        acked = {}
        for i in range(50):
            path = "/container/before-%03d" % i
            zk.create(path, b"v%d" % i, makepath=True)
            acked[path] = b"v%d" % i

        killed = ensemble.member(leader)
        podman("kill", "--signal", "KILL", killed.id)
        survivors = [m for m in members if m is not killed]
        started = time.monotonic()
        new_leader = ensemble.wait_for_leader(survivors, "a new leader among the two survivors")
        report(capsys, "killed the leader (member %d); member %d leads after %.1f s"
               % (leader, new_leader, time.monotonic() - started))

        # Writes still commit (kazoo reconnects to a survivor on its own; the session lives on).
        for i in range(50):
            path = "/container/after-%03d" % i
            zk.create(path, b"w%d" % i)
            acked[path] = b"w%d" % i
    finally:
        zk.stop()
        zk.close()

    # Every acknowledged write is on every survivor.
    for m in survivors:
        reader = kazoo([m.client_port])
        try:
            reader.sync("/container")
            assert sorted(reader.get_children("/container")) == \
                sorted(p.rsplit("/", 1)[1] for p in acked)
            for path, value in acked.items():
                assert reader.get(path)[0] == value, (m.index, path)
        finally:
            reader.stop()
            reader.close()

    # The killed member, started again on its own volumes (its myid is there and agrees), rejoins,
    # is ready, and serves everything that was written while it was gone.
    podman("start", killed.id)
    killed.read_ports()  # a restarted container may get new host ports
    wait_until("member %d to be ready again" % killed.index,
               lambda: http_status("http://127.0.0.1:%d/commands/ready"
                                   % killed.admin_port)[0] == 200, timeout=90)
    assert ensemble.modes([killed])[killed.index] == "follower"
    reader = kazoo([killed.client_port])
    try:
        reader.sync("/container")
        for path, value in acked.items():
            assert reader.get(path)[0] == value, (killed.index, path)
    finally:
        reader.stop()
        reader.close()
    logs = podman("logs", killed.id)
    assert "corral-entrypoint: member %d" % killed.index in logs.stdout + logs.stderr

    # SIGTERM reaches corral-server (the entrypoint exec's it: it is PID 1), which stops cleanly
    # at once rather than being killed when podman's grace period ends.
    started = time.monotonic()
    podman("stop", "--time", "30", killed.id)
    stop_s = time.monotonic() - started
    state = json.loads(podman("container", "inspect", killed.id).stdout)[0]["State"]
    logs = podman("logs", "--tail", "5", killed.id)
    assert state["ExitCode"] == 0, (state, logs.stdout)
    assert stop_s < 15, "podman stop took %.1f s" % stop_s
    assert "received signal 15, shutting down" in logs.stdout + logs.stderr
