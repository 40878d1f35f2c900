"""Fixtures for the tests against a real kube-apiserver (see kubeapi.py).

`kube` (session): etcd and kube-apiserver started once for the whole run, stopped at the end,
also when a test fails. If dev/k8s-tools cannot build the binaries, every test here is skipped
with the build's own error; a server that was built but does not start is an error, not a skip.
`crd` (session): manifests/crd.yaml installed and Established.
`namespace`: a fresh namespace per test.
"""
import itertools
import os

import pytest

from kubeapi import MANIFESTS, KubeAPI, ToolsUnavailable, build_tools, have_openssl, wait_until



@pytest.fixture(scope="session")
def kube(tmp_path_factory):
    if not have_openssl():
        pytest.skip("the Kubernetes API tests need the openssl command (Debian package openssl)")
    try:
        tools = build_tools()
    except ToolsUnavailable as e:
        pytest.skip("Kubernetes tools unavailable: %s" % e)
    api = KubeAPI(str(tmp_path_factory.mktemp("kubeapi")), tools).start()
    try:
        yield api
    finally:
        api.stop()


def crd_established(kube):
    crd = kube.get("crd", "ensembles.corral.dev")
    conditions = {c["type"]: c["status"] for c in crd.get("status", {}).get("conditions", [])}
    return crd if conditions.get("Established") == "True" else None


@pytest.fixture(scope="session")
def crd(kube):
    kube.kubectl("apply", "--server-side", "-f", os.path.join(MANIFESTS, "crd.yaml"))
    crd = wait_until("CRD Established", lambda: crd_established(kube), 30)
    # Discovery (and so `kubectl get ens`) follows the CRD a moment later.
    wait_until("ensembles in discovery",
               lambda: kube.kubectl("get", "ens", "-A", check=False).returncode == 0, 30)
    return crd


_ns_counter = itertools.count()


@pytest.fixture
def namespace(kube):
    name = "t%d" % next(_ns_counter)
    kube.kubectl("create", "namespace", name)
    return name
