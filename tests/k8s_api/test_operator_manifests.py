"""The operator's manifests (manifests/rbac.yaml, operator.yaml, kustomization.yaml) against a real
kube-apiserver: accepted by server-side dry-run, the Deployment meets the "restricted" Pod
Security Standard, and the ServiceAccount gets what the operator needs and nothing beyond it."""
import os

import pytest
import yaml

from kubeapi import MANIFESTS

SA = "system:serviceaccount:corral-system:corral-operator"


@pytest.fixture(scope="module")
def operator_namespace(kube, crd):
    """corral-system, created for real (namespaced objects cannot even be dry-run without it),
    warning on anything that breaks the restricted Pod Security Standard."""
    kube.kubectl("apply", "--server-side", "-f", os.path.join(MANIFESTS, "namespace.yaml"))
    kube.kubectl("label", "--overwrite", "namespace", "corral-system",
                 "pod-security.kubernetes.io/warn=restricted")
    return "corral-system"


def test_kustomization_renders_every_manifest(kube):
    rendered = kube.kubectl("kustomize", MANIFESTS).stdout
    kinds = sorted((o["kind"], o["metadata"]["name"]) for o in yaml.safe_load_all(rendered) if o)
    assert kinds == sorted([
        ("CustomResourceDefinition", "ensembles.corral.dev"),
        ("Namespace", "corral-system"),
        ("ServiceAccount", "corral-operator"),
        ("ClusterRole", "corral-operator"),
        ("ClusterRoleBinding", "corral-operator"),
        ("Role", "corral-operator-leader-election"),
        ("RoleBinding", "corral-operator-leader-election"),
        ("Deployment", "corral-operator"),
        ("Service", "corral-operator-metrics"),
    ])


def test_operator_manifests_pass_server_side_dry_run(kube, operator_namespace):
    proc = kube.kubectl("apply", "--server-side", "--dry-run=server", "-k", MANIFESTS)
    out = proc.stdout
    for obj in ("deployment.apps/corral-operator", "clusterrole.rbac.authorization.k8s.io/corral-operator",
                "role.rbac.authorization.k8s.io/corral-operator-leader-election",
                "serviceaccount/corral-operator", "service/corral-operator-metrics"):
        assert obj in out and "(server dry run)" in out, out
    # PodSecurity admission warns about a Deployment whose pods would break the namespace's
    # level: none for the operator's non-root, no-privilege-escalation, read-only pod.
    assert "would violate PodSecurity" not in proc.stderr, proc.stderr


# (verb, resource, namespace or None for all, allowed?)
PERMISSIONS = [
    ("watch", "ensembles.corral.dev", None, True),
    ("patch", "ensembles.corral.dev", "apps", True),
    ("update", "ensembles.corral.dev", "apps", False),   # never writes an Ensemble's spec
    ("patch", "ensembles.corral.dev/status", "apps", True),
    ("update", "ensembles.corral.dev/finalizers", "apps", True),
    ("create", "statefulsets.apps", "apps", True),
    ("patch", "statefulsets.apps", "apps", True),
    ("create", "poddisruptionbudgets.policy", "apps", True),
    ("delete", "services", "apps", True),
    ("patch", "configmaps", "apps", True),
    ("list", "pods", None, True),
    ("delete", "pods", "apps", True),
    ("create", "pods", "apps", False),
    ("create", "pods/exec", "apps", False),
    ("create", "pods/portforward", "apps", False),
    ("delete", "persistentvolumeclaims", "apps", True),
    ("create", "persistentvolumeclaims", "apps", False),
    ("delete", "persistentvolumes", None, False),
    ("get", "secrets", "apps", True),
    ("create", "secrets", "apps", True),     # its own <name>-operator-auth, once
    ("update", "secrets", "apps", False),    # never rewrites a password
    ("patch", "secrets", "apps", False),
    ("delete", "secrets", "apps", False),    # the garbage collector does, by owner reference
    ("list", "secrets", "apps", False),
    ("watch", "secrets", None, False),
    ("create", "events", "apps", True),
    ("create", "events.events.k8s.io", "apps", True),
    ("update", "leases.coordination.k8s.io", "corral-system", True),
    ("update", "leases.coordination.k8s.io", "apps", False),
    ("delete", "leases.coordination.k8s.io", "corral-system", False),
    ("create", "deployments.apps", "apps", False),
    ("get", "nodes", None, False),
    ("create", "clusterroles.rbac.authorization.k8s.io", None, False),
]


@pytest.fixture(scope="module")
def operator_rbac(kube, operator_namespace):
    kube.kubectl("apply", "--server-side", "-f", os.path.join(MANIFESTS, "rbac.yaml"))


@pytest.mark.parametrize("verb,resource,ns,allowed", PERMISSIONS,
                         ids=["%s-%s%s" % (v, r, "" if n else "-all") for v, r, n, _ in PERMISSIONS])
def test_operator_rbac_is_least_privilege(kube, operator_rbac, verb, resource, ns, allowed):
    scope = ["-n", ns] if ns else ["--all-namespaces"]
    resource, _, sub = resource.partition("/")
    sub = ["--subresource", sub] if sub else []
    proc = kube.kubectl("auth", "can-i", verb, resource, *sub, "--as", SA, *scope, check=False)
    answer = proc.stdout.strip()
    assert answer in ("yes", "no"), proc.stdout + proc.stderr
    assert answer == ("yes" if allowed else "no")
