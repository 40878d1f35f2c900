"""A full disk: corral-server runs with its data on a small ext4 image mounted in a private
mount namespace. Filling the disk makes writes fail with an error the client sees (SYSTEMERROR;
ZooKeeper has no code for it) while reads go on; freeing space lets writes through again without
a restart; and after a kill -9 every acknowledged write is there and no refused one is.

Needs root, unshare and mkfs.ext4 (the test machine has them; elsewhere the test says why it
skips).
"""
import errno
import os
import shutil
import signal
import subprocess

import pytest

import zkwire as z
from conftest import TARGET
from servers import CORRAL_SERVER, CorralServer, wait_until

IMAGE_BYTES = 32 << 20


def can_mount():
    if TARGET == "zookeeper":
        return "the test is about corral-server's own disk handling"
    if os.geteuid() != 0:
        return "needs root to mount a loop device in a private mount namespace"
    for tool in ("unshare", "mkfs.ext4", "mount"):
        if shutil.which(tool) is None:
            return "needs %s" % tool
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if probe.returncode != 0:
        return "cannot make a private mount namespace here: " + probe.stderr.strip()
    return None


WHY_NOT = can_mount()
pytestmark = pytest.mark.skipif(WHY_NOT is not None, reason=str(WHY_NOT))


class LoopMountedCorral(CorralServer):
    """corral-server whose dataDir is the root of an ext4 image, mounted only for it."""

    def __init__(self, workdir, image, mount_point):
        super().__init__(workdir, {"preAllocSize": "256", "snapCount": "1000000"})
        self.image = image
        self.mount_point = mount_point
        self.config["dataDir"] = os.path.join(mount_point, "data")

    def command(self, config_path):
        script = 'mount -o loop "$1" "$2" && mkdir -p "$2/data" && exec "$3" "$4"'
        return ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh",
                self.image, self.mount_point, CORRAL_SERVER, config_path]

    def inside(self, *parts):
        """A path under the mount as this process sees it (through /proc/PID/root)."""
        return os.path.join("/proc/%d/root" % self.proc.pid, self.mount_point.lstrip("/"), *parts)


def fill(path):
    """Writes to `path` until the file system is full."""
    with open(path, "wb", buffering=0) as f:
        for chunk in (1 << 20, 64 << 10, 4 << 10, 512):
            block = b"\0" * chunk
            while True:
                try:
                    f.write(block)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
        try:
            os.fsync(f.fileno())
        except OSError:
            pass


def test_full_disk_fails_writes_then_recovers_and_loses_nothing(tmp_path):
    image = str(tmp_path / "disk.img")
    with open(image, "wb") as f:
        f.truncate(IMAGE_BYTES)
    subprocess.run(["mkfs.ext4", "-q", "-F", image], check=True)
    mount_point = str(tmp_path / "mnt")
    os.makedirs(mount_point)
    server = LoopMountedCorral(str(tmp_path), image, mount_point)
    server.start()
    acked, refused = [], []
    try:
        c = z.connect(server.connect_string)
        c.create("/w")
        for i in range(20):
            c.create("/w/before%d" % i, b"x" * 1000)
            acked.append("/w/before%d" % i)
        log_offset = len(server.read_log())

        filler = server.inside("filler")
        fill(filler)
        # Writes now fail, one by one, with an error; nothing hangs and the connection stays.
        for i in range(5000):
            p = "/w/full%d" % i
            r = c.call(z.OP_CREATE, z.create_request(p, b"y" * 1000))
            if r.err == z.OK:
                acked.append(p)
            else:
                assert r.err == z.SYSTEMERROR, z.err_name(r.err)
                refused.append(p)
                if len(refused) >= 5:
                    break
        assert refused, "the disk never filled up"
        assert c.get_data("/w/before0")[0] == b"x" * 1000  # reads are still served
        assert "out of space" in server.read_log()[log_offset:]

        # Space returns: writes go through again, without a restart.
        os.remove(filler)

        def write_works():
            p = "/w/after%d" % (len(acked) + len(refused))
            r = c.call(z.OP_CREATE, z.create_request(p, b"z" * 100))
            if r.err == z.OK:
                acked.append(p)
                return True
            refused.append(p)
            return False
        wait_until(write_works, timeout=20, interval=0.05, what="writes to work again")
        for i in range(20):
            c.create("/w/later%d" % i)
            acked.append("/w/later%d" % i)
        assert "writable again" in server.read_log()[log_offset:]
    finally:
        if server.alive():
            os.killpg(server.proc.pid, signal.SIGKILL)
            server.proc.wait()
        server.stop()

    # Everything acknowledged survived the kill; nothing refused appeared.
    server.start()
    try:
        c = z.connect(server.connect_string)
        for p in acked:
            assert c.exists(p) is not None, "acknowledged %s is lost" % p
        for p in refused:
            assert c.exists(p) is None, "refused %s was applied" % p
        c.close()
    finally:
        server.stop(sig=signal.SIGKILL)
