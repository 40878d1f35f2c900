#!/usr/bin/python3
"""A test node agent: the kubelet's part of tests/k8s, for Corral's pods only.

    node_agent.py --kubeconfig FILE --namespace NS --workdir DIR [--build-dir DIR] [--node NAME]

There is no scheduler and no kubelet in the test cluster. This agent registers one Node (Ready),
binds the namespace's unscheduled pods to it, and runs each bound pod's single container as a
real process from the build directory ($CORRAL_BUILD_DIR/bin, default build/):

- Pod network: every pod gets a loopback address of its own, 127.0.0.N, as its pod IP. The
  container shares the host's network namespace; podnet.so (preloaded) makes its 0.0.0.0
  listeners bind the pod IP and its outgoing connections leave from it (see podnet.c).
- Names: the container runs under `unshare --mount --uts` with its pod hostname and its own
  /etc/hosts, rewritten as pods come and go (like cluster DNS): every Service of the namespace
  with a selector; headless ones name their pods (`<pod>.<svc>.<ns>.svc.cluster.local` and the
  shorter forms), published when they have an IP (all, with publishNotReadyAddresses) or when
  Ready; a ClusterIP Service's name stands for its Ready pods' IPs (there is no kube-proxy).
- The image: a root file system assembled on a tmpfs in the container's mount namespace: the
  host's /usr and /etc (read only), /usr/local/bin holding the build's corral-server, corralctl,
  corral-dump and the repository's docker/entrypoint.sh and healthcheck.sh installed as the
  Dockerfile installs them, and the Dockerfile's ENTRYPOINT, CMD, WORKDIR and USER (read from
  its last stage). A pod's `command`/`args` override ENTRYPOINT/CMD as Kubernetes does.
- Volumes: persistentVolumeClaim and emptyDir → directories under the workdir (a claim's
  outlives its pod, an emptyDir lives as long as the pod), configMap, secret and projected
  (serviceAccountToken, configMap, downwardAPI namespace) → files, refreshed like the kubelet's
  (an atomic `..data` symlink swap). fsGroup is applied to claims and emptyDirs (group and
  setgid), as the kubelet does for volumes that support ownership management.
- Env: `value`, `valueFrom` (fieldRef, configMapKeyRef, secretKeyRef), HOSTNAME, and the
  image's PATH.
- Status: podIP, phase, conditions (PodScheduled, Initialized, ContainersReady, Ready) and the
  container status (state, lastState with the exit code, restartCount, ready, started), from
  the readinessProbe as rendered (httpGet on the pod IP, periodSeconds, failureThreshold,
  successThreshold); the livenessProbe restarts the container after failureThreshold misses.
- Restarts: restartPolicy Always; a container that exits is restarted after a backoff of 0.5 s
  doubling to 8 s (the kubelet's is 10 s doubling to 5 min), restartCount + 1.
- Holding: while a file `hold` exists in a pod's directory (<workdir>/pods/<uid>/), its
  container is SIGKILLed and not restarted: the tests' way to keep a member down.
- Deletion: a pod with a deletionTimestamp gets SIGTERM, SIGKILL after its grace period, and is
  then deleted with grace 0 (what the kubelet does once its containers are gone).

Every process is started by this agent and stopped by pid; a container's mounts live in its own
mount namespace and vanish with it. The agent stops its containers on SIGTERM. Logs: one file
per container start under <workdir>/logs/.
"""
import argparse
import base64
import ctypes
import datetime
import errno
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
IMAGE_BINARIES = ("corral-server", "corralctl", "corral-dump", "corral-operator")


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def log(msg):
    sys.stderr.write("%s node-agent: %s\n" % (datetime.datetime.now().strftime("%H:%M:%S.%f")[:-3],
                                             msg))
    sys.stderr.flush()


# -- the API ---------------------------------------------------------------------------------------

