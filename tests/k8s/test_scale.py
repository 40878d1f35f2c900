"""`kubectl scale ensemble/zk --replicas=5`, then back to 3, under continuous writes from
in-cluster clients (through the client Service's name): the operator adds one voter at a time
(a pod started, caught up, then `reconfig -add`) and removes one at a time (`reconfig -remove`,
highest id first, then the StatefulSet shrinks); every step is timed, and at the end every
acknowledged write is on every member. The second test deletes pods in the middle of both
directions: the joining member's pod before it is added, and a voter's while a member is being
removed; the ensemble still converges and loses no acknowledged write.
"""
import json
import re
import time

import pytest

from clients import EnsembleWatch, WriterPod
from kubeapi import wait_until
from scenario import (NAME, assert_every_member_holds, dump, ensemble, figure, members,
                      operator_events, wait_serving)

CLIENT_ERRORS = {"ConnectionLoss", "ConnectionDropped", "ZCONNECTIONLOSS", "ZOPERATIONTIMEOUT"}


def status(cluster, namespace):
    return cluster.get("ens", NAME, "-n", namespace).get("status", {})


def live_config(cluster, namespace):
    """/zookeeper/config's server lines, read through a member after a sync."""
    from kazoo.client import KazooClient
    ps = members(cluster, namespace, NAME)
    ip = next(p["status"]["podIP"] for p in ps.values() if p["status"].get("podIP"))
    c = KazooClient(hosts="%s:2181" % ip, timeout=10)
    c.start(timeout=30)
    try:
        c.sync("/zookeeper/config")
        data, _ = c.get("/zookeeper/config")
    finally:
        c.stop()
        c.close()
    return sorted(line.split("=")[0] for line in data.decode().splitlines()
                  if line.startswith("server."))


def voters_step(cluster, namespace, checks, watch, k, since, timeout=60):
    """Waits until the operator's status has said the live configuration has k voters (at or
    after `since`, by the Ensemble watch, so a step shorter than a poll is not missed); returns
    when it said so."""
    try:
        return wait_until("%d voters in the configuration" % k, lambda: watch.first(
            lambda e: e.get("status", {}).get("replicas") == k, since), timeout, checks,
            interval=0.05)
    except TimeoutError as e:
        st = status(cluster, namespace)
        raise AssertionError("%s\nconditions: %s\nevents: %s\n%s" % (
            e, json.dumps(st.get("conditions")),
            [(x["reason"], x["message"]) for x in operator_events(cluster, namespace, NAME)][-8:],
            dump(cluster, namespace)))


def start(cluster, namespace, node_agent, operator, label):
    if operator is None:
        pytest.skip("needs corral-operator (it drives the membership changes)")
    checks = [node_agent.check_alive, operator.check_alive]
    t0 = time.monotonic()
    cluster.kubectl("apply", "-f", "-", input=ensemble(namespace))
    wait_serving(cluster, namespace, NAME, 3, checks)
    figure("%s_time_to_3_serving_s" % label, time.monotonic() - t0)
    service = "%s-client.%s.svc:2181" % (NAME, namespace)
    writers = [WriterPod(cluster, node_agent, namespace, "writer-kazoo", service,
                         "/%s-kazoo" % label, "kazoo").start(),
               WriterPod(cluster, node_agent, namespace, "writer-c", service, "/%s-c" % label,
                         "c").start()]
    for w in writers:
        w.wait_acked(100, 60, checks)
    return checks, writers


def finish(cluster, namespace, writers, label):
    for w in writers:
        w.wait_acked(50, 60)  # writes go on after the last step
    acked = set()
    for w in writers:
        acked |= w.stop()
        figure("%s_%s_writes_acknowledged" % (label, w.kind), len(w.acked))
        figure("%s_%s_client_errors" % (label, w.kind), w.errors)
        assert set(w.errors) <= CLIENT_ERRORS, (w.name, w.errors)
    assert_every_member_holds(cluster, namespace, NAME, acked)


