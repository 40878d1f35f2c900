"""A rolling restart, then an image change, under continuous writes: the operator replaces one
member at a time, followers first and the leader last, each only once the one before is back,
serving and in sync (Ready: the member's /commands/ready), and no acknowledged write is lost.

How they are asked for: a rolling restart is a change of the pod template, here an annotation in
`spec.pod.annotations` (what `kubectl rollout restart` does to a Deployment's template; the
Ensemble has no restart verb); an image change is `spec.image`. The StatefulSet is `OnDelete`:
the operator deletes each pod itself (Events `RestartingMember` / `UpgradingMember` naming the
pod and its role) and the StatefulSet controller makes the new one. The order is asserted twice:
from those Events, and from a watch on the pods (the API server's order of their deletions and
of the replacements becoming Ready), against the leader recorded before the rollout.

The test node runs every server image as this build's corral-server (node_agent.py): an image
change is a template change whose new image each pod's spec and container status report.
"""
import time

import pytest

from clients import PodWatch, WriterPod, ready
from kubeapi import wait_until
from scenario import (assert_every_member_holds, ensemble, figure, members, operator_events,
                      selector, wait_serving, NAME)

NEW_IMAGE = "corral-server:e2e-next"


def rollout(cluster, namespace, checks, writers, patch, reason, label):
    """Applies `patch` to the Ensemble and checks the rollout it starts. Returns the pods after."""
    n = ["-n", namespace]
    before = members(cluster, namespace, NAME)
    leader = cluster.get("ens", NAME, *n)["status"]["leader"]
    seen_events = {e["metadata"]["uid"] for e in operator_events(cluster, namespace, NAME)}
    watch = PodWatch(cluster, namespace, selector(NAME))
    old_uids = {p["metadata"]["uid"]: name for name, p in before.items()}
    # Read before the patch: read after it, a currentImage the operator already moved on would
    # be taken as the old one and the check below could never fire.
    image_before = cluster.get("ens", NAME, *n)["status"]["currentImage"]
    t0 = time.monotonic()
    cluster.kubectl("patch", "ens", NAME, *n, "--type=merge", "-p", patch)

    claimed_early = []  # status.currentImage while members still ran the old template

    def replaced():
        now = members(cluster, namespace, NAME)
        old_left = set(p["metadata"]["uid"] for p in now.values()) & set(old_uids)
        _, ens = cluster.request("GET", "/apis/corral.dev/v1alpha1/namespaces/%s/ensembles/%s"
                                 % (namespace, NAME))
        if old_left and ens["status"].get("currentImage") != image_before:
            claimed_early.append((sorted(old_uids[u] for u in old_left),
                                  ens["status"].get("currentImage")))
        return len(now) == 3 and not old_left
    try:
        wait_until("every member replaced", replaced, 180, checks, interval=0.2)
    except TimeoutError as e:
        raise AssertionError("%s\n%s" % (e, "\n".join(
            "%s %s" % (ev["reason"], ev["message"])
            for ev in operator_events(cluster, namespace, NAME))))
    after = wait_serving(cluster, namespace, NAME, 3, checks)
    figure("%s_rollout_s" % label, time.monotonic() - t0)
    assert not claimed_early, ("status.currentImage named an image members did not all run",
                               claimed_early[:3])
    watch.stop()
    assert watch.error is None, watch.error

    # -- the order, from the pods' history as the API server recorded it --------------------
    deleted = []      # (name, time) in the order their deletion was recorded
    ready_at = {}     # name of a replaced member -> when its new pod became Ready
    ready_before_deletion = []  # for each deletion: which members were Ready just before it
    state = {name: (p["metadata"]["uid"], ready(p)) for name, p in before.items()}
    for t, kind, pod in watch.snapshot():
        name, uid = pod["metadata"]["name"], pod["metadata"]["uid"]
        if uid in old_uids and pod["metadata"].get("deletionTimestamp") and \
                name not in [d for d, _ in deleted]:
            ready_before_deletion.append(
                sorted(x for x, (_, r) in state.items() if r and x != name))
            deleted.append((name, t))
        if kind == "DELETED":
            state[name] = (uid, False)
            continue
        state[name] = (uid, ready(pod) and not pod["metadata"].get("deletionTimestamp"))
        if uid not in old_uids and ready(pod) and name not in ready_at:
            ready_at[name] = t
    order = [name for name, _ in deleted]
    timeline = "\n".join(
        "%7.3f %-8s %s %s ready=%s deleting=%s" % (
            t - t0, kind, pod["metadata"]["name"], pod["metadata"]["uid"][:8], ready(pod),
            bool(pod["metadata"].get("deletionTimestamp"))) for t, kind, pod in watch.snapshot())
    print("%s: pods as the API server recorded them (s after the patch)\n%s" % (label, timeline))
    followers = sorted((x for x in before if x != leader), reverse=True)
    assert order == followers + [leader], (
        "followers first (by descending ordinal, the operator's rule), the leader last",
        order, leader)
    # Each member was deleted only with the other two serving (the one restarted before it
    # back, Ready, in sync): never two down at once.
    for name, others in zip(order, ready_before_deletion):
        assert others == sorted(x for x in before if x != name), (
            "when %s was deleted only %s were Ready" % (name, others), timeline)
    for name, t in deleted:
        figure("%s_%s_deleted_to_ready_s" % (label, "leader" if name == leader else name),
               ready_at[name] - t)

    # -- the same order, from the operator's Events -------------------------------------------
    events = [e for e in operator_events(cluster, namespace, NAME)
              if e["metadata"]["uid"] not in seen_events and e["reason"] == reason]
    said = [e["message"] for e in events]
    assert len(said) == 3, said
    for message, name in zip(said, order):
        # docs/kubernetes.md, "Events": "restarting <pod> (<role it had as it went>): ..."
        role = "leader" if name == leader else "follower"
        assert message.startswith("restarting %s (%s): " % (name, role)), (said, order, leader)

    # -- what clients saw -----------------------------------------------------------------------
    for w in writers:
        gap, at = w.longest_gap_at(t0)
        figure("%s_longest_write_gap_%s_s" % (label, w.kind), gap)
        print("  (from %.2f s after the patch)" % (at - t0))
    return after


