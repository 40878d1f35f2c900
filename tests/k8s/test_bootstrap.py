"""Issue 11's first scenario: bootstrap a 3-member Ensemble on the test cluster, write through
the members, kill one member's process and see it come back with every acknowledged write; then
delete that member's pod and see the StatefulSet's new pod (new pod IP, same claim) rejoin.

The cluster is real control-plane parts (etcd, kube-apiserver, kube-controller-manager); the pods
are run by node_agent.py as real corral-server processes; the Ensemble's children come from
corral-operator when it is built (else from render_by_hand below, so that the cluster and the
agent are proven without it). Figures are printed (pytest -s) and written to
<tmp>/figures.json.
"""
import json
import os
import signal
import time

from conftest import dump, pod_exec, pod_ready
from kubeapi import wait_until
from scenario import (FIGURES, NAME, POD_SECURITY, Writer, children_on, container_pid,
                      ensemble, figure, ready_pods)

# -- without the operator ------------------------------------------------------------------------
# HAND-RENDERED: only when corral-operator is not built. The StatefulSet, Services and ConfigMap
# as operator/src/kube/objects.cc renders them for `spec: {replicas: 3}` (start script, probes,
# volumes, names), trimmed of what the agent does not read (affinity, ports' protocol). Keep in
# step with objects.cc; the operator's own run is the real test.

def render_by_hand(namespace, ens):
    labels = {"app.kubernetes.io/name": "corral", "app.kubernetes.io/instance": NAME,
              "app.kubernetes.io/managed-by": "corral-operator"}
    selector = {"app.kubernetes.io/name": "corral", "app.kubernetes.io/instance": NAME}
    owner = [{"apiVersion": "corral.dev/v1alpha1", "kind": "Ensemble", "name": NAME,
              "uid": ens["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}]

    def meta(name):
        return {"name": name, "namespace": namespace, "labels": labels, "ownerReferences": owner}
    servers = "".join("server.%d=%s-%d.%s-headless.%s.svc:2888:3888:participant;2181\n"
                      % (i + 1, NAME, i, NAME, namespace) for i in range(3))
    zoo = ("dataDir=/data\nclientPort=2181\nstandaloneEnabled=false\nreconfigEnabled=true\n"
           "ensembleId=%s/%s/%s\nadmin.enableServer=true\nadmin.serverPort=8080\n"
           "metricsProvider.className=org.apache.zookeeper.metrics.prometheus."
           "PrometheusMetricsProvider\nmetricsProvider.httpPort=7000\n"
           % (namespace, NAME, ens["metadata"]["uid"]))
    script = ("set -e\nordinal=${HOSTNAME##*-}\necho $((ordinal + 1)) > /data/myid\n"
              "cat /conf/zoo.cfg /conf/servers.cfg > /tmp/zoo.cfg\n"
              "exec corral-server /tmp/zoo.cfg\n")

    def port(name, n):
        return {"name": name, "port": n, "targetPort": n}
    return [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(NAME + "-config"),
         "data": {"zoo.cfg": zoo, "servers.cfg": servers}},
        {"apiVersion": "v1", "kind": "Service", "metadata": meta(NAME + "-headless"),
         "spec": {"clusterIP": "None", "publishNotReadyAddresses": True, "selector": selector,
                  "ports": [port("client", 2181), port("quorum", 2888),
                            port("election", 3888), port("admin", 8080)]}},
        {"apiVersion": "v1", "kind": "Service", "metadata": meta(NAME + "-client"),
         "spec": {"selector": selector, "ports": [port("client", 2181)]}},
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta(NAME), "spec": {
            "replicas": 3, "serviceName": NAME + "-headless", "podManagementPolicy": "Parallel",
            "updateStrategy": {"type": "OnDelete"}, "selector": {"matchLabels": selector},
            "template": {"metadata": {"labels": labels}, "spec": {
                "containers": [{
                    "name": "corral", "image": "corral:latest",
                    "command": ["/bin/sh", "-c", script],
                    "ports": [{"name": n, "containerPort": p} for n, p in
                              (("client", 2181), ("quorum", 2888), ("election", 3888),
                               ("admin", 8080), ("metrics", 7000))],
                    "readinessProbe": {"httpGet": {"path": "/commands/ready", "port": 8080},
                                       "periodSeconds": 5, "failureThreshold": 1},
                    "livenessProbe": {"httpGet": {"path": "/commands/monitor", "port": 8080},
                                      "periodSeconds": 10, "failureThreshold": 6},
                    "volumeMounts": [{"name": "data", "mountPath": "/data"},
                                     {"name": "config", "mountPath": "/conf", "readOnly": True},
                                     {"name": "tmp", "mountPath": "/tmp"}]}],
                "securityContext": POD_SECURITY,
                "volumes": [{"name": "config", "configMap": {"name": NAME + "-config"}},
                            {"name": "tmp", "emptyDir": {}}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data", "labels": labels}, "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "10Gi"}}}}]}},
    ]