class Api:
    """The few calls the agent makes, with the kubeconfig's token and CA (tests/k8s_api writes
    one with a bearer token)."""

    def __init__(self, kubeconfig):
        with open(kubeconfig) as f:
            cfg = json.load(f)
        ctx = next(c["context"] for c in cfg["contexts"] if c["name"] == cfg["current-context"])
        cluster = next(c["cluster"] for c in cfg["clusters"] if c["name"] == ctx["cluster"])
        user = next(u["user"] for u in cfg["users"] if u["name"] == ctx["user"])
        self.server = cluster["server"]
        self.ssl = ssl.create_default_context(cafile=cluster["certificate-authority"])
        self.token = user["token"]

    def call(self, method, path, body=None, content_type="application/json", ok=(200, 201)):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.server + path, data=data, method=method, headers={
            "Authorization": "Bearer " + self.token, "Content-Type": content_type,
            "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, context=self.ssl, timeout=10) as r:
                status, raw = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = raw.decode(errors="replace")
        if ok is not None and status not in ok:
            raise ApiError(method, path, status, parsed)
        return status, parsed

    def get(self, path):
        return self.call("GET", path)[1]

    def get_or_none(self, path):
        status, obj = self.call("GET", path, ok=None)
        return obj if status == 200 else None


class ApiError(Exception):
    def __init__(self, method, path, status, body):
        super().__init__("%s %s: %s %s" % (method, path, status,
                                           body.get("message") if isinstance(body, dict) else body))
        self.status = status


# -- the image -------------------------------------------------------------------------------------

class Image:
    """What the Dockerfile's last stage puts in the image, with the build's binaries."""

    def __init__(self, build_dir, workdir):
        self.dir = os.path.join(workdir, "image")
        self.entrypoint, self.cmd = [], []
        self.workdir, self.user = "/", "0:0"
        self.volumes = []
        self.env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
        with open(os.path.join(ROOT, "Dockerfile")) as f:
            text = f.read().replace("\\\n", " ")
        stage = re.split(r"^FROM\s", text, flags=re.M)[-1]  # the last stage: the image's
        for line in stage.splitlines():
            m = re.match(r"^(ENTRYPOINT|CMD|WORKDIR|USER|ENV|VOLUME)\s+(.*)$", line.strip())
            if not m:
                continue
            key, value = m.groups()
            if key in ("ENTRYPOINT", "CMD"):
                argv = json.loads(value) if value.startswith("[") else ["/bin/sh", "-c", value]
                setattr(self, key.lower(), argv)
            elif key == "WORKDIR":
                self.workdir = value
            elif key == "USER":
                self.user = value if ":" in value else value + ":" + value
            elif key == "VOLUME":
                self.volumes += json.loads(value) if value.startswith("[") else value.split()
            elif key == "ENV":
                k, _, v = value.partition("=")
                self.env[k.strip()] = v.strip().strip('"')
        # /usr/local/bin as the Dockerfile fills it: the binaries and the two scripts.
        self.build_dir = build_dir
        bin_dir = os.path.join(self.dir, "usr-local-bin")
        os.makedirs(bin_dir, exist_ok=True)
        for b in IMAGE_BINARIES:
            src = os.path.join(build_dir, "bin", b)
            if os.path.exists(src):
                shutil.copy2(src, os.path.join(bin_dir, b))
        for src, name in (("docker/entrypoint.sh", "corral-entrypoint"),
                          ("docker/healthcheck.sh", "corral-healthcheck")):
            shutil.copy2(os.path.join(ROOT, src), os.path.join(bin_dir, name))
            os.chmod(os.path.join(bin_dir, name), 0o755)
        self.bin_dir = bin_dir
        if not os.path.exists(os.path.join(bin_dir, "corral-server")):
            raise SystemExit("node-agent: no corral-server in %s/bin" % build_dir)
        # The pod network library (podnet.c), built for this run.
        self.podnet = os.path.join(self.dir, "podnet.so")
        subprocess.run(["cc", "-O2", "-Wall", "-shared", "-fPIC", "-o", self.podnet,
                        os.path.join(HERE, "podnet.c"), "-ldl"], check=True)
        self.name = "corral"

    def operator_variant(self):
        """The operator's image. The Dockerfile has no `operator` stage yet (its comment says
        where it goes); modelled on manifests/operator.yaml: the binary as entrypoint, uid and
        gid 65532. The same /usr/local/bin as the server's (it holds both)."""
        import copy
        op = copy.copy(self)
        op.name = "corral-operator"
        op.entrypoint, op.cmd = ["/usr/local/bin/corral-operator"], []
        op.workdir, op.user, op.volumes = "/", "65532:65532", []
        op.env = {"PATH": self.env["PATH"]}
        return op

    def client_variant(self):
        """The test's client image (`corral-e2e-client`, no Dockerfile of the project's): its
        /usr/local/bin holds ZooKeeper's C client writer (corral-c-client-driver, when built)
        and the kazoo writer (kazoo_writer.py; kazoo is Debian's, in the host's /usr). The pods
        running it are in-cluster clients: they reach the ensemble by its client Service's
        name as any application would. No entrypoint: their pods give `command`."""
        import copy
        c = copy.copy(self)
        c.name = "corral-e2e-client"
        c.bin_dir = os.path.join(self.dir, "client-bin")
        os.makedirs(c.bin_dir, exist_ok=True)
        driver = os.path.join(self.build_dir, "bin", "corral-c-client-driver")
        if os.path.exists(driver):
            shutil.copy2(driver, os.path.join(c.bin_dir, "corral-c-client-driver"))
        shutil.copy2(os.path.join(HERE, "kazoo_writer.py"),
                     os.path.join(c.bin_dir, "e2e-kazoo-writer"))
        os.chmod(os.path.join(c.bin_dir, "e2e-kazoo-writer"), 0o755)
        c.entrypoint, c.cmd = [], []
        c.workdir, c.user, c.volumes = "/", "65534:65534", []
        c.env = {"PATH": self.env["PATH"]}
        return c


def container_init(spec_file):
    """The container's start, run as `unshare --mount --uts -- python3 node_agent.py
    --container-init SPEC` (the same pid all the way to the server, so a signal to it reaches
    the server as it would reach a container's PID 1): a root file system on a tmpfs in this
    new mount namespace, the pod's mounts, its hostname, then chroot, the user and exec."""
    with open(spec_file) as f:
        spec = json.load(f)
    r = spec["rootfs"]

    def mount(*args):
        subprocess.run(["mount", *args], check=True)

    mount("-t", "tmpfs", "-o", "mode=0755", "rootfs", r)
    for d in ("usr", "etc", "proc", "dev", "sys", "tmp", "run", ".podnet"):
        os.makedirs(os.path.join(r, d), exist_ok=True)
    os.chmod(os.path.join(r, "tmp"), 0o1777)
    for link, target in (("bin", "usr/bin"), ("sbin", "usr/sbin"), ("lib", "usr/lib"),
                         ("lib64", "usr/lib64")):
        if os.path.exists("/" + target):
            os.symlink(target, os.path.join(r, link))
    mount("--rbind", "/usr", r + "/usr")
    mount("-o", "remount,bind,ro", r + "/usr")
    mount("--rbind", "/etc", r + "/etc")
    mount("--rbind", "/proc", r + "/proc")
    mount("--rbind", "/dev", r + "/dev")
    mount("--bind", spec["image_bin"], r + "/usr/local/bin")
    mount("--bind", spec["podnet_dir"], r + "/.podnet")
    mount("--bind", spec["hosts_file"], r + "/etc/hosts")
    with open(spec["hostname_file"], "w") as f:
        f.write(spec["hostname"] + "\n")
    mount("--bind", spec["hostname_file"], r + "/etc/hostname")
    for src, dst, read_only in spec["mounts"]:
        target = r + dst
        if os.path.isdir(src):
            os.makedirs(target, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            open(target, "a").close()
        mount("--bind", src, target)
        if read_only:
            mount("-o", "remount,bind,ro", target)
    socket_mod = __import__("socket")
    socket_mod.sethostname(spec["hostname"])
    # The container exists now (its mounts and names are in place): what a kubelet waits for
    # before it calls a container started. Written outside the root it is about to enter.
    open(spec["started_file"], "w").close()
    os.chroot(r)
    os.setgroups(spec["groups"])
    os.setgid(spec["gid"])
    os.setuid(spec["uid"])
    die_with_parent()  # cleared by the change of credentials
    workdir = spec["workdir"]
    try:
        os.chdir(workdir)
    except OSError:
        os.chdir("/")
    argv = spec["argv"]
    try:
        os.execvpe(argv[0], argv, spec["env"])
    except OSError as e:
        sys.stderr.write("container init: cannot run %s: %s\n" % (argv[0], e))
        os._exit(127 if e.errno == errno.ENOENT else 126)


class Container:
    """One pod's container: its process, restarts and probes."""

    def __init__(self, agent, pod):
        self.agent = agent
        self.ns = pod["metadata"]["namespace"]
        self.name = pod["metadata"]["name"]
        self.uid = pod["metadata"]["uid"]
        self.pod = pod
        self.spec = pod["spec"]["containers"][0]
        self.image = agent.image_for(self.spec.get("image", ""))
        self.ip = agent.allocate_ip(self.uid)
        self.dir = os.path.join(agent.workdir, "pods", self.uid)
        os.makedirs(self.dir, exist_ok=True)
        self.proc = None
        self.log = None
        self.restart_count = 0
        self.started_at = None
        self.last_state = None  # {"terminated": ...}
        self.waiting = None  # {"reason": ...}
        self.restart_at = 0.0
        self.backoff = 0.5
        self.ready = False
        self.ready_streak = [0, 0]  # successes, failures
        self.live_failures = 0
        self.next_readiness = 0.0
        self.next_liveness = 0.0
        self.stopping = False
        self.hostname = pod["spec"].get("hostname") or self.name
        self.hosts_file = os.path.join(self.dir, "hosts")
        self.configmap_volumes = {}  # volume name -> (directory, volume)
        self.volumes_checked_at = {}  # directory -> monotonic time

    # -- setup ---------------------------------------------------------------------------------

    def prepare(self):
        pod = self.pod
        sc = pod["spec"].get("securityContext") or {}
        csc = self.spec.get("securityContext") or {}
        uid, gid = self.image.user.split(":")
        uid = str(csc.get("runAsUser", sc.get("runAsUser", uid)))
        gid = str(csc.get("runAsGroup", sc.get("runAsGroup", gid)))
        fs_group = sc.get("fsGroup")
        groups = [gid] + ([str(fs_group)] if fs_group is not None else [])
        groups += [str(g) for g in sc.get("supplementalGroups", [])]
        self.userspec, self.groups = "%s:%s" % (uid, gid), groups

        mounts_by_volume = {}
        for v in pod["spec"].get("volumes", []):
            mounts_by_volume[v["name"]] = self.materialise(v, fs_group)
        lines = []
        for m in self.spec.get("volumeMounts", []):
            src = mounts_by_volume.get(m["name"])
            if src is None:
                raise RuntimeError("volume %s of %s is not supported" % (m["name"], self.name))
            if m.get("subPath"):
                src = os.path.join(src, m["subPath"])
            lines.append((src, m["mountPath"], bool(m.get("readOnly"))))
        self.mounts = lines
        self.agent.write_hosts(self)

    def materialise(self, v, fs_group):
        """A directory holding the volume's content."""
        if "persistentVolumeClaim" in v:
            claim = v["persistentVolumeClaim"]["claimName"]
            d = os.path.join(self.agent.workdir, "claims", self.ns, claim)
            fresh = not os.path.isdir(d)
            os.makedirs(d, exist_ok=True)
            if fresh:
                # A new volume as most provisioners create one: owned by root, mode 0755.
                os.chmod(d, 0o755)
            self.own(d, fs_group)
            return d
        if "emptyDir" in v:
            d = os.path.join(self.dir, "volumes", v["name"])
            if not os.path.isdir(d):
                os.makedirs(d)
                os.chmod(d, 0o777)  # the kubelet's emptyDir mode
            self.own(d, fs_group)
            return d
        if any(k in v for k in ("configMap", "secret", "projected")):
            d = os.path.join(self.dir, "volumes", v["name"])
            os.makedirs(d, exist_ok=True)
            self.configmap_volumes[v["name"]] = (d, v)
            self.refresh_volume(d, v, force=True)
            return d
        if "downwardAPI" in v:
            d = os.path.join(self.dir, "volumes", v["name"])
            os.makedirs(d, exist_ok=True)
            self.configmap_volumes[v["name"]] = (d, v)
            self.refresh_volume(d, v, force=True)
            return d
        return None

    @staticmethod
    def own(d, fs_group):
        if fs_group is None:
            return
        st = os.stat(d)
        if st.st_gid != fs_group:
            for root, dirs, files in os.walk(d):
                for p in [root] + [os.path.join(root, x) for x in dirs + files]:
                    os.lchown(p, -1, fs_group)
        os.chmod(d, os.stat(d).st_mode | 0o2070)

    def volume_files(self, v):
        """{relative path: bytes} of a configMap, secret, projected or downwardAPI volume."""
        files = {}

        def add_source(kind, src):
            if kind == "configMap":
                obj = self.agent.api.get_or_none(
                    "/api/v1/namespaces/%s/configmaps/%s" % (self.ns, src["name"]))
                if obj is None and not src.get("optional"):
                    raise RuntimeError('configmap "%s" not found' % src["name"])
                data = {} if obj is None else {k: v.encode() for k, v in obj.get("data", {}).items()}
                if obj is not None:
                    data.update({k: base64.b64decode(v)
                                 for k, v in obj.get("binaryData", {}).items()})
            elif kind == "secret":
                name = src.get("secretName", src.get("name"))
                obj = self.agent.api.get_or_none(
                    "/api/v1/namespaces/%s/secrets/%s" % (self.ns, name))
                if obj is None and not src.get("optional"):
                    raise RuntimeError('secret "%s" not found' % name)
                data = {} if obj is None else {k: base64.b64decode(v)
                                               for k, v in obj.get("data", {}).items()}
            elif kind == "serviceAccountToken":
                sa = self.pod["spec"].get("serviceAccountName", "default")
                _, tr = self.agent.api.call(
                    "POST", "/api/v1/namespaces/%s/serviceaccounts/%s/token" % (self.ns, sa),
                    {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                     "spec": {"expirationSeconds": src.get("expirationSeconds", 3600),
                              "boundObjectRef": {"kind": "Pod", "apiVersion": "v1",
                                                 "name": self.name, "uid": self.uid}}})
                files[src["path"]] = tr["status"]["token"].encode()
                return
            elif kind == "downwardAPI":
                for item in src.get("items", []):
                    path = item.get("fieldRef", {}).get("fieldPath", "")
                    files[item["path"]] = str(self.field(path)).encode()
                return
            else:
                return
            items = src.get("items")
            if items:
                for it in items:
                    if it["key"] in data:
                        files[it["path"]] = data[it["key"]]
            else:
                files.update(data)

        if "projected" in v:
            for source in v["projected"].get("sources", []):
                for kind, src in source.items():
                    add_source(kind, src)
        else:
            for kind in ("configMap", "secret", "downwardAPI"):
                if kind in v:
                    add_source(kind, v[kind])
        return files

    def refresh_volume(self, d, v, force=False):
        """Writes the volume as the kubelet does: a timestamped directory, `..data` pointing at
        it (swapped atomically), and one symlink per key through `..data`. Looked at again at
        most once a second (the kubelet: its sync period, about a minute); a projected volume
        (a token good for an hour) is written once."""
        if not force:
            if "projected" in v or time.monotonic() < self.volumes_checked_at.get(d, 0) + 1.0:
                return
        self.volumes_checked_at[d] = time.monotonic()
        try:
            files = self.volume_files(v)
        except RuntimeError as e:
            if force:
                raise  # the container does not start without it, as with the kubelet
            log("%s/%s: volume %s not refreshed: %s" % (self.ns, self.name, v["name"], e))
            return
        fingerprint = json.dumps(sorted((k, base64.b64encode(x).decode())
                                        for k, x in files.items()))
        marker = os.path.join(d, "..fingerprint")
        if not force and os.path.exists(marker):
            with open(marker) as f:
                if f.read() == fingerprint:
                    return
        stamp = "..%s" % time.strftime("%Y_%m_%d_%H_%M_%S") + ".%d" % time.monotonic_ns()
        new = os.path.join(d, stamp)
        os.makedirs(new)
        mode = v.get("configMap", v.get("secret", v.get("projected", {}))).get("defaultMode", 0o644)
        for rel, content in files.items():
            p = os.path.join(new, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(content)
            os.chmod(p, mode)
        os.chmod(new, 0o755)
        tmp_link = os.path.join(d, "..data_tmp")
        if os.path.lexists(tmp_link):
            os.unlink(tmp_link)
        os.symlink(stamp, tmp_link)
        old = os.readlink(os.path.join(d, "..data")) if os.path.lexists(
            os.path.join(d, "..data")) else None
        os.rename(tmp_link, os.path.join(d, "..data"))
        for rel in files:
            top = rel.split("/")[0]
            link = os.path.join(d, top)
            if not os.path.lexists(link):
                os.symlink(os.path.join("..data", top), link)
        if old and old != stamp:
            shutil.rmtree(os.path.join(d, old), ignore_errors=True)
        with open(marker, "w") as f:
            f.write(fingerprint)

    def field(self, path):
        meta = self.pod["metadata"]
        return {
            "metadata.name": meta["name"], "metadata.namespace": meta["namespace"],
            "metadata.uid": meta["uid"], "status.podIP": self.ip, "status.hostIP": "127.0.0.1",
            "spec.nodeName": self.agent.node, "spec.serviceAccountName":
                self.pod["spec"].get("serviceAccountName", "default"),
        }.get(path, "")

    def environment(self):
        image = self.image
        env = dict(image.env)
        env["HOSTNAME"] = self.hostname
        for e in self.spec.get("env", []):
            if "value" in e:
                env[e["name"]] = re.sub(r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)),
                                        e["value"])
                continue
            src = e.get("valueFrom", {})
            if "fieldRef" in src:
                env[e["name"]] = str(self.field(src["fieldRef"]["fieldPath"]))
            for kind, res in (("configMapKeyRef", "configmaps"), ("secretKeyRef", "secrets")):
                if kind in src:
                    ref = src[kind]
                    obj = self.agent.api.get_or_none(
                        "/api/v1/namespaces/%s/%s/%s" % (self.ns, res, ref["name"])) or {}
                    val = obj.get("data", {}).get(ref["key"])
                    if val is None and not ref.get("optional"):
                        raise RuntimeError("%s: %s %s has no key %s"
                                           % (self.name, kind, ref["name"], ref["key"]))
                    if val is not None:
                        env[e["name"]] = (base64.b64decode(val).decode() if res == "secrets"
                                          else val)
        # What the kubelet adds for the `kubernetes` Service (podnet.so takes its virtual IP to
        # the API server).
        env.setdefault("KUBERNETES_SERVICE_HOST", self.agent.kubernetes_vip)
        env.setdefault("KUBERNETES_SERVICE_PORT", "443")
        env.setdefault("KUBERNETES_SERVICE_PORT_HTTPS", "443")
        # podnet.so: the pod network (see podnet.c).
        env["LD_PRELOAD"] = "/.podnet/podnet.so"
        env["PODNET_IP"] = self.ip
        env["PODNET_SERVICES"] = "/.podnet/services"
        return env

    def argv(self, env):
        """The process's argv; $(VAR) in the pod's command and args expanded from the
        container's environment, $$ to $, as the kubelet does."""
        image = self.image
        command = self.spec.get("command")
        args = self.spec.get("args")

        def expand(x):
            return re.sub(r"\$\$|\$\((\w+)\)",
                          lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)),
                          x)
        command = [expand(x) for x in command] if command else None
        args = [expand(x) for x in args] if args is not None else None
        if command:
            return command + (args or [])
        return image.entrypoint + (args if args is not None else image.cmd)

    # -- running -------------------------------------------------------------------------------

    def start(self):
        rootfs = os.path.join(self.dir, "rootfs")
        os.makedirs(rootfs, exist_ok=True)
        uid, gid = self.userspec.split(":")
        env = self.environment()
        # The image's own directories (its VOLUMEs: /data, /datalog, which the Dockerfile
        # creates and gives to its USER) where no volume is mounted: the container's writable
        # layer, new at every start as a new container's is.
        mounts = list(self.mounts)
        layer = os.path.join(self.dir, "layer")
        shutil.rmtree(layer, ignore_errors=True)
        image_uid, image_gid = (int(x) for x in self.image.user.split(":"))
        for path in self.image.volumes:
            if any(dst.rstrip("/") == path.rstrip("/") for _, dst, _ in mounts):
                continue
            d = os.path.join(layer, path.strip("/"))
            os.makedirs(d)
            os.chown(d, image_uid, image_gid)
            mounts.append((d, path, False))
        spec = {
            "rootfs": rootfs, "image_bin": self.image.bin_dir,
            "podnet_dir": self.image.dir, "hosts_file": self.hosts_file,
            "hostname_file": os.path.join(self.dir, "hostname"), "hostname": self.hostname,
            "started_file": self.started_file(),
            "mounts": mounts, "env": env, "argv": self.argv(env),
            "uid": int(uid), "gid": int(gid), "groups": [int(g) for g in self.groups],
            "workdir": self.spec.get("workingDir") or self.image.workdir,
        }
        if os.path.exists(self.started_file()):
            os.remove(self.started_file())
        spec_file = os.path.join(self.dir, "container.json")
        with open(spec_file, "w") as f:
            json.dump(spec, f)
        logs = os.path.join(self.agent.workdir, "logs")
        os.makedirs(logs, exist_ok=True)
        self.log_path = os.path.join(logs, "%s_%s-%d.log" % (self.ns, self.name,
                                                             self.restart_count))
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            ["unshare", "--mount", "--uts", "--propagation", "private", "--",
             sys.executable, os.path.abspath(__file__), "--container-init", spec_file],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}, start_new_session=True,
            preexec_fn=die_with_parent)
        with open(os.path.join(self.dir, "pid"), "w") as f:
            f.write("%d\n" % self.proc.pid)
        self.started_at = now_rfc3339()
        self.started_mono = time.monotonic()
        self.waiting = None
        self.ready = False
        self.ready_streak = [0, 0]
        self.live_failures = 0
        probe = self.spec.get("readinessProbe") or {}
        self.next_readiness = time.monotonic() + probe.get("initialDelaySeconds", 0)
        probe = self.spec.get("livenessProbe") or {}
        self.next_liveness = time.monotonic() + probe.get("initialDelaySeconds", 0)
        log("%s/%s: started pid %d on %s (restart %d)" % (self.ns, self.name, self.proc.pid,
                                                           self.ip, self.restart_count))

    def started_file(self):
        return os.path.join(self.dir, "started")

    def kill(self, grace):
        """SIGTERM, then SIGKILL after `grace` seconds; waits for the process."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def exited(self, code):
        finished = now_rfc3339()
        reason = "Completed" if code == 0 else "Error"
        if code < 0:
            code, reason = 128 - code, "Error"  # killed by a signal: 128 + signal, as runtimes say
        self.last_state = {"terminated": {"exitCode": code, "reason": reason,
                                          "startedAt": self.started_at, "finishedAt": finished,
                                          "containerID": self.container_id()}}
        self.proc = None
        self.log.close()
        # Back off as the kubelet does (shorter): reset after a run of 10 s or more.
        ran = time.monotonic() - self.started_mono
        if ran >= 10:
            self.backoff = 0.5
        self.restart_at = time.monotonic() + self.backoff
        self.waiting = {"reason": "CrashLoopBackOff",
                        "message": "back-off %.1fs restarting failed container" % self.backoff}
        self.backoff = min(self.backoff * 2, 8.0)
        self.ready = False
        log("%s/%s: exited with %d; restart in %.1fs" % (self.ns, self.name, code,
                                                         self.restart_at - time.monotonic()))

    def container_id(self):
        return "e2e://%s-%d" % (self.uid, self.restart_count)

    def probe(self, probe):
        """True when an httpGet, tcpSocket or exec probe passes."""
        timeout = probe.get("timeoutSeconds", 1)
        if "httpGet" in probe:
            g = probe["httpGet"]
            port = self.port_number(g["port"])
            url = "%s://%s:%d%s" % (g.get("scheme", "HTTP").lower(), g.get("host") or self.ip,
                                    port, g.get("path", "/"))
            try:
                with urllib.request.urlopen(url, timeout=timeout) as r:
                    return 200 <= r.status < 400
            except urllib.error.HTTPError as e:
                return 200 <= e.code < 400
            except Exception:
                return False
        if "tcpSocket" in probe:
            import socket
            try:
                with socket.create_connection((self.ip, self.port_number(
                        probe["tcpSocket"]["port"])), timeout=timeout):
                    return True
            except OSError:
                return False
        return True  # exec probes are not run: counted as passing

    def port_number(self, port):
        if isinstance(port, int):
            return port
        for p in self.spec.get("ports", []):
            if p.get("name") == port:
                return p["containerPort"]
        return int(port)

    def tick(self):
        """Called every loop: restarts, probes. Returns True when the status changed."""
        now = time.monotonic()
        changed = False
        if self.stopping:
            return False
        if self.proc is not None and self.proc.poll() is not None:
            self.exited(self.proc.returncode)
            changed = True
        # The tests' hook for a member that stays down (a crash loop, a pod on a lost node):
        # while <pod dir>/hold exists the container is killed and not restarted.
        if os.path.exists(os.path.join(self.dir, "hold")):
            if self.proc is not None:
                log("%s/%s: held: killing the container" % (self.ns, self.name))
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
                self.exited(self.proc.returncode)
                changed = True
            self.restart_at = now + self.backoff
            return changed
        if self.proc is None and now >= self.restart_at:
            if self.last_state is not None:
                self.restart_count += 1
            self.start()
            changed = True
        if self.proc is None:
            return changed
        rp = self.spec.get("readinessProbe")
        if rp is None:
            # Ready once started, and started once its mounts are in place (container_init):
            # before that, a `kubectl exec` would see the container without its volumes.
            if not self.ready and os.path.exists(self.started_file()):
                self.ready, changed = True, True
        elif now >= self.next_readiness:
            self.next_readiness = now + rp.get("periodSeconds", 10)
            if self.probe(rp):
                self.ready_streak = [self.ready_streak[0] + 1, 0]
                if not self.ready and self.ready_streak[0] >= rp.get("successThreshold", 1):
                    self.ready, changed = True, True
            else:
                self.ready_streak = [0, self.ready_streak[1] + 1]
                if self.ready and self.ready_streak[1] >= rp.get("failureThreshold", 3):
                    self.ready, changed = False, True
        lp = self.spec.get("livenessProbe")
        if lp is not None and now >= self.next_liveness:
            self.next_liveness = now + lp.get("periodSeconds", 10)
            if self.probe(lp):
                self.live_failures = 0
            else:
                self.live_failures += 1
                if self.live_failures >= lp.get("failureThreshold", 3):
                    log("%s/%s: liveness probe failed %d times; restarting"
                        % (self.ns, self.name, self.live_failures))
                    self.kill(self.pod["spec"].get("terminationGracePeriodSeconds", 30))
                    self.exited(self.proc.returncode)
                    changed = True
        return changed

    def status(self):
        running = self.proc is not None
        cs = {
            "name": self.spec["name"], "image": self.spec.get("image", ""),
            "imageID": "e2e://corral-server", "containerID": self.container_id(),
            "ready": running and self.ready, "started": running,
            "restartCount": self.restart_count,
            "state": ({"running": {"startedAt": self.started_at}} if running
                      else {"waiting": self.waiting or {"reason": "ContainerCreating"}}),
        }
        if self.last_state is not None:
            cs["lastState"] = self.last_state
        ready = "True" if cs["ready"] else "False"
        t = now_rfc3339()
        conditions = [
            {"type": "PodScheduled", "status": "True"},
            {"type": "Initialized", "status": "True"},
            {"type": "ContainersReady", "status": ready},
            {"type": "Ready", "status": ready},
        ]
        return {
            "phase": "Running" if (running or self.restart_count > 0 or self.last_state)
            else "Pending",
            "hostIP": "127.0.0.1", "hostIPs": [{"ip": "127.0.0.1"}],
            "podIP": self.ip, "podIPs": [{"ip": self.ip}],
            "startTime": self.pod.get("status", {}).get("startTime") or t,
            "conditions": conditions, "containerStatuses": [cs],
        }


def die_with_parent():
    """In a child: SIGKILL when the agent dies, so no container outlives it."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def selector_matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


