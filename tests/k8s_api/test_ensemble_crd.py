"""The Ensemble CRD (manifests/crd.yaml) against a real kube-apiserver: it installs, the examples
are accepted as written, bad input is refused with a message that says what is wrong, and the
status and scale subresources behave as `kubectl scale`, an HPA and the operator rely on."""
import copy
import json
import os
import re

import pytest
import yaml

from kubeapi import MANIFESTS, wait_until

EXAMPLES = sorted(f for f in os.listdir(os.path.join(MANIFESTS, "examples")) if f.endswith(".yaml"))


def ensemble(name="x", **spec):
    return {"apiVersion": "corral.dev/v1alpha1", "kind": "Ensemble",
            "metadata": {"name": name}, "spec": {"replicas": 3, **spec}}


def merge(base, patch):
    """A JSON merge patch (RFC 7386) of plain dicts; returns a new object."""
    out = copy.deepcopy(base)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def assert_contains(expected, actual, path="spec"):
    """Every field of `expected` is in `actual` with the same value (nothing was pruned)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), "%s: %r" % (path, actual)
        for k, v in expected.items():
            assert k in actual, "%s.%s was dropped by the API server" % (path, k)
            assert_contains(v, actual[k], "%s.%s" % (path, k))
    elif isinstance(expected, list):
        assert len(expected) == len(actual), path
        for i, (e, a) in enumerate(zip(expected, actual)):
            assert_contains(e, a, "%s[%d]" % (path, i))
    else:
        assert expected == actual, "%s: %r != %r" % (path, expected, actual)


def create(kube, ns, obj, dry_run=False):
    args = ["create", "-n", ns, "-f", "-", "-o", "json"]
    if dry_run:
        args.append("--dry-run=server")
    return kube.kubectl(*args, input=obj, check=False)


def patch_status(kube, ns, name, status, extra=None):
    body = {"status": status, **(extra or {})}
    return kube.kubectl("patch", "-n", ns, "ensemble/" + name, "--subresource=status",
                        "--type=merge", "-p", json.dumps(body), check=False)


def test_api_server_is_the_pinned_release(kube):
    with open(os.path.join(MANIFESTS, "..", "tools", "k8s", "kubernetes", "go.mod")) as f:
        pinned = re.search(r"^require k8s.io/kubernetes (v[0-9.]+)$", f.read(), re.M).group(1)
    status, version = kube.request("GET", "/version")
    assert status == 200 and version["gitVersion"] == pinned


def test_crd_is_established_with_its_names_and_subresources(kube, crd):
    conditions = {c["type"]: c["status"] for c in crd["status"]["conditions"]}
    assert conditions["NamesAccepted"] == "True"
    assert "NonStructuralSchema" not in conditions
    names = crd["status"]["acceptedNames"]
    assert (names["kind"], names["plural"], names["shortNames"]) == ("Ensemble", "ensembles", ["ens"])
    assert crd["spec"]["scope"] == "Namespaced"
    (version,) = crd["spec"]["versions"]
    assert version["name"] == "v1alpha1" and version["served"] and version["storage"]
    assert version["subresources"]["status"] == {}
    assert version["subresources"]["scale"] == {
        "specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas",
        "labelSelectorPath": ".status.selector"}
    # The schema is published in the OpenAPI documents (kubectl explain, server-side apply and
    # generated clients read it there), which follow the CRD a moment later.
    explain = wait_until("schema published", lambda: kube.kubectl(
        "explain", "ensemble.spec.storage.data.reclaimPolicy", check=False).stdout, 30)
    assert "Retain" in explain and "Delete" in explain


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_is_accepted_as_written(kube, crd, namespace, example):
    with open(os.path.join(MANIFESTS, "examples", example)) as f:
        obj = yaml.safe_load(f)
    # kubectl validates strictly: an unknown or misspelt field would be an error here.
    dry = create(kube, namespace, obj, dry_run=True)
    assert dry.returncode == 0, dry.stderr
    made = create(kube, namespace, obj)
    assert made.returncode == 0, made.stderr
    stored = kube.get("-n", namespace, "ensemble", obj["metadata"]["name"])
    assert_contains(obj["spec"], stored["spec"])


def test_defaults_fill_an_empty_spec(kube, crd, namespace):
    made = create(kube, namespace, {"apiVersion": "corral.dev/v1alpha1", "kind": "Ensemble",
                                    "metadata": {"name": "bare"}, "spec": {}})
    assert made.returncode == 0, made.stderr
    spec = kube.get("-n", namespace, "ens", "bare")["spec"]
    assert spec["replicas"] == 3 and spec["observers"] == 0 and spec["allowEvenReplicas"] is False
    assert spec["storage"] == {"data": {"size": "10Gi", "reclaimPolicy": "Retain"}}
    assert spec["podDisruptionBudget"] == {"enabled": True}
    assert spec["pod"] == {"antiAffinity": "Preferred"}
    assert spec["services"] == {
        "client": {"type": "ClusterIP", "port": 2181},
        "admin": {"enabled": True, "type": "ClusterIP", "port": 8080},
        "metrics": {"enabled": True, "type": "ClusterIP", "port": 7000}}


# (id, change to a valid 3-member Ensemble, part of the API server's answer)
REJECTED = [
    ("replicas-zero", {"spec": {"replicas": 0}},
     "spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1"),
    ("replicas-even", {"spec": {"replicas": 4}}, "spec.replicas must be odd"),
    ("replicas-even-override-false", {"spec": {"replicas": 2, "allowEvenReplicas": False}},
     "spec.replicas must be odd"),
    ("replicas-not-integer", {"spec": {"replicas": "three"}}, 'spec.replicas: Invalid value: "string"'),
    ("observers-negative", {"spec": {"observers": -1}},
     "spec.observers in body should be greater than or equal to 0"),
    ("too-many-members", {"spec": {"replicas": 251, "observers": 8}}, "must be at most 255"),
    ("reclaim-policy-enum", {"spec": {"storage": {"data": {"reclaimPolicy": "Recycle"}}}},
     'spec.storage.data.reclaimPolicy: Unsupported value: "Recycle": supported values: "Retain", "Delete"'),
    ("size-not-a-quantity", {"spec": {"storage": {"log": {"size": "10 GB"}}}},
     "spec.storage.log.size in body should match"),
    ("size-zero", {"spec": {"storage": {"data": {"size": "0"}}}}, "size must be greater than zero"),
    ("size-negative", {"spec": {"storage": {"data": {"size": "-5Gi"}}}},
     "spec.storage.data.size in body should match"),
    ("cpu-not-a-quantity", {"spec": {"resources": {"requests": {"cpu": "lots"}}}},
     "spec.resources.requests.cpu in body should match"),
    ("limit-below-request", {"spec": {"resources": {"requests": {"memory": "2Gi"},
                                                    "limits": {"memory": "1Gi"}}}},
     "resources.limits must not be below resources.requests"),
    ("config-owned-key", {"spec": {"config": {"dataDir": "/tmp"}}}, "spec.config cannot set keys"),
    ("config-server-line", {"spec": {"config": {"server.9": "evil:2888:3888"}}},
     "spec.config cannot set keys"),
    ("config-admin-off", {"spec": {"config": {"admin.enableServer": "false"}}},
     "spec.config cannot set keys"),
    ("config-key-syntax", {"spec": {"config": {"tick time": "2000"}}}, "spec.config cannot set keys"),
    ("service-type-enum", {"spec": {"services": {"client": {"type": "ExternalName"}}}},
     'spec.services.client.type: Unsupported value: "ExternalName"'),
    ("port-range", {"spec": {"services": {"metrics": {"port": 70000}}}},
     "spec.services.metrics.port in body should be less than or equal to 65535"),
    ("port-clash", {"spec": {"services": {"admin": {"port": 2181}}}},
     "the client, admin and metrics ports must differ"),
    ("port-on-peer-port", {"spec": {"services": {"metrics": {"port": 3888}}}},
     "the client, admin and metrics ports must differ"),
    ("anti-affinity-enum", {"spec": {"pod": {"antiAffinity": "Sometimes"}}},
     'spec.pod.antiAffinity: Unsupported value: "Sometimes"'),
    ("toleration-effect-enum", {"spec": {"pod": {"tolerations": [{"key": "a", "effect": "Never"}]}}},
     'spec.pod.tolerations[0].effect: Unsupported value: "Never"'),
    ("spread-missing-key", {"spec": {"pod": {"topologySpreadConstraints": [
        {"maxSkew": 1, "whenUnsatisfiable": "DoNotSchedule"}]}}},
     "spec.pod.topologySpreadConstraints[0].topologyKey: Required value"),
    ("super-digest-missing-key", {"spec": {"auth": {"superDigest": {"secretRef": {"name": "s"}}}}},
     "spec.auth.superDigest.secretRef.key: Required value"),
    ("unknown-field", {"spec": {"replica": 5}}, 'unknown field "spec.replica"'),
    ("name-too-long", {"metadata": {"name": "a" * 43}}, "must be a DNS-1035 label"),
    ("name-starts-with-digit", {"metadata": {"name": "1x"}}, "must be a DNS-1035 label"),
    ("name-of-an-observers-statefulset", {"metadata": {"name": "zk-observer"}},
     "must not end in '-observer'"),
]


@pytest.mark.parametrize("change,message", [(c, m) for _, c, m in REJECTED],
                         ids=[i for i, _, _ in REJECTED])
def test_invalid_ensemble_is_rejected(kube, crd, namespace, change, message):
    proc = create(kube, namespace, merge(ensemble(), change), dry_run=True)
    assert proc.returncode != 0, "accepted: %s" % change
    assert message in proc.stderr, proc.stderr


@pytest.mark.parametrize("change", [
    {"spec": {"replicas": 4, "allowEvenReplicas": True}},
    {"spec": {"replicas": 1}},
    {"spec": {"replicas": 247, "observers": 8}},
    {"spec": {"resources": {"requests": {"cpu": "500m", "memory": "1Gi"},
                            "limits": {"cpu": 2, "memory": "1Gi"}}}},
    {"spec": {"storage": {"data": {"size": 1073741824}, "log": {"size": "1.5Gi"}}}},
    {"spec": {"config": {"tickTime": "500", "4lw.commands.whitelist": "*"}}},
    {"metadata": {"name": "a" * 42}},
], ids=["even-with-override", "single", "255-members", "resources", "int-and-decimal-sizes",
        "config", "name-42"])
def test_valid_edge_cases_are_accepted(kube, crd, namespace, change):
    proc = create(kube, namespace, merge(ensemble(), change), dry_run=True)
    assert proc.returncode == 0, proc.stderr


def test_kubectl_scale_sets_spec_replicas_through_the_scale_subresource(kube, crd, namespace):
    assert create(kube, namespace, ensemble("x")).returncode == 0
    kube.kubectl("scale", "-n", namespace, "ensemble/x", "--replicas=5")
    assert kube.get("-n", namespace, "ens", "x")["spec"]["replicas"] == 5

    scale_path = "/apis/corral.dev/v1alpha1/namespaces/%s/ensembles/x/scale" % namespace
    scale = json.loads(kube.kubectl("get", "--raw", scale_path).stdout)
    assert (scale["apiVersion"], scale["kind"]) == ("autoscaling/v1", "Scale")
    assert scale["spec"]["replicas"] == 5

    # The schema's rules hold through the subresource too: no even ensemble by `kubectl scale`.
    even = kube.kubectl("scale", "-n", namespace, "ensemble/x", "--replicas=4", check=False)
    assert even.returncode != 0 and "spec.replicas must be odd" in even.stderr, even.stderr
    assert kube.get("-n", namespace, "ens", "x")["spec"]["replicas"] == 5

    # What the operator reports is what the scale subresource (and an HPA) sees.
    selector = "app.kubernetes.io/name=corral,app.kubernetes.io/instance=x"
    assert patch_status(kube, namespace, "x", {"replicas": 3, "selector": selector}).returncode == 0
    scale = json.loads(kube.kubectl("get", "--raw", scale_path).stdout)
    assert scale["status"] == {"replicas": 3, "selector": selector}


def test_status_and_spec_are_written_separately(kube, crd, namespace):
    assert create(kube, namespace, ensemble("x")).returncode == 0
    assert kube.get("-n", namespace, "ens", "x")["metadata"]["generation"] == 1

    status = {"observedGeneration": 1, "replicas": 3, "readyReplicas": 3, "phase": "Running",
              "leader": "x-1", "configVersion": "0x100000003", "currentImage": "corral-server:0.1.0",
              "bootstrapped": True,
              "members": [{"name": "x-0", "id": 1, "role": "Follower", "zxid": "0x100000007", "ready": True},
                          {"name": "x-1", "id": 2, "role": "Leader", "zxid": "0x100000007", "ready": True},
                          {"name": "x-2", "id": 3, "role": "Follower", "zxid": "0x100000006", "ready": True}],
              "conditions": [{"type": "Ready", "status": "True", "observedGeneration": 1,
                              "lastTransitionTime": "2026-01-01T00:00:00Z", "reason": "QuorumServing",
                              "message": "3 of 3 voters serving"}]}
    # Through the status subresource a spec change is ignored and the generation stays.
    proc = patch_status(kube, namespace, "x", status, extra={"spec": {"replicas": 7}})
    assert proc.returncode == 0, proc.stderr
    obj = kube.get("-n", namespace, "ens", "x")
    assert obj["spec"]["replicas"] == 3
    assert obj["metadata"]["generation"] == 1
    assert obj["status"] == status

    # Through the main resource a status change is ignored; the spec change bumps the generation.
    kube.kubectl("patch", "-n", namespace, "ens/x", "--type=merge",
                 "-p", json.dumps({"spec": {"replicas": 5}, "status": {"phase": "Degraded"}}))
    obj = kube.get("-n", namespace, "ens", "x")
    assert obj["spec"]["replicas"] == 5
    assert obj["metadata"]["generation"] == 2
    assert obj["status"]["phase"] == "Running"


@pytest.mark.parametrize("status,message", [
    ({"conditions": [{"type": "Ready", "status": "Maybe", "lastTransitionTime": "2026-01-01T00:00:00Z",
                      "reason": "R", "message": ""}]},
     'status.conditions[0].status: Unsupported value: "Maybe"'),
    ({"conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z",
                      "message": ""}]},
     "status.conditions[0].reason: Required value"),
    ({"members": [{"name": "x-0", "id": 1, "role": "Boss"}]},
     'status.members[0].role: Unsupported value: "Boss"'),
    ({"members": [{"name": "x-0", "id": 0}]}, "members[0].id in body should be greater than or equal to 1"),
    ({"members": [{"name": "x-0", "id": 1, "zxid": "12"}]}, "members[0].zxid in body should match"),
    ({"phase": "Happy"}, 'status.phase: Unsupported value: "Happy"'),
], ids=["condition-status", "condition-reason", "member-role", "member-id", "zxid-hex", "phase"])
def test_invalid_status_is_rejected(kube, crd, namespace, status, message):
    assert create(kube, namespace, ensemble("x")).returncode == 0
    proc = patch_status(kube, namespace, "x", status)
    assert proc.returncode != 0 and message in proc.stderr, proc.stderr


def test_printer_columns(kube, crd, namespace):
    assert create(kube, namespace, ensemble("x", replicas=5)).returncode == 0
    assert patch_status(kube, namespace, "x", {"replicas": 5, "readyReplicas": 4,
                                               "leader": "x-3", "phase": "Degraded"}).returncode == 0
    lines = kube.kubectl("get", "ens", "-n", namespace).stdout.splitlines()
    assert lines[0].split() == ["NAME", "REPLICAS", "READY", "LEADER", "PHASE", "AGE"]
    assert lines[1].split()[:5] == ["x", "5", "4", "x-3", "Degraded"]


def test_storage_class_and_log_volume_are_fixed_and_size_only_grows(kube, crd, namespace):
    storage = {"data": {"size": "10Gi", "storageClassName": "standard"}}
    assert create(kube, namespace, ensemble("x", storage=storage)).returncode == 0

    def change(storage):
        return kube.kubectl("patch", "-n", namespace, "ens/x", "--type=merge",
                            "-p", json.dumps({"spec": {"storage": storage}}), check=False)

    proc = change({"data": {"storageClassName": "fast"}})
    assert proc.returncode != 0 and "storageClassName cannot change" in proc.stderr, proc.stderr
    proc = change({"data": {"size": "5Gi"}})
    assert proc.returncode != 0 and "size cannot shrink" in proc.stderr, proc.stderr
    proc = change({"log": {"size": "1Gi"}})
    assert proc.returncode != 0 and "storage.log cannot be added or removed" in proc.stderr, proc.stderr
    proc = change({"data": {"size": "20Gi", "reclaimPolicy": "Delete"}})
    assert proc.returncode == 0, proc.stderr
    data = kube.get("-n", namespace, "ens", "x")["spec"]["storage"]["data"]
    assert data == {"size": "20Gi", "storageClassName": "standard", "reclaimPolicy": "Delete"}
