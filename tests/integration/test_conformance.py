"""Differential conformance test: one seeded, scripted scenario against Apache ZooKeeper and Corral.

For every seed, a fresh Apache ZooKeeper (the reference) and a fresh target server are started
with identical zoo.cfg. A seeded generator produces several hundred operations over a small path
space from five sessions ("slots"); each operation is applied to both servers in lockstep and
everything observable is recorded into a transcript:

  * every reply: xid, ReplyHeader.zxid, error code, and the decoded body with deterministic Stat
    fields (czxid/mzxid/pzxid exactly, version/cversion/aversion, dataLength, numChildren,
    ephemeralOwner mapped to the index of the session that owns it; ctime/mtime are not compared),
    data, children (sorted), ACLs, multi results;
  * every ConnectResponse (negotiated timeout, session index, password length, readOnly flag) and
    whether the server closed the connection;
  * the watch notifications each session received, in order relative to its replies. After every
    operation each session sends a ping and reads up to the ping's reply ("barrier"), so a
    notification caused by operation N is always recorded in operation N's entry.

Zxids are compared exactly: the reference consumes one zxid per write request (also failing ones),
per createSession and per closeSession; reads, sync, ping, auth and setWatches consume none. The
target must assign the same zxids.

The default run uses a few fixed seeds; CORRAL_CONFORMANCE_SEEDS=N runs seeds 1..N instead,
CORRAL_CONFORMANCE_SEED=S runs seed S alone, CORRAL_CONFORMANCE_OPS sets the operations per seed
and CORRAL_CONFORMANCE_SHOW how many differing operations a failure prints. With CORRAL_TEST_TARGET=zookeeper the target
is a second ZooKeeper: that run must come out identical and proves the harness and normalization.

Differences between the ZooKeeper 3.8 reference and the 3.9 behaviour Corral targets are accepted
only through the rules in KNOWN_DIFFERENCES, each of which must be described in
docs/compatibility.md (checked by test_known_differences_are_documented); operations on which 3.8
and 3.9 disagree in ways a rule cannot describe are not generated (listed in the same document).
"""
import difflib
import os
import random
import socket
import threading
import time

import pytest

import zkwire as z
from servers import CorralServer, ZooKeeperServer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMPAT_DOC = os.path.join(ROOT, "docs", "compatibility.md")
TARGET = os.environ.get("CORRAL_TEST_TARGET", "corral")

DEFAULT_SEEDS = [1, 2, 3]
_SWEEP = int(os.environ.get("CORRAL_CONFORMANCE_SEEDS", "0") or 0)
_ONE = os.environ.get("CORRAL_CONFORMANCE_SEED")
SEEDS = [int(_ONE)] if _ONE else list(range(1, _SWEEP + 1)) if _SWEEP > 0 else DEFAULT_SEEDS
N_OPS = int(os.environ.get("CORRAL_CONFORMANCE_OPS", "400"))
MAX_DIFFS_SHOWN = int(os.environ.get("CORRAL_CONFORMANCE_SHOW", "3"))

# Identical zoo.cfg additions for both servers. Containers and TTL nodes are reaped by a timer
# (60 s by default); each seed runs on fresh servers well within that, and the interval is also
# raised so that no reaper write can ever consume a zxid in the middle of a scenario.
SERVER_CONFIG = {"znode.container.checkIntervalMs": "3600000"}

IO_TIMEOUT = 2.5        # a reply that takes longer is recorded as "timeout"
CLOSE_WAIT = 2.0        # how long to wait for a server-side close we expect
MAX_TIMEOUTS = 3        # abort a run after this many timeouts (the transcript shows where)

SLOTS = 5
PERSISTENT_SLOTS = (3, 4)   # these sessions use addWatch/setWatches2 persistent watches only;
STANDARD_SLOTS = (0, 1, 2)  # these use one-shot watches only (see "mixed watch modes" in the doc)

C_PATHS = ["/c", "/c/a", "/c/a/b", "/c/a/b/d", "/c/b", "/c/b/x", "/c/e", "/c/a/e"]
S_PATHS = ["/s", "/s/p", "/s/p/q", "/s/r"]
SYS_PATHS = ["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"]
BAD_PATHS = ["c", "/c/", "//c", "/c/./a", "", "/c/a/../b", "/c/\x00x"]
SEQ_PREFIXES = ["/c/q-", "/c/a/q-", "/c/b/s", "/s/n-"]
# Persistent-watch sessions always use the same mode on a path (never both on one path).
WATCH_MODE = {"/": z.ADD_WATCH_PERSISTENT, "/c": z.ADD_WATCH_PERSISTENT_RECURSIVE,
              "/c/a": z.ADD_WATCH_PERSISTENT, "/c/a/b": z.ADD_WATCH_PERSISTENT_RECURSIVE,
              "/c/b": z.ADD_WATCH_PERSISTENT, "/c/e": z.ADD_WATCH_PERSISTENT,
              "/c/zz": z.ADD_WATCH_PERSISTENT_RECURSIVE}

ALICE = z.digest_id("alice", "pw")
BOB = z.digest_id("bob", "pw")
# ACLs under /c always grant READ to everyone (see "ACL-filtered notifications" in the doc).
C_ACLS = {
    "open": z.OPEN_ACL_UNSAFE,
    "read": z.READ_ACL_UNSAFE,
    "alice+read": [z.ACL(31, "digest", ALICE), z.ACL(1, "world", "anyone")],
    "bob+rc": [z.ACL(31, "digest", BOB), z.ACL(5, "world", "anyone")],
    "ip+read": [z.ACL(31, "ip", "127.0.0.1/32"), z.ACL(1, "world", "anyone")],
    "otherip+read": [z.ACL(31, "ip", "10.0.0.0/8"), z.ACL(1, "world", "anyone")],
    "dup": [z.ACL(31, "world", "anyone"), z.ACL(31, "world", "anyone")],
}
S_ACLS = dict(C_ACLS)
S_ACLS.update({
    "auth": z.CREATOR_ALL_ACL,
    "alice": [z.ACL(31, "digest", ALICE)],
    "alice-admin,bob-read": [z.ACL(16, "digest", ALICE), z.ACL(1, "digest", BOB)],
    "none": [z.ACL(0, "world", "anyone")],
    "auth+bob": [z.ACL(7, "auth", ""), z.ACL(1, "digest", BOB)],
})
BAD_ACLS = {
    "empty": [],
    "badscheme": [z.ACL(31, "foo", "bar")],
    "baddigest": [z.ACL(31, "digest", "nocolon")],
    "badip": [z.ACL(31, "ip", "notanip")],
}
AUTHS = [("digest", b"alice:pw"), ("digest", b"bob:pw"), ("digest", b"alice:wrong")]


# ---------------------------------------------------------------------------------------------
# Known, documented differences between the ZooKeeper 3.8 reference and a 3.9-compatible target.
# Each id must appear in docs/compatibility.md. A rule only rewrites the target's item into the
# reference's form after checking that the target's item is exactly the documented alternative.
# ---------------------------------------------------------------------------------------------
KNOWN_DIFFERENCES = {
    "notification-zxid": "3.8 sends ReplyHeader.zxid -1 with every notification; 3.9 "
                         "(ZOOKEEPER-4655) sends the zxid of the transaction that fired it.",
    "standalone-check-reply": "3.8 (and 3.9) never answer a successful standalone check "
                              "(opcode 13); a target may answer it with OK.",
    "multi-create2-result": "3.8 answers a create2 inside multi with a create result (path "
                            "only); 3.9 (ZOOKEEPER-4026) with a create2 result (path + Stat).",
    "checkwatches-per-connection": "3.8 answers checkWatches OK when any connection watches the "
                                   "path; 3.9 only for the asking connection's own watches.",
}