class Agent:
    def __init__(self, args):
        self.api = Api(args.kubeconfig)
        self.ns = args.namespace
        self.node = args.node
        self.workdir = os.path.abspath(args.workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.image = Image(args.build_dir, self.workdir)
        self.operator_image = self.image.operator_variant()
        self.client_image = self.image.client_variant()
        self.services_file = os.path.join(self.image.dir, "services")
        self.services_text = None
        api_url = urllib.parse.urlparse(self.api.server)
        self.api_endpoint = (api_url.hostname, api_url.port or 443)
        self.kubernetes_vip = self.api.get(
            "/api/v1/namespaces/default/services/kubernetes")["spec"]["clusterIP"]
        self.containers = {}  # pod uid -> Container
        self.ips = {}  # pod uid -> ip
        self.next_ip = 2  # 127.0.0.1 is the host's
        self.reported = {}  # pod uid -> last status written
        self.prepare_errors = {}  # pod uid -> the last reason it could not start
        self.stop = False
        self.services = []
        self.pods = []
        self.hosts_text = None

    def image_for(self, name):
        """The image a container's `image` names: the operator's when its repository is
        corral-operator, the test's clients' when corral-e2e-client, else the server's
        (whatever its tag: every image is this build; the pod's status reports the image its
        spec names, so a test sees which one each pod runs)."""
        repo = name.rsplit("/", 1)[-1].split("@")[0].split(":")[0]
        return {"corral-operator": self.operator_image,
                "corral-e2e-client": self.client_image}.get(repo, self.image)

    def allocate_ip(self, uid):
        if uid not in self.ips:
            used = set(self.ips.values())
            while "127.0.0.%d" % self.next_ip in used:
                self.next_ip += 1
            if self.next_ip > 254:
                self.next_ip = 2
            self.ips[uid] = "127.0.0.%d" % self.next_ip
            self.next_ip += 1
        return self.ips[uid]

    # -- the node ------------------------------------------------------------------------------

    def register_node(self):
        node = {
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": self.node, "labels": {
                "kubernetes.io/hostname": self.node, "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64", "corral.dev/e2e-node-agent": "true"}},
        }
        status, _ = self.api.call("POST", "/api/v1/nodes", node, ok=(201, 409))
        self.heartbeat()

    def heartbeat(self):
        t = now_rfc3339()
        status = {"status": {
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                            "message": "corral e2e node agent", "lastHeartbeatTime": t,
                            "lastTransitionTime": t}],
            "addresses": [{"type": "InternalIP", "address": "127.0.0.1"},
                          {"type": "Hostname", "address": self.node}],
            "capacity": {"cpu": "2", "memory": "4Gi", "pods": "110"},
            "allocatable": {"cpu": "2", "memory": "4Gi", "pods": "110"},
            "nodeInfo": {"kubeletVersion": "e2e-node-agent", "operatingSystem": "linux",
                         "architecture": "amd64", "containerRuntimeVersion": "e2e://",
                         "kernelVersion": "", "osImage": "", "kubeProxyVersion": "",
                         "machineID": "", "systemUUID": "", "bootID": ""},
        }}
        self.api.call("PATCH", "/api/v1/nodes/%s/status" % self.node, status,
                      content_type="application/merge-patch+json")

    # -- names (the cluster DNS of this node) --------------------------------------------------

    def hosts_records(self):
        """[(ip, [names])] for the namespace's Services and pods."""
        records = []
        suffixes = lambda base: [base + ".%s.svc.cluster.local" % self.ns,
                                 base + ".%s.svc" % self.ns, base + ".%s" % self.ns, base]
        for svc in self.services:
            name = svc["metadata"]["name"]
            spec = svc["spec"]
            selector = spec.get("selector")
            if not selector:
                continue
            headless = spec.get("clusterIP") == "None"
            not_ready_too = headless and spec.get("publishNotReadyAddresses", False)
            for pod in self.pods:
                uid = pod["metadata"]["uid"]
                c = self.containers.get(uid)
                if c is None or not selector_matches(selector,
                                                     pod["metadata"].get("labels", {})):
                    continue
                if pod["metadata"].get("deletionTimestamp") and not not_ready_too:
                    continue
                if not (not_ready_too or (c.proc is not None and c.ready)):
                    continue
                if not headless:
                    continue  # its name stands for its virtual IP, below
                names = suffixes(name)
                if pod["spec"].get("subdomain") == name:
                    host = pod["spec"].get("hostname") or pod["metadata"]["name"]
                    names = suffixes("%s.%s" % (host, name)) + names
                records.append((c.ip, names))
            if not headless and spec.get("clusterIP"):
                records.append((spec["clusterIP"], suffixes(name)))
        return records

    def endpoints(self, svc, port):
        """[(ip, port)] of a ClusterIP Service's Ready pods for one of its ports."""
        out = []
        for pod in self.pods:
            c = self.containers.get(pod["metadata"]["uid"])
            if (c is None or c.proc is None or not c.ready or pod["metadata"].get(
                    "deletionTimestamp") or not selector_matches(
                    svc["spec"].get("selector"), pod["metadata"].get("labels", {}))):
                continue
            target = port.get("targetPort", port["port"])
            out.append((c.ip, c.port_number(target)))
        return out

    def refresh_services(self):
        """The virtual IP table podnet.so reads (kube-proxy's part): the `kubernetes` Service
        to the API server, and each ClusterIP Service of the namespace to its Ready pods."""
        lines = ["%s 443 %s %d" % (self.kubernetes_vip, *self.api_endpoint)]
        for svc in self.services:
            vip = svc["spec"].get("clusterIP")
            if not vip or vip == "None" or not svc["spec"].get("selector"):
                continue
            for port in svc["spec"].get("ports", []):
                eps = self.endpoints(svc, port)
                lines += ["%s %d %s %d" % (vip, port["port"], ip, p) for ip, p in eps]
                if not eps:
                    lines.append("%s %d - 0" % (vip, port["port"]))
        text = "".join(l + "\n" for l in lines)
        if text != self.services_text:
            tmp = self.services_file + ".tmp"
            with open(tmp, "w") as f:
                f.write(text)
            os.rename(tmp, self.services_file)
            self.services_text = text

    def refresh_hosts(self):
        text = "".join("%s %s\n" % (ip, " ".join(names)) for ip, names in self.hosts_records())
        if text != self.hosts_text:
            self.hosts_text = text
            for c in self.containers.values():
                self.write_hosts(c)

    def write_hosts(self, c):
        """The container's /etc/hosts, as the kubelet writes it plus the records of the names.
        Rewritten in place: the file is bind-mounted, a rename would not be seen."""
        text = ("# Kubernetes-managed hosts file (corral e2e node agent).\n"
                "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                "%s\t%s\n" % (c.ip, c.hostname) + (self.hosts_text or ""))
        mode = "r+" if os.path.exists(c.hosts_file) else "w"
        with open(c.hosts_file, mode) as f:
            f.write(text)
            f.truncate()

    # -- the loop ------------------------------------------------------------------------------

    def run(self):
        self.register_node()
        next_heartbeat = time.monotonic() + 10
        while not self.stop:
            try:
                self.sync()
            except (ApiError, urllib.error.URLError, OSError) as e:
                log("sync: %s" % e)
            if time.monotonic() >= next_heartbeat:
                try:
                    self.heartbeat()
                except Exception as e:
                    log("heartbeat: %s" % e)
                next_heartbeat = time.monotonic() + 10
            time.sleep(0.1)
        self.shutdown()

    def sync(self):
        base = "/api/v1/namespaces/%s" % self.ns
        self.pods = self.api.get(base + "/pods")["items"]
        self.services = self.api.get(base + "/services")["items"]
        seen = set()
        for pod in self.pods:
            uid = pod["metadata"]["uid"]
            seen.add(uid)
            node = pod["spec"].get("nodeName")
            if not node:
                self.bind(pod)
                continue
            if node != self.node:
                continue
            c = self.containers.get(uid)
            if pod["metadata"].get("deletionTimestamp"):
                self.delete(pod, c)
                continue
            if c is None:
                c = Container(self, pod)
                try:
                    c.prepare()
                except (ApiError, RuntimeError, OSError) as e:
                    # Like the kubelet's FailedMount: tried again, said once per reason.
                    message = "%s/%s: cannot start yet: %s" % (self.ns, pod["metadata"]["name"], e)
                    if self.prepare_errors.get(uid) != message:
                        self.prepare_errors[uid] = message
                        log(message)
                    continue
                self.prepare_errors.pop(uid, None)
                self.containers[uid] = c
                # Its names before it starts: this "DNS" has no propagation delay (a real
                # cluster's has some; the server must not depend on either).
                self.refresh_hosts()
                self.refresh_services()
            c.pod = pod
            for d, v in c.configmap_volumes.values():
                c.refresh_volume(d, v)
            c.tick()
            self.report(c)
        for uid in list(self.containers):
            if uid not in seen:  # removed without us (force deletion): stop it
                c = self.containers.pop(uid)
                c.stopping = True
                c.kill(0)
                self.forget(uid)
        self.refresh_hosts()
        self.refresh_services()

    def bind(self, pod):
        name = pod["metadata"]["name"]
        self.api.call("POST", "/api/v1/namespaces/%s/pods/%s/binding" % (self.ns, name), {
            "apiVersion": "v1", "kind": "Binding", "metadata": {"name": name},
            "target": {"apiVersion": "v1", "kind": "Node", "name": self.node}}, ok=(201, 409))
        log("%s/%s: bound to %s" % (self.ns, name, self.node))

    def report(self, c):
        status = c.status()
        key = json.dumps(status, sort_keys=True)
        if self.reported.get(c.uid) == key:
            return
        # Conditions carry their transition time only when they change.
        t = now_rfc3339()
        old = {x["type"]: x for x in c.pod.get("status", {}).get("conditions", [])}
        for cond in status["conditions"]:
            o = old.get(cond["type"])
            cond["lastTransitionTime"] = (o.get("lastTransitionTime") if o and o["status"]
                                          == cond["status"] else t)
        try:
            self.api.call("PATCH", "/api/v1/namespaces/%s/pods/%s/status" % (c.ns, c.name),
                          {"metadata": {"uid": c.uid}, "status": status},
                          content_type="application/strategic-merge-patch+json")
            self.reported[c.uid] = key
        except ApiError as e:
            log("%s: status: %s" % (c.name, e))

    def delete(self, pod, c):
        name = pod["metadata"]["name"]
        if c is not None:
            c.stopping = True
            grace = pod["metadata"].get("deletionGracePeriodSeconds",
                                        pod["spec"].get("terminationGracePeriodSeconds", 30))
            t0 = time.monotonic()
            c.kill(grace)
            log("%s/%s: deleted; container stopped in %.2fs" % (self.ns, name,
                                                                time.monotonic() - t0))
            self.containers.pop(pod["metadata"]["uid"], None)
        self.api.call("DELETE", "/api/v1/namespaces/%s/pods/%s" % (self.ns, name),
                      {"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0,
                       "preconditions": {"uid": pod["metadata"]["uid"]}},
                      ok=(200, 202, 404, 409))
        self.forget(pod["metadata"]["uid"])

    def forget(self, uid):
        self.reported.pop(uid, None)
        self.ips.pop(uid, None)
        shutil.rmtree(os.path.join(self.workdir, "pods", uid), ignore_errors=True)

    def shutdown(self):
        for c in self.containers.values():
            c.stopping = True
            c.kill(10)
        log("stopped %d containers" % len(self.containers))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kubeconfig")
    p.add_argument("--namespace")
    p.add_argument("--workdir")
    p.add_argument("--node", default="e2e-node")
    p.add_argument("--build-dir", default=os.environ.get("CORRAL_BUILD_DIR",
                                                         os.path.join(ROOT, "build")))
    p.add_argument("--container-init", help=argparse.SUPPRESS)
    args, _ = p.parse_known_args()
    if args.container_init:
        container_init(args.container_init)
        return
    args = p.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("node-agent: needs root (mount and UTS namespaces, chroot)")
    agent = Agent(args)

    def on_term(signum, frame):
        agent.stop = True
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    log("node %s, namespace %s, pod IPs 127.0.0.2 and up" % (agent.node, agent.ns))
    agent.run()


if __name__ == "__main__":
    main()
