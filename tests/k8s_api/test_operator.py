"""corral-operator against a real kube-apiserver (no kubelet: pods never run, so every Ensemble
stays in its bootstrap; what runs after that is issue 11's).

The operator runs as a process with the test kubeconfig, watching all namespaces; each test
creates its Ensemble in a fresh namespace and waits for what the operator must do.
"""
import base64
import hashlib
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from kubeapi import ROOT, Process, free_port, wait_until


def operator_binary():
    build = os.environ.get("CORRAL_BUILD_DIR", os.path.join(ROOT, "build"))
    return os.path.join(build, "bin", "corral-operator")


@pytest.fixture(scope="module")
def operator(kube, crd, tmp_path_factory):
    binary = operator_binary()
    if not os.path.exists(binary):
        pytest.skip("corral-operator is not built (%s)" % binary)
    log = str(tmp_path_factory.mktemp("operator") / "operator.log")
    health, metrics = free_port(), free_port()
    proc = Process("corral-operator", [
        binary, "--kubeconfig", kube.kubeconfig, "--log-level", "debug",
        "--health-address=127.0.0.1:%d" % health, "--metrics-address=127.0.0.1:%d" % metrics,
    ], log)
    proc.health_url = "http://127.0.0.1:%d" % health
    proc.metrics_url = "http://127.0.0.1:%d" % metrics
    try:
        yield proc
    finally:
        proc.stop()