class Op:
    """One scenario step. kind: req, check, pipeline, close_session, reconnect, bad_reconnect,
    zombie_reconnect, connect_ahead, probe_connect, ping."""

    def __init__(self, kind, slot, desc, **kw):
        self.kind = kind
        self.slot = slot
        self.desc = desc
        self.opcode = None
        self.body = b""
        self.xid = None
        self.path = None
        self.sub_types = None
        self.sub_paths = None
        self.watch = False
        self.subs = None
        self.wtype = None
        self.own_watch = None
        self.watch_paths = None
        self.__dict__.update(kw)


# ---------------------------------------------------------------------------------------------
# Normalization of replies into comparable, printable structures
# ---------------------------------------------------------------------------------------------
class Normalizer:
    """Maps one server's session ids to session indices (S0, S1, ... in creation order)."""

    def __init__(self):
        self.sids = {}

    def register(self, sid):
        if sid and sid not in self.sids:
            self.sids[sid] = len(self.sids)

    def sid(self, sid):
        if sid == 0:
            return 0
        if sid in self.sids:
            return "S%d" % self.sids[sid]
        return "0x%016x" % (sid & 0xFFFFFFFFFFFFFFFF)

    def stat(self, st):
        if st is None:
            return None
        return ("stat", "czxid=%d" % st.czxid, "mzxid=%d" % st.mzxid, "pzxid=%d" % st.pzxid,
                "version=%d" % st.version, "cversion=%d" % st.cversion,
                "aversion=%d" % st.aversion, "owner=%s" % (self.sid(st.ephemeral_owner),),
                "dataLength=%d" % st.data_length, "numChildren=%d" % st.num_children)

    def value(self, opcode, v):
        """Normalizes a decoded response body (zkwire.decode_response) for `opcode`."""
        if v is None:
            return None
        if opcode in (z.OP_CREATE, z.OP_SYNC):
            return ("path", v)
        if opcode in (z.OP_CREATE2, z.OP_CREATE_CONTAINER, z.OP_CREATE_TTL):
            return ("path", v[0], self.stat(v[1]))
        if opcode in (z.OP_EXISTS, z.OP_SET_DATA, z.OP_SET_ACL, z.OP_CHECK):
            return self.stat(v)
        if opcode == z.OP_GET_DATA:
            return ("data", v[0], self.stat(v[1]))
        if opcode in (z.OP_GET_CHILDREN, z.OP_GET_EPHEMERALS):
            return ("sorted", tuple(sorted(v)) if v is not None else None)
        if opcode == z.OP_GET_CHILDREN2:
            return ("sorted", tuple(sorted(v[0])) if v[0] is not None else None, self.stat(v[1]))
        if opcode == z.OP_GET_ACL:  # sorted: `auth` expands in hash-set order
            return ("acl", tuple(sorted(tuple(a) for a in v[0])) if v[0] is not None else None,
                    self.stat(v[1]))
        if opcode in (z.OP_MULTI, z.OP_MULTI_READ):
            return ("results",) + tuple(self.multi_result(r) for r in v)
        if opcode == z.OP_WHO_AM_I:  # sorted: ZooKeeper keeps auth ids in a hash set
            return ("clients",) + tuple(sorted(tuple(c) for c in (v or ())))
        if isinstance(v, (int, str, bytes)):
            return v
        return repr(v)

    def multi_result(self, r):
        name = z.OP_NAMES.get(r.type, str(r.type))
        if r.type == z.OP_ERROR:
            return (name, z.err_name(r.err), "ErrorResponse=%s" % z.err_name(r.value))
        return (name, z.err_name(r.err), self.value(r.type, r.value))

    def connect(self, resp):
        self.register(resp.session_id)
        return ("proto=%d" % resp.protocol_version, "timeout=%d" % resp.timeout_ms,
                "session=%s" % (self.sid(resp.session_id),),
                "passwd=%s" % (None if resp.passwd is None else "%d bytes%s" % (
                    len(resp.passwd), ", zeros" if resp.passwd == b"\x00" * len(resp.passwd)
                    else "")),
                "readOnly=%s" % resp.read_only)


def norm_reply(nz, opcode, reply):
    """("reply", opname, xid, zxid, err, body)."""
    name = z.OP_NAMES.get(opcode, str(opcode))
    body = None
    if reply.body:
        try:
            body = nz.value(opcode, z.decode_response(opcode, reply.body))
        except (z.ProtocolError, UnicodeDecodeError) as e:
            body = ("undecodable", str(e), reply.body.hex())
    return ("reply", name, reply.xid, "zxid=%d" % reply.zxid, z.err_name(reply.err), body)


def norm_event(ev):
    return ("event", z.EVENT_NAMES.get(ev.type, str(ev.type)), ev.path, "state=%d" % ev.state,
            "zxid=%d" % ev.zxid)


# ---------------------------------------------------------------------------------------------
# Running a scenario against one server
# ---------------------------------------------------------------------------------------------
class Slot:
    def __init__(self, timeout_ms):
        self.conn = None
        self.sid = 0
        self.passwd = b""
        self.timeout_ms = timeout_ms
        self.last_zxid = 0


class AbortRun(Exception):
    pass


