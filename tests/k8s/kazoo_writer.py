#!/usr/bin/python3
"""The kazoo writer of the test's client pods (image corral-e2e-client, node_agent.py): an
in-cluster application that creates PREFIX/w-NNNNNN one after another through HOSTS (the
client Service's name), until SIGTERM. Prints, one line each, flushed:
  acked PATH           the ensemble acknowledged the create (or said it exists: an earlier
                       attempt whose answer was lost committed)
  unknown PATH ERROR   the outcome is unknown to the client (its connection dropped)
The same protocol as the C client driver's "writer" scenario (tests/integration/c_client), so
tests/k8s/clients.py reads both alike. Usage: e2e-kazoo-writer HOSTS PREFIX
"""
import signal
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.exceptions import NodeExistsError
from kazoo.retry import KazooRetry


def main():
    hosts, prefix = sys.argv[1], sys.argv[2]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # Reconnects quickly and never retries a command by itself: a retried create would hide
    # whether the first attempt committed.
    c = KazooClient(hosts=hosts, timeout=4.0, command_retry=None,
                    connection_retry=KazooRetry(max_tries=-1, delay=0.05, max_delay=0.5))
    c.start(timeout=60)
    while not stop.is_set():
        try:
            c.ensure_path(prefix)
            break
        except Exception as e:  # noqa: BLE001
            print("setup %s" % type(e).__name__, flush=True)
            time.sleep(0.1)
    i = 0
    while not stop.is_set():
        path = "%s/w-%06d" % (prefix, i)
        i += 1
        try:
            c.create(path, b"v")
            print("acked %s" % path, flush=True)
        except NodeExistsError:
            print("acked %s" % path, flush=True)
        except Exception as e:  # noqa: BLE001 (kazoo raises several kinds while reconnecting)
            print("unknown %s %s" % (path, type(e).__name__), flush=True)
            time.sleep(0.02)
    c.stop()
    c.close()


if __name__ == "__main__":
    main()
