"""In-cluster clients for the scenarios, and a record of how pods change.

`WriterPod`: a pod of the test's client image (corral-e2e-client, node_agent.py) running a real
ZooKeeper client, kazoo or the C client, that writes continuously through the client Service's
name (`<ensemble>-client.<ns>.svc:2181`), as an application in the cluster would: the agent's
/etc/hosts gives the name's virtual IP and podnet.so sends each connection to a Ready member.
Pod IPs come and go through restarts and scaling; the name stays. The test follows the pod's
output (its log, read as it grows) and stamps each acknowledgement with the time it read it, so
`longest_gap` measures how long clients saw no write succeed.

`PodWatch`, `EnsembleWatch`: watches kept in the API server's order, so a test can say which
pod was deleted before which, whether a restarted member was Ready before the next went down,
or when the configuration had 4 voters, without depending on how often it polls (a scale-down
step can take less than a poll).
"""
import glob
import http.client
import json
import os
import ssl
import threading
import time
import urllib.parse

from kubeapi import wait_until

CLIENT_IMAGE = "corral-e2e-client:latest"


class WriterPod:
    """A client pod writing <prefix>/w-NNNNNN through `hosts`. kind: "kazoo" or "c"."""

    def __init__(self, cluster, node_agent, namespace, name, hosts, prefix, kind="kazoo"):
        self.cluster, self.agent, self.ns, self.name = cluster, node_agent, namespace, name
        self.kind, self.prefix = kind, prefix
        if kind == "kazoo":
            command = ["/usr/bin/python3", "-u", "/usr/local/bin/e2e-kazoo-writer", hosts, prefix]
            env = []
        else:
            command = ["/usr/local/bin/corral-c-client-driver", hosts, "writer", prefix]
            env = [{"name": "CORRAL_WRITER_SECONDS", "value": "36000"}]
        self.pod = {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace,
                         "labels": {"app.kubernetes.io/name": "e2e-writer"}},
            "spec": {"containers": [{"name": "writer", "image": CLIENT_IMAGE,
                                     "command": command, "env": env}],
                     "terminationGracePeriodSeconds": 5}}
        self.acked = []     # paths, in order
        self.acked_at = []  # the monotonic time each was read
        self.errors = {}    # error name -> count
        self.other = []     # other output lines (setup errors, the driver's FAIL)
        self._offsets = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, daemon=True)

    def start(self):
        self.cluster.kubectl("apply", "-f", "-", input=self.pod)
        self._thread.start()
        return self

    def _logs(self):
        return sorted(glob.glob(os.path.join(self.agent.workdir, "logs",
                                             "%s_%s-*.log" % (self.ns, self.name))))

    def _read_new(self):
        now = time.monotonic()
        for path in self._logs():
            with open(path, "rb") as f:
                f.seek(self._offsets.get(path, 0))
                data = f.read()
            end = data.rfind(b"\n") + 1  # whole lines only
            self._offsets[path] = self._offsets.get(path, 0) + end
            with self._lock:
                for line in data[:end].decode(errors="replace").splitlines():
                    words = line.split()
                    if words[:1] == ["acked"] and len(words) == 2:
                        self.acked.append(words[1])
                        self.acked_at.append(now)
                    elif words[:1] == ["unknown"] and len(words) >= 3:
                        self.errors[words[2]] = self.errors.get(words[2], 0) + 1
                    elif line.strip():
                        self.other.append(line.strip())

    def _follow(self):
        while not self._stop.is_set():
            self._read_new()
            time.sleep(0.02)

    def count(self):
        with self._lock:
            return len(self.acked)

    def wait_acked(self, n, timeout=60, checks=()):
        """Waits until n more writes than now are acknowledged."""
        target = self.count() + n
        wait_until("%s: %d writes acknowledged (have %d; errors %s; other output %s)"
                   % (self.name, target, self.count(), self.errors, self.other[-3:]),
                   lambda: self.count() >= target, timeout, checks)

    def longest_gap(self, since, until=None):
        """The longest time without an acknowledged write between since and until
        (monotonic; until defaults to the last acknowledgement)."""
        return self.longest_gap_at(since, until)[0]

    def longest_gap_at(self, since, until=None):
        """(the longest gap as longest_gap, the time it began), or (None, None)."""
        with self._lock:
            times = [t for t in self.acked_at if t >= since and (until is None or t <= until)]
        times = [since] + times + ([until] if until is not None else [])
        if len(times) < 2:
            return None, None
        return max((b - a, a) for a, b in zip(times, times[1:]))

    def stop(self, timeout=30):
        """Deletes the pod (SIGTERM: the writer ends), waits until it is gone, then reads the
        rest of its output. Returns the set of acknowledged paths."""
        self.cluster.kubectl("delete", "pod", self.name, "-n", self.ns, "--wait=false")
        wait_until("writer pod %s gone" % self.name, lambda: self.cluster.request(
            "GET", "/api/v1/namespaces/%s/pods/%s" % (self.ns, self.name))[0] == 404, timeout)
        self._stop.set()
        self._thread.join(5)
        self._read_new()
        return set(self.acked)