class Runner:
    """Applies Ops to one server and returns, per op, {window: [items]} where a window is a slot
    index (everything that slot's connection received, in order) or "new" (connections opened
    by the op itself)."""

    def __init__(self, server):
        self.server = server
        self.nz = Normalizer()
        self.slots = [Slot(30000) for _ in range(SLOTS)]
        self.zombies = []  # (sid, passwd) of closed sessions, in closing order
        self.timeouts = 0

    # -- connections --
    def _open(self):
        return z.Connection("127.0.0.1", self.server.port, timeout=IO_TIMEOUT)

    def new_session(self, k, win):
        slot = self.slots[k]
        if slot.conn:
            slot.conn.close()
            slot.conn = None
        c = self._open()
        try:
            resp = c.handshake(timeout_ms=slot.timeout_ms)
        except (z.ConnectionClosed, OSError) as e:
            win.append(("new-session", "no ConnectResponse: %s" % type(e).__name__))
            c.close()
            self._timeout_guard(e)
            return
        win.append(("new-session",) + self.nz.connect(resp))
        slot.conn, slot.sid, slot.passwd = c, resp.session_id, resp.passwd

    def reconnect(self, k, win, label="reconnect", read_only=False, send_read_only=True):
        """Reconnects slot k's session on a new connection; False when the session is gone."""
        slot = self.slots[k]
        if slot.conn:
            slot.conn.close()
            slot.conn = None
        c = self._open()
        try:
            resp = c.handshake(timeout_ms=slot.timeout_ms, session_id=slot.sid,
                               passwd=slot.passwd, last_zxid_seen=slot.last_zxid,
                               read_only=read_only, send_read_only=send_read_only)
        except (z.ConnectionClosed, OSError) as e:
            win.append((label, "no ConnectResponse: %s" % type(e).__name__))
            c.close()
            self._timeout_guard(e)
            return False
        win.append((label,) + self.nz.connect(resp))
        if resp.session_id == 0:
            win.append(("server closed connection" if c.is_closed_by_peer(CLOSE_WAIT)
                        else "connection left open",))
            c.close()
            return False
        slot.conn = c
        return True

    def _timeout_guard(self, e):
        if isinstance(e, socket.timeout):
            self.timeouts += 1
            if self.timeouts >= MAX_TIMEOUTS:
                raise AbortRun("%d timeouts" % self.timeouts)

    def _lost(self, k, win, e):
        win.append(("timeout",) if isinstance(e, socket.timeout) else ("closed",))
        slot = self.slots[k]
        if slot.conn:
            slot.conn.close()
        slot.conn = None
        self._timeout_guard(e)

    def _read_until(self, k, win, want_xids, opcodes):
        """Reads slot k's packets until replies for all want_xids arrived; appends events and
        replies to win in arrival order. Returns the set of xids answered."""
        conn = self.slots[k].conn
        pending = list(want_xids)
        got = set()
        while pending:
            pkt = conn.read_packet()
            if isinstance(pkt, z.Event):
                win.append(norm_event(pkt))
                continue
            self.slots[k].last_zxid = max(self.slots[k].last_zxid, pkt.zxid)
            if pkt.xid in pending:
                pending.remove(pkt.xid)
                got.add(pkt.xid)
                op = opcodes.get(pkt.xid)
                if op is not None:
                    win.append(norm_reply(self.nz, op, pkt))
            else:
                win.append(("unexpected",) + norm_reply(self.nz, z.OP_ERROR, pkt)[2:])
        return got

    def barrier(self, rec):
        """Pings every session and records what arrived before the ping reply; reconnects any
        session whose connection was closed."""
        for k in range(SLOTS):
            win = rec.setdefault(k, [])
            if self.slots[k].conn is not None:
                try:
                    self.slots[k].conn.send(z.OP_PING, b"", xid=z.XID_PING)
                    self._read_until(k, win, [z.XID_PING], {})
                except (z.ConnectionClosed, OSError) as e:
                    self._lost(k, win, e)
            if self.slots[k].conn is None:
                if not self.reconnect(k, win, label="auto-reconnect"):
                    self.zombies.append((self.slots[k].sid, self.slots[k].passwd))
                    self.new_session(k, win)

    # -- executing ops --
    def start(self):
        rec = {}
        for k in range(SLOTS):
            self.new_session(k, rec.setdefault(k, []))
        self.barrier(rec)
        return rec

    SIDE_KINDS = ("bad_reconnect", "zombie_reconnect", "connect_ahead", "probe_connect")

    def run(self, op):
        rec = {}
        win = rec.setdefault(op.slot, [])
        if self.slots[op.slot].conn is None and op.kind not in self.SIDE_KINDS + ("reconnect",):
            win.append(("no connection",))
            self.barrier(rec)
            return rec
        try:
            getattr(self, "op_" + op.kind)(op, rec, win)
        except (z.ConnectionClosed, OSError) as e:
            self._lost(op.slot, win, e)
        self.barrier(rec)
        return rec

    def op_req(self, op, rec, win):
        conn = self.slots[op.slot].conn
        xid = conn.send(op.opcode, op.body, xid=op.xid)
        self._read_until(op.slot, win, [xid], {xid: op.opcode})

    def op_ping(self, op, rec, win):
        conn = self.slots[op.slot].conn
        conn.send(z.OP_PING, b"", xid=z.XID_PING)
        self._read_until(op.slot, win, [z.XID_PING], {z.XID_PING: z.OP_PING})

    def op_check(self, op, rec, win):
        """Standalone check, followed in the same write by a ping: when the ping's reply comes
        first, the check was not answered (ZooKeeper never answers a successful one)."""
        conn = self.slots[op.slot].conn
        xid = conn.next_xid
        conn.next_xid += 1
        payload = z.request_header(xid, z.OP_CHECK) + op.body
        ping = z.request_header(z.XID_PING, z.OP_PING)
        conn.send_raw(len(payload).to_bytes(4, "big") + payload + len(ping).to_bytes(4, "big")
                      + ping)
        while True:
            pkt = conn.read_packet()
            if isinstance(pkt, z.Event):
                win.append(norm_event(pkt))
            elif pkt.xid == xid:
                win.append(norm_reply(self.nz, z.OP_CHECK, pkt))
            elif pkt.xid == z.XID_PING:
                if not any(it[0] == "reply" and it[2] == xid for it in win):
                    win.append(("noreply", "check", xid))
                return
            else:
                win.append(("unexpected",) + norm_reply(self.nz, z.OP_ERROR, pkt)[2:])

    def op_pipeline(self, op, rec, win):
        conn = self.slots[op.slot].conn
        frames = []
        xids = {}
        for opcode, body in op.reqs:
            xid = conn.next_xid
            conn.next_xid += 1
            xids[xid] = opcode
            payload = z.request_header(xid, opcode) + body
            frames.append(len(payload).to_bytes(4, "big") + payload)
        conn.send_raw(b"".join(frames))
        self._read_until(op.slot, win, list(xids), xids)

    def op_close_session(self, op, rec, win):
        slot = self.slots[op.slot]
        xid = slot.conn.send(z.OP_CLOSE_SESSION)
        self._read_until(op.slot, win, [xid], {xid: z.OP_CLOSE_SESSION})
        win.append(("server closed connection" if slot.conn.is_closed_by_peer(CLOSE_WAIT)
                    else "connection left open",))
        slot.conn.close()
        slot.conn = None
        self.zombies.append((slot.sid, slot.passwd))
        slot.timeout_ms = op.timeout_ms
        self.new_session(op.slot, win)

    def op_reconnect(self, op, rec, win):
        if not self.reconnect(op.slot, win, read_only=op.read_only,
                              send_read_only=op.send_read_only):
            self.zombies.append((self.slots[op.slot].sid, self.slots[op.slot].passwd))
            self.new_session(op.slot, win)

    def _side_connect(self, rec, **handshake):
        win = rec.setdefault("new", [])
        c = self._open()
        try:
            resp = c.handshake(**handshake)
        except (z.ConnectionClosed, OSError) as e:
            win.append(("connect", "no ConnectResponse: %s" % type(e).__name__))
            c.close()
            self._timeout_guard(e)
            return None, win
        win.append(("connect",) + self.nz.connect(resp))
        return (c, resp), win

    def _expect_close(self, c, win):
        win.append(("server closed connection" if c.is_closed_by_peer(CLOSE_WAIT)
                    else "connection left open",))
        c.close()

    def op_bad_reconnect(self, op, rec, win):
        slot = self.slots[op.slot]
        res, side = self._side_connect(rec, session_id=slot.sid, passwd=b"\x5a" * 16)
        if res:
            self._expect_close(res[0], side)

    def op_zombie_reconnect(self, op, rec, win):
        if op.zombie >= len(self.zombies):
            win.append(("no closed session #%d" % op.zombie,))
            return
        sid, passwd = self.zombies[op.zombie]
        res, side = self._side_connect(rec, session_id=sid, passwd=passwd)
        if res:
            self._expect_close(res[0], side)

    def op_connect_ahead(self, op, rec, win):
        last = max(s.last_zxid for s in self.slots)
        res, side = self._side_connect(rec, last_zxid_seen=last + op.ahead)
        if res:
            self._expect_close(res[0], side)

    def op_probe_connect(self, op, rec, win):
        res, side = self._side_connect(rec, timeout_ms=op.timeout_ms, read_only=op.read_only,
                                       send_read_only=op.send_read_only,
                                       protocol_version=op.protocol_version)
        if not res:
            return
        c, resp = res
        if resp.session_id == 0:
            self._expect_close(c, side)
            return
        try:
            r = c.call(z.OP_CLOSE_SESSION)
            side.append(norm_reply(self.nz, z.OP_CLOSE_SESSION, r))
            self._expect_close(c, side)
        except (z.ConnectionClosed, OSError) as e:
            side.append(("closed",))
            c.close()
            self._timeout_guard(e)
        self.zombies.append((resp.session_id, resp.passwd))

    def close(self):
        for s in self.slots:
            if s.conn:
                s.conn.close()


