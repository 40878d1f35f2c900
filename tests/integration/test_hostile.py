"""Hostile input against a running server (fixture `server`).

Every case sends something a well-behaved client never sends, then checks two things: the
offending connection gets exactly ZooKeeper's reaction (closed, or an error reply and, where
ZooKeeper does so, closed), and a NEW well-behaved client can still connect, create and read.
The expected reactions were established by running these tests against Apache ZooKeeper 3.8
(CORRAL_TEST_TARGET=zookeeper). For corral-server the log must also mention the closed
connection.
"""
import itertools
import re
import socket
import struct
import time

import pytest

import zkwire as z
from servers import wait_until

MAX_BUFFER = 1048575          # jute.maxbuffer default: the largest accepted frame length
CLOSE_TIMEOUT = 5.0
_counter = itertools.count()

W = z.Writer


# --- helpers ----------------------------------------------------------------------------------
def fresh(server):
    """A raw connection (no handshake)."""
    return z.Connection("127.0.0.1", server.port, timeout=10.0)


def session(server, **kw):
    """A connection with a session."""
    return z.connect("127.0.0.1", server.port, timeout=10.0, **kw)


def assert_healthy(server):
    """A new, well-behaved client can connect, create a node and read it back."""
    assert server.alive(), "%s died; log tail:\n%s" % (server.kind, server.read_log()[-3000:])
    c = session(server)
    try:
        path = "/healthy-%d" % next(_counter)
        assert c.create(path, b"ok") == path
        data, stat = c.get_data(path)
        assert data == b"ok" and stat.version == 0
    finally:
        c.close()


def assert_closed(c, what):
    assert c.is_closed_by_peer(CLOSE_TIMEOUT), "server kept the connection open after " + what
    c.close()


def assert_open(c, what, wait=1.0):
    assert not c.is_closed_by_peer(wait), "server closed the connection after " + what


class LogWatch:
    """Remembers the log size; `expect_close()` waits for a new line about a closed connection
    (corral-server only: ZooKeeper's Debian build logs nothing without a logging backend)."""

    # a closing word and what was closed (the connection, or the peer's session request)
    PATTERN = re.compile(r"(?=.*\b(clos|ended|refus|drop|reset|disconnect|reject)\w*)"
                         r"(?=.*(connection|session request|127\.0\.0\.1))", re.IGNORECASE)

    def __init__(self, server):
        self.server = server
        self.offset = len(server.read_log())

    def expect_close(self):
        if self.server.kind != "corral-server":
            return

        def found():
            new = self.server.read_log()[self.offset:]
            return any(self.PATTERN.search(line) for line in new.splitlines())
        try:
            wait_until(found, timeout=3.0, what="a log line about the closed connection")
        except TimeoutError:
            raise AssertionError("no log line mentions the closed connection; new log:\n" +
                                 self.server.read_log()[self.offset:][-2000:])


def last_zxid(c):
    """The server's last zxid as reported in a ping reply."""
    return c.ping().zxid


# --- framing -----------------------------------------------------------------------------------
@pytest.mark.parametrize("handshake", [False, True], ids=["before-handshake", "after-handshake"])
@pytest.mark.parametrize("prefix", [struct.pack(">i", 100) + b"x" * 10, b"\x00\x00"],
                         ids=["body-cut", "length-cut"])
def test_truncated_frame_then_close(server, handshake, prefix):
    """A frame cut short, then the client half-closes: the server closes the connection."""
    log = LogWatch(server)
    c = session(server) if handshake else fresh(server)
    c.send_raw(prefix)
    c.sock.shutdown(socket.SHUT_WR)
    assert_closed(c, "a truncated frame and EOF")
    if handshake:
        log.expect_close()
    assert_healthy(server)


@pytest.mark.parametrize("handshake", [False, True], ids=["before-handshake", "after-handshake"])
@pytest.mark.parametrize("length", [MAX_BUFFER + 1, 0x7FFFFFFF, -1, -5, -0x80000000],
                         ids=["maxbuffer+1", "int-max", "minus1", "minus5", "int-min"])
def test_bad_length_prefix_closes(server, handshake, length):
    """A length over jute.maxbuffer or negative: closed at once, nothing is sent back."""
    log = LogWatch(server)
    c = session(server) if handshake else fresh(server)
    c.send_raw(struct.pack(">i", length))
    assert_closed(c, "length prefix %d" % length)
    assert not [p for p in c.received if not isinstance(p, z.Event)]
    log.expect_close()
    assert_healthy(server)


