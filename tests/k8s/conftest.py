"""Fixtures for the end-to-end tests on a test cluster (docs/k8s-e2e.md).

`cluster` (session): etcd, kube-apiserver (tests/k8s_api/kubeapi.py, shared, not copied) and a
kube-controller-manager running the controllers Corral's objects need, the Ensemble CRD
installed. Stopped by pid at the end, also when a test fails. Skipped with the build's error when
dev/k8s-tools cannot build the binaries, or when not run as root (the node agent needs mount and
UTS namespaces).
`namespace`: a fresh namespace per test.
`node_agent`: the test node agent (node_agent.py) for that namespace, stopped by pid at the end;
its containers are stopped with it.
`operator`: corral-operator from the build directory, or None when it is not built.
`pod_exec(node_agent, pod, *argv)`: `kubectl exec` for the agent's pods.
"""
import itertools
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "k8s_api"))

from kubeapi import (MANIFESTS, ROOT, KubeAPI, Process, ToolsUnavailable,  # noqa: E402
                     build_tools, free_port, have_openssl, wait_until)

TOOLS = ("etcd", "kube-apiserver", "kube-controller-manager", "kubectl")
# The StatefulSet controller creates pods and claims; the garbage collector deletes what an
# Ensemble owns; serviceaccount creates each namespace's `default` ServiceAccount, without which
# the API server's admission refuses the StatefulSet's pods; serviceaccount-token and
# root-ca-cert-publisher give pods the token and CA their projected volume holds; pvc-protection
# lets a deleted claim go once no pod uses it; deployment and replicaset run the operator's own
# Deployment when the chart installs it.
CONTROLLERS = ("statefulset", "garbagecollector", "serviceaccount", "serviceaccount-token",
               "root-ca-cert-publisher", "pvc-protection", "deployment", "replicaset")


def build_dir():
    return os.environ.get("CORRAL_BUILD_DIR", os.path.join(ROOT, "build"))


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("tests/k8s needs root: the node agent runs pods in mount and UTS namespaces")
    if not have_openssl():
        pytest.skip("tests/k8s needs the openssl command (Debian package openssl)")
    if not os.path.exists(os.path.join(build_dir(), "bin", "corral-server")):
        pytest.skip("corral-server is not built in %s" % build_dir())
    try:
        tools = build_tools(TOOLS)
    except ToolsUnavailable as e:
        pytest.skip("Kubernetes tools unavailable: %s" % e)
    api = KubeAPI(str(tmp_path_factory.mktemp("cluster")), tools).start()
    try:
        # The CRD before the controller manager: its garbage collector finds the resources to
        # watch by discovery at start, then only every 30 s, so an Ensemble CRD installed after
        # it would leave Ensembles unwatched (and their children undeleted) for up to 30 s.
        api.kubectl("apply", "--server-side", "-f", os.path.join(MANIFESTS, "crd.yaml"))

        def established():
            crd = api.get("crd", "ensembles.corral.dev")
            conds = {c["type"]: c["status"] for c in crd.get("status", {}).get("conditions", [])}
            return conds.get("Established") == "True" and api.kubectl(
                "get", "ens", "-A", check=False).returncode == 0
        wait_until("Ensemble CRD established", established, 30)
        api.start_controller_manager(CONTROLLERS)
        yield api
    finally:
        api.stop()


_ns_counter = itertools.count()


@pytest.fixture
def namespace(cluster):
    name = "e2e%d" % next(_ns_counter)
    cluster.kubectl("create", "namespace", name)
    wait_until("default ServiceAccount in %s" % name,
               lambda: cluster.kubectl("get", "sa", "default", "-n", name,
                                       check=False).returncode == 0, 30)
    return name


@pytest.fixture
def node_agent(cluster, namespace, tmp_path):
    workdir = tmp_path / "node"
    proc = Process("node-agent", [
        "/usr/bin/python3", os.path.join(HERE, "node_agent.py"),
        "--kubeconfig", cluster.kubeconfig, "--namespace", namespace,
        "--workdir", str(workdir), "--node", "node-" + namespace, "--build-dir", build_dir(),
    ], str(tmp_path / "node-agent.log"))
    proc.workdir = str(workdir)
    proc.node = "node-" + namespace
    try:
        wait_until("node Ready", lambda: node_ready(cluster, proc.node), 30, [proc.check_alive])
        yield proc
    finally:
        # SIGTERM: the agent stops its containers (SIGTERM, then SIGKILL) before it exits.
        proc.stop()


def pod_exec(node_agent, pod, *argv, timeout=30):
    """`kubectl exec` for the agent's pods: runs argv in the pod's container (its mount and UTS
    namespaces, its root file system, user and environment). Returns the CompletedProcess."""
    d = os.path.join(node_agent.workdir, "pods", pod["metadata"]["uid"])
    with open(os.path.join(d, "pid")) as f:
        pid = int(f.read())
    with open(os.path.join(d, "container.json")) as f:
        spec = json.load(f)
    env = ["%s=%s" % kv for kv in spec["env"].items()]
    return subprocess.run(
        ["nsenter", "-t", str(pid), "-m", "-u", "--", "chroot",
         "--userspec=%d:%d" % (spec["uid"], spec["gid"]), spec["rootfs"],
         "/usr/bin/env", "-i", *env, *argv],
        capture_output=True, text=True, timeout=timeout)


def node_ready(cluster, name):
    status, node = cluster.request("GET", "/api/v1/nodes/%s" % name)
    if status != 200:
        return False
    return any(c["type"] == "Ready" and c["status"] == "True"
               for c in node.get("status", {}).get("conditions", []))


@pytest.fixture
def operator(cluster, tmp_path):
    """corral-operator watching every namespace, or None when it is not built (or when
    CORRAL_E2E_WITHOUT_OPERATOR=1 asks for the tests' hand-rendered objects instead)."""
    binary = os.path.join(build_dir(), "bin", "corral-operator")
    if not os.path.exists(binary) or os.environ.get("CORRAL_E2E_WITHOUT_OPERATOR") == "1":
        yield None
        return
    health, metrics = free_port(), free_port()
    proc = Process("corral-operator", [
        binary, "--kubeconfig", cluster.kubeconfig, "--log-level", "debug",
        "--health-address=127.0.0.1:%d" % health, "--metrics-address=127.0.0.1:%d" % metrics,
    ], str(tmp_path / "operator.log"))
    try:
        yield proc
    finally:
        proc.stop()


def pods(cluster, namespace, selector):
    status, body = cluster.request("GET", "/api/v1/namespaces/%s/pods?labelSelector=%s"
                                   % (namespace, selector))
    assert status == 200, body
    return body["items"]


def pod_ready(pod):
    return any(c["type"] == "Ready" and c["status"] == "True"
               for c in pod.get("status", {}).get("conditions", []))


def dump(cluster, namespace):
    """What to print when a wait fails: the namespace's pods and the Ensemble's status."""
    out = []
    for kind in ("pods", "ensembles.corral.dev"):
        p = cluster.kubectl("get", kind, "-n", namespace, "-o", "json", check=False)
        try:
            for item in json.loads(p.stdout)["items"]:
                out.append("%s %s: %s" % (kind, item["metadata"]["name"],
                                          json.dumps(item.get("status", {}))[:1500]))
        except (ValueError, KeyError):
            out.append(p.stderr)
    return "\n".join(out)
