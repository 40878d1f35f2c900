"""What the scenarios of tests/k8s share: the Ensemble they create, writers that record every
acknowledged write, reads after a sync, figures."""
import os
import threading
import time

from kazoo.client import KazooClient
from kazoo.exceptions import NodeExistsError
from kazoo.retry import KazooRetry

from conftest import pod_ready, pods

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