# ---------------------------------------------------------------------------------------------
# The seeded scenario generator
# ---------------------------------------------------------------------------------------------
class Generator:
    """Produces Ops from a seeded RNG. It learns sequential node names, versions and zxids from
    the reference's transcript, so later operations can hit them."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.existing = set()
        # One-shot watches each one-shot-watch session holds, as far as the reference's answers
        # and notifications tell: {"data": paths, "child": paths, "unknown": paths}.
        self.watches = {k: self._no_watches() for k in STANDARD_SLOTS}
        self.versions = {}
        self.aversions = {}
        self.max_zxid = 0
        self.zombies = 0
        self.n = 0

    # -- learning from the reference --
    def learn(self, op, rec):
        """Updates the model (existing paths, versions, zxids, watches) from the reference's
        record."""
        for win in rec.values():
            for it in win:
                if it[0] == "reply":
                    self.max_zxid = max(self.max_zxid, int(it[3].split("=")[1]))
                    self._learn_reply(op, it)
        for k in STANDARD_SLOTS:
            self._learn_watches(op, k, rec.get(k, []))

    @staticmethod
    def _no_watches():
        return {"data": set(), "child": set(), "unknown": set()}

    def has_watch(self, slot, path, wtype):
        """True/False: whether `slot`'s own connection holds a one-shot watch of WatcherType
        wtype on path; None when the model cannot tell."""
        w = self.watches.get(slot)
        if w is None or path in w["unknown"]:
            return None
        data, child = path in w["data"], path in w["child"]
        return {z.WATCHER_DATA: data, z.WATCHER_CHILDREN: child}.get(wtype, data or child)

    def _learn_watches(self, op, k, win):
        """Replays slot k's window: replies register watches, notifications consume them, a new
        connection has none."""
        w = self.watches[k]
        mine = op.slot == k
        if mine and op.kind == "pipeline":
            requests = list(op.subs)
        elif mine and op.kind == "req":
            requests = [(op.opcode, op.path, op.watch)]
        else:
            requests = []
        for it in win:
            kind = it[0]
            if kind in ("new-session", "reconnect", "auto-reconnect", "closed", "timeout"):
                self.watches[k] = w = self._no_watches()
            elif kind == "event":
                etype, path = it[1], it[2]
                if etype in ("NodeCreated", "NodeDataChanged", "NodeDeleted"):
                    w["data"].discard(path)
                if etype in ("NodeChildrenChanged", "NodeDeleted"):
                    w["child"].discard(path)
            elif kind == "reply" and requests:
                opcode, path, watch = requests.pop(0)
                err = it[4]
                if watch and (err == "OK(0)" or (opcode == z.OP_EXISTS and
                                                 err == "NONODE(-101)")):
                    w["child" if opcode in (z.OP_GET_CHILDREN, z.OP_GET_CHILDREN2)
                      else "data"].add(path)
                elif opcode in (z.OP_SET_WATCHES, z.OP_SET_WATCHES2):
                    # Which paths got registered and which fired at once is ambiguous.
                    w["unknown"].update(op.watch_paths or ())
                elif opcode == z.OP_REMOVE_WATCHES and err == "OK(0)":
                    if op.wtype in (z.WATCHER_DATA, z.WATCHER_ANY):
                        w["data"].discard(path)
                    if op.wtype in (z.WATCHER_CHILDREN, z.WATCHER_ANY):
                        w["child"].discard(path)

    def _learn_reply(self, op, it):
        name, err, body = it[1], it[4], it[5]
        path = op.path
        if name == "multi" and body and op.sub_paths:
            for sub_path, res in zip(op.sub_paths, body[1:]):
                if res[1] != "OK(0)":
                    continue
                if res[0] in ("create", "create2") and res[2]:
                    self._add(res[2][1])
                elif res[0] == "delete":
                    self.existing.discard(sub_path)
            return
        if name == "get_children" or name == "get_children2":
            if err == "OK(0)" and body and body[1] and path:
                for child in body[1]:
                    self._add(path.rstrip("/") + "/" + child)
        if path is None:
            return
        if err == "NONODE(-101)":
            self.existing.discard(path)
        elif err == "NODEEXISTS(-110)":
            self._add(path)
        elif err == "OK(0)":
            if name == "delete":
                self.existing.discard(path)
            elif name.startswith("create") and body:
                self._add(body[1])
            elif name not in ("sync", "add_watch", "check_watches", "remove_watches"):
                self._add(path)
        self._learn_stat(path, body)

    def _learn_stat(self, path, v):
        if isinstance(v, tuple):
            if v and v[0] == "stat":
                self.versions[path] = int(v[4].split("=")[1])
                self.aversions[path] = int(v[6].split("=")[1])
                return
            for x in v:
                self._learn_stat(path, x)

    def _add(self, path):
        if isinstance(path, str) and (path.startswith("/c/") or path.startswith("/s/") or
                                      path in ("/c", "/s")):
            self.existing.add(path)

    # -- choices --
    def chance(self, p):
        return self.rng.random() < p

    def pick(self, seq):
        return seq[self.rng.randrange(len(seq))]

    def _existing(self, prefix):
        return sorted(p for p in self.existing if p == prefix or p.startswith(prefix + "/"))

    def _area_path(self, prefix, fixed):
        ex = self._existing(prefix)
        if ex and self.chance(0.6):
            path = self.pick(ex)
            if path == prefix and self.chance(0.8):  # keep the area roots most of the time
                path = self.pick(ex)
            return path
        if prefix == "/c" and self.chance(0.05):
            return "/c/nope"
        return self.pick(fixed)

    def c_path(self):
        return self._area_path("/c", C_PATHS)

    def s_path(self):
        return self._area_path("/s", S_PATHS)

    def new_path(self):
        """A path to create: mostly one whose parent exists and that does not exist yet."""
        if self.chance(0.2):
            return self.pick(SEQ_PREFIXES)
        if self.chance(0.75):
            cands = [p for p in C_PATHS + S_PATHS + SEQ_PREFIXES
                     if p not in self.existing and p.rsplit("/", 1)[0] in self.existing]
            if cands:
                return self.pick(cands)
        return self.write_path()

    def write_path(self):
        r = self.rng.random()
        if r < 0.72:
            return self.c_path()
        if r < 0.92:
            return self.s_path()
        if r < 0.97:
            return self.pick(SYS_PATHS + ["/zookeeper/x"])
        return self.pick(BAD_PATHS)

    def read_path(self, no_s=False):
        r = self.rng.random()
        if r < 0.70 or (no_s and r < 0.85):
            return self.c_path()
        if r < 0.85:
            return self.s_path()
        if r < 0.97:
            return self.pick(SYS_PATHS)
        return self.pick(BAD_PATHS)

    def watch_path(self):
        """Paths a one-shot watch may be set on (never under /s)."""
        return self.c_path() if self.chance(0.85) else self.pick(SYS_PATHS)

    def version(self, path):
        r = self.rng.random()
        if r < 0.35:
            return -1
        if r < 0.8:
            return self.versions.get(path, 0)
        return self.pick([0, 1, 2, 5, -2])

    def data(self):
        r = self.rng.random()
        if r < 0.08:
            return None
        if r < 0.2:
            return b""
        if r < 0.25:
            return bytes(self.rng.randrange(256) for _ in range(1500))
        return bytes(self.rng.randrange(32, 127) for _ in range(self.rng.randrange(1, 12)))

    def acl(self, path):
        if self.chance(0.04):
            name = self.pick(sorted(BAD_ACLS))
            return name, BAD_ACLS[name]
        table = S_ACLS if path.startswith("/s") else C_ACLS
        if self.chance(0.6):
            return "open", z.OPEN_ACL_UNSAFE
        name = self.pick(sorted(table))
        return name, table[name]

    def create_args(self, path=None, in_multi=False):
        """(opcode, body, desc, path)."""
        rng = self.rng
        base = self.new_path() if path is None else path
        aclname, acl = self.acl(base)
        data = self.data()
        r = rng.random()
        if r < 0.12:
            opcode, flags = z.OP_CREATE_CONTAINER, z.CONTAINER if self.chance(0.85) else \
                self.pick([0, 1, 2])
            ttl = None
        elif r < 0.24:
            opcode = z.OP_CREATE_TTL
            flags = self.pick([5, 5, 6, 6, 0, 4])
            ttl = self.pick([1000, 3600000, 86400000, 1, 0, -1, z.MAX_TTL, z.MAX_TTL + 1])
            if flags not in (5, 6) and ttl < 0 and not in_multi:
                # On its own, ZooKeeper passes this to its commit thread, which dies: never sent
                # (test_hostile.py checks that Corral rejects it). In a multi it is a plain create.
                ttl = 1000
        else:
            opcode = self.pick([z.OP_CREATE, z.OP_CREATE2])
            flags = self.pick([0, 0, 0, 1, 1, 2, 3, 4, 5, 7])
            ttl = None
        body = z.create_request(base, data, acl, flags, ttl)
        desc = "%s %r flags=%d acl=%s data=%s%s" % (
            z.OP_NAMES[opcode], base, flags, aclname, _short(data),
            "" if ttl is None else " ttl=%d" % ttl)
        return opcode, body, desc, base

    def req(self, slot, opcode, body, desc, path=None, **kw):
        return Op("req", slot, "slot%d %s" % (slot, desc), opcode=opcode, body=body, path=path,
                  **kw)

    # -- one op --
    def prologue(self):
        return [self.req(0, z.OP_CREATE, z.create_request("/c", b"root-c"), "create '/c'",
                         "/c"),
                self.req(1, z.OP_CREATE2, z.create_request("/s", b"root-s"), "create2 '/s'",
                         "/s")]

    def next(self):
        self.n += 1
        rng = self.rng
        slot = rng.randrange(SLOTS)
        std = slot in STANDARD_SLOTS
        kinds = [
            ("create", 16), ("delete", 8), ("setData", 9), ("exists", 6), ("getData", 7),
            ("getChildren", 6), ("multi", 7), ("multiRead", 3), ("check", 2), ("getACL", 2),
            ("setACL", 3), ("auth", 2), ("sync", 1), ("getEphemerals", 2), ("allChildren", 1),
            ("whoAmI", 1), ("watchAdmin", 3), ("setWatches", 2), ("pipeline", 3),
            ("closeSession", 1.2), ("reconnect", 1.5), ("badReconnect", 0.4),
            ("zombie", 0.4), ("ahead", 0.2), ("probe", 0.5), ("ping", 1), ("sys", 1),
            ("badAuth", 0.15),
        ]
        total = sum(w for _, w in kinds)
        x = rng.random() * total
        for kind, w in kinds:
            x -= w
            if x < 0:
                break
        return getattr(self, "gen_" + kind)(slot, std)

    def gen_create(self, slot, std):
        opcode, body, desc, path = self.create_args()
        return self.req(slot, opcode, body, desc, path)

    def gen_delete(self, slot, std):
        path = self.write_path()
        v = self.version(path)
        return self.req(slot, z.OP_DELETE, z.delete_request(path, v),
                        "delete %r version=%d" % (path, v), path)

    def gen_setData(self, slot, std):
        path = self.write_path()
        v = self.version(path)
        data = self.data()
        return self.req(slot, z.OP_SET_DATA, z.set_data_request(path, data, v),
                        "setData %r version=%d data=%s" % (path, v, _short(data)), path)

    def _read(self, slot, std, opcode, no_s=False):
        watch = std and self.chance(0.6)
        path = self.watch_path() if watch else self.read_path(no_s)
        xid = self.pick([0, 2147483647, -100]) if self.chance(0.03) else None
        return self.req(slot, opcode, z.path_watch_request(path, watch),
                        "%s %r watch=%s%s" % (z.OP_NAMES[opcode], path, watch,
                                              "" if xid is None else " xid=%d" % xid),
                        path, xid=xid, watch=watch)

    def gen_exists(self, slot, std):
        # exists is never sent under /s: 3.9 checks READ on it (ZOOKEEPER-2590), 3.8 does not.
        return self._read(slot, std, z.OP_EXISTS, no_s=True)

    def gen_getData(self, slot, std):
        return self._read(slot, std, z.OP_GET_DATA)

    def gen_getChildren(self, slot, std):
        return self._read(slot, std, self.pick([z.OP_GET_CHILDREN, z.OP_GET_CHILDREN2]))

    def _sub_op(self):
        """(opcode, body, desc, path) for one operation inside a multi."""
        r = self.rng.random()
        if r < 0.4:
            opcode, body, desc, path = self.create_args(in_multi=True)
            if opcode in (z.OP_CREATE, z.OP_CREATE2):
                opcode = self.pick([z.OP_CREATE, z.OP_CREATE2])
                desc = z.OP_NAMES[opcode] + desc[desc.index(" "):]
            return opcode, body, desc, path
        path = self.write_path()
        v = self.version(path)
        if r < 0.6:
            return (z.OP_DELETE, z.delete_request(path, v), "delete %r version=%d" % (path, v),
                    path)
        if r < 0.8:
            data = self.data()
            return (z.OP_SET_DATA, z.set_data_request(path, data, v),
                    "setData %r version=%d data=%s" % (path, v, _short(data)), path)
        return z.OP_CHECK, z.check_request(path, v), "check %r version=%d" % (path, v), path

    def gen_multi(self, slot, std):
        r = self.rng.random()
        if r < 0.04:
            ops = []
        elif r < 0.08:  # a read op inside a write multi: MARSHALLINGERROR
            ops = [self._sub_op(), (z.OP_GET_DATA, z.path_watch_request("/c"), "getData '/c'",
                                    "/c")]
        else:
            ops = [self._sub_op() for _ in range(self.rng.randrange(1, 6))]
        body = z.multi_request([(o[0], o[1]) for o in ops])
        desc = "multi [%s]" % "; ".join(o[2] for o in ops)
        return self.req(slot, z.OP_MULTI, body, desc, sub_types=[o[0] for o in ops],
                        sub_paths=[o[3] for o in ops])

    def gen_multiRead(self, slot, std):
        ops = []
        for _ in range(self.rng.randrange(0, 5)):
            path = self.read_path()
            opcode = self.pick([z.OP_GET_DATA, z.OP_GET_CHILDREN])
            ops.append((opcode, z.path_watch_request(path), "%s %r" % (z.OP_NAMES[opcode], path)))
        if self.chance(0.05):
            ops.append((z.OP_SET_DATA, z.set_data_request("/c", b"x"), "setData '/c'"))
        body = z.multi_request([(o, b) for o, b, _ in ops])
        return self.req(slot, z.OP_MULTI_READ, body,
                        "multiRead [%s]" % "; ".join(d for _, _, d in ops))

    def gen_check(self, slot, std):
        path = self.write_path()
        v = self.version(path)
        return Op("check", slot, "slot%d check %r version=%d (+ping)" % (slot, path, v),
                  body=z.check_request(path, v), path=path)

    def gen_getACL(self, slot, std):
        path = self.read_path()
        return self.req(slot, z.OP_GET_ACL, z.path_request(path), "getACL %r" % path, path)

    def gen_setACL(self, slot, std):
        path = self.write_path()
        if path in ("/c", "/s"):
            path = "/c/a"
        aclname, acl = self.acl(path)
        r = self.rng.random()
        v = -1 if r < 0.4 else self.aversions.get(path, 0) if r < 0.85 else self.pick([0, 1, 3])
        return self.req(slot, z.OP_SET_ACL, z.set_acl_request(path, acl, v),
                        "setACL %r acl=%s aversion=%d" % (path, aclname, v), path)

    def gen_auth(self, slot, std):
        scheme, auth = self.pick(AUTHS)
        return self.req(slot, z.OP_AUTH, z.auth_request(scheme, auth),
                        "auth %s %r" % (scheme, auth), xid=z.XID_AUTH)

    def gen_badAuth(self, slot, std):
        return self.req(slot, z.OP_AUTH, z.auth_request("foo", b"bar"), "auth foo 'bar'",
                        xid=z.XID_AUTH)

    def gen_sync(self, slot, std):
        path = self.read_path()
        return self.req(slot, z.OP_SYNC, z.path_request(path), "sync %r" % path)

    def gen_getEphemerals(self, slot, std):
        prefix = self.pick(["/", "/c", "/c/a", "/c/", "/s", "", "/nope"])
        return self.req(slot, z.OP_GET_EPHEMERALS, z.path_request(prefix),
                        "getEphemerals %r" % prefix)

    def gen_allChildren(self, slot, std):
        path = self.read_path()
        return self.req(slot, z.OP_GET_ALL_CHILDREN_NUMBER, z.path_request(path),
                        "getAllChildrenNumber %r" % path)

    def gen_whoAmI(self, slot, std):
        return self.req(slot, z.OP_WHO_AM_I, b"", "whoAmI")

    def gen_watchAdmin(self, slot, std):
        if not std:
            path = self.pick(sorted(WATCH_MODE))
            mode = WATCH_MODE[path]
            return self.req(slot, z.OP_ADD_WATCH, z.add_watch_request(path, mode),
                            "addWatch %r mode=%d" % (path, mode), path)
        path = self.watch_path()
        wtype = self.pick([z.WATCHER_CHILDREN, z.WATCHER_DATA, z.WATCHER_ANY])
        opcode = self.pick([z.OP_CHECK_WATCHES, z.OP_REMOVE_WATCHES])
        return self.req(slot, opcode, z.watches_request(path, wtype),
                        "%s %r type=%d" % (z.OP_NAMES[opcode], path, wtype), path,
                        wtype=wtype, own_watch=self.has_watch(slot, path, wtype))

    def gen_setWatches(self, slot, std):
        rz = self.rng.randrange(0, self.max_zxid + 2)
        if std:
            lists = [sorted({self.watch_path() for _ in range(self.rng.randrange(0, 4))})
                     for _ in range(3)]
            v2 = self.chance(0.3)
            if v2:
                body = z.set_watches2_request(rz, lists[0], lists[1], lists[2], [], [])
            else:
                body = z.set_watches_request(rz, lists[0], lists[1], lists[2])
            desc = "%s relZxid=%d data=%s exist=%s child=%s" % (
                "setWatches2" if v2 else "setWatches", rz, lists[0], lists[1], lists[2])
            opcode = z.OP_SET_WATCHES2 if v2 else z.OP_SET_WATCHES
            watch_paths = set(lists[0]) | set(lists[1]) | set(lists[2])
        else:
            paths = sorted({self.pick(sorted(WATCH_MODE)) for _ in range(self.rng.randrange(1, 4))})
            pers = [p for p in paths if WATCH_MODE[p] == z.ADD_WATCH_PERSISTENT]
            rec = [p for p in paths if WATCH_MODE[p] == z.ADD_WATCH_PERSISTENT_RECURSIVE]
            body = z.set_watches2_request(rz, [], [], [], pers, rec)
            desc = "setWatches2 relZxid=%d persistent=%s recursive=%s" % (rz, pers, rec)
            opcode = z.OP_SET_WATCHES2
            watch_paths = set()
        xid = z.XID_SET_WATCHES if self.chance(0.8) else None
        return self.req(slot, opcode, body, desc + ("" if xid else " (normal xid)"), xid=xid,
                        watch_paths=watch_paths)

    def gen_pipeline(self, slot, std):
        reqs, descs, subs = [], [], []
        for _ in range(self.rng.randrange(2, 6)):
            r = self.rng.random()
            watch = False
            if r < 0.3:
                opcode, body, desc, path = self.create_args(self.c_path())
            elif r < 0.5:
                path = self.c_path()
                data = self.data()
                opcode, body, desc = (z.OP_SET_DATA, z.set_data_request(path, data, -1),
                                      "setData %r data=%s" % (path, _short(data)))
            elif r < 0.65:
                path = self.c_path()
                opcode, body, desc = (z.OP_DELETE, z.delete_request(path, -1),
                                      "delete %r" % path)
            else:
                watch = std and self.chance(0.5)
                path = self.c_path()
                opcode = self.pick([z.OP_GET_DATA, z.OP_EXISTS, z.OP_GET_CHILDREN2])
                body, desc = (z.path_watch_request(path, watch),
                              "%s %r watch=%s" % (z.OP_NAMES[opcode], path, watch))
            reqs.append((opcode, body))
            descs.append(desc)
            subs.append((opcode, path, watch))
        return Op("pipeline", slot, "slot%d pipeline [%s]" % (slot, "; ".join(descs)),
                  reqs=reqs, subs=subs)

    def gen_closeSession(self, slot, std):
        self.zombies += 1
        timeout = self.pick([30000, 30000, 40000, 100000, 10000])
        return Op("close_session", slot, "slot%d closeSession, then a new session (timeout %d)"
                  % (slot, timeout), timeout_ms=timeout)

    def gen_reconnect(self, slot, std):
        ro = self.chance(0.2)
        old = self.chance(0.15)
        return Op("reconnect", slot, "slot%d reconnect the session on a new connection%s%s" % (
            slot, " readOnly=true" if ro else "", " (no readOnly field)" if old else ""),
            read_only=ro, send_read_only=not old)

    def gen_badReconnect(self, slot, std):
        return Op("bad_reconnect", slot, "slot%d: another connection presents its session id "
                  "with a wrong password" % slot)

    def gen_zombie(self, slot, std):
        if not self.zombies:
            return self.gen_ping(slot, std)
        j = self.rng.randrange(self.zombies)
        return Op("zombie_reconnect", slot, "reconnect closed session #%d" % j, zombie=j)

    def gen_ahead(self, slot, std):
        ahead = self.pick([1, 1000])
        return Op("connect_ahead", slot, "connect with lastZxidSeen = last seen + %d" % ahead,
                  ahead=ahead)

    def gen_probe(self, slot, std):
        self.zombies += 1
        t = self.pick([1, 0, -5, 3999, 4000, 40001, 2 ** 31 - 1, 15000])
        ro = self.chance(0.3)
        old = self.chance(0.3)
        proto = self.pick([0, 0, 0, 1, -1])
        return Op("probe_connect", slot, "new connection timeout=%d readOnly=%s%s proto=%d, "
                  "then closeSession" % (t, ro, " (no readOnly field)" if old else "", proto),
                  timeout_ms=t, read_only=ro, send_read_only=not old, protocol_version=proto)

    def gen_ping(self, slot, std):
        return Op("ping", slot, "slot%d ping" % slot)

    def gen_sys(self, slot, std):
        r = self.rng.random()
        if r < 0.25:
            path = self.pick(["/", "/zookeeper", "/zookeeper/config", "/zookeeper/quota"])
            return self.req(slot, z.OP_DELETE, z.delete_request(path, -1), "delete %r" % path,
                            path)
        if r < 0.5:
            path = self.pick(["/zookeeper/config", "/zookeeper/quota", "/"])
            return self.req(slot, z.OP_SET_DATA, z.set_data_request(path, b"sys", -1),
                            "setData %r" % path, path)
        if r < 0.7:
            return self.req(slot, z.OP_GET_ACL, z.path_request("/zookeeper/config"),
                            "getACL '/zookeeper/config'")
        opcode = self.pick([z.OP_GET_DATA, z.OP_GET_CHILDREN2])
        path = self.pick(SYS_PATHS)
        return self.req(slot, opcode, z.path_watch_request(path, False),
                        "%s %r" % (z.OP_NAMES[opcode], path), path)


def _short(data):
    if data is None:
        return "null"
    if len(data) > 16:
        return "<%d bytes>" % len(data)
    return repr(data)


# ---------------------------------------------------------------------------------------------
# Normalizations that apply to every pair (unspecified order in ZooKeeper)
# ---------------------------------------------------------------------------------------------
def canonicalize(op, rec):
    """closeSession deletes the session's ephemerals in Java HashSet order, so the notifications
    it causes are compared as a sorted list (see docs/compatibility.md, "Normalizations")."""
    if op is not None and op.kind == "close_session":
        for key, win in rec.items():
            out, run = [], []
            for it in win + [None]:
                if it is not None and it[0] == "event":
                    run.append(it)
                    continue
                out.extend(sorted(run))
                run = []
                if it is not None:
                    out.append(it)
            rec[key] = out
    return rec


# ---------------------------------------------------------------------------------------------
# Known-difference rules (reference = ZooKeeper 3.8, target = a 3.9-compatible server)
# ---------------------------------------------------------------------------------------------
WRITE_REPLIES = {z.OP_NAMES[o] for o in (
    z.OP_CREATE, z.OP_CREATE2, z.OP_CREATE_CONTAINER, z.OP_CREATE_TTL, z.OP_DELETE,
    z.OP_SET_DATA, z.OP_SET_ACL, z.OP_MULTI, z.OP_CHECK, z.OP_CLOSE_SESSION)}


def _write_zxids(rec):
    """ReplyHeader zxids of the write requests in a record: the zxids a 3.9 server may put on
    the notifications those writes fired (setWatches-triggered notifications carry -1 in 3.9)."""
    out = set()
    for win in rec.values():
        for it in win:
            if it[0] == "reply" and it[1] in WRITE_REPLIES:
                out.add(it[3])
    return out


def reconcile(op, ref, tgt, used):
    """Rewrites documented alternatives in tgt into the reference's form; records rule ids."""
    zxids = _write_zxids(ref)
    for key in set(ref) & set(tgt):
        rw, tw = ref[key], tgt[key]
        # checkwatches-per-connection: the session provably holds no such watch itself.
        if key == op.slot and op.opcode == z.OP_CHECK_WATCHES and op.own_watch is False:
            for i, it in enumerate(rw):
                if it[0] == "reply" and it[1] == "check_watches" and it[4] == "OK(0)" and \
                        i < len(tw) and tw[i][:4] == it[:4] and tw[i][4] == "NOWATCHER(-121)" \
                        and tw[i][5] is None:
                    tw[i] = it
                    used.add("checkwatches-per-connection")
        # standalone-check-reply: the target answered a check that ZooKeeper leaves unanswered.
        for i, it in enumerate(rw):
            if it[0] == "noreply" and i < len(tw) and tw[i][0] == "reply" and \
                    tw[i][1] == "check" and tw[i][2] == it[2] and tw[i][4] == "OK(0)":
                tw[i] = it
                used.add("standalone-check-reply")
        if len(rw) != len(tw):
            continue
        for i, (a, b) in enumerate(zip(rw, tw)):
            # notification-zxid: -1 in 3.8, the firing transaction's zxid in 3.9.
            if a[0] == "event" and b[0] == "event" and a[:4] == b[:4] and a != b and \
                    a[4] == "zxid=-1" and b[4] in zxids:
                tw[i] = a
                used.add("notification-zxid")
            # multi-create2-result: create2 inside multi answered with path + Stat.
            if a[0] == "reply" and b[0] == "reply" and a[1] == b[1] == "multi" and \
                    a[:5] == b[:5] and op.sub_types and a[5] and b[5] and \
                    len(a[5]) == len(b[5]):
                res = list(b[5])
                for j, (ra, rb) in enumerate(zip(a[5][1:], b[5][1:])):
                    if ra != rb and op.sub_types[j] == z.OP_CREATE2 and ra[0] == "create" and \
                            rb[0] == "create2" and ra[1] == rb[1] == "OK(0)" and \
                            rb[2] and rb[2][:2] == ra[2][:2] and rb[2][2] and \
                            rb[2][2][1] == "czxid=%s" % a[3].split("=")[1]:
                        res[j + 1] = ra
                        used.add("multi-create2-result")
                tw[i] = b[:5] + (tuple(res),)
    return tgt