def test_length_exactly_maxbuffer_is_accepted(server):
    """jute.maxbuffer itself is a legal frame length: a create whose frame is exactly 1048575
    bytes succeeds; one byte more closes the connection."""
    c = session(server)
    head = z.request_header(1, z.OP_CREATE)
    empty = z.create_request("/max", b"")
    data = b"d" * (MAX_BUFFER - len(head) - len(empty))
    payload = head + z.create_request("/max", data)
    assert len(payload) == MAX_BUFFER
    c.send_frame(payload)
    r = c.wait_reply(1, timeout=30)
    assert (r.err, z.decode_response(z.OP_CREATE, r.body)) == (z.OK, "/max")
    assert c.get_data("/max")[1].data_length == len(data)
    log = LogWatch(server)
    head = z.request_header(2, z.OP_SET_DATA)
    size = MAX_BUFFER + 1 - len(head) - len(z.set_data_request("/max", b""))
    payload = head + z.set_data_request("/max", b"e" * size)
    assert len(payload) == MAX_BUFFER + 1
    # The server closes after reading the length, possibly before the payload is all written.
    if not c.send_frame_until_closed(payload):
        assert_closed(c, "a %d-byte frame" % len(payload))
    log.expect_close()
    assert_healthy(server)


def test_frame_shorter_than_request_header_closes(server):
    """After the handshake, a frame too short for RequestHeader (xid + type) closes it."""
    for payload in (b"", b"\x00\x00\x00\x01", b"\x00\x00\x00\x01\x00\x00"):
        log = LogWatch(server)
        c = session(server)
        c.send_frame(payload)
        assert_closed(c, "a %d-byte request frame" % len(payload))
        log.expect_close()
    assert_healthy(server)


# --- malformed records inside a request ------------------------------------------------------
MALFORMED = [
    # (id, opcode, body, xid, expected error, is a write)
    ("create-acl-count-minus5", z.OP_CREATE, W().ustring("/h").buffer(b"").int(-5).int(0).bytes(),
     None, z.INVALIDACL, True),
    ("create-acl-null", z.OP_CREATE, W().ustring("/h").buffer(b"").int(-1).int(0).bytes(),
     None, z.INVALIDACL, True),
    ("create-acl-count-huge", z.OP_CREATE,
     W().ustring("/h").buffer(b"").int(0x7FFFFFFF).int(0).bytes(), None, z.MARSHALLINGERROR, True),
    ("create-data-length-minus7", z.OP_CREATE,
     W().ustring("/h").int(-7).acl(z.OPEN_ACL_UNSAFE).int(0).bytes(), None, z.MARSHALLINGERROR,
     True),
    ("create-1-byte-body", z.OP_CREATE, b"\x00", None, z.MARSHALLINGERROR, True),
    ("multi-path-length-minus9", z.OP_MULTI, W().int(z.OP_CREATE).bool(False).int(-1).int(-9)
     .bytes(), None, z.MARSHALLINGERROR, True),
    ("setData-data-length-huge", z.OP_SET_DATA, W().ustring("/").int(0x7FFFFFF0).bytes(), None,
     z.MARSHALLINGERROR, True),
    ("getData-path-length-minus5", z.OP_GET_DATA, W().int(-5).bool(False).bytes(), None,
     z.MARSHALLINGERROR, False),
    ("getData-path-null", z.OP_GET_DATA, W().int(-1).bool(False).bytes(), None,
     z.MARSHALLINGERROR, False),
    ("getData-path-length-huge", z.OP_GET_DATA, W().int(0x7FFFFFFF).bool(False).bytes(), None,
     z.MARSHALLINGERROR, False),
    ("getData-empty-body", z.OP_GET_DATA, b"", None, z.MARSHALLINGERROR, False),
    ("setWatches-count-minus3", z.OP_SET_WATCHES, W().long(0).int(-3).bytes(), z.XID_SET_WATCHES,
     z.MARSHALLINGERROR, False),
]


@pytest.mark.parametrize("opcode,body,xid,err,write", [m[1:] for m in MALFORMED],
                         ids=[m[0] for m in MALFORMED])
def test_malformed_request_record(server, opcode, body, xid, err, write):
    """Negative or oversized vector counts / string lengths, or a record cut short, inside a
    well-framed request: ZooKeeper answers with an error (MARSHALLINGERROR, or INVALIDACL for a
    negative ACL count, which jute reads as an empty list) and keeps the connection. A malformed
    write still consumes a zxid; a malformed read does not."""
    c = session(server)
    before = last_zxid(c)
    r = c.call(opcode, body, xid=xid)
    assert (r.xid, r.err) == (c.next_xid - 1 if xid is None else xid, err), \
        "got %s" % z.err_name(r.err)
    assert r.body == b""
    assert r.zxid == before + (1 if write else 0), "zxid consumption: %d -> %d" % (before, r.zxid)
    # The connection and session still work.
    assert c.exists("/") is not None
    assert last_zxid(c) == before + (1 if write else 0)
    c.close()
    assert_healthy(server)