def ensemble(name, namespace, spec):
    return {"apiVersion": "corral.dev/v1alpha1", "kind": "Ensemble",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def get_or_none(kube, *args):
    proc = kube.kubectl("get", *args, "-o", "json", check=False)
    return json.loads(proc.stdout) if proc.returncode == 0 else None


def wait_for(kube, operator, what, *args, predicate=lambda o: True, timeout=30):
    def check():
        obj = get_or_none(kube, *args)
        return obj if obj is not None and predicate(obj) else None
    return wait_until(what, check, timeout, [operator.check_alive])


def owned_by(obj, owner):
    refs = obj["metadata"].get("ownerReferences", [])
    return any(r["uid"] == owner["metadata"]["uid"] and r["kind"] == "Ensemble"
               and r.get("controller") for r in refs)


def test_operator_creates_every_child_with_owner_references(kube, operator, namespace):
    kube.kubectl("apply", "-f", "-", input=ensemble("zk", namespace, {"replicas": 3}))
    ens = kube.get("ens", "zk", "-n", namespace)
    n = ["-n", namespace]

    sts = wait_for(kube, operator, "StatefulSet", "statefulset", "zk", *n)
    assert owned_by(sts, ens)
    assert sts["spec"]["replicas"] == 3
    assert sts["spec"]["serviceName"] == "zk-headless"
    assert sts["spec"]["updateStrategy"]["type"] == "OnDelete"
    assert sts["spec"]["podManagementPolicy"] == "Parallel"
    container = sts["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/commands/ready"

    headless = wait_for(kube, operator, "headless Service", "service", "zk-headless", *n)
    assert owned_by(headless, ens)
    assert headless["spec"]["clusterIP"] == "None"
    assert headless["spec"]["publishNotReadyAddresses"] is True

    client = wait_for(kube, operator, "client Service", "service", "zk-client", *n)
    assert owned_by(client, ens)
    assert [p["port"] for p in client["spec"]["ports"]] == [2181]

    cm = wait_for(kube, operator, "ConfigMap", "configmap", "zk-config", *n)
    assert owned_by(cm, ens)
    servers = cm["data"]["servers.cfg"].splitlines()
    assert servers == ["server.%d=zk-%d.zk-headless.%s.svc:2888:3888:participant;2181"
                       % (i + 1, i, namespace) for i in range(3)]
    assert "ensembleId=%s/zk/%s" % (namespace, ens["metadata"]["uid"]) in cm["data"]["zoo.cfg"]

    pdb = wait_for(kube, operator, "PodDisruptionBudget", "pdb", "zk-pdb", *n)
    assert owned_by(pdb, ens)
    assert pdb["spec"]["minAvailable"] == 2

    # Every object is applied by the operator's field manager (server-side apply).
    shown = json.loads(kube.kubectl("get", "statefulset", "zk", *n, "-o", "json",
                                    "--show-managed-fields").stdout)
    managers = {(m["manager"], m["operation"]) for m in shown["metadata"]["managedFields"]}
    assert ("corral-operator", "Apply") in managers


def test_status_gets_observed_generation_and_conditions(kube, operator, namespace):
    kube.kubectl("apply", "-f", "-", input=ensemble("zk", namespace, {"replicas": 3}))
    ens = wait_for(kube, operator, "status written", "ens", "zk", "-n", namespace,
                   predicate=lambda o: o.get("status", {}).get("observedGeneration")
                   == o["metadata"]["generation"])
    status = ens["status"]
    conditions = {c["type"]: c for c in status["conditions"]}
    assert set(conditions) == {"Ready", "Progressing", "Degraded"}
    assert conditions["Ready"]["status"] == "False"
    assert conditions["Progressing"]["status"] == "True"
    assert conditions["Progressing"]["reason"] == "Bootstrapping"
    for c in conditions.values():
        assert c["observedGeneration"] == ens["metadata"]["generation"]
        assert c["lastTransitionTime"]
    assert status["phase"] == "Bootstrapping"
    assert status["bootstrapped"] is False, "no member ever served: never inferred"
    assert status["selector"] == "app.kubernetes.io/name=corral,app.kubernetes.io/instance=zk"
    # The printer columns read the status.
    out = kube.kubectl("get", "ens", "zk", "-n", namespace).stdout
    assert "Bootstrapping" in out

    events = wait_until("Bootstrapping event", lambda: [
        e for e in kube.get("events", "-n", namespace)["items"]
        if e["reason"] == "Bootstrapping" and e["involvedObject"]["name"] == "zk"], 30,
        [operator.check_alive])
    assert "3 voters" in events[0]["message"]


def test_spec_changes_reach_children_and_scale_waits_for_bootstrap(kube, operator, namespace):
    n = ["-n", namespace]
    kube.kubectl("apply", "-f", "-", input=ensemble("zk", namespace, {"replicas": 3}))
    wait_for(kube, operator, "StatefulSet", "statefulset", "zk", *n)

    kube.kubectl("patch", "ens", "zk", *n, "--type=merge",
                 "-p", json.dumps({"spec": {"config": {"tickTime": "3000"}}}))
    wait_for(kube, operator, "ConfigMap updated", "configmap", "zk-config", *n,
             predicate=lambda cm: "tickTime=3000" in cm["data"]["zoo.cfg"])

    kube.kubectl("scale", "ensemble/zk", *n, "--replicas=5")
    ens = wait_for(kube, operator, "scale observed", "ens", "zk", *n,
                   predicate=lambda o: o["spec"]["replicas"] == 5 and
                   o.get("status", {}).get("observedGeneration") == o["metadata"]["generation"])
    # Never bootstrapped (no member ever served), so the first configuration keeps its size:
    # voters 4 and 5 will join one at a time after the bootstrap, by reconfig.
    assert kube.get("statefulset", "zk", *n)["spec"]["replicas"] == 3
    assert len(kube.get("configmap", "zk-config", *n)["data"]["servers.cfg"].splitlines()) == 3
    assert ens["status"]["phase"] == "Bootstrapping"


def test_pdb_is_removed_when_turned_off(kube, operator, namespace):
    n = ["-n", namespace]
    kube.kubectl("apply", "-f", "-", input=ensemble("zk", namespace, {"replicas": 3}))
    wait_for(kube, operator, "PDB", "pdb", "zk-pdb", *n)
    kube.kubectl("patch", "ens", "zk", *n, "--type=merge",
                 "-p", json.dumps({"spec": {"podDisruptionBudget": {"enabled": False}}}))
    wait_until("PDB deleted", lambda: get_or_none(kube, "pdb", "zk-pdb", *n) is None, 30,
               [operator.check_alive])


def claim(name, namespace, instance):
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": name, "namespace": namespace, "labels": {
                "app.kubernetes.io/name": "corral", "app.kubernetes.io/instance": instance}},
            "spec": {"accessModes": ["ReadWriteOnce"],
                     "resources": {"requests": {"storage": "1Gi"}}}}


