"""ZooKeeper semantics as seen by a real client: kazoo (python3-kazoo 2.8.0).

kazoo 2.8.0 has no addWatch, TTL or container API, and cannot be told to stop pinging; those
cases use `RawSession` below, a deliberately tiny jute client written for these tests (it also
shows exactly which packets arrive in which order).

All tests share one server (module scope) and work under their own top-level znode, named after
the test. The server runs with tickTime=200 (session timeouts 400 ms .. 4 s), a container/TTL
check every 100 ms, and a super digest.
"""
import base64
import faulthandler
import hashlib
import queue
import socket
import struct
import threading
import time

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import (
    AuthFailedError, BadVersionError, InvalidACLError, NoAuthError, NoChildrenForEphemeralsError,
    NodeExistsError, NoNodeError, NotEmptyError, RolledBackError, RuntimeInconsistency)
from kazoo.protocol.states import EventType, KazooState
from kazoo.recipe.lock import Lock
from kazoo.security import OPEN_ACL_UNSAFE, make_acl, make_digest_acl

from conftest import make_server
from servers import NOT_WHITELISTED, four_letter, wait_until

TIMEOUT = 10.0  # seconds to await anything that should happen promptly
HANG_LIMIT = 120  # seconds: kazoo's synchronous calls have no timeout of their own


def digest(user, password):
    """The id of a digest ACL: user:base64(sha1("user:password"))."""
    h = hashlib.sha1(("%s:%s" % (user, password)).encode()).digest()
    return "%s:%s" % (user, base64.b64encode(h).decode())


SUPER_PASSWORD = "s3cret-super"

# ---------------------------------------------------------------------------------------------
# A tiny raw ZooKeeper wire client (jute encoding, one request at a time).

OP_CREATE, OP_DELETE, OP_EXISTS, OP_GETDATA, OP_SETDATA = 1, 2, 3, 4, 5
OP_GETCHILDREN, OP_MULTI, OP_CREATE2, OP_CREATE_CONTAINER, OP_CREATE_TTL = 8, 14, 15, 19, 21
OP_REMOVE_WATCHES, OP_ADD_WATCH, OP_CLOSE = 18, 106, -11
EV_CREATED, EV_DELETED, EV_DATA_CHANGED, EV_CHILDREN_CHANGED = 1, 2, 3, 4
STATE_SYNC_CONNECTED = 3
ZOK, ZRUNTIMEINCONSISTENCY, ZBADARGUMENTS, ZNONODE, ZNOWATCHER = 0, -2, -8, -101, -121
STAT_FIELDS = [("czxid", "q"), ("mzxid", "q"), ("ctime", "q"), ("mtime", "q"), ("version", "i"),
               ("cversion", "i"), ("aversion", "i"), ("ephemeralOwner", "q"),
               ("dataLength", "i"), ("numChildren", "i"), ("pzxid", "q")]
WORLD_ALL = [(31, "world", "anyone")]


def w_int(v):
    return struct.pack(">i", v)


def w_long(v):
    return struct.pack(">q", v)


def w_bool(v):
    return b"\x01" if v else b"\x00"


def w_buf(b):
    return w_int(-1) if b is None else w_int(len(b)) + b


def w_str(s):
    return w_buf(None if s is None else s.encode())


def w_acls(acls):
    return w_int(len(acls)) + b"".join(w_int(p) + w_str(s) + w_str(i) for p, s, i in acls)


class Reader:
    def __init__(self, data):
        self.data, self.off = data, 0

    def _take(self, fmt):
        v = struct.unpack_from(">" + fmt, self.data, self.off)[0]
        self.off += struct.calcsize(">" + fmt)
        return v

    def int(self):
        return self._take("i")

    def long(self):
        return self._take("q")

    def bool(self):
        return self._take("b") != 0

    def buf(self):
        n = self.int()
        if n < 0:
            return None
        b = self.data[self.off:self.off + n]
        self.off += n
        return b

    def str(self):
        b = self.buf()
        return None if b is None else b.decode()

    def stat(self):
        return {name: self._take(fmt) for name, fmt in STAT_FIELDS}


