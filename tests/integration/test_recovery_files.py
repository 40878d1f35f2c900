"""Recovery from damaged files, with the real server binary: a torn tail of the transaction log
is cut off with a log line saying how much, and the server starts with everything before it;
corruption in the middle of the log refuses start with a message naming the file and offset.
"""
import os
import shutil

import pytest

import zkwire as z
from conftest import TARGET
from servers import CorralServer

pytestmark = pytest.mark.skipif(TARGET == "zookeeper", reason="corral-server's own files")

NODES = 200


def written_server(tmp_path):
    """A stopped server whose log holds NODES creates (no snapshot after the first, empty one)."""
    server = CorralServer(str(tmp_path), {"preAllocSize": "64"})
    server.start()
    c = z.connect(server.connect_string)
    for i in range(NODES):
        c.create("/n%03d" % i, b"payload-%03d" % i)
    # Stop with the session open, so the last record of the log is the last create (a
    # closeSession sent now might or might not be logged before the server stops).
    server.stop()
    c.sock.close()
    logs = sorted(f for f in os.listdir(server.data_dir) if f.startswith("log."))
    assert len(logs) == 1, logs
    return server, os.path.join(server.data_dir, logs[0])


def data_end(path):
    """Offset just past the last non-zero byte: the log's records end there (zeros follow)."""
    with open(path, "rb") as f:
        data = f.read()
    return len(data.rstrip(b"\0"))


def test_torn_tail_is_cut_and_reported(tmp_path):
    server, log = written_server(tmp_path)
    end = data_end(log)
    with open(log, "r+b") as f:
        f.truncate(end - 5)  # the last record loses its last bytes, as in a torn write
    offset = len(server.read_log())
    server.start()
    try:
        c = z.connect(server.connect_string)
        present = [i for i in range(NODES) if c.exists("/n%03d" % i) is not None]
        assert present == list(range(NODES - 1)), "only the torn last create may be missing"
        assert c.get_data("/n%03d" % (NODES - 2))[0] == b"payload-%03d" % (NODES - 2)
        c.create("/after")  # and the log takes new writes after the cut
        c.close()
        text = server.read_log()[offset:]
        assert "torn" in text and os.path.basename(log) in text, text[-2000:]
    finally:
        server.stop()
    server.start()  # the repaired log recovers again, with the new write
    try:
        assert z.connect(server.connect_string).exists("/after") is not None
    finally:
        server.stop()


def test_corruption_in_the_middle_refuses_start_naming_file_and_offset(tmp_path):
    server, log = written_server(tmp_path)
    middle = data_end(log) // 2
    with open(log, "r+b") as f:
        f.seek(middle)
        b = f.read(1)
        f.seek(middle)
        f.write(bytes([b[0] ^ 0x10]))
    keep = str(tmp_path / "before-start")
    shutil.copytree(server.data_dir, keep)
    with pytest.raises(RuntimeError) as failed:
        server.start(timeout=30)
    message = str(failed.value)
    assert os.path.basename(log) in message and "offset" in message, message[-2000:]
    # Refusing changed nothing: the damaged file is left for the operator.
    with open(log, "rb") as f, open(os.path.join(keep, os.path.basename(log)), "rb") as g:
        assert f.read() == g.read()
    server.proc = None
    server.log.close()