# ---------------------------------------------------------------------------------------------
# Transcript rendering and comparison
# ---------------------------------------------------------------------------------------------
def render(rec):
    lines = []
    for key in sorted(rec, key=lambda k: (isinstance(k, str), str(k))):
        who = "slot%s" % key if isinstance(key, int) else key
        for it in rec[key]:
            lines.append("  %-7s %s" % (who + ":", _fmt(it)))
    return lines


def _fmt(it):
    parts = []
    for x in it:
        if isinstance(x, tuple):
            parts.append("(" + " ".join(_fmt1(y) for y in x) + ")")
        else:
            parts.append(_fmt1(x))
    return " ".join(parts)


def _fmt1(x):
    if isinstance(x, tuple):
        return "(" + " ".join(_fmt1(y) for y in x) + ")"
    if isinstance(x, bytes):
        return repr(x) if len(x) <= 24 else "<%d bytes sha=%s>" % (len(x), _hash(x))
    return repr(x) if isinstance(x, str) and (" " in x or not x) else str(x)


def _hash(b):
    import hashlib
    return hashlib.sha1(b).hexdigest()[:10]


def compare(seed, ref_name, tgt_name, transcript):
    """transcript: list of (index, desc, ref_rec, tgt_rec). Returns a failure message or None."""
    diffs = [t for t in transcript if t[2] != t[3]]
    if not diffs:
        return None
    first = diffs[0][0]
    out = ["conformance mismatch: seed=%d, %d of %d operations differ (%s vs %s); first at "
           "op #%d. Reproduce with CORRAL_CONFORMANCE_SEED=%d CORRAL_CONFORMANCE_OPS=%d "
           "(CORRAL_CONFORMANCE_SHOW=N prints N differing operations)." % (
               seed, len(diffs), len(transcript) - 1, ref_name, tgt_name, first, seed, N_OPS)]
    by_index = {t[0]: t for t in transcript}
    for lo in range(max(0, first - 3), first):
        if lo in by_index:
            out.append("  #%d %s   (identical)" % (lo, by_index[lo][1]))
    for idx, desc, ref, tgt in diffs[:MAX_DIFFS_SHOWN]:
        out.append("#%d %s" % (idx, desc))
        out.extend(difflib.unified_diff(render(ref), render(tgt), fromfile=ref_name,
                                        tofile=tgt_name, lineterm="", n=20))
    if len(diffs) > MAX_DIFFS_SHOWN:
        out.append("... %d more differing operations: #%s" % (
            len(diffs) - MAX_DIFFS_SHOWN, ", #".join(str(t[0]) for t in diffs[MAX_DIFFS_SHOWN:20])))
    return "\n".join(out)


