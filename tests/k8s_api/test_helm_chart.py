"""The Helm chart (charts/corral) with a real helm (dev/k8s-tools helm): lint, `helm template` with
the defaults and with each documented option, server-side dry-run of every rendered object against
the real kube-apiserver of conftest.py (with prometheus-operator's published ServiceMonitor and
PrometheusRule CRDs, vendored in data/), `promtool check rules` and `promtool test rules`
(rules_test.yaml), and the metric names of the alerts and the dashboard against a live scrape of
real corral-server members."""
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request

import pytest
import yaml

from kubeapi import MANIFESTS, ROOT, ToolsUnavailable, build_tools, wait_until

CHART = os.path.join(ROOT, "charts", "corral")
DATA = os.path.join(os.path.dirname(__file__), "data")
HERE = os.path.dirname(os.path.abspath(__file__))
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
MONITORING_API = ["--api-versions", "monitoring.coreos.com/v1"]
RELEASE, NAMESPACE = "corral", "corral-system"

# Each documented option (charts/corral/README.md), as `helm template` arguments.
SCENARIOS = {
    "defaults": [],
    "ensemble": ["--set", "ensemble.enabled=true"],
    "ensemble-everything": [
        "--set", "ensemble.enabled=true", "--set", "ensemble.name=zk",
        "--set", "ensemble.replicas=5", "--set", "ensemble.observers=2",
        "--set", "ensemble.image=registry.example/corral:1.2",
        "--set", "ensemble.imagePullPolicy=Always",
        "--set", "ensemble.imagePullSecrets[0].name=pull",
        "--set", "ensemble.persistence.data.storageClassName=fast",
        "--set", "ensemble.persistence.data.size=20Gi",
        "--set", "ensemble.persistence.log.storageClassName=nvme",
        "--set", "ensemble.persistence.log.reclaimPolicy=Delete",
        "--set", "ensemble.antiAffinity=Preferred",
        "--set", "ensemble.nodeSelector.disk=ssd",
        "--set", "ensemble.tolerations[0].key=dedicated",
        "--set", "ensemble.tolerations[0].operator=Exists",
        "--set", "ensemble.tolerations[0].effect=NoSchedule",
        "--set", "ensemble.topologySpreadConstraints[0].maxSkew=1",
        "--set", "ensemble.topologySpreadConstraints[0].topologyKey=topology.kubernetes.io/zone",
        "--set", "ensemble.topologySpreadConstraints[0].whenUnsatisfiable=DoNotSchedule",
        "--set", "ensemble.priorityClassName=high",
        "--set", "ensemble.podLabels.team=db", "--set", "ensemble.podAnnotations.note=x",
        "--set", "ensemble.podDisruptionBudget.enabled=false",
        "--set", "ensemble.services.client.type=LoadBalancer",
        "--set", "ensemble.services.client.port=2281",
        "--set", "ensemble.services.client.annotations.lb=internal",
        "--set", "ensemble.services.admin.enabled=false",
        "--set", "ensemble.services.metrics.port=7070",
        "--set", "ensemble.superDigestSecret.name=zk-super",
        "--set", "ensemble.superDigestSecret.key=digest",
        "--set", "ensemble.superDigestSecret.passwordKey=password",
        "--set-string", "ensemble.config.tickTime=3000",
    ],
    "persistence-log-off": ["--set", "ensemble.enabled=true",
                            "--set", "ensemble.persistence.log.enabled=false"],
    "custom-resources": [
        "--set", "ensemble.enabled=true",
        "--set", "ensemble.resources.requests.cpu=2", "--set", "ensemble.resources.requests.memory=4Gi",
        "--set", "ensemble.resources.limits.memory=4Gi",
        "--set", "operator.resources.requests.cpu=100m",
        "--set", "operator.resources.limits.memory=256Mi"],
    "monitoring-off": ["--set", "monitoring.enabled=false", "--set", "ensemble.enabled=true"],
    "monitoring-parts-off": ["--set", "monitoring.ensembles.serviceMonitor.enabled=false",
                             "--set", "monitoring.operator.serviceMonitor.enabled=false",
                             "--set", "monitoring.prometheusRule.enabled=false",
                             "--set", "monitoring.dashboard.enabled=false"],
    "monitoring-custom": [
        "--set", "monitoring.labels.release=kube-prometheus-stack",
        "--set", "monitoring.ensembles.serviceMonitor.allNamespaces=false",
        "--set", "monitoring.ensembles.serviceMonitor.namespaces[0]=apps",
        "--set", "monitoring.ensembles.serviceMonitor.interval=15s",
        "--set", "monitoring.prometheusRule.fsyncLatencyMs=20",
        "--set", "monitoring.prometheusRule.additionalAlertLabels.team=db",
        "--set", "monitoring.dashboard.namespace=grafana"],
    "operator-options": [
        "--set", "operator.image.repository=registry.example/corral-operator",
        "--set", "operator.image.tag=v9", "--set", "operator.replicas=2",
        "--set", "operator.logLevel=debug", "--set", "operator.leaderElection.id=my-lease",
        "--set", "operator.metricsPort=9191", "--set", "operator.healthPort=8181",
        "--set", "operator.nodeSelector.role=infra", "--set", "operator.priorityClassName=sys",
        "--set", "serviceAccount.name=op-sa", "--set", "serviceAccount.annotations.a=b",
        "--set", "fullnameOverride=zoo"],
    "leader-election-off": ["--set", "operator.leaderElection.enabled=false"],
}