def test_rolling_restart_then_image_change(cluster, namespace, node_agent, operator):
    if operator is None:
        pytest.skip("needs corral-operator (it drives the rollout)")
    n = ["-n", namespace]
    checks = [node_agent.check_alive, operator.check_alive]
    t0 = time.monotonic()
    cluster.kubectl("apply", "-f", "-", input=ensemble(namespace))
    wait_serving(cluster, namespace, NAME, 3, checks)
    figure("rolling_time_to_3_serving_s", time.monotonic() - t0)

    service = "%s-client.%s.svc:2181" % (NAME, namespace)
    writers = [WriterPod(cluster, node_agent, namespace, "writer-kazoo", service, "/roll-kazoo",
                         "kazoo").start(),
               WriterPod(cluster, node_agent, namespace, "writer-c", service, "/roll-c",
                         "c").start()]
    for w in writers:
        w.wait_acked(100, 60, checks)

    rollout(cluster, namespace, checks, writers,
            '{"spec":{"pod":{"annotations":{"e2e.corral.dev/restartedAt":"%d"}}}}' % time.time(),
            "RestartingMember", "restart")
    for w in writers:
        w.wait_acked(50, 60, checks)  # writes go on after the leader's restart

    after = rollout(cluster, namespace, checks, writers,
                    '{"spec":{"image":"%s"}}' % NEW_IMAGE, "UpgradingMember", "image")
    for name, p in after.items():
        assert p["spec"]["containers"][0]["image"] == NEW_IMAGE, name
        assert p["status"]["containerStatuses"][0]["image"] == NEW_IMAGE, name
    wait_until("status.currentImage is the new image", lambda: cluster.get(
        "ens", NAME, *n)["status"].get("currentImage") == NEW_IMAGE, 30, checks)
    for w in writers:
        w.wait_acked(50, 60, checks)

    acked = set()
    for w in writers:
        acked |= w.stop()
        figure("rolling_%s_writes_acknowledged" % w.kind, len(w.acked))
        figure("rolling_%s_client_errors" % w.kind, w.errors)
        # What a client may see while members restart: its connection dropped with a request
        # in flight. Nothing else.
        assert set(w.errors) <= {"ConnectionLoss", "ConnectionDropped", "ZCONNECTIONLOSS",
                                 "ZOPERATIONTIMEOUT"}, w.errors
    assert_every_member_holds(cluster, namespace, NAME, acked)
    reasons = [e["reason"] for e in operator_events(cluster, namespace, NAME)]
    assert not [r for r in reasons if r.startswith("Reconfig") or r in (
        "AddingMember", "RemovingMember")], reasons
