"""Continuous write load from real clients, for the tests that change an ensemble under it
(failover, membership changes): each writer creates znodes one after another and records which
ones the ensemble acknowledged, so a test can check at the end that none was lost, and which
errors its client saw, so a test can check they were only retriable disconnects."""
import os
import subprocess
import threading
import time

from kazoo.client import KazooClient
from kazoo.exceptions import NodeExistsError
from kazoo.retry import KazooRetry

import servers

# What a client may see while members come and go: its connection dropped with a request in
# flight (the outcome of that request is unknown), and nothing else.
RETRIABLE_KAZOO_ERRORS = {"ConnectionLoss", "ConnectionDropped"}
RETRIABLE_C_ERRORS = {"ZCONNECTIONLOSS", "ZOPERATIONTIMEOUT"}


def kazoo_client(hosts, **kwargs):
    """A kazoo client that reconnects quickly and does not retry commands by itself (a retried
    create would hide whether the first attempt committed)."""
    retry = KazooRetry(max_tries=-1, delay=0.05, max_delay=0.5, deadline=30)
    c = KazooClient(hosts=hosts, timeout=kwargs.pop("timeout", 4.0), connection_retry=retry,
                    command_retry=None, **kwargs)
    c.start(timeout=20)
    return c


class KazooWriter:
    """Creates <prefix>/w-NNNNNN in a loop through one kazoo client on a thread. `acked` lists
    the paths the ensemble acknowledged; `errors` counts the other outcomes by exception name
    (the write then may or may not have committed)."""

    def __init__(self, c, prefix):
        self.c = c
        self.prefix = prefix
        self.acked = []
        self.errors = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    @property
    def unknown(self):
        return sum(self.errors.values())

    def run(self):
        i = 0
        while not self.stop.is_set():
            path = "%s/w-%06d" % (self.prefix, i)
            i += 1
            try:
                self.c.create(path, b"v")
                self.acked.append(path)
            except NodeExistsError:
                self.acked.append(path)  # an earlier attempt whose answer was lost did commit
            except Exception as e:  # noqa: BLE001 (kazoo raises several kinds while reconnecting)
                name = type(e).__name__
                self.errors[name] = self.errors.get(name, 0) + 1
                time.sleep(0.02)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=30)


class CWriter:
    """The same load through ZooKeeper's C client (tests/integration/c_client/driver.c, scenario
    "writer"), in its own process until stop(). `acked` and `errors` as KazooWriter's (read as
    the driver reports them), the errors by the C client's names."""

    def __init__(self, hosts, prefix, workdir):
        self.driver = os.path.join(servers.BUILD_DIR, "bin", "corral-c-client-driver")
        self.hosts = hosts
        self.prefix = prefix
        self.stop_file = os.path.join(workdir, "c-writer.stop")
        self.proc = None
        self.reader = None
        self.acked = []
        self.errors = {}
        self.other_lines = []

    def available(self):
        return os.path.exists(self.driver)

    def start(self):
        env = dict(os.environ, CORRAL_WRITER_SECONDS="3600", CORRAL_WRITER_STOP_FILE=self.stop_file)
        self.proc = subprocess.Popen([self.driver, self.hosts, "writer", self.prefix],
                                     stdout=subprocess.PIPE, text=True, env=env)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        return self

    def _read(self):
        for line in self.proc.stdout:
            words = line.split()
            if words[:1] == ["acked"]:
                self.acked.append(words[1])
            elif words[:1] == ["unknown"] and len(words) >= 3:
                self.errors[words[2]] = self.errors.get(words[2], 0) + 1
            else:
                self.other_lines.append(line.strip())

    def stop(self, timeout=60):
        """Asks the driver to finish its current write and exit; returns its exit status."""
        with open(self.stop_file, "w"):
            pass
        self.proc.wait(timeout=timeout)
        self.reader.join(timeout=timeout)
        return self.proc.returncode

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
