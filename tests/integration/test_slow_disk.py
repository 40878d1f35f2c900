"""A slow disk does not stop a member from serving reads.

Every member of a 3-member ensemble runs with each fdatasync made 100 ms slower (the
corral_test_slow_fsync.so shim, LD_PRELOAD), as a cloud volume's flush takes milliseconds. While
one client writes back to back through the leader, another reads from the leader. The reads must
not wait for the leader's fsyncs: a member persists on its disk thread, not on the thread that
serves requests, once its disk has shown itself slow (runtime/replicated_committer.h,
PersistHere).

The bound is wide on purpose. Reads issued back to back while writes go on: when a member
blocks for its fsyncs, every write holds up the read in flight for most of 100 ms, and about half
the reads wait so (measured: 7-11 reads during 5 writes, the slowest 100 ms each time); when it
does not, thousands of reads go through and the slowest took 0.7-2.8 ms. The test asserts the
99th percentile under 50 ms, and first that the writes really take the extra 100 ms.
"""
import os
import threading
import time

import pytest

import zkwire as z
from conftest import TARGET
from servers import BUILD_DIR, Ensemble, wait_until

pytestmark = pytest.mark.skipif(TARGET == "zookeeper", reason="starts a Corral ensemble")

SHIM = os.path.join(BUILD_DIR, "bin", "corral_test_slow_fsync.so")
FSYNC_DELAY_S = 0.1
READ_P99_MAX_S = 0.05


class BackToBackWriter(threading.Thread):
    """setData on one znode, one at a time, until stopped; keeps each write's duration."""

    def __init__(self, port, path):
        super().__init__(daemon=True)
        self.conn = z.connect("127.0.0.1", port, timeout=30.0)
        self.path = path
        self.durations_s = []
        self.error = None
        self.stopping = threading.Event()

    def run(self):
        try:
            while not self.stopping.is_set():
                t0 = time.monotonic()
                self.conn.set_data(self.path, b"x" * 100)
                self.durations_s.append(time.monotonic() - t0)
        except Exception as e:  # reported by the test
            self.error = e

    def stop(self):
        self.stopping.set()
        self.join(timeout=30)
        self.conn.close()


def test_reads_on_the_leader_do_not_wait_for_a_slow_fsync(tmp_path):
    assert os.path.exists(SHIM), "%s is missing: build the tests first" % SHIM
    ensemble = Ensemble(str(tmp_path), size=3)
    for m in ensemble.members.values():
        m.env = {"LD_PRELOAD": SHIM,
                 "CORRAL_TEST_FDATASYNC_DELAY_US": str(int(FSYNC_DELAY_S * 1e6))}
    writer = None
    try:
        leader = ensemble.start().leader()
        setup = z.connect("127.0.0.1", leader.port, timeout=30.0)
        setup.create("/slow", b"")
        setup.close()
        writer = BackToBackWriter(leader.port, "/slow")
        writer.start()
        # A few writes first: each member learns how slow its disk is from its first fsyncs.
        wait_until(lambda: len(writer.durations_s) >= 3 or writer.error, timeout=60,
                   what="three writes")
        assert writer.error is None, writer.error
        assert min(writer.durations_s) >= FSYNC_DELAY_S, (
            "writes took %s s: the shim did not slow fdatasync down" % writer.durations_s)

        reader = z.connect("127.0.0.1", leader.port, timeout=30.0)
        read_durations_s = []
        writes_before = len(writer.durations_s)
        deadline = time.monotonic() + 60
        # Reads span several writes, so most of them are issued while some fsync runs.
        while len(writer.durations_s) < writes_before + 5 and time.monotonic() < deadline:
            t0 = time.monotonic()
            reader.get_data("/slow")
            read_durations_s.append(time.monotonic() - t0)
        reader.close()
        assert writer.error is None, writer.error
        assert len(writer.durations_s) >= writes_before + 5, "the writes stalled"
        read_durations_s.sort()
        p99 = read_durations_s[int(len(read_durations_s) * 0.99)]
        assert p99 < READ_P99_MAX_S, (
            "reads on the leader took %.1f ms at p99 and %.1f ms at the median (%d reads) while "
            "each write's fsync took %.0f ms more: they waited for the fsyncs" % (
                p99 * 1e3, read_durations_s[len(read_durations_s) // 2] * 1e3,
                len(read_durations_s), FSYNC_DELAY_S * 1e3))
    finally:
        if writer is not None:
            writer.stop()
        ensemble.stop()
