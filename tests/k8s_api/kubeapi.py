"""A real Kubernetes API server for tests: etcd and kube-apiserver on loopback.

Both are built from the Go module proxy by dev/k8s-tools (cached after the first build). The
API server runs with RBAC authorization and a static token for the test client, which belongs to
system:masters; everything else (the operator's ServiceAccount, for instance) is subject to RBAC.
By default there is no kube-controller-manager, scheduler or kubelet: objects are stored and
validated, never acted on. `start_controller_manager` adds a kube-controller-manager running the
controllers asked for (tests/k8s runs the StatefulSet and garbage-collector controllers; its node
agent plays the kubelet). Every process binds 127.0.0.1 only, on free ports, with its data in a
temporary directory, and is stopped by pid.
"""
import ctypes
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MANIFESTS = os.path.join(ROOT, "manifests")
TOOLS = ("etcd", "kube-apiserver", "kubectl")


class ToolsUnavailable(Exception):
    """dev/k8s-tools could not provide the binaries; the message says why."""


def build_tools(tools=TOOLS):
    """Returns {tool: path}, building the tools on first use (see dev/k8s-tools)."""
    script = os.path.join(ROOT, "dev", "k8s-tools")
    try:
        proc = subprocess.run([script, *tools], capture_output=True, text=True)
    except OSError as e:
        raise ToolsUnavailable("cannot run %s: %s" % (script, e))
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise ToolsUnavailable("dev/k8s-tools %s failed (exit %d):\n%s"
                               % (" ".join(tools), proc.returncode, tail))
    paths = dict(line.split("=", 1) for line in proc.stdout.split() if "=" in line)
    missing = [t for t in tools if not os.access(paths.get(t, ""), os.X_OK)]
    if missing:
        raise ToolsUnavailable("dev/k8s-tools printed no usable path for %s" % ", ".join(missing))
    return paths


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certs(d):
    """A CA, the API server's serving certificate for 127.0.0.1, and the service account key."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=corral-test-ca", cwd=d)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "apiserver.key",
            "-out", "apiserver.csr", "-subj", "/CN=kube-apiserver", cwd=d)
    with open(os.path.join(d, "san.ext"), "w") as f:
        # 10.96.0.1: the `kubernetes` Service's ClusterIP, which pods of tests/k8s dial.
        f.write("subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,"
                "DNS:kubernetes.default.svc\n"
                "extendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "apiserver.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "apiserver.crt", cwd=d)
    # Signs (private part) and verifies (the API server derives the public part) SA tokens.
    openssl("genrsa", "-out", "sa.key", "2048", cwd=d)


def wait_until(what, predicate, timeout, proc_checks=(), interval=0.1):
    """Polls predicate() until it returns a true value (returned) or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        for check in proc_checks:
            check()
        try:
            result = predicate()
            if result:
                return result
        except Exception as e:  # not up yet
            last = e
        time.sleep(interval)
    raise TimeoutError("%s: not within %ss (last error: %s)" % (what, timeout, last))


