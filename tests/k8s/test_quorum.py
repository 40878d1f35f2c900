"""Losing quorum: 2 of 3 members stay down (held by the node agent: killed and not restarted).
Writes stop, the operator says QuorumLost and changes nothing; when they come back the ensemble
serves again with every acknowledged write, and no membership change happened."""
import os
import time

import pytest

from conftest import dump, pod_ready
from kubeapi import wait_until
from scenario import NAME, Writer, children_on, ensemble, figure, ready_pods


def hold_file(node_agent, pod):
    return os.path.join(node_agent.workdir, "pods", pod["metadata"]["uid"], "hold")


def condition(ens, type_):
    return next((c for c in ens.get("status", {}).get("conditions", []) if c["type"] == type_),
                {})


def test_two_of_three_down_then_back(cluster, namespace, node_agent, operator):
    if operator is None:
        pytest.skip("needs corral-operator (its status is part of what is checked)")
    n = ["-n", namespace]
    checks = [node_agent.check_alive, operator.check_alive]
    cluster.kubectl("apply", "-f", "-", input=ensemble(namespace))
    try:
        ready = wait_until("3 pods Ready", lambda: ready_pods(cluster, namespace, 3), 120, checks)
        wait_until("bootstrapped", lambda: cluster.get("ens", NAME, *n).get("status", {}).get(
            "bootstrapped") and cluster.get("ens", NAME, *n)["status"].get("readyReplicas") == 3,
            60, checks)
    except TimeoutError as e:
        raise AssertionError("%s\n%s" % (e, dump(cluster, namespace)))
    ips = sorted(p["status"]["podIP"] for p in ready)
    writer = Writer(",".join("%s:2181" % ip for ip in ips), prefix="q-")
    writer.thread.start()
    wait_until("100 writes acknowledged", lambda: len(writer.acked) >= 100, 30)

    # The leader and one follower go down; the survivor has no quorum.
    leader = cluster.get("ens", NAME, *n)["status"]["leader"]
    by_name = {p["metadata"]["name"]: p for p in ready}
    down = [leader] + [x for x in sorted(by_name) if x != leader][:1]
    t_down = time.monotonic()
    for name in down:
        open(hold_file(node_agent, by_name[name]), "w").close()

    try:
        wait_until("writes stall", lambda: writer.acked_at
                   and time.monotonic() - writer.acked_at[-1] > 2, 30, checks)
        acked_while_down = len(writer.acked)
        ens = wait_until("the operator says QuorumLost", lambda: (
            lambda e: e if condition(e, "Degraded").get("reason") == "QuorumLost" else None)(
            cluster.get("ens", NAME, *n)), 60, checks)
    except TimeoutError as e:
        raise AssertionError("%s\n%s" % (e, dump(cluster, namespace)))
    figure("down_to_quorum_lost_status_s", time.monotonic() - t_down)
    assert condition(ens, "Ready").get("status") == "False"
    assert ens["status"]["phase"] == "QuorumLost"

    t_up = time.monotonic()
    for name in down:
        os.unlink(hold_file(node_agent, by_name[name]))
    try:
        wait_until("3 pods Ready again", lambda: ready_pods(cluster, namespace, 3), 120, checks)
        wait_until("writes resume", lambda: len(writer.acked) >= acked_while_down + 100, 60,
                   checks)
    except TimeoutError as e:
        raise AssertionError("%s\n%s" % (e, dump(cluster, namespace)))
    figure("back_to_3_ready_s", time.monotonic() - t_up)
    gap = writer.longest_gap(t_down)
    figure("client_visible_unavailability_s", gap)
    figure("writes_unavailable_after_quorum_back_s", gap - (t_up - t_down))
    writer.stop()

    for name in down:  # restarted in place, not replaced
        p = cluster.get("pod", name, *n)
        assert p["metadata"]["uid"] == by_name[name]["metadata"]["uid"]
        assert p["status"]["containerStatuses"][0]["restartCount"] >= 1 and pod_ready(p)
    acked = {p.rsplit("/", 1)[1] for p in writer.acked}
    for ip in ips:
        missing = acked - children_on(ip)
        assert not missing, "%s lacks %d acknowledged writes" % (ip, len(missing))
    wait_until("the operator says Ready", lambda: condition(
        cluster.get("ens", NAME, *n), "Ready").get("status") == "True", 60, checks)
    reasons = [e["reason"] for e in cluster.get("events", *n)["items"]]
    assert not [r for r in reasons if r.startswith("Reconfig")], reasons
    assert "QuorumLost" in reasons
