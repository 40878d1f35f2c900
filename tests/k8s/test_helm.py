"""Install with helm (issue 10's promise): `helm install corral charts/corral --set
ensemble.enabled=true` gives a working 3-member ensemble. The chart's operator Deployment runs as
a pod of the test node (in-cluster configuration, the chart's RBAC, leader election) and
reconciles the chart's own Ensemble (named after the release) to 3 members; in-cluster clients,
kazoo and ZooKeeper's C client in pods of their own, write through the client Service's name
`corral-client.<ns>.svc:2181`, and every acknowledged write is on every member.

Values beyond ensemble.enabled: none the ensemble needs. (The chart's defaults ask for
`antiAffinity: Required` and a separate log volume; the test node ignores affinity, as a
one-node cluster would not, and makes a directory per claim.)
"""
import os
import subprocess
import time

import pytest

from clients import WriterPod
from conftest import dump, pod_exec, pod_ready
from kubeapi import ROOT, ToolsUnavailable, build_tools, wait_until
from scenario import assert_every_member_holds, figure, wait_serving

RELEASE = "corral"


@pytest.fixture(scope="module")
def helm():
    try:
        return build_tools(("helm",))["helm"]
    except ToolsUnavailable as e:
        pytest.skip("helm unavailable: %s" % e)


def test_helm_install_with_its_ensemble_serves_through_the_client_service(
        cluster, namespace, node_agent, helm, tmp_path):
    n = ["-n", namespace]
    env = dict(os.environ, HELM_CACHE_HOME=str(tmp_path / "helm-cache"),
               HELM_CONFIG_HOME=str(tmp_path / "helm-config"),
               HELM_DATA_HOME=str(tmp_path / "helm-data"))
    t0 = time.monotonic()
    # --skip-crds: the cluster fixture installed the same CRD (charts/corral/crds is
    # manifests/crd.yaml byte for byte). --wait: until the operator's Deployment is available,
    # which takes its pod passing /readyz on its pod IP (helm does not wait for an Ensemble).
    proc = subprocess.run([
        helm, "install", RELEASE, os.path.join(ROOT, "charts", "corral"),
        "--kubeconfig", cluster.kubeconfig, "--namespace", namespace, "--skip-crds",
        "--set", "ensemble.enabled=true", "--set", "operator.logLevel=debug",
        "--wait", "--timeout", "120s",
    ], capture_output=True, text=True, env=env, timeout=180)
    assert proc.returncode == 0, "%s%s\n%s" % (proc.stdout, proc.stderr, dump(cluster, namespace))
    figure("helm_install_wait_s", time.monotonic() - t0)
    # NOTES tell the user the name to connect to.
    assert "%s-client.%s.svc:2181" % (RELEASE, namespace) in proc.stdout, proc.stdout

    op_pods = [p for p in cluster.get("pods", *n)["items"]
               if p["metadata"]["name"].startswith("corral-operator")]
    assert len(op_pods) == 1 and pod_ready(op_pods[0])
    op = op_pods[0]
    assert pod_exec(node_agent, op, "id", "-u").stdout.strip() == "65532"
    checks = [node_agent.check_alive]

    # The chart's Ensemble: made by helm, not by the test.
    ens = cluster.get("ens", RELEASE, *n)
    assert ens["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "Helm"
    assert ens["metadata"]["annotations"]["meta.helm.sh/release-name"] == RELEASE
    ready = wait_serving(cluster, namespace, RELEASE, 3, checks)
    figure("helm_install_to_3_members_serving_s", time.monotonic() - t0)
    assert sorted(ready) == ["corral-0", "corral-1", "corral-2"]
    # The chart's defaults reached the members: a data and a log claim each.
    claims = sorted(c["metadata"]["name"] for c in cluster.get("pvc", *n)["items"])
    assert claims == ["data-corral-0", "data-corral-1", "data-corral-2",
                      "log-corral-0", "log-corral-1", "log-corral-2"], claims

    # The operator took the leader-election Lease as its pod.
    lease = cluster.get("lease", "-n", namespace)["items"]
    assert [l["spec"]["holderIdentity"] for l in lease
            if l["metadata"]["name"].startswith("corral-operator")], lease

    # In-cluster applications, through the client Service's name only.
    service = "%s-client.%s.svc:2181" % (RELEASE, namespace)
    writers = [WriterPod(cluster, node_agent, namespace, "writer-kazoo", service,
                         "/helm-kazoo", "kazoo").start(),
               WriterPod(cluster, node_agent, namespace, "writer-c", service, "/helm-c",
                         "c").start()]
    for w in writers:
        w.wait_acked(200, 60, checks)
    acked = set()
    for w in writers:
        acked |= w.stop()
        figure("helm_%s_writes_acknowledged" % w.kind, len(w.acked))
        assert not w.errors, (w.name, w.errors, w.other[-5:])
    assert_every_member_holds(cluster, namespace, RELEASE, acked)
