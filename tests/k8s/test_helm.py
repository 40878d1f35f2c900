"""Install with helm: the chart's operator Deployment runs as a pod of the test node (in-cluster
configuration, the chart's RBAC, leader election), and reconciles an Ensemble to 3 members that
serve through the client Service's name.

The Ensemble is applied with kubectl rather than by the chart (`ensemble.enabled`): the chart
has no value for the pod securityContext, and without fsGroup the members cannot write their
volumes (scenario.POD_SECURITY, docs/k8s-e2e.md).
"""
import os
import subprocess
import time

import pytest

from conftest import dump, pod_exec, pod_ready
from kubeapi import ROOT, ToolsUnavailable, build_tools, wait_until
from scenario import NAME, Writer, children_on, ensemble, figure, ready_pods


@pytest.fixture(scope="module")
def helm():
    try:
        return build_tools(("helm",))["helm"]
    except ToolsUnavailable as e:
        pytest.skip("helm unavailable: %s" % e)


def test_helm_install_then_an_ensemble_serves_through_its_client_service(
        cluster, namespace, node_agent, helm, tmp_path):
    n = ["-n", namespace]
    env = dict(os.environ, HELM_CACHE_HOME=str(tmp_path / "helm-cache"),
               HELM_CONFIG_HOME=str(tmp_path / "helm-config"),
               HELM_DATA_HOME=str(tmp_path / "helm-data"))
    t0 = time.monotonic()
    # --skip-crds: the cluster fixture installed the same CRD (charts/corral/crds is
    # manifests/crd.yaml byte for byte). --wait: until the operator's Deployment is available,
    # which takes its pod passing /readyz on its pod IP.
    proc = subprocess.run([
        helm, "install", "corral", os.path.join(ROOT, "charts", "corral"),
        "--kubeconfig", cluster.kubeconfig, "--namespace", namespace, "--skip-crds",
        "--set", "operator.logLevel=debug", "--wait", "--timeout", "120s",
    ], capture_output=True, text=True, env=env, timeout=180)
    assert proc.returncode == 0, "%s%s\n%s" % (proc.stdout, proc.stderr, dump(cluster, namespace))
    figure("helm_install_wait_s", time.monotonic() - t0)

    op_pods = [p for p in cluster.get("pods", *n)["items"]
               if p["metadata"]["name"].startswith("corral-operator")]
    assert len(op_pods) == 1 and pod_ready(op_pods[0])
    op = op_pods[0]
    assert pod_exec(node_agent, op, "id", "-u").stdout.strip() == "65532"

    t1 = time.monotonic()
    cluster.kubectl("apply", "-f", "-", input=ensemble(namespace))
    try:
        ready = wait_until("3 pods Ready", lambda: ready_pods(cluster, namespace, 3), 120,
                           [node_agent.check_alive], interval=0.2)

        def bootstrapped():
            st = cluster.get("ens", NAME, *n).get("status", {})
            return st if st.get("bootstrapped") and st.get("readyReplicas") == 3 else None
        wait_until("Ensemble bootstrapped", bootstrapped, 60, [node_agent.check_alive])
    except TimeoutError as e:
        raise AssertionError("%s\n%s" % (e, dump(cluster, namespace)))
    figure("helm_ensemble_to_bootstrapped_s", time.monotonic() - t1)

    # The operator took the leader-election Lease as its pod.
    lease = cluster.get("lease", "-n", namespace)["items"]
    assert [l["spec"]["holderIdentity"] for l in lease
            if l["metadata"]["name"].startswith("corral-operator")], lease

    ips = sorted(p["status"]["podIP"] for p in ready)
    writer = Writer(",".join("%s:2181" % ip for ip in ips), prefix="h-")
    writer.thread.start()
    wait_until("100 writes acknowledged", lambda: len(writer.acked) >= 100, 30)
    writer.stop()
    acked = {p.rsplit("/", 1)[1] for p in writer.acked}
    for ip in ips:
        assert not acked - children_on(ip)

    # A client in the cluster (here, in the operator's pod) through the client Service's name.
    listed = pod_exec(node_agent, op, "corralctl", "-server",
                      "%s-client.%s.svc:2181" % (NAME, namespace), "ls", "/e2e")
    assert listed.returncode == 0, listed.stderr
    assert set(listed.stdout.split()) >= acked