def test_trailing_bytes_after_a_record_are_ignored(server):
    c = session(server)
    r = c.call(z.OP_GET_DATA, z.get_data_request("/") + b"trailing garbage")
    assert r.err == z.OK
    data, stat = z.decode_response(z.OP_GET_DATA, r.body)
    assert stat.czxid == 0
    assert_open(c, "trailing garbage")
    assert_healthy(server)


# --- opcodes -------------------------------------------------------------------------------------
@pytest.mark.parametrize("opcode", [999, -50, z.OP_NOTIFICATION, 0x7FFFFFFF],
                         ids=["999", "minus50", "notification-0", "int-max"])
def test_unknown_opcode_gets_unimplemented_then_close(server, opcode):
    """ZooKeeper answers an unknown opcode with UNIMPLEMENTED (-6) for the request's xid, then
    closes the connection; the session itself survives and can be resumed."""
    log = LogWatch(server)
    c = session(server)
    sid, passwd = c.session.session_id, c.session.passwd
    xid = c.send(opcode, b"\x00" * 8)
    r = c.wait_reply(xid)
    assert (r.xid, r.err, r.body) == (xid, z.UNIMPLEMENTED, b"")
    assert_closed(c, "an unknown opcode")
    log.expect_close()
    again = session(server, session_id=sid, passwd=passwd)
    assert again.session.session_id == sid and again.session.timeout_ms > 0
    assert again.exists("/") is not None
    again.close()
    assert_healthy(server)


def test_delete_container_from_client_is_bad_arguments(server):
    """deleteContainer (20) is for the server's own reaper: a client gets BADARGUMENTS (and, being
    a write, it consumes a zxid); the connection stays."""
    c = session(server)
    c.create("/k", b"", flags=z.CONTAINER)
    before = last_zxid(c)
    r = c.call(z.OP_DELETE_CONTAINER, z.path_request("/k"))
    assert (r.err, r.zxid) == (z.BADARGUMENTS, before + 1)
    assert c.exists("/k") is not None
    assert_healthy(server)


@pytest.mark.parametrize("flags", [z.PERSISTENT, z.EPHEMERAL, z.CONTAINER])
def test_create_ttl_with_non_ttl_mode_and_negative_ttl(server, flags):
    """createTTL (21) with a non-TTL CreateMode and ttl < 0 passes ZooKeeper's validation and
    then throws in its commit thread: ZooKeeper 3.8.0 exits (code 2), and 3.9.3 has the same code.
    A server must reject it instead (BADARGUMENTS, as for any other bad TTL) and stay up."""
    if server.kind == "zookeeper":
        pytest.skip("kills Apache ZooKeeper (see docs/compatibility.md)")
    c = session(server)
    before = last_zxid(c)
    r = c.call(z.OP_CREATE_TTL, z.create_request("/ttl-bad", b"", None, flags, -1))
    assert r.err == z.BADARGUMENTS, "got %s" % z.err_name(r.err)
    assert r.zxid == before + 1
    assert c.exists("/ttl-bad") is None
    c.close()
    assert_healthy(server)


def test_create_session_opcode_after_handshake(server):
    """createSession (-10) is not a client request. ZooKeeper 3.8 runs it anyway: it creates a
    second session with the requested timeout and writes its ConnectResponse (without a frame
    header of a reply) on the connection, which it keeps open. That is an accident, not a
    contract (docs/compatibility.md): a server may instead close the connection, with or
    without an error reply. Either way it must stay healthy."""
    log = LogWatch(server)
    c = session(server)
    xid = c.send(z.OP_CREATE_SESSION, W().int(30000).bytes())
    closed = c.is_closed_by_peer(2.0)
    if server.kind == "zookeeper":
        assert not closed and len(c.received) == 1
        assert c.received[0].body[:4] == b"\x00\x00\x00\x10"  # ConnectResponse's passwd length
    elif not closed:
        r = c.wait_reply(xid)
        assert r.err != z.OK
        assert_closed(c, "an error reply to createSession")
    if closed:
        log.expect_close()
    c.close()
    assert_healthy(server)