# -- the scenario --------------------------------------------------------------------------------

def test_bootstrap_then_a_killed_and_a_deleted_member_come_back(cluster, namespace, node_agent, operator,
                                                   tmp_path):
    n = ["-n", namespace]
    t0 = time.monotonic()
    cluster.kubectl("apply", "-f", "-", input=ensemble(namespace))
    if operator is None:
        ens = cluster.get("ens", NAME, *n)
        for obj in render_by_hand(namespace, ens):
            cluster.kubectl("apply", "--server-side", "-f", "-", input=obj)
    checks = [node_agent.check_alive] + ([operator.check_alive] if operator else [])

    def fail_dump(e):
        return "%s\n%s" % (e, dump(cluster, namespace))

    # The StatefulSet controller makes the pods, the agent binds and runs them.
    try:
        ready = wait_until("3 pods Ready", lambda: ready_pods(cluster, namespace, 3), 120,
                           checks, interval=0.2)
    except TimeoutError as e:
        raise AssertionError(fail_dump(e))
    figure("time_to_3_ready_s", time.monotonic() - t0)
    ips = sorted(p["status"]["podIP"] for p in ready)
    assert len(set(ips)) == 3 and all(ip.startswith("127.0.0.") for ip in ips)
    names = sorted(p["metadata"]["name"] for p in ready)
    assert names == ["zk-0", "zk-1", "zk-2"]
    # PVCs from the claim template, one per member.
    claims = cluster.get("pvc", *n)["items"]
    assert sorted(c["metadata"]["name"] for c in claims) == ["data-zk-0", "data-zk-1",
                                                             "data-zk-2"]

    if operator is not None:
        def operator_says_ready():
            st = cluster.get("ens", NAME, *n).get("status", {})
            return st if st.get("bootstrapped") and st.get("readyReplicas") == 3 else None
        try:
            st = wait_until("Ensemble bootstrapped with 3 ready", operator_says_ready, 60, checks)
        except TimeoutError as e:
            raise AssertionError(fail_dump(e))
        figure("time_to_ensemble_status_ready_s", time.monotonic() - t0)
        assert st.get("leader") in names

    # Inside a pod: its hostname, and the names the operator renders resolve to the pod IPs.
    by_name = {p["metadata"]["name"]: p for p in ready}
    zk0 = by_name["zk-0"]
    assert pod_exec(node_agent, zk0, "hostname").stdout.strip() == "zk-0"
    for name, p in by_name.items():
        for fqdn in ("%s.zk-headless.%s.svc.cluster.local" % (name, namespace),
                     "%s.zk-headless.%s.svc" % (name, namespace)):
            out = pod_exec(node_agent, zk0, "getent", "hosts", fqdn).stdout.split()
            assert out and out[0] == p["status"]["podIP"], (fqdn, out)
    vip = cluster.get("service", "zk-client", *n)["spec"]["clusterIP"]
    out = pod_exec(node_agent, zk0, "getent", "hosts",
                   "zk-client.%s.svc.cluster.local" % namespace).stdout.split()
    assert out and out[0] == vip, ("the client Service's name is its virtual IP", vip, out)

    hosts = ",".join("%s:2181" % ip for ip in ips)
    writer = Writer(hosts)
    writer.thread.start()
    wait_until("100 writes acknowledged", lambda: len(writer.acked) >= 100, 30)

    # Kill a member's process (a follower if the operator says who leads, else zk-1).
    leader = (cluster.get("ens", NAME, *n).get("status", {}).get("leader")
              if operator is not None else None)
    victim_name = next(x for x in ["zk-1", "zk-2", "zk-0"] if x != leader)
    victim = next(p for p in ready if p["metadata"]["name"] == victim_name)
    pid = container_pid(node_agent, victim)
    acked_before = len(writer.acked)
    t_kill = time.monotonic()
    os.kill(pid, signal.SIGKILL)

    def restarted_and_ready():
        p = cluster.get("pod", victim_name, *n)
        cs = p["status"]["containerStatuses"][0]
        return p if cs["restartCount"] >= 1 and pod_ready(p) else None
    try:
        back = wait_until("%s restarted and Ready" % victim_name, restarted_and_ready, 60,
                          checks, interval=0.1)
    except TimeoutError as e:
        raise AssertionError(fail_dump(e))
    figure("time_kill_to_ready_again_s", time.monotonic() - t_kill)
    cs = back["status"]["containerStatuses"][0]
    assert cs["restartCount"] == 1
    assert cs["lastState"]["terminated"]["exitCode"] == 137  # SIGKILL
    assert back["metadata"]["uid"] == victim["metadata"]["uid"], "the pod was restarted, not replaced"
    assert back["status"]["podIP"] == victim["status"]["podIP"]

    if operator is not None:  # an ordinary restart is no membership change
        events = cluster.get("events", *n)["items"]
        reasons = [e["reason"] for e in events]
        assert not [r for r in reasons if r.startswith("Reconfig")], reasons
        figure("operator_event_reasons_after_kill", sorted(set(reasons)))

    # Writes went on while it was down.
    wait_until("writes continue after the restart",
               lambda: len(writer.acked) >= acked_before + 100, 30)
    figure("longest_write_gap_after_kill_s", writer.longest_gap(t_kill))
    writer.stop()

    figure("writes_acknowledged", len(writer.acked))
    figure("write_errors_seen_by_client", writer.failures)

    acked = {p.rsplit("/", 1)[1] for p in writer.acked}
    for ip in ips:  # every member, the restarted one included, has every acknowledged write
        missing = acked - children_on(ip)
        assert not missing, "%s lacks %d acknowledged writes, e.g. %s" % (
            ip, len(missing), sorted(missing)[:5])

    # Delete a pod: the agent stops it (SIGTERM) and removes it, the StatefulSet controller
    # makes a new one of the same name on the same claim, with a new pod IP that the other
    # members must find by name again.
    gone = next(p for p in ready if p["metadata"]["name"] == victim_name)
    writer2 = Writer(hosts, prefix="d-")
    writer2.thread.start()
    t_delete = time.monotonic()
    cluster.kubectl("delete", "pod", victim_name, *n, "--wait=false")

    def replaced_and_ready():
        p = cluster.get("pod", victim_name, *n)
        return p if p["metadata"]["uid"] != gone["metadata"]["uid"] and pod_ready(p) else None
    try:
        new = wait_until("%s replaced and Ready" % victim_name, replaced_and_ready, 90, checks,
                         interval=0.1)
    except TimeoutError as e:
        raise AssertionError(fail_dump(e))
    figure("time_delete_to_new_pod_ready_s", time.monotonic() - t_delete)
    assert new["status"]["podIP"] != gone["status"]["podIP"]
    assert new["status"]["containerStatuses"][0]["restartCount"] == 0
    claim = next(v for v in new["spec"]["volumes"] if v["name"] == "data")
    assert claim["persistentVolumeClaim"]["claimName"] == "data-" + victim_name
    now_ready = wait_until("3 pods Ready", lambda: ready_pods(cluster, namespace, 3), 30)
    ips = sorted(p["status"]["podIP"] for p in now_ready)
    wait_until("writes continue after the replacement",
               lambda: len(writer2.acked) >= 100, 30)
    figure("longest_write_gap_after_delete_s", writer2.longest_gap(t_delete))
    writer2.stop()
    acked |= {p.rsplit("/", 1)[1] for p in writer2.acked}
    for ip in ips:
        missing = acked - children_on(ip)
        assert not missing, "%s lacks %d acknowledged writes, e.g. %s" % (
            ip, len(missing), sorted(missing)[:5])

    # A client in a pod reaches the ensemble through the client Service's name.
    listed = pod_exec(node_agent, zk0, "corralctl", "-server",
                      "zk-client.%s.svc.cluster.local:2181" % namespace, "--json", "stat", "/e2e")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["stat"]["numChildren"] == len(acked), listed.stdout

    with open(str(tmp_path / "figures.json"), "w") as f:
        json.dump(FIGURES, f, indent=1)