class RawSession:
    """One TCP connection = one session attempt. Never pings on its own: a session left idle
    expires after its timeout. `log` records every packet received, in order:
    ("event", type, state, path) or ("reply", xid, err)."""

    def __init__(self, port, timeout_ms=30000, session_id=0, passwd=b"\0" * 16):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.log = []
        self.xid = 0
        self._send(w_int(0) + w_long(0) + w_int(timeout_ms) + w_long(session_id) + w_buf(passwd)
                   + w_bool(False))
        r = Reader(self._recv())
        self.protocol_version = r.int()
        self.timeout = r.int()
        self.session_id = r.long()
        self.passwd = r.buf()

    def _send(self, payload):
        self.sock.sendall(w_int(len(payload)) + payload)

    def _recv_exactly(self, n):
        out = b""
        while len(out) < n:
            b = self.sock.recv(n - len(out))
            if not b:
                raise EOFError("server closed the connection")
            out += b
        return out

    def _recv(self):
        return self._recv_exactly(struct.unpack(">i", self._recv_exactly(4))[0])

    def _read_packet(self):
        r = Reader(self._recv())
        xid, _zxid, err = r.int(), r.long(), r.int()
        if xid == -1:
            event = (r.int(), r.int(), r.str())
            self.log.append(("event",) + event)
            return xid, err, event
        if xid != -2:
            self.log.append(("reply", xid, err))
        return xid, err, r

    def request(self, op, body=b""):
        """Sends one request; returns (err, Reader positioned at the response body). Watch
        events that arrive first are recorded in `log` (and `events()`)."""
        self.xid += 1
        xid = self.xid
        self._send(w_int(xid) + w_int(op) + body)
        while True:
            rxid, err, r = self._read_packet()
            if rxid == xid:
                return err, r

    def events(self):
        return [entry[1:] for entry in self.log if entry[0] == "event"]

    def barrier(self):
        """A round trip (exists "/"): every event the server queued before it is now in `log`."""
        err, _ = self.request(OP_EXISTS, w_str("/") + w_bool(False))
        assert err == ZOK

    def create(self, path, data=b"", flags=0, op=OP_CREATE, ttl=None, acls=WORLD_ALL):
        body = w_str(path) + w_buf(data) + w_acls(acls) + w_int(flags)
        if ttl is not None:
            body += w_long(ttl)
        err, r = self.request(op, body)
        if err != ZOK:
            return err, None, None
        if op == OP_CREATE:
            return err, r.str(), None
        return err, r.str(), r.stat()

    def get_data(self, path, watch=False):
        err, r = self.request(OP_GETDATA, w_str(path) + w_bool(watch))
        return (err, r.buf(), r.stat()) if err == ZOK else (err, None, None)

    def set_data(self, path, data, version=-1):
        err, _ = self.request(OP_SETDATA, w_str(path) + w_buf(data) + w_int(version))
        return err

    def get_children(self, path, watch=False):
        err, r = self.request(OP_GETCHILDREN, w_str(path) + w_bool(watch))
        if err != ZOK:
            return err, None
        return err, [r.str() for _ in range(r.int())]

    def exists(self, path, watch=False):
        err, _ = self.request(OP_EXISTS, w_str(path) + w_bool(watch))
        return err

    def add_watch(self, path, mode):
        err, _ = self.request(OP_ADD_WATCH, w_str(path) + w_int(mode))
        return err

    def remove_watches(self, path, watcher_type):
        err, _ = self.request(OP_REMOVE_WATCHES, w_str(path) + w_int(watcher_type))
        return err

    def close(self):
        try:
            self.request(OP_CLOSE)
        except (OSError, EOFError):
            pass
        self.sock.close()

    def await_eof(self):
        """Reads until the server closes the connection (raises socket.timeout if it does not)."""
        try:
            while True:
                self._read_packet()
        except (EOFError, ConnectionResetError):
            return True
        finally:
            self.sock.close()


# ---------------------------------------------------------------------------------------------
# Fixtures

