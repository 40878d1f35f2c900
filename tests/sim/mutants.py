#!/usr/bin/python3
"""Mutation check of the ZooKeeper-history scenarios (tests/sim/zookeeper_history_test.cc),
of the membership scenarios (tests/sim/membership_test.cc) and of the restart scenario
(tests/sim/restart_test.cc).

Each scenario claims that an implementation with the historical ZooKeeper bug would fail it.
This script makes that claim checkable: every mutant below re-creates one bug in a copy of the
source (the naive consensus core or driver that ZooKeeper had), builds the simulator tests from
that copy, and runs the scenario that must catch it. A mutant that survives (its scenario
passes) means the scenario no longer tests what its comment says.

A mutant is a list of exact replacements; each `before` text must occur exactly once in its
file, so when the code changes under a mutant the check fails loudly instead of testing
nothing. Update the mutant with the code.

Usage: tests/sim/mutants.py [--build-dir DIR] [--only NAME] (dev/mutants runs it).
"""
import argparse
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPLICA = "server/src/consensus/replica.cc"

MUTANTS = [
    {
        "name": "vote-ignores-log",
        "bug": "ZOOKEEPER-1154: a member votes for a candidate whatever its log holds",
        "catches": ["ZooKeeperHistory.Zk1154AcknowledgedWriteSurvivesWithoutTheHighestZxidMember"],
        "edits": [(REPLICA, "bool up_to_date = m.last_zxid >= last_zxid();",
                   "bool up_to_date = true;")],
    },
    {
        "name": "restart-trusts-whole-log",
        "bug": "ZOOKEEPER-2845: a restarted member takes everything in its log as committed",
        "catches": ["ZooKeeperHistory.Zk2845UncommittedEntryOfIsolatedLeaderIsTruncated"],
        "edits": [(REPLICA, "commit_zxid_ = applied_zxid_ = handed_commit_zxid_ = base_zxid_;",
                   "applied_zxid_ = handed_commit_zxid_ = base_zxid_;\n"
                   "  commit_zxid_ = last_zxid();")],
    },
    {
        "name": "snapshot-stamped-with-log-end",
        "bug": "ZOOKEEPER-3104: a snapshot is stamped with the last logged zxid, ahead of what "
               "it holds",
        "catches": ["ZooKeeperHistory.Zk3104RestartFromFollowerSnapshotSkipsNothing"],
        "edits": [("server/sim/sim_disk.cc",
                   "const int64_t zxid = state->last_applied_zxid();",
                   "const int64_t zxid = std::max(state->last_applied_zxid(),\n"
                   "                              log_.empty() ? int64_t{0} : log_.back().zxid);")],
    },
    {
        "name": "snapshot-acked-before-durable",
        "bug": "ZOOKEEPER-3642: a follower answers a snapshot it holds in memory only",
        "catches": ["ZooKeeperHistory.Zk3642CrashDuringSnapshotSyncThenDiffSync"],
        "edits": [(REPLICA, "  reply.match_zxid = m.snapshot_zxid;\n  Send(std::move(reply), true);",
                   "  reply.match_zxid = m.snapshot_zxid;\n  Send(std::move(reply), false);")],
    },
    {
        "name": "append-acked-before-durable",
        "bug": "ZOOKEEPER-3911: a follower acknowledges synced entries before they are durable",
        "catches": ["ZooKeeperHistory.Zk3911FollowerAckMeansDurable"],
        # Caught by the write it loses too, not only by the simulator's check that every
        # acknowledgement is backed by the disk (Zk3642 and Zk4785 rely on that check).
        "also_without_promise_check": True,
        "edits": [(REPLICA, "  // Sent once everything up to last_new is durable (the driver persists "
                   "this Ready first).\n  Send(std::move(reply), /*after_persist=*/true);",
                   "  Send(std::move(reply), /*after_persist=*/false);")],
    },
    {
        "name": "election-compares-epoch-first",
        "bug": "ZOOKEEPER-4394: elections compare epochs before logs, so a member with a new "
               "epoch and an old log wins",
        "catches": ["ZooKeeperHistory.Zk4394EpochDurableBeforeEntriesLosesNothing"],
        "edits": [(REPLICA, "bool up_to_date = m.last_zxid >= last_zxid();",
                   "bool up_to_date = m.epoch - 1 > hard_.epoch ||\n"
                   "                    (m.epoch - 1 == hard_.epoch && "
                   "m.last_zxid >= last_zxid());")],
    },
    {
        "name": "driver-acks-while-writing",
        "bug": "ZOOKEEPER-4785: the driver sends acknowledgements while the write they promise "
               "is still in progress",
        "catches": ["ZooKeeperHistory.Zk4785ProposalsDuringSyncAreDurableWhenAcked"],
        "edits": [("server/sim/sim_member.cc", "  SendAll(rd.messages_now);\n",
                   "  SendAll(rd.messages_now);\n"
                   "  std::vector<Message> acks;\n"
                   "  for (const Message& m : rd.messages) {\n"
                   "    if (m.type == MessageType::kAppendReply) acks.push_back(m);\n"
                   "  }\n"
                   "  SendAll(acks);\n"),
                  ("server/sim/sim_member.cc", "  disk_.Sync();\n  SendAll(rd.messages);\n",
                   "  disk_.Sync();\n"
                   "  std::vector<Message> rest;\n"
                   "  for (const Message& m : rd.messages) {\n"
                   "    if (m.type != MessageType::kAppendReply) rest.push_back(m);\n"
                   "  }\n"
                   "  SendAll(rest);\n")],
    },
    {
        "name": "sync-from-log-with-hole",
        "bug": "ZOOKEEPER-4925: a new leader syncs a stale member from a log with a hole in its "
               "older epochs",
        "catches": ["ZooKeeperHistory.Zk4925NoHoleCarriedToANewLeader"],
        "edits": [(REPLICA, "  // A follower may only take the commit point as far as what it "
                   "matched of this message.\n",
                   "  if (!m.entries.empty() && EpochOf(m.entries.front().zxid) < hard_.epoch) {\n"
                   "    m.entries.erase(m.entries.begin());\n  }\n"
                   "  // A follower may only take the commit point as far as what it matched of "
                   "this message.\n")],
    },
    {
        "name": "two-voters-at-once",
        "bug": "a membership change of two voters at once (old and new majorities need not "
               "intersect)",
        "catches": ["Membership.TwoVoterChangesAtOnceAreRefused"],
        "edits": [(REPLICA, "if (VoterChanges(membership_, next) > 1) {", "if (false) {")],
    },
    {
        "name": "single-voter-leads-before-durable",
        "bug": "a single voter leads the moment it votes for itself, before its epoch is "
               "durable",
        "catches": ["Membership.ChangesAmongFaultsKeepEveryInvariant"],
        "edits": [(REPLICA, "    if (pre_vote) StartElection(false);\n    return;",
                   "    if (pre_vote) {\n      StartElection(false);\n    } else {\n"
                   "      BecomeLeader();\n    }\n    return;")],
    },
    {
        "name": "only-current-voters-vote",
        "bug": "a member answers only candidates its newest configuration lists, and only while "
               "that configuration lists it as a voter",
        "catches": ["Membership.ChangesAmongFaultsKeepEveryInvariant"],
        "edits": [(REPLICA, "if (m.last_zxid == 0 && !KnownVoter(m.from)) return;",
                   "if (!IsVoter(m.from) || !IsVoter(options_.id)) return;")],
    },
    {
        "name": "unknown-leader-ignored",
        "bug": "a member drops the appends of a leader its configuration does not list yet",
        "catches": ["Membership.ChangesAmongFaultsKeepEveryInvariant"],
        "edits": [(REPLICA, "const bool judged_later = m.type == MessageType::kAppend || "
                   "m.type == MessageType::kSnapshot ||\n",
                   "const bool judged_later = ")],
    },
    {
        "name": "no-leader-stickiness",
        "bug": "members answer campaigns while they hear a live leader, so the early campaign "
               "of a member that has just restarted deposes a healthy leader",
        "catches": ["Restart.EarlyCampaignOfARestartedFollowerChangesNoLeaderAndNoEpoch"],
        "edits": [(REPLICA, "if (m.epoch > hard_.epoch && in_lease) return;",
                   "(void)in_lease;")],
    },
]