def test_scale_3_to_5_to_3(cluster, namespace, node_agent, operator):
    checks, writers = start(cluster, namespace, node_agent, operator, "scale")
    n = ["-n", namespace]
    watch = EnsembleWatch(cluster, namespace, NAME)

    t_up = t = time.monotonic()
    cluster.kubectl("scale", "ensemble/" + NAME, "--replicas=5", *n)
    for k in (4, 5):
        at = voters_step(cluster, namespace, checks, watch, k, t_up)
        figure("scale_up_to_%d_voters_s" % k, at - t)
        t = at
    wait_serving(cluster, namespace, NAME, 5, checks)
    figure("scale_up_to_5_pods_serving_s", time.monotonic() - t_up)
    assert live_config(cluster, namespace) == ["server.%d" % i for i in range(1, 6)]
    for w in writers:
        figure("scale_up_longest_write_gap_%s_s" % w.kind, w.longest_gap(t_up))
        w.wait_acked(50, 60, checks)

    t_down = t = time.monotonic()
    cluster.kubectl("scale", "ensemble/" + NAME, "--replicas=3", *n)
    for k in (4, 3):
        at = voters_step(cluster, namespace, checks, watch, k, t_down)
        figure("scale_down_to_%d_voters_s" % k, at - t)
        t = at
    after = wait_serving(cluster, namespace, NAME, 3, checks)
    figure("scale_down_to_3_pods_serving_s", time.monotonic() - t_down)
    watch.stop()
    assert watch.error is None, watch.error
    assert sorted(after) == ["zk-0", "zk-1", "zk-2"]
    assert live_config(cluster, namespace) == ["server.1", "server.2", "server.3"]
    for w in writers:
        figure("scale_down_longest_write_gap_%s_s" % w.kind, w.longest_gap(t_down))
    # One voter at a time, as the operator's status said it: 3, 4, 5, 4, 3.
    said = []
    for _, _, e in watch.snapshot():
        r = e.get("status", {}).get("replicas")
        if r and (not said or said[-1] != r):
            said.append(r)
    assert said == [3, 4, 5, 4, 3], said

    # One member per step, in order: 4 then 5 in, 5 then 4 out (as the operator's Events name
    # them), the claims of removed members kept (reclaimPolicy Retain, the default) and their
    # ordinals recorded as scale-ins.
    def ids(reasons):
        out = []
        for e in operator_events(cluster, namespace, NAME):
            m = re.search(r"(?:member|voter) (\d+)", e["message"])
            if e["reason"] in reasons and m and (not out or out[-1] != int(m.group(1))):
                out.append(int(m.group(1)))
        return out
    assert ids(("AddingMember", "PromotingMember")) == [4, 5]
    assert ids(("RemovingMember",)) == [5, 4]
    claims = sorted(c["metadata"]["name"] for c in cluster.get("pvc", *n)["items"])
    assert claims == ["data-zk-%d" % i for i in range(5)], claims
    assert sorted(status(cluster, namespace).get("scaleIns", [])) == [3, 4]
    finish(cluster, namespace, writers, "scale")


def test_pods_deleted_in_the_middle_of_scaling(cluster, namespace, node_agent, operator):
    checks, writers = start(cluster, namespace, node_agent, operator, "midscale")
    n = ["-n", namespace]
    watch = EnsembleWatch(cluster, namespace, NAME)

    # Up: once member 4 is in, delete the pod of member 5 while it is starting or catching up,
    # before it is added. The StatefulSet recreates it (same claim, new IP) and the operator
    # adds it once it caught up.
    t = time.monotonic()
    cluster.kubectl("scale", "ensemble/" + NAME, "--replicas=5", *n)
    voters_step(cluster, namespace, checks, watch, 4, t)
    joining = wait_until("zk-4's pod", lambda: members(cluster, namespace, NAME).get("zk-4"), 60,
                         checks, interval=0.05)
    cluster.kubectl("delete", "pod", "zk-4", *n, "--wait=false")
    assert watch.first(lambda e: e.get("status", {}).get("replicas") == 5, t) is None, \
        "member 5 was added before its pod was deleted: nothing deleted mid-step"
    wait_serving(cluster, namespace, NAME, 5, checks)
    figure("midscale_up_with_delete_s", time.monotonic() - t)
    new = members(cluster, namespace, NAME)["zk-4"]
    assert new["metadata"]["uid"] != joining["metadata"]["uid"]
    assert live_config(cluster, namespace) == ["server.%d" % i for i in range(1, 6)]

    # Down: a follower's pod deleted the moment the scale-down is asked for (through the
    # scale subresource, as kubectl scale does, then the delete, a few milliseconds apart, so
    # the operator is between 5 and 3 voters when the member goes): it removes no more voters
    # until that member serves again, then finishes.
    leader = status(cluster, namespace)["leader"]
    victim = next(x for x in ("zk-1", "zk-0", "zk-2") if x != leader)
    t = time.monotonic()
    code, body = cluster.request(
        "PATCH", "/apis/corral.dev/v1alpha1/namespaces/%s/ensembles/%s/scale" % (namespace, NAME),
        {"spec": {"replicas": 3}}, content_type="application/merge-patch+json")
    assert code == 200, body
    code, body = cluster.request("DELETE", "/api/v1/namespaces/%s/pods/%s" % (namespace, victim))
    assert code == 200, body
    assert watch.first(lambda e: e.get("status", {}).get("replicas") == 3, t) is None, \
        "the scale-down finished before the pod was deleted: nothing deleted mid-step"
    after = wait_serving(cluster, namespace, NAME, 3, checks)
    figure("midscale_down_with_delete_s", time.monotonic() - t)
    watch.stop()
    assert sorted(after) == ["zk-0", "zk-1", "zk-2"]
    assert live_config(cluster, namespace) == ["server.1", "server.2", "server.3"]
    for w in writers:
        figure("midscale_longest_write_gap_%s_s" % w.kind, w.longest_gap(t))
    finish(cluster, namespace, writers, "midscale")
