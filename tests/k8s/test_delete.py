"""Deleting an Ensemble: everything it owns goes (the garbage collector, the agent stopping and
removing the pods); its claims stay with reclaimPolicy Retain and go with Delete (the operator's
finalizer, then pvc-protection once no pod uses them). Two Ensembles side by side, one of each."""
import time

import pytest

from conftest import dump, pod_ready, pods
from kubeapi import wait_until
from scenario import POD_SECURITY, figure

POLICIES = {"keep": "Retain", "drop": "Delete"}


def ensemble(name, namespace, policy):
    return {"apiVersion": "corral.dev/v1alpha1", "kind": "Ensemble",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"replicas": 3, "pod": {"securityContext": POD_SECURITY},
                     "storage": {"data": {"reclaimPolicy": policy},
                                 "log": {"reclaimPolicy": policy}}}}


def names(cluster, kind, namespace, name):
    items = cluster.get(kind, "-n", namespace, "-l", "app.kubernetes.io/instance=" + name)
    return sorted(i["metadata"]["name"] for i in items["items"])


def test_deleting_ensembles_keeps_or_deletes_their_claims(cluster, namespace, node_agent,
                                                          operator):
    if operator is None:
        pytest.skip("needs corral-operator (its finalizer deletes the claims)")
    checks = [node_agent.check_alive, operator.check_alive]
    for name, policy in POLICIES.items():
        cluster.kubectl("apply", "-f", "-", input=ensemble(name, namespace, policy))

    def all_ready():
        return all(
            len([p for p in pods(cluster, namespace, "app.kubernetes.io/instance=" + name)
                 if pod_ready(p)]) == 3
            and cluster.get("ens", name, "-n", namespace).get("status", {}).get("bootstrapped")
            for name in POLICIES)
    try:
        wait_until("both Ensembles bootstrapped, 3 Ready each", all_ready, 120, checks)
    except TimeoutError as e:
        raise AssertionError("%s\n%s" % (e, dump(cluster, namespace)))
    for name in POLICIES:
        assert names(cluster, "pvc", namespace, name) == sorted(
            "%s-%s-%d" % (vol, name, i) for vol in ("data", "log") for i in range(3))
    drop = cluster.get("ens", "drop", "-n", namespace)
    assert "corral.dev/pvc-cleanup" in drop["metadata"].get("finalizers", [])
    keep = cluster.get("ens", "keep", "-n", namespace)
    assert not keep["metadata"].get("finalizers")

    t0 = time.monotonic()
    for name in POLICIES:
        cluster.kubectl("delete", "ens", name, "-n", namespace, "--wait=false")

    def gone():
        left = {}
        for name in POLICIES:
            for kind in ("ens", "statefulset", "service", "configmap", "pdb", "pod"):
                if kind == "ens":
                    found = cluster.kubectl("get", "ens", name, "-n", namespace,
                                            check=False).returncode == 0
                else:
                    found = bool(names(cluster, kind, namespace, name))
                if found:
                    left.setdefault(name, []).append(kind)
            if name == "drop" and names(cluster, "pvc", namespace, name):
                left.setdefault(name, []).append("pvc")
        return not left
    try:
        wait_until("Ensembles and everything they own gone", gone, 120, checks)
    except TimeoutError as e:
        raise AssertionError("%s\n%s" % (e, dump(cluster, namespace)))
    figure("ensemble_delete_to_all_gone_s", time.monotonic() - t0)

    assert names(cluster, "pvc", namespace, "keep") == sorted(
        "%s-keep-%d" % (vol, i) for vol in ("data", "log") for i in range(3))
    assert names(cluster, "pvc", namespace, "drop") == []
    reasons = [e["reason"] for e in cluster.get("events", "-n", namespace)["items"]]
    assert reasons.count("ClaimDeleted") == 6, sorted(set(reasons))