@pytest.fixture(scope="session")
def helm():
    try:
        return build_tools(("helm",))["helm"]
    except ToolsUnavailable as e:
        pytest.skip("helm unavailable: %s" % e)


def run_helm(helm, *args, check=True):
    proc = subprocess.run([helm, *args], capture_output=True, text=True, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError("helm %s failed (%d):\n%s%s"
                             % (" ".join(args), proc.returncode, proc.stdout, proc.stderr))
    return proc


def template_text(helm, *args, api=True):
    return run_helm(helm, "template", RELEASE, CHART, "--namespace", NAMESPACE,
                    *(MONITORING_API if api else []), *args).stdout


def render(helm, *args, api=True):
    return [o for o in yaml.safe_load_all(template_text(helm, *args, api=api)) if o]


def by_kind(objs):
    out = {}
    for o in objs:
        out.setdefault(o["kind"], []).append(o)
    return out


def one(objs, kind):
    found = [o for o in objs if o["kind"] == kind]
    assert len(found) == 1, "%d %s in %s" % (len(found), kind, [o["kind"] for o in objs])
    return found[0]


OPERATOR_KINDS = ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding",
                  "Deployment", "Service"]


# -- the chart by itself ---------------------------------------------------------------------------

def test_chart_crd_is_manifests_crd():
    """crds/ carries the CRD of manifests/ byte for byte: one schema, two ways to install it."""
    with open(os.path.join(MANIFESTS, "crd.yaml"), "rb") as a, \
            open(os.path.join(CHART, "crds", "ensembles.corral.dev.yaml"), "rb") as b:
        assert a.read() == b.read(), "charts/corral/crds/ differs from manifests/crd.yaml: copy it"
    assert os.listdir(os.path.join(CHART, "crds")) == ["ensembles.corral.dev.yaml"]


@pytest.mark.parametrize("scenario", ["defaults", "ensemble", "ensemble-everything"])
def test_helm_lint(helm, scenario):
    proc = run_helm(helm, "lint", "--strict", CHART, *SCENARIOS[scenario])
    assert "1 chart(s) linted, 0 chart(s) failed" in proc.stdout, proc.stdout


def test_default_render(helm):
    objs = render(helm)
    kinds = sorted((o["kind"], o["metadata"]["name"]) for o in objs)
    assert kinds == sorted([
        ("ServiceAccount", "corral-operator"), ("ClusterRole", "corral-operator"),
        ("ClusterRoleBinding", "corral-operator"),
        ("Role", "corral-operator-leader-election"),
        ("RoleBinding", "corral-operator-leader-election"),
        ("Deployment", "corral-operator"), ("Service", "corral-operator-metrics"),
        ("ServiceMonitor", "corral-operator"), ("ServiceMonitor", "corral-ensembles"),
        ("PrometheusRule", "corral-alerts"), ("ConfigMap", "corral-dashboard"),
    ])
    for o in objs:
        if o["kind"] not in ("ClusterRole", "ClusterRoleBinding"):
            assert o["metadata"]["namespace"] == NAMESPACE, o["metadata"]
    # The CRD comes from crds/: installed by `helm install`, shown with --include-crds.
    with_crds = render(helm, "--include-crds")
    assert ("CustomResourceDefinition", "ensembles.corral.dev") in \
        [(o["kind"], o["metadata"]["name"]) for o in with_crds]