@pytest.mark.parametrize("policy", ["Delete", "Retain"])
def test_deletion_cleans_claims_per_reclaim_policy(kube, operator, namespace, policy):
    n = ["-n", namespace]
    kube.kubectl("apply", "-f", "-", input=claim("data-zk-0", namespace, "zk"))
    kube.kubectl("apply", "-f", "-", input=ensemble(
        "zk", namespace, {"replicas": 3, "storage": {"data": {"reclaimPolicy": policy}}}))
    if policy == "Delete":
        wait_for(kube, operator, "finalizer", "ens", "zk", *n,
                 predicate=lambda o: "corral.dev/pvc-cleanup" in o["metadata"].get(
                     "finalizers", []))
    else:
        ens = wait_for(kube, operator, "status", "ens", "zk", *n,
                       predicate=lambda o: "status" in o)
        assert "finalizers" not in ens["metadata"], "a finalizer only for claims to delete"
    kube.kubectl("delete", "ens", "zk", *n, "--wait=false")
    wait_until("Ensemble gone", lambda: get_or_none(kube, "ens", "zk", *n) is None, 30,
               [operator.check_alive])
    remaining = get_or_none(kube, "pvc", "data-zk-0", *n)
    if policy == "Delete":
        # Deleted by the operator (pvc-protection holds nothing: no pod uses it).
        assert remaining is None or remaining["metadata"].get("deletionTimestamp")
    else:
        assert remaining is not None and not remaining["metadata"].get("deletionTimestamp")


def test_operator_makes_its_reconfig_credential_and_a_real_member_accepts_it(
        kube, operator, namespace, tmp_path):
    """Without spec.auth the operator makes <name>-operator-auth (owned by the Ensemble, so the
    garbage collector deletes it with it): a random password and its digest, which the pods get
    as CORRAL_SUPER_DIGEST and the start script writes into zoo.cfg. Then real corral-server
    members configured with that digest accept `addauth digest super:<password>` and permit a
    reconfig to it, through the client library the operator's MemberAgent uses (corralctl's),
    and refuse the same reconfig without it."""
    n = ["-n", namespace]
    kube.kubectl("apply", "-f", "-", input=ensemble("zk", namespace, {"replicas": 3}))
    ens = kube.get("ens", "zk", *n)
    secret = wait_for(kube, operator, "the operator's Secret", "secret", "zk-operator-auth", *n)
    assert owned_by(secret, ens)
    assert secret["type"] == "Opaque"
    password = base64.b64decode(secret["data"]["password"]).decode()
    digest = base64.b64decode(secret["data"]["superDigest"]).decode()
    assert len(password) == 64 and ":" not in password
    assert digest == "super:" + base64.b64encode(
        hashlib.sha1(("super:" + password).encode()).digest()).decode()

    sts = wait_for(kube, operator, "StatefulSet", "statefulset", "zk", *n)
    container = sts["spec"]["template"]["spec"]["containers"][0]
    assert container["env"] == [{"name": "CORRAL_SUPER_DIGEST", "valueFrom": {
        "secretKeyRef": {"name": "zk-operator-auth", "key": "superDigest"}}}]
    assert ('echo "DigestAuthenticationProvider.superDigest=${CORRAL_SUPER_DIGEST}" >> '
            "/tmp/zoo.cfg") in container["command"][2]

    # Reconciling again never rewrites the password.
    kube.kubectl("patch", "ens", "zk", *n, "--type=merge",
                 "-p", json.dumps({"spec": {"config": {"tickTime": "2500"}}}))
    wait_for(kube, operator, "ConfigMap updated", "configmap", "zk-config", *n,
             predicate=lambda cm: "tickTime=2500" in cm["data"]["zoo.cfg"])
    assert kube.get("secret", "zk-operator-auth", *n)["data"] == secret["data"]

    sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
    import servers
    corralctl = os.path.join(servers.BUILD_DIR, "bin", "corralctl")
    if not os.access(servers.CORRAL_SERVER, os.X_OK) or not os.access(corralctl, os.X_OK):
        pytest.skip("no corral-server and corralctl in %s (set CORRAL_BUILD_DIR)"
                    % servers.BUILD_DIR)
    members = servers.Ensemble(str(tmp_path / "ensemble"), size=3, extra_config={
        "reconfigEnabled": "true", "DigestAuthenticationProvider.superDigest": digest})
    try:
        members.start()
        member = members.members[1]

        def ctl(*args):
            return subprocess.run([corralctl, "-server", member.connect_string] + list(args),
                                  capture_output=True, text=True, timeout=60)
        refused = ctl("reconfig", "-remove", "3")
        assert refused.returncode != 0 and "NoAuth" in refused.stderr, refused
        done = ctl("--auth", "digest:super:" + password, "reconfig", "-remove", "3")
        assert done.returncode == 0, done
        assert "server.3=" not in done.stdout and "server.1=" in done.stdout, done.stdout
    finally:
        members.stop()