def test_auth_with_unknown_scheme_fails_then_closes(server):
    """auth with an unknown scheme: AUTHFAILED (-115) for xid -4 with zxid 0, then the
    connection (not the session) is closed."""
    log = LogWatch(server)
    c = session(server)
    sid, passwd = c.session.session_id, c.session.passwd
    r = c.call(z.OP_AUTH, z.auth_request("nosuchscheme", b"x"), xid=z.XID_AUTH)
    assert (r.xid, r.zxid, r.err) == (z.XID_AUTH, 0, z.AUTHFAILED)
    assert_closed(c, "a failed auth")
    log.expect_close()
    again = session(server, session_id=sid, passwd=passwd)
    assert again.session.session_id == sid
    again.close()
    assert_healthy(server)


# --- before / during the handshake -----------------------------------------------------------
@pytest.mark.parametrize("opcode,xid", [(z.OP_GET_DATA, 1), (z.OP_PING, z.XID_PING),
                                        (z.OP_CREATE, 1)], ids=["getData", "ping", "create"])
def test_request_before_handshake_closes(server, opcode, xid):
    """The first frame is always read as a ConnectRequest; a request frame there does not
    parse as one and the connection is closed without an answer."""
    log = LogWatch(server)
    c = fresh(server)
    body = {z.OP_GET_DATA: z.get_data_request("/"), z.OP_PING: b"",
            z.OP_CREATE: z.create_request("/x")}[opcode]
    c.send(opcode, body, xid=xid)
    assert_closed(c, "a request before the handshake")
    assert c._buf == b""
    log.expect_close()
    assert_healthy(server)


@pytest.mark.parametrize("payload", [
    W().int(0).long(0).bytes(),                                          # 12 bytes
    W().int(0).long(0).int(30000).long(0).int(-5).bytes(),               # negative passwd length
    W().int(0).long(0).int(30000).long(0).int(0x7FFFFFFF).bytes(),       # huge passwd length
    b"\xff" * 20,
], ids=["short", "passwd-length-minus5", "passwd-length-huge", "ff-bytes"])
def test_malformed_connect_request_closes(server, payload):
    log = LogWatch(server)
    c = fresh(server)
    c.send_frame(payload)
    assert_closed(c, "a malformed ConnectRequest")
    assert c._buf == b""
    log.expect_close()
    assert_healthy(server)


def test_connect_with_trailing_bytes_and_long_password_is_accepted(server):
    """ZooKeeper ignores bytes after the readOnly flag and accepts any password length on a
    new session (the answer always carries a fresh 16-byte password)."""
    for payload in (z.connect_request() + b"trailing-garbage",
                    z.connect_request(passwd=b"p" * 100)):
        c = fresh(server)
        c.send_frame(payload)
        resp = z.decode_connect_response(c.read_frame())
        assert resp.session_id != 0 and resp.timeout_ms == 30000 and len(resp.passwd) == 16
        c.session = resp
        assert c.exists("/") is not None
        c.close()
    assert_healthy(server)