def run_scenario(seed, ref_server, tgt_server, n_ops=N_OPS, apply_rules=True):
    """Runs the seeded scenario on both servers in lockstep; returns (transcript, rules_used)."""
    gen = Generator(seed)
    ref, tgt = Runner(ref_server), Runner(tgt_server)
    transcript = []
    used = set()
    try:
        r0, t0 = ref.start(), tgt.start()
        transcript.append((0, "start %d sessions" % SLOTS, r0, t0))
        ops = gen.prologue()
        i = 0
        while i < n_ops:
            op = ops.pop(0) if ops else gen.next()
            i += 1
            try:
                rr = canonicalize(op, ref.run(op))
            except AbortRun as e:
                raise RuntimeError("reference server stopped answering at op #%d (%s): %s" % (
                    i, op.desc, e))
            try:
                tr = canonicalize(op, tgt.run(op))
            except AbortRun as e:
                tr = {"abort": [("target aborted", str(e))]}
                transcript.append((i, op.desc, rr, tr))
                break
            if apply_rules:
                tr = reconcile(op, rr, tr, used)
            gen.learn(op, rr)
            transcript.append((i, op.desc, rr, tr))
    finally:
        ref.close()
        tgt.close()
    return transcript, used


def _start_both(tmp_path, seed):
    ref = ZooKeeperServer(str(_mk(tmp_path / ("zk-reference-%d" % seed))), dict(SERVER_CONFIG))
    cls = ZooKeeperServer if TARGET == "zookeeper" else CorralServer
    tgt = cls(str(_mk(tmp_path / ("target-%d" % seed))), dict(SERVER_CONFIG))
    errors = []

    def start(s):
        try:
            s.start()
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=start, args=(s,)) for s in (ref, tgt)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        ref.stop()
        tgt.stop()
        raise errors[0]
    return ref, tgt