def http_get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_health_and_metrics_endpoints(kube, operator, namespace):
    wait_until("/readyz", lambda: http_get(operator.health_url + "/readyz")[0] == 200, 30,
               [operator.check_alive])
    assert http_get(operator.health_url + "/healthz") == (200, "ok\n")
    assert http_get(operator.health_url + "/nothing")[0] == 404
    kube.kubectl("apply", "-f", "-", input=ensemble("zk", namespace, {"replicas": 1}))
    wait_for(kube, operator, "StatefulSet", "statefulset", "zk", "-n", namespace)

    def reconciled():
        status, body = http_get(operator.metrics_url + "/metrics")
        values = dict(line.split() for line in body.splitlines() if not line.startswith("#"))
        return status == 200 and int(values["corral_operator_reconciles_total"]) > 0
    wait_until("reconciles counted", reconciled, 30, [operator.check_alive])


def metric(url, name):
    status, body = http_get(url + "/metrics")
    values = dict(line.split() for line in body.splitlines() if not line.startswith("#"))
    return int(values[name])


def test_leader_election_one_reconciles_the_other_takes_over(kube, crd, namespace,
                                                            tmp_path_factory):
    binary = operator_binary()
    if not os.path.exists(binary):
        pytest.skip("corral-operator is not built (%s)" % binary)
    d = tmp_path_factory.mktemp("elected")
    procs = []
    try:
        for i in range(2):
            health, metrics = free_port(), free_port()
            p = Process("corral-operator-%d" % i, [
                binary, "--kubeconfig", kube.kubeconfig, "--leader-elect",
                "--leader-election-namespace", namespace, "--leader-election-id", "op",
                "--health-address=127.0.0.1:%d" % health,
                "--metrics-address=127.0.0.1:%d" % metrics], str(d / ("op%d.log" % i)))
            p.health_url = "http://127.0.0.1:%d" % health
            p.metrics_url = "http://127.0.0.1:%d" % metrics
            procs.append(p)
        checks = [p.check_alive for p in procs]
        lease = wait_until("Lease held", lambda: (get_or_none(kube, "lease", "op", "-n", namespace)
                                                  or {}).get("spec", {}).get("holderIdentity"),
                           30, checks)
        by_pid = {p.proc.pid: p for p in procs}
        leader = by_pid[int(lease.rsplit("_", 1)[1])]
        follower = [p for p in procs if p is not leader][0]
        # Both are ready (a candidate can take over at once); only the holder reconciles.
        for p in procs:
            wait_until("/readyz", lambda p=p: http_get(p.health_url + "/readyz")[0] == 200, 30,
                       checks)
        wait_until("leader reconciles",
                   lambda: metric(leader.metrics_url, "corral_operator_relists_total") > 0, 30,
                   checks)
        assert metric(follower.metrics_url, "corral_operator_reconciles_total") == 0
        assert metric(follower.metrics_url, "corral_operator_relists_total") == 0

        leader.stop()
        # The Lease lasts 15 s; the follower takes it once it has seen it unrenewed that long.
        wait_until("Lease taken over", lambda: get_or_none(kube, "lease", "op", "-n", namespace)
                   ["spec"]["holderIdentity"].endswith("_%d" % follower.proc.pid), 40,
                   [follower.check_alive])
        wait_until("new leader lists",
                   lambda: metric(follower.metrics_url, "corral_operator_relists_total") > 0, 30,
                   [follower.check_alive])
        transitions = get_or_none(kube, "lease", "op", "-n", namespace)["spec"]["leaseTransitions"]
        assert transitions == 1
    finally:
        for p in procs:
            p.stop()


def test_child_drift_is_repaired(kube, operator, namespace):
    # Someone scales the StatefulSet or edits the client Service by hand: the operator's
    # watches on its children bring them back to what the Ensemble says.
    n = ["-n", namespace]
    kube.kubectl("apply", "-f", "-", input=ensemble("zk", namespace, {"replicas": 3}))
    wait_for(kube, operator, "StatefulSet", "statefulset", "zk", *n)
    kube.kubectl("scale", "statefulset/zk", *n, "--replicas=7")
    wait_for(kube, operator, "StatefulSet back to 3", "statefulset", "zk", *n,
             predicate=lambda s: s["spec"]["replicas"] == 3)