class Watch:
    """Watches a collection (`path`, with `query` such as a label selector) from now on;
    `events` lists (monotonic time, type, object) in the API server's order."""

    def __init__(self, cluster, path, query=""):
        self.cluster, self.path, self.query = cluster, path, query
        self.events = []
        self.error = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        status, body = cluster.request("GET", "%s?%s" % (path, query))
        assert status == 200, body
        self.initial = body["items"]
        self._rv = body["metadata"]["resourceVersion"]
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        url = urllib.parse.urlparse(self.cluster.url)
        ctx = ssl.create_default_context(cafile=os.path.join(self.cluster.dir, "ca.crt"))
        while not self._stop.is_set():
            # The server ends each watch after timeoutSeconds; it is resumed from the last
            # resourceVersion seen, so no change is missed between two.
            conn = http.client.HTTPSConnection(url.hostname, url.port, context=ctx, timeout=60)
            try:
                conn.request("GET", "%s?watch=1&%s&resourceVersion=%s&timeoutSeconds=30"
                             % (self.path, self.query, self._rv),
                             headers={"Authorization": "Bearer " + self.cluster.TOKEN})
                r = conn.getresponse()
                while not self._stop.is_set():
                    line = r.readline()
                    if not line:
                        break
                    ev = json.loads(line)
                    if ev["type"] == "ERROR":  # e.g. 410 Gone: the record would have a hole
                        self.error = ev["object"]
                        return
                    self._rv = ev["object"]["metadata"]["resourceVersion"]
                    with self._lock:
                        self.events.append((time.monotonic(), ev["type"], ev["object"]))
            except (OSError, http.client.HTTPException):
                time.sleep(0.1)
            finally:
                conn.close()

    def snapshot(self):
        with self._lock:
            return list(self.events)

    def first(self, predicate, since=0.0):
        """The time of the first event at or after `since` whose object satisfies predicate,
        or None."""
        for t, _, obj in self.snapshot():
            if t >= since and predicate(obj):
                return t
        return None

    def stop(self):
        self._stop.set()  # the thread, a daemon, ends with its current watch


class PodWatch(Watch):
    """The namespace's pods matching a label selector."""

    def __init__(self, cluster, namespace, selector):
        super().__init__(cluster, "/api/v1/namespaces/%s/pods" % namespace,
                         "labelSelector=" + urllib.parse.quote(selector))


class EnsembleWatch(Watch):
    """One Ensemble (its status as the operator writes it)."""

    def __init__(self, cluster, namespace, name):
        super().__init__(cluster, "/apis/corral.dev/v1alpha1/namespaces/%s/ensembles" % namespace,
                         "fieldSelector=" + urllib.parse.quote("metadata.name=" + name))


def ready(pod):
    return any(c["type"] == "Ready" and c["status"] == "True"
               for c in pod.get("status", {}).get("conditions", []))
