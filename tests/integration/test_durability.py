"""Durability with real processes: corral-server is killed with SIGKILL at random moments while
a writer issues creates, setData, sequential creates and multis; after every restart each
acknowledged write must be there, no multi may be half-applied, and sequential counters never go
back. Writes in flight at the kill may or may not have survived (their clients never heard), but
whatever survived must be one of the values that were sent.

CORRAL_KILL_CYCLES (default 50) sets the number of kill/restart cycles; CORRAL_KILL_SEED the seed.
"""
import os
import random
import signal
import socket
import threading

import pytest

import zkwire as z
from conftest import TARGET
from servers import CorralServer, wait_until

CYCLES = int(os.environ.get("CORRAL_KILL_CYCLES", "50"))
SEED = int(os.environ.get("CORRAL_KILL_SEED", str(random.randrange(1 << 30))))

pytestmark = pytest.mark.skipif(TARGET == "zookeeper", reason="kills and restarts corral-server")


class Model:
    """What the writer sent and what the server acknowledged."""

    def __init__(self):
        self.created = set()            # acknowledged creates
        self.values = {}                # path -> list of values sent by setData, in order
        self.acked_index = {}           # path -> index in values of the last acknowledged one
        self.multis = []                # (a, b, acknowledged)
        self.seq_acked_max = -1         # highest acknowledged sequential suffix

    def check(self, c, cycle):
        where = "cycle %d (seed %d)" % (cycle, SEED)
        for p in sorted(self.created):
            assert c.exists(p) is not None, "%s: acknowledged create of %s lost" % (where, p)
        for p, sent in self.values.items():
            got = c.get_data(p)[0]
            first = self.acked_index.get(p, -1)
            allowed = sent[first:] if first >= 0 else [b"initial"] + sent
            assert got in allowed, "%s: %s holds %r; acknowledged %r, later sent %r" % (
                where, p, got, sent[first] if first >= 0 else None, sent[first + 1:])
        for a, b, acked in self.multis:
            has_a, has_b = c.exists(a) is not None, c.exists(b) is not None
            assert has_a == has_b, "%s: multi half-applied: %s=%s %s=%s" % (
                where, a, has_a, b, has_b)
            if acked:
                assert has_a, "%s: acknowledged multi %s,%s lost" % (where, a, b)
        # A new sequential node numbers after everything acknowledged before the crash.
        name = c.create("/seq/n-", flags=z.PERSISTENT_SEQUENTIAL)
        suffix = int(name[-10:])
        assert suffix > self.seq_acked_max, "%s: sequential counter went back: %d <= %d" % (
            where, suffix, self.seq_acked_max)
        self.seq_acked_max = suffix


def write_until_killed(c, model, rng, counter):
    """Issues writes in small pipelined batches until the connection dies."""
    while True:
        batch = []
        for _ in range(rng.randint(1, 8)):
            counter[0] += 1
            i = counter[0]
            kind = rng.random()
            if kind < 0.35:
                p = "/d/n%d" % i
                batch.append(("create", p, z.OP_CREATE, z.create_request(p, b"v%d" % i)))
            elif kind < 0.65:
                p = "/k/key%d" % rng.randrange(8)
                v = b"val%d" % i
                batch.append(("set", (p, v), z.OP_SET_DATA, z.set_data_request(p, v)))
            elif kind < 0.8:
                batch.append(("seq", None, z.OP_CREATE,
                              z.create_request("/seq/n-", b"", None, z.PERSISTENT_SEQUENTIAL)))
            else:
                a, b = "/m/a%d" % i, "/m/b%d" % i
                body = z.multi_request([(z.OP_CREATE, z.create_request(a, b"x")),
                                        (z.OP_CREATE, z.create_request(b, b"y"))])
                batch.append(("multi", (a, b), z.OP_MULTI, body))
        sent = []
        try:
            for what, arg, op, body in batch:
                if what == "set":
                    model.values[arg[0]].append(arg[1])
                elif what == "multi":
                    model.multis.append([arg[0], arg[1], False])
                sent.append((what, arg, c.send(op, body), len(model.multis) - 1))
            for what, arg, xid, multi_index in sent:
                r = c.wait_reply(xid, timeout=10)
                assert r.err == z.OK or what == "multi", "write failed: %s" % z.err_name(r.err)
                if what == "create":
                    model.created.add(arg)
                elif what == "set":
                    model.acked_index[arg[0]] = len(model.values[arg[0]]) - 1 - \
                        model.values[arg[0]][::-1].index(arg[1])
                elif what == "seq":
                    model.seq_acked_max = max(model.seq_acked_max,
                                              int(z.decode_response(z.OP_CREATE, r.body)[-10:]))
                elif what == "multi":
                    results = z.decode_response(z.OP_MULTI, r.body)
                    assert all(res.err == z.OK for res in results), results
                    model.multis[multi_index][2] = True
        except socket.timeout:
            raise  # a reply that never came is a hang, not the kill
        except (z.ConnectionClosed, OSError):
            return


def test_acknowledged_writes_survive_kill9(tmp_path):
    rng = random.Random(SEED)
    # A small snapCount so snapshots (forked children) are taken, and sometimes killed, during
    # the test; a small preallocation keeps the segments small.
    server = CorralServer(str(tmp_path), {"snapCount": "300", "preAllocSize": "1024"})
    model = Model()
    counter = [0]
    server.start()
    try:
        c = z.connect(server.connect_string)
        for p in ("/d", "/k", "/seq", "/m"):
            c.create(p)
        for i in range(8):
            c.create("/k/key%d" % i, b"initial")
            model.values["/k/key%d" % i] = []
        c.close()
        for cycle in range(CYCLES):
            c = z.connect(server.connect_string)
            model.check(c, cycle)
            delay = rng.uniform(0.02, 0.25)
            pid = server.proc.pid
            timer = threading.Timer(delay, lambda: os.killpg(pid, signal.SIGKILL))
            timer.start()
            write_until_killed(c, model, rng, counter)
            timer.join()
            server.proc.wait()
            server.stop()
            server.start()
        c = z.connect(server.connect_string)
        model.check(c, CYCLES)
        assert len(model.created) > CYCLES, "too few writes were acknowledged to mean anything"

        # Snapshots must be taken (on a slow disk every one forked during the cycles may have
        # been killed with its server): keep writing, without kills, until one is complete.
        def snapshot_taken():
            snapshots = [f for f in os.listdir(server.data_dir)
                         if f.startswith("snapshot.") and not f.endswith(".tmp")]
            if len(snapshots) > 1:
                return True
            for _ in range(50):
                c.create("/d/extra-", flags=z.PERSISTENT_SEQUENTIAL)
            return False
        wait_until(snapshot_taken, timeout=60, what="a snapshot beside the first one")
        c.close()
    finally:
        server.stop(sig=signal.SIGKILL)