@pytest.fixture(autouse=True)
def no_hangs():
    """A request the server never answers would block kazoo forever: after HANG_LIMIT seconds
    dump every thread's stack to stderr and end the run rather than hang it."""
    faulthandler.dump_traceback_later(HANG_LIMIT, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(scope="module")
def zk_server(tmp_path_factory):
    s = make_server(tmp_path_factory.mktemp("kazoo"), {
        "tickTime": "200",
        "extendedTypesEnabled": "true",
        "znode.container.checkIntervalMs": "100",
        "DigestAuthenticationProvider.superDigest": digest("super", SUPER_PASSWORD),
    })
    s.start()
    yield s
    s.stop()


@pytest.fixture
def clients(zk_server):
    """new(**kwargs) -> a started KazooClient on the shared server; all are closed afterwards."""
    made = []

    def new(**kwargs):
        c = KazooClient(hosts=zk_server.connect_string, timeout=10.0, **kwargs)
        made.append(c)
        c.start(timeout=30)
        return c

    yield new
    for c in made:
        try:
            c.stop()
            c.close()
        except Exception:
            pass


@pytest.fixture
def raw(zk_server):
    """new(**kwargs) -> a RawSession on the shared server; all are closed afterwards."""
    made = []

    def new(**kwargs):
        s = RawSession(zk_server.port, **kwargs)
        made.append(s)
        return s

    yield new
    for s in made:
        s.close()


@pytest.fixture
def zk(clients):
    return clients()


@pytest.fixture
def base(request, zk):
    """A fresh top-level znode for this test: /<test name>."""
    path = "/" + request.node.name.replace("[", "_").replace("]", "")
    zk.create(path)
    return path


def watch_queue():
    """(queue, watcher): the watcher puts every WatchedEvent it gets on the queue."""
    q = queue.Queue()
    return q, q.put


def sentinel_flush(zk, writer, q, base):
    """Proves no further event is pending for `zk`'s earlier watches without sleeping: sets a
    watch on a fresh node, triggers it from `writer`, and drains `q` up to that event. kazoo
    dispatches watch callbacks in server order on one thread, so any event the server sent
    before the sentinel's is already in `q`. Returns the events that preceded the sentinel."""
    path = base + "/sentinel-%d" % time.monotonic_ns()
    assert zk.exists(path, watch=q.put) is None
    writer.create(path)
    before = []
    while True:
        ev = q.get(timeout=TIMEOUT)
        if ev.path == path:
            assert ev.type == EventType.CREATED
            return before
        before.append(ev)


# ---------------------------------------------------------------------------------------------
# Basic operations and Stat

def test_create_get_set_delete_with_stat(zk, base):
    t0 = time.time()
    path = base + "/node"
    assert zk.create(path, b"hello") == path
    data, st = zk.get(path)
    assert data == b"hello"
    assert (st.version, st.cversion, st.aversion) == (0, 0, 0)
    assert (st.dataLength, st.numChildren, st.ephemeralOwner) == (5, 0, 0)
    assert st.czxid == st.mzxid == st.pzxid > 0
    assert st.ctime == st.mtime
    assert abs(st.ctime / 1000.0 - t0) < 60, "ctime is milliseconds since the epoch"

    st2 = zk.set(path, b"hello, world")
    assert st2.version == 1 and st2.dataLength == 12
    assert st2.czxid == st.czxid and st2.mzxid > st.mzxid
    assert st2.cversion == 0 and st2.pzxid == st.pzxid, "setData leaves child fields alone"
    assert st2.mtime >= st.mtime and st2.ctime == st.ctime
    assert zk.get(path) == (b"hello, world", st2)
    assert zk.exists(path) == st2

    st3 = zk.set(path, b"", version=1)
    assert st3.version == 2 and st3.dataLength == 0
    assert zk.get(path)[0] == b""

    # Children: cversion counts creations and deletions, pzxid is the last one's zxid.
    assert zk.create(path + "/a") == path + "/a"
    assert zk.create(path + "/b", b"bb") == path + "/b"
    _, a_st = zk.get(path + "/a")
    data, p = zk.get(path)
    assert (p.cversion, p.numChildren, p.version) == (2, 2, 2)
    assert p.pzxid > a_st.czxid and p.mzxid == st3.mzxid
    assert sorted(zk.get_children(path)) == ["a", "b"]

    assert zk.delete(path + "/a") is True
    _, p2 = zk.get(path)
    assert (p2.cversion, p2.numChildren) == (3, 1)
    assert p2.pzxid > p.pzxid
    assert zk.get_children(path) == ["b"]
    assert zk.exists(path + "/a") is None

    zk.delete(path + "/b", version=0)
    zk.delete(path, version=2)
    assert zk.exists(path) is None
    assert zk.get_children(base) == []


def test_error_codes(zk, base):
    path = base + "/n"
    zk.create(path, b"x")
    with pytest.raises(NodeExistsError):
        zk.create(path)
    with pytest.raises(NoNodeError):
        zk.create(base + "/missing/child")
    with pytest.raises(NoNodeError):
        zk.get(base + "/missing")
    with pytest.raises(NoNodeError):
        zk.set(base + "/missing", b"")
    with pytest.raises(NoNodeError):
        zk.delete(base + "/missing")
    with pytest.raises(NoNodeError):
        zk.get_children(base + "/missing")
    assert zk.exists(base + "/missing") is None
    with pytest.raises(BadVersionError):
        zk.set(path, b"y", version=5)
    with pytest.raises(BadVersionError):
        zk.delete(path, version=5)
    zk.create(path + "/kid")
    with pytest.raises(NotEmptyError):
        zk.delete(path)
    eph = zk.create(base + "/eph", ephemeral=True)
    with pytest.raises(NoChildrenForEphemeralsError):
        zk.create(eph + "/kid")
    # Nothing above changed the node.
    data, st = zk.get(path)
    assert data == b"x" and st.version == 0 and st.numChildren == 1


def test_get_children_include_data_returns_parent_stat(zk, base):
    zk.create(base + "/p", b"parent")
    zk.create(base + "/p/x", b"1")
    zk.create(base + "/p/y", b"22")
    children, st = zk.get_children(base + "/p", include_data=True)
    assert sorted(children) == ["x", "y"]
    assert st == zk.exists(base + "/p")
    assert (st.numChildren, st.cversion, st.dataLength) == (2, 2, 6)


def test_sync(clients, base):
    a, b = clients(), clients()
    b.create(base + "/s", b"v1")
    assert a.sync(base) == base
    b.set(base + "/s", b"v2")
    a.sync(base + "/s")
    assert a.get(base + "/s")[0] == b"v2"


# ---------------------------------------------------------------------------------------------
# Ephemerals and sessions

def test_ephemeral_owner_and_removal_on_close(clients, base):
    owner, observer = clients(), clients()
    path = owner.create(base + "/eph", b"e", ephemeral=True)
    st = observer.exists(path)
    assert st.ephemeralOwner == owner.client_id[0] != 0
    assert observer.exists(base).ephemeralOwner == 0

    q, w = watch_queue()
    assert observer.exists(path, watch=w) is not None
    owner.stop()  # closeSession
    ev = q.get(timeout=TIMEOUT)
    assert (ev.type, ev.path) == (EventType.DELETED, path)
    assert observer.exists(path) is None
    assert observer.get_children(base) == []


def test_ephemeral_removed_on_session_expiry(zk, raw, base):
    # The raw session asks for 400 ms (2 x tickTime, the minimum) and then never pings.
    s = raw(timeout_ms=400)
    assert s.timeout == 400
    assert s.session_id != 0 and len(s.passwd) == 16
    err, path, _ = s.create(base + "/eph", b"x", flags=1)
    assert (err, path) == (ZOK, base + "/eph")
    st = zk.exists(path)
    assert st.ephemeralOwner == s.session_id

    q, w = watch_queue()
    assert zk.exists(path, watch=w) is not None
    ev = q.get(timeout=TIMEOUT)
    assert (ev.type, ev.path) == (EventType.DELETED, path)
    assert zk.exists(path) is None
    # The server closes the expired session's connection ...
    assert s.await_eof()
    # ... and refuses to resume it: ConnectResponse with timeOut 0, sessionId 0, zero password.
    again = raw(session_id=s.session_id, passwd=s.passwd)
    assert (again.timeout, again.session_id, again.passwd) == (0, 0, b"\0" * 16)
    assert again.await_eof()


def test_session_resumed_on_new_connection_closes_the_old_one(clients, raw, base):
    first = raw(timeout_ms=4000)
    err, path, _ = first.create(base + "/eph", flags=1)
    assert err == ZOK
    # A second connection presents the same session id and password (as a client reconnecting
    # to another server would): the session moves to it and the first connection is closed.
    second = raw(timeout_ms=4000, session_id=first.session_id, passwd=first.passwd)
    assert second.session_id == first.session_id
    assert second.passwd == first.passwd
    assert second.timeout == 4000
    assert first.await_eof()
    # The session lives on (its ephemeral too) and works on the new connection.
    observer = clients()
    assert observer.exists(path).ephemeralOwner == first.session_id
    err, data, _ = second.get_data(path)
    assert err == ZOK and data == b""

    # kazoo can take it over too, by client_id.
    third = clients(client_id=(first.session_id, first.passwd))
    assert third.client_id[0] == first.session_id
    assert second.await_eof()
    assert third.exists(path).ephemeralOwner == first.session_id
    q, w = watch_queue()
    observer.exists(path, watch=w)
    third.stop()  # closes the session: the ephemeral goes
    ev = q.get(timeout=TIMEOUT)
    assert (ev.type, ev.path) == (EventType.DELETED, path)


def test_resume_with_wrong_password_is_refused(zk, raw, base):
    s = raw(timeout_ms=4000)
    err, path, _ = s.create(base + "/eph", flags=1)
    assert err == ZOK
    bad = raw(session_id=s.session_id, passwd=bytes(b ^ 0xFF for b in s.passwd))
    assert (bad.timeout, bad.session_id, bad.passwd) == (0, 0, b"\0" * 16)
    assert bad.await_eof()
    # The session itself survives (ZooKeeper 3.8 does drop its current connection, though; not
    # asserted) and resumes with the right password.
    assert zk.exists(path).ephemeralOwner == s.session_id
    good = raw(timeout_ms=4000, session_id=s.session_id, passwd=s.passwd)
    assert (good.session_id, good.timeout) == (s.session_id, 4000)
    assert good.exists(path) == ZOK


# ---------------------------------------------------------------------------------------------
# Sequential nodes

def test_sequential_names_count_child_creations(zk, base):
    """The suffix is %010d of the number of children ever created under the parent. Stat's
    cversion counts creations and deletions (ZooKeeper stores the creation count and reports
    2 * creations - numChildren), so after deletions the two differ."""
    parent = base + "/seq"
    zk.create(parent)
    assert zk.create(parent + "/n-", sequence=True) == parent + "/n-0000000000"
    assert zk.create(parent + "/n-", sequence=True) == parent + "/n-0000000001"
    zk.create(parent + "/plain")  # a non-sequential child counts as a creation too
    assert zk.create(parent + "/n-", sequence=True) == parent + "/n-0000000003"
    assert zk.exists(parent).cversion == 4
    zk.delete(parent + "/plain")
    zk.delete(parent + "/n-0000000000")
    assert zk.exists(parent).cversion == 6
    assert zk.create(parent + "/e-", ephemeral=True, sequence=True) == parent + "/e-0000000004"
    # An empty prefix is allowed: the name is just the counter.
    assert zk.create(parent + "/", sequence=True) == parent + "/0000000005"
    st = zk.exists(parent)
    assert (st.cversion, st.numChildren) == (8, 4)
    # Sequence counters are per parent.
    zk.create(parent + "/sub")
    assert zk.create(parent + "/sub/x", sequence=True) == parent + "/sub/x0000000000"
    assert sorted(zk.get_children(parent)) == [
        "0000000005", "e-0000000004", "n-0000000001", "n-0000000003", "sub"]


# ---------------------------------------------------------------------------------------------
# Watches

def test_data_watch_fires_exactly_once(clients, base):
    watcher, writer = clients(), clients()
    path = writer.create(base + "/w", b"0")
    q, w = watch_queue()
    assert watcher.get(path, watch=w)[0] == b"0"
    writer.set(path, b"1")
    ev = q.get(timeout=TIMEOUT)
    assert (ev.type, ev.state, ev.path) == (EventType.CHANGED, "CONNECTED", path)
    writer.set(path, b"2")
    writer.delete(path)
    assert sentinel_flush(watcher, writer, q, base) == [], "a standard watch fires only once"


def test_watch_event_arrives_before_later_reply(zk, raw, base):
    s = raw()
    path = zk.create(base + "/w", b"0")
    # Another session's write: the event is on the wire before the reply to our next read.
    err, data, _ = s.get_data(path, watch=True)
    assert (err, data) == (ZOK, b"0")
    zk.set(path, b"1")
    s.log.clear()
    err, data, _ = s.get_data(path)
    assert (err, data) == (ZOK, b"1")
    assert s.log == [("event", EV_DATA_CHANGED, STATE_SYNC_CONNECTED, path), ("reply", s.xid, 0)]

    # Our own write: the event comes before the setData reply itself.
    s.get_data(path, watch=True)
    s.log.clear()
    assert s.set_data(path, b"2") == ZOK
    assert s.log == [("event", EV_DATA_CHANGED, STATE_SYNC_CONNECTED, path), ("reply", s.xid, 0)]


def test_exists_and_child_watches(clients, base):
    watcher, writer = clients(), clients()
    parent = writer.create(base + "/p")
    node = parent + "/n"
    q, w = watch_queue()
    assert watcher.exists(node, watch=w) is None
    writer.create(node, b"v")
    ev = q.get(timeout=TIMEOUT)
    assert (ev.type, ev.path) == (EventType.CREATED, node)

    assert watcher.get_children(parent, watch=w) == ["n"]
    writer.set(node, b"w")  # data changes of a child do not touch the parent's child watch
    writer.create(parent + "/m")
    ev = q.get(timeout=TIMEOUT)
    assert (ev.type, ev.path) == (EventType.CHILD, parent)
    writer.delete(parent + "/m")  # the child watch was used up
    assert sentinel_flush(watcher, writer, q, base) == []

    assert sorted(watcher.get_children(parent, watch=w)) == ["n"]
    writer.delete(node)
    ev = q.get(timeout=TIMEOUT)
    assert (ev.type, ev.path) == (EventType.CHILD, parent)

    # exists on a present node leaves a data watch: fires on set.
    writer.create(node, b"again")
    assert watcher.exists(node, watch=w) is not None
    writer.set(node, b"changed")
    ev = q.get(timeout=TIMEOUT)
    assert (ev.type, ev.path) == (EventType.CHANGED, node)


def test_delete_fires_one_event_for_data_and_child_watches(zk, raw, base):
    s = raw()
    path = zk.create(base + "/d")
    assert s.get_data(path, watch=True)[0] == ZOK
    assert s.get_children(path, watch=True) == (ZOK, [])
    assert s.exists(path, watch=True) == ZOK
    s.log.clear()
    zk.delete(path)
    s.barrier()
    assert s.events() == [(EV_DELETED, STATE_SYNC_CONNECTED, path)]


def test_persistent_watch(zk, raw, base):
    s = raw()
    path = base + "/pw"
    assert s.add_watch(path, 0) == ZOK  # the node need not exist
    zk.create(path)
    zk.create(path + "/a")
    zk.create(path + "/a/deep")  # grandchild: not watched by a persistent (non-recursive) watch
    zk.set(path, b"1")
    zk.set(path, b"2")
    zk.set(path + "/a", b"x")  # child data: not watched
    zk.delete(path + "/a/deep")
    zk.delete(path + "/a")
    zk.delete(path)
    zk.create(path)  # the watch outlives the node
    s.barrier()
    assert s.events() == [
        (EV_CREATED, STATE_SYNC_CONNECTED, path),
        (EV_CHILDREN_CHANGED, STATE_SYNC_CONNECTED, path),
        (EV_DATA_CHANGED, STATE_SYNC_CONNECTED, path),
        (EV_DATA_CHANGED, STATE_SYNC_CONNECTED, path),
        (EV_CHILDREN_CHANGED, STATE_SYNC_CONNECTED, path),
        (EV_DELETED, STATE_SYNC_CONNECTED, path),
        (EV_CREATED, STATE_SYNC_CONNECTED, path),
    ]
    # removeWatches(type Any = 3) removes it; a second removal finds nothing (NOWATCHER).
    assert s.remove_watches(path, 3) == ZOK
    assert s.remove_watches(path, 3) == ZNOWATCHER
    s.log.clear()
    zk.set(path, b"3")
    s.barrier()
    assert s.events() == []


def test_persistent_recursive_watch(zk, raw, base):
    s = raw()
    root = base + "/rw"
    assert s.add_watch(root, 1) == ZOK
    zk.create(root)
    zk.create(root + "/a")
    zk.create(root + "/a/b")
    zk.set(root, b"1")
    zk.set(root + "/a/b", b"2")
    zk.set(root + "/a/b", b"3")
    zk.create(base + "/rw-sibling")  # outside the subtree (shares the prefix only)
    zk.delete(root + "/a/b")
    zk.delete(root + "/a")
    zk.delete(root)
    s.barrier()
    c = STATE_SYNC_CONNECTED
    assert s.events() == [
        (EV_CREATED, c, root), (EV_CREATED, c, root + "/a"), (EV_CREATED, c, root + "/a/b"),
        (EV_DATA_CHANGED, c, root), (EV_DATA_CHANGED, c, root + "/a/b"),
        (EV_DATA_CHANGED, c, root + "/a/b"),
        (EV_DELETED, c, root + "/a/b"), (EV_DELETED, c, root + "/a"), (EV_DELETED, c, root),
    ], "recursive watches report no NodeChildrenChanged"


# ---------------------------------------------------------------------------------------------
# multi

def test_multi_commits_all_ops(zk, base):
    zk.create(base + "/v", b"0")
    t = zk.transaction()
    t.create(base + "/a", b"A")
    t.set_data(base + "/v", b"1", version=0)
    t.check(base + "/v", 1)
    t.create(base + "/s-", sequence=True)
    t.delete(base + "/a")
    results = t.commit()
    assert results[0] == base + "/a"
    assert results[1].version == 1 and results[1].dataLength == 1
    assert results[2:] == [True, base + "/s-0000000002", True]
    assert zk.get(base + "/v")[0] == b"1"
    assert sorted(zk.get_children(base)) == ["s-0000000002", "v"]
    # All ops of one multi share one zxid.
    assert zk.exists(base + "/s-0000000002").czxid == zk.exists(base + "/v").mzxid


def test_multi_failure_aborts_all_ops(zk, raw, base):
    zk.create(base + "/v", b"0")
    before = zk.exists(base)
    t = zk.transaction()
    t.create(base + "/a")
    t.set_data(base + "/v", b"1")
    t.check(base + "/v", 0)  # fails: version is 1 after the set above
    t.create(base + "/b")
    results = t.commit()
    assert [type(r) for r in results] == [
        RolledBackError, RolledBackError, BadVersionError, RuntimeInconsistency]
    assert zk.exists(base + "/a") is None and zk.exists(base + "/b") is None
    data, st = zk.get(base + "/v")
    assert data == b"0" and st.version == 0
    after = zk.exists(base)
    assert (after.cversion, after.numChildren) == (before.cversion, before.numChildren)

    # On the wire: the reply header says OK; every result is an ErrorResponse (type -1): 0 for
    # the ops before the failing one, its own code, then RUNTIMEINCONSISTENCY (-2).
    s = raw()
    body = (w_int(OP_CREATE) + w_bool(False) + w_int(-1)
            + w_str(base + "/c") + w_buf(b"") + w_acls(WORLD_ALL) + w_int(0))
    body += w_int(13) + w_bool(False) + w_int(-1) + w_str(base + "/missing") + w_int(0)
    body += w_int(OP_DELETE) + w_bool(False) + w_int(-1) + w_str(base + "/v") + w_int(-1)
    body += w_int(-1) + w_bool(True) + w_int(-1)
    err, r = s.request(OP_MULTI, body)
    assert err == ZOK
    results = []
    while True:
        op_type, done, op_err = r.int(), r.bool(), r.int()
        if done:
            assert (op_type, op_err) == (-1, -1)
            break
        assert op_type == -1
        results.append((op_err, r.int()))
    assert results == [(0, 0), (ZNONODE, ZNONODE), (ZRUNTIMEINCONSISTENCY, ZRUNTIMEINCONSISTENCY)]
    assert zk.exists(base + "/c") is None and zk.exists(base + "/v") is not None


# ---------------------------------------------------------------------------------------------
# ACLs and auth

def test_digest_acl_denies_others(clients, base):
    owner, other = clients(), clients()
    owner.add_auth("digest", "alice:pw")
    path = owner.create(base + "/secret", b"s", acl=[make_digest_acl("alice", "pw", all=True)])
    for op in (lambda: other.get(path), lambda: other.set(path, b"x"),
               lambda: other.get_children(path), lambda: other.get_acls(path),
               lambda: other.create(path + "/kid"), lambda: other.delete(path + "/kid"),
               lambda: other.set_acls(path, OPEN_ACL_UNSAFE)):
        with pytest.raises(NoAuthError):
            op()
    # A wrong password is accepted by addauth but grants nothing.
    other.add_auth("digest", "alice:wrong")
    with pytest.raises(NoAuthError):
        other.get(path)
    other.add_auth("digest", "alice:pw")
    assert other.get(path)[0] == b"s"
    other.create(path + "/kid")
    # DELETE on a node is governed by its parent's ACL: / is open, so anyone may delete it
    # once it is empty.
    other.delete(path + "/kid")
    third = clients()
    third.delete(path)
    assert third.exists(path) is None


def test_auth_scheme_acl_and_invalid_acl(clients, base):
    anon, alice = clients(), clients()
    with pytest.raises(InvalidACLError):
        anon.create(base + "/x", acl=[make_acl("auth", "", all=True)])
    alice.add_auth("digest", "alice:pw")
    path = alice.create(base + "/x", acl=[make_acl("auth", "", read=True, write=True, admin=True)])
    acls, st = alice.get_acls(path)
    assert [(a.perms, a.id.scheme, a.id.id) for a in acls] == [
        (1 | 2 | 16, "digest", digest("alice", "pw"))]
    assert st.aversion == 0
    with pytest.raises(NoAuthError):
        alice.create(path + "/kid")  # no CREATE permission
    st = alice.set_acls(path, [make_acl("world", "anyone", all=True)], version=0)
    assert st.aversion == 1
    with pytest.raises(BadVersionError):
        alice.set_acls(path, OPEN_ACL_UNSAFE, version=0)
    anon.create(path + "/kid")


def test_get_acl_masks_digest_without_admin(clients, base):
    owner, reader = clients(), clients()
    path = owner.create(base + "/n", acl=[make_digest_acl("bob", "pw", all=True),
                                          make_acl("world", "anyone", read=True)])
    acls, _ = reader.get_acls(path)
    assert [(a.perms, a.id.scheme, a.id.id) for a in acls] == [
        (31, "digest", "bob:x"), (1, "world", "anyone")]
    reader.add_auth("digest", "bob:pw")  # now has ADMIN: sees the hash
    acls, _ = reader.get_acls(path)
    assert [(a.perms, a.id.scheme, a.id.id) for a in acls] == [
        (31, "digest", digest("bob", "pw")), (1, "world", "anyone")]


def test_super_digest_overrides_acls(clients, base):
    owner, admin, impostor = clients(), clients(), clients()
    path = owner.create(base + "/locked", b"data", acl=[make_digest_acl("carol", "pw", read=True)])
    admin.add_auth("digest", "super:" + SUPER_PASSWORD)
    assert admin.get(path)[0] == b"data"
    admin.set(path, b"changed")
    acls, _ = admin.get_acls(path)
    assert acls[0].id.id == digest("carol", "pw")
    impostor.add_auth("digest", "super:wrong")
    with pytest.raises(NoAuthError):
        impostor.get(path)


def test_unknown_auth_scheme_fails_the_session(clients):
    c = clients()
    lost = threading.Event()
    c.add_listener(lambda state: lost.set() if state == KazooState.LOST else None)
    with pytest.raises(AuthFailedError):
        c.add_auth("no-such-scheme", "whatever")
    assert lost.wait(TIMEOUT)


# ---------------------------------------------------------------------------------------------
# TTL and container nodes

def test_ttl_nodes(zk, raw, base):
    s = raw()
    err, path, st = s.create(base + "/ttl", b"t", flags=5, op=OP_CREATE_TTL, ttl=300)
    assert (err, path) == (ZOK, base + "/ttl")
    assert (st["version"], st["dataLength"], st["ephemeralOwner"]) == (0, 1, 0), \
        "TTL nodes show ephemeralOwner 0 to clients"
    err, busy, _ = s.create(base + "/busy", flags=5, op=OP_CREATE_TTL, ttl=300)
    assert err == ZOK
    zk.create(busy + "/kid")
    err, seq, _ = s.create(base + "/seq-", flags=6, op=OP_CREATE_TTL, ttl=300)
    assert (err, seq) == (ZOK, base + "/seq-0000000002")

    wait_until(lambda: zk.exists(path) is None and zk.exists(seq) is None, timeout=TIMEOUT,
               what="empty TTL nodes to expire")
    assert zk.exists(busy) is not None, "a TTL node with children stays"
    zk.delete(busy + "/kid")
    wait_until(lambda: zk.exists(busy) is None, timeout=TIMEOUT, what="emptied TTL node to go")


def test_ttl_bad_arguments(raw, base):
    s = raw()
    for ttl in (0, -1, 1 << 40):  # ttl must be in [1, 2^40 - 1]
        assert s.create(base + "/t", flags=5, op=OP_CREATE_TTL, ttl=ttl)[0] == ZBADARGUMENTS
    # createTTL with a non-TTL mode, and a TTL mode on plain create/create2.
    assert s.create(base + "/t", flags=0, op=OP_CREATE_TTL, ttl=1000)[0] == ZBADARGUMENTS
    assert s.create(base + "/t", flags=5, op=OP_CREATE)[0] == ZBADARGUMENTS
    assert s.create(base + "/t", flags=5, op=OP_CREATE2)[0] == ZBADARGUMENTS
    assert s.exists(base + "/t") == ZNONODE


def test_container_removed_after_last_child(zk, raw, base):
    s = raw()
    err, path, st = s.create(base + "/c", b"", flags=4, op=OP_CREATE_CONTAINER)
    assert (err, path) == (ZOK, base + "/c")
    assert st["ephemeralOwner"] == 0, "containers show ephemeralOwner 0 to clients"
    zk.create(path + "/a")
    zk.create(path + "/b")
    zk.delete(path + "/a")
    # The container still has a child; prove a check ran by waiting for another container.
    err, probe, _ = s.create(base + "/probe", flags=4, op=OP_CREATE_CONTAINER)
    zk.create(probe + "/x")
    zk.delete(probe + "/x")
    wait_until(lambda: zk.exists(probe) is None, timeout=TIMEOUT, what="probe container to go")
    assert zk.get_children(path) == ["b"]
    zk.delete(path + "/b")
    wait_until(lambda: zk.exists(path) is None, timeout=TIMEOUT, what="emptied container to go")


# ---------------------------------------------------------------------------------------------
# Recipes and four-letter words

def test_lock_recipe_hands_over(clients, base):
    a, b = clients(), clients()
    lock_a, lock_b = Lock(a, base + "/lock", "a"), Lock(b, base + "/lock", "b")
    assert lock_a.acquire(timeout=TIMEOUT)
    got = threading.Event()

    def contend():
        if lock_b.acquire(timeout=TIMEOUT * 3):
            got.set()

    t = threading.Thread(target=contend)
    t.start()
    wait_until(lambda: len(lock_a.contenders()) == 2, timeout=TIMEOUT, what="b to queue")
    assert not got.is_set()
    assert lock_a.contenders() == ["a", "b"]
    lock_a.release()
    assert got.wait(TIMEOUT)
    t.join(TIMEOUT)
    assert lock_b.contenders() == ["b"]
    lock_b.release()


def test_four_letter_words(zk, zk_server):
    assert four_letter(zk_server.port, "ruok") == "imok"
    srvr = four_letter(zk_server.port, "srvr")
    assert "Zookeeper version: 3." in srvr and "Mode: standalone" in srvr
    assert four_letter(zk_server.port, "isro") == "rw"
    assert zk.server_version()[0] == 3


def test_four_letter_word_whitelist(server_factory):
    s = server_factory({"4lw.commands.whitelist": "mntr"})
    assert four_letter(s.port, "ruok") == NOT_WHITELISTED % "ruok"
    assert four_letter(s.port, "isro") == NOT_WHITELISTED % "isro"
    assert "zk_znode_count" in four_letter(s.port, "mntr")
    # srvr is always answered: ZooKeeper's own scripts poll it.
    assert "Mode: standalone" in four_letter(s.port, "srvr")