def _die_with_parent():
    """In the child: SIGKILL when the test process dies, even by SIGKILL, so that no etcd or
    kube-apiserver outlives the run that started it (Linux's PR_SET_PDEATHSIG)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
    except Exception:
        pass


class Process:
    """A child process whose output goes to a log file; stopped by pid."""

    def __init__(self, name, argv, log_path):
        self.name = name
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True,
                                     preexec_fn=_die_with_parent)

    def check_alive(self):
        if self.proc.poll() is not None:
            raise RuntimeError("%s exited with %s:\n%s"
                               % (self.name, self.proc.returncode, self.log_tail()))

    def log_tail(self, lines=30):
        with open(self.log_path, "rb") as f:
            return b"\n".join(f.read().splitlines()[-lines:]).decode(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


class KubeAPI:
    """etcd + kube-apiserver in `workdir`, and kubectl pointed at them."""

    TOKEN = "corral-test-admin-token"

    def __init__(self, workdir, tools):
        self.dir = workdir
        self.tools = tools
        self.procs = []
        self.etcd_port = free_port()
        self.port = free_port()
        self.url = "https://127.0.0.1:%d" % self.port
        self.kubeconfig = os.path.join(workdir, "kubeconfig")
        self.kubectl_cache = os.path.join(workdir, "kubectl-cache")

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self):
        try:
            make_certs(self.dir)
            self._write_auth()
            self._start_etcd()
            self._start_apiserver()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        for p in reversed(self.procs):  # the controller manager, the API server, then etcd
            p.stop()
        self.procs = []

    def _write_auth(self):
        with open(os.path.join(self.dir, "tokens.csv"), "w") as f:
            f.write('%s,corral-test-admin,corral-test-admin,"system:masters"\n' % self.TOKEN)
        with open(self.kubeconfig, "w") as f:
            json.dump({
                "apiVersion": "v1", "kind": "Config", "current-context": "test",
                "clusters": [{"name": "test", "cluster": {
                    "server": self.url,
                    "certificate-authority": os.path.join(self.dir, "ca.crt")}}],
                "users": [{"name": "admin", "user": {"token": self.TOKEN}}],
                "contexts": [{"name": "test", "context": {"cluster": "test", "user": "admin",
                                                          "namespace": "default"}}],
            }, f)

    def _start_etcd(self):
        peer = "http://127.0.0.1:%d" % free_port()
        client = "http://127.0.0.1:%d" % self.etcd_port
        self.etcd = Process("etcd", [
            self.tools["etcd"], "--name=test", "--data-dir=" + os.path.join(self.dir, "etcd"),
            "--listen-client-urls=" + client, "--advertise-client-urls=" + client,
            "--listen-peer-urls=" + peer, "--initial-advertise-peer-urls=" + peer,
            "--initial-cluster=test=" + peer, "--initial-cluster-state=new",
            # Test data: nothing to keep across a power loss, and fsync is most of etcd's latency.
            "--unsafe-no-fsync", "--log-level=warn",
        ], os.path.join(self.dir, "etcd.log"))
        self.procs.append(self.etcd)

        def healthy():
            with urllib.request.urlopen(client + "/health", timeout=2) as r:
                return json.load(r).get("health") == "true"
        wait_until("etcd healthy", healthy, 30, [self.etcd.check_alive])

    def _start_apiserver(self):
        d = self.dir
        self.apiserver = Process("kube-apiserver", [
            self.tools["kube-apiserver"],
            "--etcd-servers=http://127.0.0.1:%d" % self.etcd_port,
            "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
            "--secure-port=%d" % self.port,
            "--tls-cert-file=" + os.path.join(d, "apiserver.crt"),
            "--tls-private-key-file=" + os.path.join(d, "apiserver.key"),
            "--cert-dir=" + os.path.join(d, "apiserver-certs"),
            "--token-auth-file=" + os.path.join(d, "tokens.csv"),
            "--authorization-mode=RBAC",
            "--service-account-key-file=" + os.path.join(d, "sa.key"),
            "--service-account-signing-key-file=" + os.path.join(d, "sa.key"),
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            # Only allocated in the API; nothing routes to it.
            "--service-cluster-ip-range=10.96.0.0/24",
            "--profiling=false", "--v=1",
        ], os.path.join(d, "kube-apiserver.log"))
        self.procs.append(self.apiserver)
        try:
            wait_until("kube-apiserver /readyz", lambda: self.request("GET", "/readyz")[0] == 200,
                       90, [self.apiserver.check_alive, self.etcd.check_alive], interval=0.25)
        except TimeoutError as e:
            raise TimeoutError("%s\nkube-apiserver log:\n%s" % (e, self.apiserver.log_tail()))

    def start_controller_manager(self, controllers, extra_flags=()):
        """kube-controller-manager with `controllers` (e.g. ["statefulset", "garbagecollector"]),
        authenticated by the admin kubeconfig (so --use-service-account-credentials=false: every
        controller acts as the admin user), signing service account tokens with the API server's
        key. Serves /healthz on a free loopback port; returns once it reports healthy."""
        d = self.dir
        port = free_port()
        self.controller_manager = Process("kube-controller-manager", [
            self.tools["kube-controller-manager"],
            "--kubeconfig=" + self.kubeconfig,
            "--controllers=" + ",".join(controllers),
            "--use-service-account-credentials=false",
            "--service-account-private-key-file=" + os.path.join(d, "sa.key"),
            "--root-ca-file=" + os.path.join(d, "ca.crt"),
            "--leader-elect=false",
            "--bind-address=127.0.0.1", "--secure-port=%d" % port,
            "--cert-dir=" + os.path.join(d, "kcm-certs"),
            # /healthz is in --authorization-always-allow-paths; no delegated authn lookups.
            "--authentication-skip-lookup",
            # The test's namespaces come and go quickly; resync often so GC notices.
            "--concurrent-statefulset-syncs=5", "--v=1", *extra_flags,
        ], os.path.join(d, "kube-controller-manager.log"))
        self.procs.append(self.controller_manager)

        ctx = ssl._create_unverified_context()  # its self-signed serving certificate

        def healthy():
            with urllib.request.urlopen("https://127.0.0.1:%d/healthz" % port, context=ctx,
                                        timeout=2) as r:
                return r.status == 200
        try:
            wait_until("kube-controller-manager /healthz", healthy, 60,
                       [self.controller_manager.check_alive, self.apiserver.check_alive],
                       interval=0.25)
        except TimeoutError as e:
            raise TimeoutError("%s\nkube-controller-manager log:\n%s"
                               % (e, self.controller_manager.log_tail()))
        return self.controller_manager

    # -- clients ---------------------------------------------------------------------------------

    def request(self, method, path, body=None, content_type="application/json"):
        """Returns (status, parsed JSON or text) of one request as the admin user."""
        ctx = ssl.create_default_context(cafile=os.path.join(self.dir, "ca.crt"))
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method, headers={
            "Authorization": "Bearer " + self.TOKEN, "Content-Type": content_type,
            "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
                status, raw = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode(errors="replace")

    def kubectl(self, *args, input=None, check=True):
        """Runs kubectl against this server; returns the CompletedProcess."""
        argv = [self.tools["kubectl"], "--kubeconfig", self.kubeconfig,
                "--cache-dir", self.kubectl_cache, *args]
        if input is not None and not isinstance(input, str):
            input = json.dumps(input)
        proc = subprocess.run(argv, input=input, capture_output=True, text=True, timeout=60)
        if check and proc.returncode != 0:
            raise AssertionError("kubectl %s failed (%d):\n%s%s"
                                 % (" ".join(args), proc.returncode, proc.stdout, proc.stderr))
        return proc

    def get(self, *args):
        return json.loads(self.kubectl("get", *args, "-o", "json").stdout)


def have_openssl():
    return shutil.which("openssl") is not None