def test_rbac_rules_equal_manifests(helm):
    with open(os.path.join(MANIFESTS, "rbac.yaml")) as f:
        manifests = {(o["kind"]): o for o in yaml.safe_load_all(f) if o}
    objs = render(helm)
    assert one(objs, "ClusterRole")["rules"] == manifests["ClusterRole"]["rules"]
    assert one(objs, "Role")["rules"] == manifests["Role"]["rules"]
    sa = one(objs, "ServiceAccount")["metadata"]["name"]
    for kind in ("ClusterRoleBinding", "RoleBinding"):
        binding = one(objs, kind)
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": sa,
                                        "namespace": NAMESPACE}]
        assert binding["roleRef"]["name"] == one(objs, kind.replace("Binding", ""))["metadata"]["name"]


def test_operator_deployment_has_the_flags_of_manifests_readme(helm):
    objs = render(helm)
    dep = one(objs, "Deployment")
    with open(os.path.join(MANIFESTS, "operator.yaml")) as f:
        manifest = next(o for o in yaml.safe_load_all(f) if o and o["kind"] == "Deployment")
    container = dep["spec"]["template"]["spec"]["containers"][0]
    want = manifest["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == want["args"]
    for key in ("env", "ports", "livenessProbe", "readinessProbe", "resources", "securityContext"):
        assert container[key] == want[key], key
    assert dep["spec"]["template"]["spec"]["securityContext"] == \
        manifest["spec"]["template"]["spec"]["securityContext"]
    assert container["image"] == "corral-operator:0.1.0"
    # Its Service selects its pods and nothing else, and its ServiceMonitor that Service.
    svc = one(objs, "Service")
    labels = dep["spec"]["template"]["metadata"]["labels"]
    assert all(labels.get(k) == v for k, v in svc["spec"]["selector"].items())
    assert dep["spec"]["selector"]["matchLabels"] == svc["spec"]["selector"]
    sm = next(o for o in objs if o["kind"] == "ServiceMonitor" and o["metadata"]["name"] == "corral-operator")
    assert all(svc["metadata"]["labels"].get(k) == v for k, v in sm["spec"]["selector"]["matchLabels"].items())
    assert sm["spec"]["endpoints"][0]["port"] == svc["spec"]["ports"][0]["name"] == "metrics"


def test_operator_options(helm):
    objs = render(helm, *SCENARIOS["operator-options"])
    dep = one(objs, "Deployment")
    pod = dep["spec"]["template"]["spec"]
    c = pod["containers"][0]
    assert dep["metadata"]["name"] == "zoo-operator" and dep["spec"]["replicas"] == 2
    assert c["image"] == "registry.example/corral-operator:v9"
    assert c["args"] == ["--leader-elect=true", "--leader-election-namespace=$(POD_NAMESPACE)",
                         "--leader-election-id=my-lease", "--health-address=:8181",
                         "--metrics-address=:9191", "--log-level=debug"]
    assert {p["name"]: p["containerPort"] for p in c["ports"]} == {"health": 8181, "metrics": 9191}
    assert pod["serviceAccountName"] == "op-sa" == one(objs, "ServiceAccount")["metadata"]["name"]
    assert one(objs, "ServiceAccount")["metadata"]["annotations"] == {"a": "b"}
    assert pod["nodeSelector"] == {"role": "infra"} and pod["priorityClassName"] == "sys"
    assert one(objs, "Service")["spec"]["ports"][0]["port"] == 9191


def test_leader_election_off(helm):
    objs = render(helm, *SCENARIOS["leader-election-off"])
    assert "Role" not in by_kind(objs) and "RoleBinding" not in by_kind(objs)
    args = one(objs, "Deployment")["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--leader-elect=false" in args
    assert not [a for a in args if a.startswith("--leader-election-")]


def crd_schema():
    with open(os.path.join(MANIFESTS, "crd.yaml")) as f:
        crd = yaml.safe_load(f)
    return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]


def unknown_fields(value, schema, path="spec"):
    """Paths in value that the CRD's structural schema does not declare."""
    if schema.get("x-kubernetes-preserve-unknown-fields") and "properties" not in schema:
        return []
    out = []
    if isinstance(value, dict):
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        for k, v in value.items():
            if props is not None and k in props:
                out += unknown_fields(v, props[k], path + "." + k)
            elif isinstance(extra, dict):
                out += unknown_fields(v, extra, path + "." + k)
            elif not schema.get("x-kubernetes-preserve-unknown-fields"):
                out.append(path + "." + k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += unknown_fields(v, schema.get("items", {}), "%s[%d]" % (path, i))
    return out


def test_ensemble_enabled_renders_a_production_ensemble(helm):
    objs = render(helm, *SCENARIOS["ensemble"])
    ens = one(objs, "Ensemble")
    assert ens["apiVersion"] == "corral.dev/v1alpha1"
    assert ens["metadata"] == {**ens["metadata"], "name": RELEASE, "namespace": NAMESPACE}
    spec = ens["spec"]
    assert unknown_fields(spec, crd_schema()) == []
    assert spec["replicas"] == 3
    assert spec["pod"]["antiAffinity"] == "Required"
    assert spec["podDisruptionBudget"] == {"enabled": True}
    assert spec["storage"]["data"]["size"] == "10Gi" and spec["storage"]["log"]["size"] == "10Gi"
    assert spec["resources"]["requests"] == {"cpu": "500m", "memory": "1Gi"}
    assert spec["services"]["metrics"] == {"enabled": True, "port": 7000}
    assert "Ensemble" not in by_kind(render(helm))  # off by default


def test_ensemble_every_option(helm):
    spec = one(render(helm, *SCENARIOS["ensemble-everything"]), "Ensemble")["spec"]
    assert unknown_fields(spec, crd_schema()) == []
    assert spec == {
        "replicas": 5, "observers": 2, "image": "registry.example/corral:1.2",
        "imagePullPolicy": "Always", "imagePullSecrets": [{"name": "pull"}],
        "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "1Gi"}},
        "config": {"autopurge.purgeInterval": "1", "autopurge.snapRetainCount": "5",
                   "tickTime": "3000"},
        "storage": {"data": {"size": "20Gi", "storageClassName": "fast", "reclaimPolicy": "Retain"},
                    "log": {"size": "10Gi", "storageClassName": "nvme", "reclaimPolicy": "Delete"}},
        "pod": {"antiAffinity": "Preferred",
                "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                                               "whenUnsatisfiable": "DoNotSchedule"}],
                "nodeSelector": {"disk": "ssd"},
                "tolerations": [{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}],
                "priorityClassName": "high", "labels": {"team": "db"}, "annotations": {"note": "x"}},
        "podDisruptionBudget": {"enabled": False},
        "services": {"client": {"type": "LoadBalancer", "port": 2281, "annotations": {"lb": "internal"}},
                     "admin": {"enabled": False, "port": 8080},
                     "metrics": {"enabled": True, "port": 7070}},
        "auth": {"superDigest": {"secretRef": {"name": "zk-super", "key": "digest",
                                               "passwordKey": "password"}}},
    }


def test_persistence_log_off_shares_the_data_volume(helm):
    spec = one(render(helm, *SCENARIOS["persistence-log-off"]), "Ensemble")["spec"]
    assert spec["storage"] == {"data": {"size": "10Gi", "reclaimPolicy": "Retain"}}


def test_custom_resources(helm):
    objs = render(helm, *SCENARIOS["custom-resources"])
    assert one(objs, "Ensemble")["spec"]["resources"] == {
        "requests": {"cpu": 2, "memory": "4Gi"}, "limits": {"memory": "4Gi"}}
    c = one(objs, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert c["resources"] == {"requests": {"cpu": "100m", "memory": "32Mi"},
                              "limits": {"memory": "256Mi"}}


def test_monitoring_off(helm):
    kinds = by_kind(render(helm, *SCENARIOS["monitoring-off"]))
    assert not {"ServiceMonitor", "PrometheusRule", "ConfigMap"} & set(kinds)
    assert "Ensemble" in kinds and "Deployment" in kinds


def test_monitoring_parts_off(helm):
    kinds = by_kind(render(helm, *SCENARIOS["monitoring-parts-off"]))
    assert not {"ServiceMonitor", "PrometheusRule", "ConfigMap"} & set(kinds)


def test_monitoring_objects_need_the_prometheus_operator_api(helm):
    """Without monitoring.coreos.com/v1 in the cluster (helm install reads its discovery;
    `helm template` has it only with --api-versions) there is no ServiceMonitor or
    PrometheusRule to fail the install; the dashboard ConfigMap stays."""
    kinds = by_kind(render(helm, api=False))
    assert not {"ServiceMonitor", "PrometheusRule"} & set(kinds)
    assert "ConfigMap" in kinds


def test_ensembles_service_monitor_matches_the_operators_services(helm):
    """The contract of README.md: the operator's per-Ensemble Services carry
    app.kubernetes.io/{name=corral, instance=<ensemble>, managed-by=corral-operator} and only
    <name>-metrics has a port named metrics (what corral-operator renders on its branch)."""
    objs = render(helm)
    sm = next(o for o in objs if o["kind"] == "ServiceMonitor" and o["metadata"]["name"] == "corral-ensembles")
    spec = sm["spec"]
    operator_service_labels = {"app.kubernetes.io/name": "corral",
                               "app.kubernetes.io/instance": "zk",
                               "app.kubernetes.io/managed-by": "corral-operator"}
    assert all(operator_service_labels.get(k) == v for k, v in spec["selector"]["matchLabels"].items())
    # ... and not the operator's own metrics Service.
    op_svc = one(objs, "Service")["metadata"]["labels"]
    assert not all(op_svc.get(k) == v for k, v in spec["selector"]["matchLabels"].items())
    assert spec["namespaceSelector"] == {"any": True}
    assert spec["jobLabel"] == "app.kubernetes.io/name"  # job="corral", as the alerts expect
    ep = spec["endpoints"][0]
    assert ep["port"] == "metrics" and ep["path"] == "/metrics"
    assert ep["relabelings"] == [{
        "sourceLabels": ["__meta_kubernetes_service_label_app_kubernetes_io_instance"],
        "targetLabel": "ensemble"}]


def test_monitoring_custom(helm):
    objs = render(helm, *SCENARIOS["monitoring-custom"])
    for o in objs:
        if o["kind"] in ("ServiceMonitor", "PrometheusRule"):
            assert o["metadata"]["labels"]["release"] == "kube-prometheus-stack", o["metadata"]
    sm = next(o for o in objs if o["kind"] == "ServiceMonitor" and o["metadata"]["name"] == "corral-ensembles")
    assert sm["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE, "apps"]}
    assert sm["spec"]["endpoints"][0]["interval"] == "15s"
    rules = {r["alert"]: r for r in one(objs, "PrometheusRule")["spec"]["groups"][0]["rules"]}
    assert rules["CorralFsyncLatencyHigh"]["expr"].endswith("> 20")
    assert all(r["labels"]["team"] == "db" for r in rules.values())
    assert one(objs, "ConfigMap")["metadata"]["namespace"] == "grafana"


def test_dashboard_configmap(helm):
    cm = one(render(helm), "ConfigMap")
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    dash = json.loads(cm["data"]["corral-ensembles.json"])
    assert dash["uid"] == "corral-ensembles"
    panels = [p for p in dash["panels"] if p["type"] != "row"]
    assert len(panels) >= 20
    for p in panels:
        assert p["targets"] and all(t["expr"] for t in p["targets"]), p["title"]
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("args,error", [
    (["--set", "ensemble.replicas=0"], "ensemble.replicas"),
    (["--set", "ensemble.antiAffinity=Sometimes"], "ensemble.antiAffinity"),
    (["--set", "ensemble.name=Bad_Name"], "ensemble.name"),
    (["--set", "ensemble.persistence.data.size=lots"], "ensemble.persistence.data.size"),
    (["--set", "monitoring.ensembles.serviceMonitor.interval=soon"], "interval"),
    (["--set", "operator.replica=2"], "replica"),
    (["--set", "ensemble.superDigestSecret.name=s", "--set", "ensemble.enabled=true"],
     "ensemble.superDigestSecret.key is required"),
])
def test_bad_values_are_refused(helm, args, error):
    proc = run_helm(helm, "template", RELEASE, CHART, *args, check=False)
    assert proc.returncode != 0 and error in proc.stderr, proc.stderr


def test_every_value_is_documented_in_the_readme():
    with open(os.path.join(CHART, "values.yaml")) as f:
        values = yaml.safe_load(f)
    with open(os.path.join(CHART, "README.md")) as f:
        readme = f.read()

    def leaves(d, prefix=""):
        for k, v in d.items():
            key = prefix + k
            if isinstance(v, dict) and v and key not in DOCUMENTED_AS_MAPS:
                yield from leaves(v, key + ".")
            else:
                yield key
    missing = [k for k in leaves(values) if "`%s`" % k not in readme]
    assert missing == [], "not in charts/corral/README.md: %s" % missing


# Maps documented as one value (their keys are the user's: resources, zoo.cfg keys, labels).
DOCUMENTED_AS_MAPS = {"operator.resources", "ensemble.resources", "ensemble.config",
                      "monitoring.dashboard.labels"}


# -- promtool ---------------------------------------------------------------------------------------

def rule_groups(helm, *args):
    return one(render(helm, *args), "PrometheusRule")["spec"]["groups"]


def test_promtool_check_rules(helm, tmp_path):
    path = tmp_path / "corral-alerts.yaml"
    path.write_text(yaml.safe_dump({"groups": rule_groups(helm)}))
    proc = subprocess.run([PROMTOOL, "check", "rules", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS: 7 rules found" in proc.stdout, proc.stdout


def test_promtool_unit_tests_cover_every_alert(helm, tmp_path):
    groups = rule_groups(helm)
    for g in groups:
        for r in g["rules"]:
            r.pop("annotations", None)  # see rules_test.yaml's header
    (tmp_path / "corral-alerts.yaml").write_text(yaml.safe_dump({"groups": groups}))
    shutil.copy(os.path.join(HERE, "rules_test.yaml"), tmp_path / "rules_test.yaml")
    proc = subprocess.run([PROMTOOL, "test", "rules", "rules_test.yaml"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(os.path.join(HERE, "rules_test.yaml")) as f:
        tests = yaml.safe_load(f)["tests"]
    alerts = {r["alert"] for g in groups for r in g["rules"]}
    assert alerts == {"CorralMemberDown", "CorralQuorumLost", "CorralNoLeader",
                      "CorralFrequentLeaderChanges", "CorralFsyncLatencyHigh",
                      "CorralOutstandingRequestsHigh", "CorralFollowerOutOfSync"}
    fired = {t["alertname"] for case in tests for t in case["alert_rule_test"] if t["exp_alerts"]}
    quiet = {t["alertname"] for case in tests for t in case["alert_rule_test"] if not t["exp_alerts"]}
    assert fired == alerts and quiet == alerts  # each alert is shown to fire and to stay quiet


# -- metric names against a live scrape -------------------------------------------------------------

PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and",
                "or", "unless", "offset", "inf", "nan"}
# Series Prometheus makes itself for every target rather than scraping them.
SYNTHETIC = {"up"}


def metric_names(expr):
    """The metric names a PromQL expression reads."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)            # strings
    e = re.sub(r"\{[^}]*\}", "", e)                           # label matchers
    e = re.sub(r"\[[^\]]*\]", "", e)                          # ranges
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    names = set()
    for m in re.finditer(r"(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", e):
        if m.group(2) or m.group(1) in PROMQL_WORDS:
            continue
        names.add(m.group(1))
    return names


def test_metric_names_extractor():
    assert metric_names('max by (namespace, ensemble) (increase(looking_count{job="corral"}[1h])) > 3') \
        == {"looking_count"}
    assert metric_names('(count by (a) (up{x="y"} == 1) or max by (a) (up) * 0) < on (a) '
                        'floor(max by (a) (max_over_time(quorum_size[1h])) / 2) + 1e3') \
        == {"up", "quorum_size"}
    assert metric_names('rate(fsynctime_sum{pod=~"$pod"}[$__rate_interval])') == {"fsynctime_sum"}


def queries(helm):
    objs = render(helm)
    exprs = {"alert " + r["alert"]: r["expr"]
             for g in one(objs, "PrometheusRule")["spec"]["groups"] for r in g["rules"]}
    dash = json.loads(one(objs, "ConfigMap")["data"]["corral-ensembles.json"])
    for p in dash["panels"]:
        for t in p.get("targets", []):
            exprs["panel %s/%s" % (p["title"], t["refId"])] = t["expr"]
    for v in dash["templating"]["list"]:
        if v["type"] == "query":
            exprs["variable " + v["name"]] = re.sub(r"^label_values\((.*),\s*\w+\)$", r"\1",
                                                    v["definition"])
    return exprs


@pytest.fixture(scope="module")
def live_scrapes(tmp_path_factory):
    """/metrics of each member of a real 3-member ensemble (tests/integration/servers.py),
    once it serves: {member id: text}."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
    import servers
    if not os.access(servers.CORRAL_SERVER, os.X_OK):
        pytest.skip("no corral-server at %s (set CORRAL_BUILD_DIR; dev/test builds it)"
                    % servers.CORRAL_SERVER)
    ensemble = servers.Ensemble(str(tmp_path_factory.mktemp("ensemble")), size=3)
    for m in ensemble.members.values():
        m.config.update(servers.metrics_config())
    try:
        ensemble.start()

        def scrape(m):
            with urllib.request.urlopen(m.metrics_url, timeout=5) as r:
                return r.read().decode()

        def settled():
            # The leader reports its synced followers once both have caught up.
            texts = {i: scrape(m) for i, m in ensemble.members.items()}
            leaders = [t for t in texts.values() if re.search(r"^leader_uptime ", t, re.M)]
            if len(leaders) == 1 and re.search(r"^synced_followers 2(\.0+)?$", leaders[0], re.M):
                return texts
            return None
        yield wait_until("the leader to report 2 synced followers", settled, 60)
    finally:
        ensemble.stop()


def sample_names(text):
    return {re.split(r"[{ ]", line, 1)[0] for line in text.splitlines()
            if line and not line.startswith("#")}


def test_every_queried_metric_is_exported(helm, live_scrapes):
    exported = set().union(*(sample_names(t) for t in live_scrapes.values()))
    missing = {}
    for where, expr in queries(helm).items():
        names = metric_names(expr) - SYNTHETIC
        assert names or where.startswith("variable") or "up{" in expr, where
        for n in names - exported:
            missing.setdefault(n, []).append(where)
    assert missing == {}, "not in a live scrape of corral-server: %s" % missing


def test_live_metrics_have_the_shape_the_alerts_assume(live_scrapes):
    """NoLeader reads leader_uptime as present on the leader only; FollowerOutOfSync compares
    the leader's synced_followers with quorum_size - 1; FsyncLatencyHigh reads the 0.5
    quantile of fsynctime. A healthy ensemble must leave each quiet."""
    leaders = [i for i, t in live_scrapes.items() if re.search(r"^leader_uptime ", t, re.M)]
    assert len(leaders) == 1
    for i, text in live_scrapes.items():
        assert re.search(r"^quorum_size 3(\.0+)?$", text, re.M), text
        assert re.search(r'^fsynctime\{quantile="0\.5"\} ', text, re.M), text
        assert re.search(r"^# TYPE looking_count counter$", text, re.M)
        assert re.search(r"^outstanding_requests 0(\.0+)?$", text, re.M)
        has_synced = re.search(r"^synced_followers ", text, re.M) is not None
        assert has_synced == (i in leaders)


# -- against the real API server -------------------------------------------------------------------

def established(kube, name):
    crd = kube.get("crd", name)
    return any(c["type"] == "Established" and c["status"] == "True"
               for c in crd.get("status", {}).get("conditions", []))


@pytest.fixture(scope="module")
def monitoring_crds(kube, crd):
    names = []
    for f in ("monitoring.coreos.com_servicemonitors.yaml", "monitoring.coreos.com_prometheusrules.yaml"):
        kube.kubectl("apply", "--server-side", "-f", os.path.join(DATA, f))
        with open(os.path.join(DATA, f)) as fh:
            names.append(yaml.safe_load(fh)["metadata"]["name"])
    for n in names:
        wait_until(n + " Established", lambda: established(kube, n), 30)
    wait_until("servicemonitors in discovery",
               lambda: kube.kubectl("get", "servicemonitors,prometheusrules", "-A",
                                    check=False).returncode == 0, 30)
    for ns in (NAMESPACE, "grafana"):
        if kube.kubectl("get", "namespace", ns, check=False).returncode != 0:
            kube.kubectl("create", "namespace", ns)
    return names


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_server_side_dry_run_accepts_every_object(helm, kube, monitoring_crds, scenario):
    text = template_text(helm, "--include-crds", *SCENARIOS[scenario])
    objs = [o for o in yaml.safe_load_all(text) if o]
    proc = kube.kubectl("apply", "--server-side", "--dry-run=server", "--field-manager=helm-test",
                        "-f", "-", input=text, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == len(objs), proc.stdout
    assert all(line.endswith("(server dry run)") for line in lines), proc.stdout


def test_helm_install_against_the_api_server(helm, kube, monitoring_crds):
    """helm install --dry-run=server: the chart's Capabilities come from the real discovery (so
    the monitoring objects are included), and NOTES.txt tells how to connect and to scale."""
    proc = run_helm(helm, "install", "zk", CHART, "--namespace", NAMESPACE, "--dry-run=server",
                    "--kubeconfig", kube.kubeconfig, "--set", "ensemble.enabled=true")
    out = proc.stdout
    for kind in ("kind: ServiceMonitor", "kind: PrometheusRule", "kind: Ensemble"):
        assert kind in out, kind
    notes = out[out.index("NOTES:"):]
    assert "zk-client.corral-system.svc:2181" in notes, notes
    assert "kubectl -n corral-system scale ensemble/zk --replicas=5" in notes, notes
    assert "antiAffinity is Required" in notes, notes


def test_dry_run_refuses_what_the_schemas_refuse(helm, kube, monitoring_crds):
    """The vendored schemas really validate: a rendered ServiceMonitor with a malformed interval,
    a PrometheusRule with an unknown field and an Ensemble with an even replica count are
    refused."""
    objs = render(helm, "--set", "ensemble.enabled=true", "--set", "ensemble.replicas=4")
    ens = one(objs, "Ensemble")
    sm = next(o for o in objs if o["kind"] == "ServiceMonitor")
    sm["spec"]["endpoints"][0]["interval"] = "soon"
    rule = one(objs, "PrometheusRule")
    rule["spec"]["groups"][0]["rules"][0]["severity"] = "warning"
    for obj, error in ((ens, "spec.replicas must be odd"), (sm, "spec.endpoints[0].interval"),
                       (rule, "rules[0].severity: field not declared in schema")):
        proc = kube.kubectl("apply", "--server-side", "--dry-run=server", "-f", "-",
                            input=obj, check=False)
        assert proc.returncode != 0 and error in proc.stderr, (obj["kind"], proc.stderr)


def test_alerts_stay_quiet_on_a_live_healthy_ensemble(helm, live_scrapes, tmp_path):
    """The samples of the live 3-member ensemble, held for an hour as the ServiceMonitor would
    label them (job, namespace, ensemble, pod; up = 1), fire none of the alerts."""
    groups = rule_groups(helm)
    for g in groups:
        for r in g["rules"]:
            r.pop("annotations", None)
    used = set().union(*(metric_names(r["expr"]) for g in groups for r in g["rules"])) - SYNTHETIC
    series = []
    for i, text in sorted(live_scrapes.items()):
        target = 'job="corral",namespace="db",ensemble="zk",pod="zk-%d"' % (i - 1)
        series.append({"series": "up{%s}" % target, "values": "1x60"})
        for line in text.splitlines():
            m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$", line)
            if not m or m.group(1) not in used:
                continue
            labels = target + ("," + m.group(2) if m.group(2) else "")
            value = float(m.group(3))
            if value != value:  # NaN: a summary quantile with no observations yet
                continue
            series.append({"series": "%s{%s}" % (m.group(1), labels), "values": "%gx60" % value})
    alerts = sorted(r["alert"] for g in groups for r in g["rules"])
    (tmp_path / "corral-alerts.yaml").write_text(yaml.safe_dump({"groups": groups}))
    (tmp_path / "live_test.yaml").write_text(yaml.safe_dump({
        "rule_files": ["corral-alerts.yaml"], "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": series,
                   "alert_rule_test": [{"eval_time": "59m", "alertname": a, "exp_alerts": []}
                                       for a in alerts]}]}))
    proc = subprocess.run([PROMTOOL, "test", "rules", "live_test.yaml"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # The series the quiet alerts read were there (a rule reading nothing is quiet too).
    names = {s["series"].split("{")[0] for s in series}
    assert {"quorum_size", "leader_uptime", "synced_followers", "looking_count", "fsynctime",
            "outstanding_requests"} <= names, names
