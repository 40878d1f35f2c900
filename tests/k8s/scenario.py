"""What the scenarios of tests/k8s share: the Ensemble they create, writers that record every
acknowledged write, reads after a sync, figures."""
import os
import threading
import time

from kazoo.client import KazooClient
from kazoo.exceptions import NodeExistsError
from kazoo.retry import KazooRetry

from conftest import dump, pod_ready, pods
from kubeapi import wait_until

NAME = "zk"
SELECTOR = "app.kubernetes.io/instance=%s" % NAME
FIGURES = {}


def figure(key, value):
    FIGURES[key] = round(value, 2) if isinstance(value, float) else value
    print("figure: %s = %s" % (key, FIGURES[key]))


# The image runs as uid 1000 (Dockerfile USER) and a new claim's volume belongs to root (the
# agent creates it as most provisioners do), so the members need fsGroup 1000 to write /data.
# The operator renders that by default (this scenario relies on it: its Ensemble gives no pod
# securityContext); the hand-rendered StatefulSet and the deletion test give it explicitly.
POD_SECURITY = {"fsGroup": 1000}


def ensemble(namespace):
    return {"apiVersion": "corral.dev/v1alpha1", "kind": "Ensemble",
            "metadata": {"name": NAME, "namespace": namespace},
            "spec": {"replicas": 3}}


# -- helpers -------------------------------------------------------------------------------------

def ready_pods(cluster, namespace, n):
    ps = pods(cluster, namespace, SELECTOR)
    ready = [p for p in ps if pod_ready(p) and p["status"].get("podIP")]
    return ready if len(ready) == n and len(ps) == n else None


def container_pid(node_agent, pod):
    with open(os.path.join(node_agent.workdir, "pods", pod["metadata"]["uid"], "pid")) as f:
        return int(f.read())


class Writer:
    """Creates /e2e/<prefix><n> sequentially through every member, retrying through errors; each
    write is recorded once acknowledged."""

    def __init__(self, hosts, prefix="w-"):
        self.prefix = prefix
        self.client = KazooClient(hosts=hosts, timeout=10,
                                  connection_retry=KazooRetry(max_tries=-1, max_delay=0.5))
        self.client.start(timeout=30)
        self.client.ensure_path("/e2e")
        self.acked = []
        self.acked_at = []  # monotonic time of each acknowledgement
        self.failures = 0
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        n = 0
        while not self.stop_flag.is_set():
            path = "/e2e/%s%06d" % (self.prefix, n)
            try:
                self.client.create(path, b"%d" % n)
            except NodeExistsError:
                pass  # an earlier attempt was applied but its answer lost: acknowledged now
            except Exception:
                self.failures += 1
                time.sleep(0.05)
                continue
            self.acked.append(path)
            self.acked_at.append(time.monotonic())
            n += 1

    def longest_gap(self, since):
        """The longest time without an acknowledged write after `since` (monotonic)."""
        times = [since] + [t for t in self.acked_at if t >= since]
        return max(b - a for a, b in zip(times, times[1:])) if len(times) > 1 else None

    def stop(self):
        self.stop_flag.set()
        self.thread.join(30)
        self.client.stop()
        self.client.close()


def children_on(ip, timeout=30):
    """/e2e's children as one member serves them, after a sync with the leader."""
    c = KazooClient(hosts="%s:2181" % ip, timeout=10, read_only=False)
    c.start(timeout=timeout)
    try:
        c.sync("/e2e")
        return set(c.get_children("/e2e"))
    finally:
        c.stop()
        c.close()




# -- shared by the scenarios with in-cluster writers (clients.WriterPod) ---------------------------

def selector(name):
    return "app.kubernetes.io/name=corral,app.kubernetes.io/instance=%s" % name


def members(cluster, namespace, name):
    """The Ensemble's pods (not its writers), by name."""
    return {p["metadata"]["name"]: p for p in pods(cluster, namespace, selector(name))}


def wait_serving(cluster, namespace, name, n, checks, timeout=120):
    """Until the Ensemble has exactly n pods, all Ready on a pod IP, none being deleted, and the
    operator's status says n voters with n ready. Returns the pods by name."""
    def done():
        ps = members(cluster, namespace, name)
        if len(ps) != n or not all(pod_ready(p) and p["status"].get("podIP")
                                   and not p["metadata"].get("deletionTimestamp")
                                   for p in ps.values()):
            return None
        st = cluster.get("ens", name, "-n", namespace).get("status", {})
        ok = (st.get("bootstrapped") and st.get("replicas") == n
              and st.get("readyReplicas") == n and st.get("leader"))
        return ps if ok else None
    try:
        return wait_until("%s: %d members serving" % (name, n), done, timeout, checks,
                          interval=0.2)
    except TimeoutError as e:
        raise AssertionError("%s\n%s" % (e, dump(cluster, namespace)))


def assert_every_member_holds(cluster, namespace, name, acked):
    """Every member now in the Ensemble, after a sync with the leader, holds every acknowledged
    write (paths as the writers reported them)."""
    by_parent = {}
    for path in acked:
        parent, child = path.rsplit("/", 1)
        by_parent.setdefault(parent, set()).add(child)
    ps = members(cluster, namespace, name)
    assert ps
    for pod_name, p in sorted(ps.items()):
        c = KazooClient(hosts="%s:2181" % p["status"]["podIP"], timeout=10)
        c.start(timeout=30)
        try:
            for parent, children in by_parent.items():
                c.sync(parent)
                missing = children - set(c.get_children(parent))
                assert not missing, "%s lacks %d acknowledged writes under %s, e.g. %s" % (
                    pod_name, len(missing), parent, sorted(missing)[:5])
        finally:
            c.stop()
            c.close()


def operator_events(cluster, namespace, name):
    """The operator's Events about the Ensemble, in the order the API server stored them
    (resourceVersion: creation timestamps have one-second resolution)."""
    evs = [e for e in cluster.get("events", "-n", namespace)["items"]
           if e["involvedObject"].get("kind") == "Ensemble"
           and e["involvedObject"].get("name") == name]
    return sorted(evs, key=lambda e: int(e["metadata"]["resourceVersion"]))