def _mk(p):
    p.mkdir(parents=True, exist_ok=True)
    return p


@pytest.mark.parametrize("seed", SEEDS, ids=["seed%d" % s for s in SEEDS])
def test_conformance(tmp_path, seed):
    ref, tgt = _start_both(tmp_path, seed)
    try:
        ref_name = "zookeeper(reference)"
        tgt_name = tgt.kind + ("(second instance)" if tgt.kind == "zookeeper" else "")
        started = time.monotonic()
        transcript, used = run_scenario(seed, ref, tgt, apply_rules=(tgt.kind != "zookeeper"))
        elapsed = time.monotonic() - started
        # The container/TTL reaper must not have had a chance to run (see SERVER_CONFIG).
        assert elapsed < 55, "scenario took %.1fs" % elapsed
        assert ref.alive(), "the reference ZooKeeper died"
        assert tgt.alive(), "%s died during the scenario; log tail:\n%s" % (
            tgt.kind, tgt.read_log()[-3000:])
        msg = compare(seed, ref_name, tgt_name, transcript)
        if msg:
            pytest.fail(msg, pytrace=False)
        if used:
            print("seed %d: accepted documented differences: %s" % (seed, ", ".join(sorted(used))))
    finally:
        ref.stop()
        tgt.stop()


def test_known_differences_are_documented():
    """Every difference the comparison accepts must be described in docs/compatibility.md."""
    with open(COMPAT_DOC) as f:
        doc = f.read()
    missing = [rule for rule in KNOWN_DIFFERENCES if "`%s`" % rule not in doc]
    assert not missing, "rules not documented in docs/compatibility.md: %s" % missing