@pytest.mark.parametrize("garbage", [b"xyzw", b"\xff\xfe\xfd\xfc" + bytes(range(200)),
                                     b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"],
                         ids=["unknown-4lw", "negative-length-garbage", "http"])
def test_garbage_first_bytes_close(server, garbage):
    """Unknown four-letter words and other garbage are read as a frame length that is out of
    range: closed without an answer."""
    log = LogWatch(server)
    c = fresh(server)
    c.send_raw(garbage)
    assert_closed(c, "garbage %r" % garbage[:8])
    assert c._buf == b""
    log.expect_close()
    assert_healthy(server)


def test_garbage_with_plausible_length_closes_on_eof(server):
    """Garbage whose first 4 bytes are a legal length: the server waits for that many bytes,
    and closes when the client gives up (EOF); it does not crash parsing it."""
    c = fresh(server)
    c.send_raw(struct.pack(">i", 20) + b"\x01" * 20)  # not a parseable ConnectRequest
    assert_closed(c, "an unparseable 20-byte ConnectRequest")
    c = fresh(server)
    c.send_raw(struct.pack(">i", 66051) + b"\x07" * 1000)
    assert_open(c, "a partial frame (the server must wait for the rest)")
    c.sock.shutdown(socket.SHUT_WR)
    assert_closed(c, "EOF inside a frame")
    assert_healthy(server)


def test_four_letter_word_is_answered_then_closed(server):
    c = fresh(server)
    c.send_raw(b"ruok")
    assert_closed(c, "ruok")
    assert c._buf == b"imok"
    assert_healthy(server)


@pytest.mark.parametrize("timeout_ms,expected", [(2 ** 31 - 1, 40000), (-5, 4000), (0, 4000),
                                                 (1, 4000), (10000, 10000)],
                         ids=["int-max", "negative", "zero", "one", "in-range"])
def test_connect_timeout_is_clamped(server, timeout_ms, expected):
    """The session timeout is clamped to [2, 20] x tickTime (tickTime=2000 in these tests)."""
    c = session(server, timeout_ms=timeout_ms)
    assert c.session.timeout_ms == expected and c.session.session_id != 0
    assert c.exists("/") is not None
    c.close()
    assert_healthy(server)


@pytest.mark.parametrize("version", [12345, -1, 1])
def test_connect_protocol_version_is_ignored(server, version):
    """ZooKeeper does not check ConnectRequest.protocolVersion; it answers with version 0."""
    c = session(server, protocol_version=version)
    assert c.session.protocol_version == 0 and c.session.session_id != 0
    assert c.exists("/") is not None
    c.close()
    assert_healthy(server)


def test_connect_with_last_zxid_ahead_is_refused(server):
    """A client that has seen a newer zxid than the server is refused: closed, no answer."""
    log = LogWatch(server)
    c = fresh(server)
    c.send_frame(z.connect_request(last_zxid_seen=1 << 40))
    assert_closed(c, "a ConnectRequest with lastZxidSeen ahead of the server")
    assert c._buf == b""
    log.expect_close()
    assert_healthy(server)


def test_reconnect_with_wrong_password(server):
    """A reconnect with the right session id and a wrong password: the answer is timeout 0,
    session 0, 16 zero bytes, then close. ZooKeeper also closes the session's current
    connection (it does so before checking the password); the session survives."""
    good = session(server)
    sid, passwd = good.session.session_id, good.session.passwd
    bad = fresh(server)
    resp = bad.handshake(session_id=sid, passwd=b"\x5a" * 16)
    assert (resp.timeout_ms, resp.session_id, resp.passwd) == (0, 0, b"\x00" * 16)
    assert_closed(bad, "a reconnect with a wrong password")
    assert_closed(good, "another connection presented this session with a wrong password")
    again = session(server, session_id=sid, passwd=passwd)
    assert again.session.session_id == sid
    again.close()
    assert_healthy(server)


# --- memory: a client that never reads ---------------------------------------------------------
def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    raise AssertionError("no VmRSS for pid %d" % pid)


# corral-server must bound what it buffers for a client to far below this. ZooKeeper runs with
# -Xmx512m and its heap grows lazily towards that cap, so its RSS bound is the cap plus JVM
# overhead (it shares one serialized getData response among all queued replies).
RSS_GROWTH_BOUND_MB = {"corral-server": 200, "zookeeper": 600}
FLOOD_SECONDS = 6.0


@pytest.mark.parametrize("kind", ["getData-500KB", "ping"])
def test_flood_without_reading_bounds_memory(server, kind):
    """A client pipelines requests as fast as it can and never reads a reply. The server must
    stop reading from it or drop it; its RSS must stay bounded, and other clients keep working."""
    bound = RSS_GROWTH_BOUND_MB.get(server.kind, 200)
    setup = session(server)
    setup.create("/big", b"x" * 500000)
    setup.close()
    pid = server.proc.pid
    base = rss_mb(pid)

    f = session(server)
    f.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    if kind == "ping":
        one = z.request_header(z.XID_PING, z.OP_PING)
    else:
        one = z.request_header(7, z.OP_GET_DATA) + z.get_data_request("/big")
    batch = (struct.pack(">i", len(one)) + one) * 2000
    f.sock.settimeout(0.2)
    sent, peak, stalls, dropped = 0, base, 0, False
    deadline = time.monotonic() + FLOOD_SECONDS
    while time.monotonic() < deadline:
        try:
            sent += f.sock.send(batch)
        except socket.timeout:
            stalls += 1
        except OSError:
            dropped = True  # the server closed the flooding connection: also acceptable
            break
        peak = max(peak, rss_mb(pid))
        assert peak - base < bound, "RSS grew %d MB -> %d MB after %.1f MB of requests" % (
            base, peak, sent / 1e6)
    # Another client is served while the flooder is still connected.
    assert_healthy(server)
    peak = max(peak, rss_mb(pid))
    assert peak - base < bound, "RSS grew %d MB -> %d MB" % (base, peak)
    assert dropped or stalls > 0, \
        "the server read %.1f MB of requests without ever pushing back" % (sent / 1e6)
    f.close()
    assert_healthy(server)
    print("%s flood: sent %.1f MB, RSS %d -> %d MB, stalls %d, dropped %s" % (
        kind, sent / 1e6, base, peak, stalls, dropped))