def copy_sources(dest):
    """The tracked files of the working tree (with uncommitted edits), nothing built."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True,
                           capture_output=True).stdout.split(b"\0")
    for f in files:
        if not f:
            continue
        rel = f.decode()
        src = os.path.join(ROOT, rel)
        dst = os.path.join(dest, rel)
        if not os.path.isfile(src):
            continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        # Unchanged files are left alone, so ninja rebuilds only what changed.
        if not os.path.exists(dst) or open(src, "rb").read() != open(dst, "rb").read():
            shutil.copy(src, dst)
    # Files the working tree no longer has (a source deleted or renamed since the last run)
    # must go too: the build globs the source directories and would still compile them.
    tracked = {f.decode() for f in files if f}
    for dirpath, _, names in os.walk(dest):
        for name in names:
            path = os.path.join(dirpath, name)
            if os.path.relpath(path, dest) not in tracked:
                os.remove(path)


def apply_edits(src_dir, edits):
    for rel, before, after in edits:
        path = os.path.join(src_dir, rel)
        text = open(path).read()
        count = text.count(before)
        if count != 1:
            raise SystemExit("mutant text found %d times in %s (update tests/sim/mutants.py):\n%s"
                             % (count, rel, before))
        with open(path, "w") as f:
            f.write(text.replace(before, after))


def restore(src_dir, edits):
    # A fresh timestamp (shutil.copy, not copy2), newer than the mutant's objects: ninja must
    # rebuild them.
    for rel, _, _ in edits:
        shutil.copy(os.path.join(ROOT, rel), os.path.join(src_dir, rel))


def build(src_dir, build_dir):
    if not os.path.exists(os.path.join(build_dir, "build.ninja")):
        subprocess.run(["cmake", "-S", src_dir, "-B", build_dir, "-G", "Ninja",
                        "-DCMAKE_BUILD_TYPE=RelWithDebInfo"], check=True,
                       stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", build_dir, "--target", "corral_sim_tests", "-j",
                    str(os.cpu_count() or 2)], check=True, stdout=subprocess.DEVNULL)


def run_test(build_dir, test, promise_check=True):
    """True when the scenario passes. A scenario may also end by an assertion in the core."""
    binary = os.path.join(build_dir, "bin", "corral_sim_tests")
    env = dict(os.environ)
    env.pop("CORRAL_SIM_NO_PROMISE_CHECK", None)
    if not promise_check:
        env["CORRAL_SIM_NO_PROMISE_CHECK"] = "1"
    r = subprocess.run([binary, "--gtest_filter=" + test], capture_output=True, text=True,
                       timeout=600, env=env)
    if "[==========] 0 tests" in r.stdout:
        # A filter that matches nothing passes: a renamed scenario, or a new file that is not
        # tracked yet (only tracked files are copied), would let every mutant "survive" silently
        # or, worse, pass the check of the unmutated code.
        raise SystemExit("no scenario named %s in the copied sources (renamed, or its file "
                         "not tracked by git yet?)" % test)
    return r.returncode == 0, (r.stdout + r.stderr)


def first_failure(output):
    """The first line that says what failed: a checker verdict, an assertion, or a gtest
    expectation."""
    lines = output.splitlines()
    for line in lines:
        if line.startswith("simulation check failed: "):
            return line
    for i, line in enumerate(lines):
        if "Failure" in line and i + 1 < len(lines):
            return " ".join(l.strip() for l in lines[i + 1:i + 3])
        if "assertion" in line.lower() or "check failed" in line.lower():
            return line.strip()
    return "(exit status only)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", default=os.path.join(ROOT, "build-mutants"))
    parser.add_argument("--only", help="run one mutant by name")
    args = parser.parse_args()
    src_dir = os.path.join(args.build_dir, "src")
    obj_dir = os.path.join(args.build_dir, "build")
    os.makedirs(src_dir, exist_ok=True)
    copy_sources(src_dir)
    mutants = [m for m in MUTANTS if not args.only or m["name"] == args.only]
    if not mutants:
        raise SystemExit("no mutant named %s" % args.only)

    # The unmutated scenarios must pass, or a "killed" mutant would prove nothing.
    build(src_dir, obj_dir)
    for m in mutants:
        for test in m["catches"]:
            ok, out = run_test(obj_dir, test)
            if not ok:
                print(out[-3000:])
                raise SystemExit("%s fails without any mutant" % test)

    survivors = []
    for m in mutants:
        start = time.monotonic()
        apply_edits(src_dir, m["edits"])
        try:
            build(src_dir, obj_dir)
            modes = [True] + ([False] if m.get("also_without_promise_check") else [])
            for test in m["catches"]:
                for promise_check in modes:
                    ok, out = run_test(obj_dir, test, promise_check)
                    verdict = "SURVIVED" if ok else "killed"
                    print("%-32s %-8s by %s%s (%.0f s)\n    bug: %s" % (
                        m["name"], verdict, test.split(".")[1],
                        "" if promise_check else " without the promise check",
                        time.monotonic() - start, m["bug"]))
                    if not ok:
                        print("    how: " + first_failure(out))
                    if ok:
                        survivors.append(m["name"])
        finally:
            restore(src_dir, m["edits"])
    build(src_dir, obj_dir)  # leave the copy unmutated
    if survivors:
        print("mutants not caught by their scenario: " + ", ".join(survivors))
        return 1
    print("every mutant was caught by its scenario (%d)" % len(mutants))
    return 0


if __name__ == "__main__":
    sys.exit(main())