def test_comparison_reports_first_difference():
    """The comparison is not vacuous: a single changed zxid is reported with seed and op."""
    item = ("reply", "create", 1, "zxid=5", "OK(0)", ("path", "/c"))
    other = ("reply", "create", 1, "zxid=6", "OK(0)", ("path", "/c"))
    same = {0: [item]}
    transcript = [(1, "slot0 create '/c'", same, {0: [item]}),
                  (2, "slot0 create '/c'", same, {0: [other]})]
    msg = compare(42, "zk", "corral", transcript)
    assert msg and "seed=42" in msg and "#2" in msg and "zxid=6" in msg and "zxid=5" in msg
    assert compare(42, "zk", "corral", transcript[:1]) is None


def test_rules_accept_only_the_documented_alternative():
    op = Op("req", 0, "x", sub_types=[z.OP_CREATE2])
    ref = {0: [("reply", "multi", 3, "zxid=9", "OK(0)",
                ("results", ("create", "OK(0)", ("path", "/c/x"))))],
           1: [("event", "NodeCreated", "/c/x", "state=3", "zxid=-1")]}
    good = {0: [("reply", "multi", 3, "zxid=9", "OK(0)",
                 ("results", ("create2", "OK(0)", ("path", "/c/x", ("stat", "czxid=9")))))],
            1: [("event", "NodeCreated", "/c/x", "state=3", "zxid=9")]}
    used = set()
    assert reconcile(op, ref, good, used) == ref
    assert used == {"notification-zxid", "multi-create2-result"}
    bad = {0: [("reply", "multi", 3, "zxid=9", "OK(0)",
                ("results", ("create2", "OK(0)", ("path", "/c/x", ("stat", "czxid=8")))))],
           1: [("event", "NodeCreated", "/c/x", "state=3", "zxid=7")]}
    assert reconcile(op, ref, bad, set()) != ref


def test_checkwatches_rule_needs_the_session_to_hold_no_watch():
    ref = {0: [("reply", "check_watches", 4, "zxid=9", "OK(0)", None)]}
    tgt = {0: [("reply", "check_watches", 4, "zxid=9", "NOWATCHER(-121)", None)]}
    for own, accepted in ((False, True), (True, False), (None, False)):
        op = Op("req", 0, "x", opcode=z.OP_CHECK_WATCHES, own_watch=own)
        used = set()
        out = reconcile(op, ref, {0: list(tgt[0])}, used)
        assert (out == ref) == accepted and bool(used) == accepted
