"""zkwire: a small, synchronous, pure-python ZooKeeper wire client for tests.

It speaks the jute framing of ZooKeeper's client port with nothing but `socket` and `struct`, so a
test controls every byte: the xid, the opcode, the exact body, pipelining, and malformed frames.
There is no background thread: frames are read only when the test asks, and everything the
server sent (replies and watch notifications, xid -1) is kept in arrival order.

Typical use::

    c = zkwire.Connection("127.0.0.1", port)
    info = c.handshake(timeout_ms=30000)            # ConnectResponse(...)
    r = c.call(zkwire.OP_CREATE, zkwire.create_request("/a", b"x"))
    assert r.err == zkwire.OK and zkwire.decode_response(zkwire.OP_CREATE, r.body) == "/a"
    c.create("/b", b"y")                            # convenience wrappers raise ZKError
    data, stat = c.get_data("/b", watch=True)
    c.close_session()

Layouts follow zookeeper.jute (see server/src/zk/records.h): int/long big-endian, boolean one
byte, buffer/ustring = int32 length + bytes (-1 = null), vector = int32 count (-1 = null) + items.
"""
import collections
import socket
import struct
import time

# --- Opcodes (ZooDefs.OpCode) ---------------------------------------------------------------
OP_NOTIFICATION = 0
OP_CREATE = 1
OP_DELETE = 2
OP_EXISTS = 3
OP_GET_DATA = 4
OP_SET_DATA = 5
OP_GET_ACL = 6
OP_SET_ACL = 7
OP_GET_CHILDREN = 8
OP_SYNC = 9
OP_PING = 11
OP_GET_CHILDREN2 = 12
OP_CHECK = 13
OP_MULTI = 14
OP_CREATE2 = 15
OP_RECONFIG = 16
OP_CHECK_WATCHES = 17
OP_REMOVE_WATCHES = 18
OP_CREATE_CONTAINER = 19
OP_DELETE_CONTAINER = 20
OP_CREATE_TTL = 21
OP_MULTI_READ = 22
OP_AUTH = 100
OP_SET_WATCHES = 101
OP_SASL = 102
OP_GET_EPHEMERALS = 103
OP_GET_ALL_CHILDREN_NUMBER = 104
OP_SET_WATCHES2 = 105
OP_ADD_WATCH = 106
OP_WHO_AM_I = 107
OP_CREATE_SESSION = -10
OP_CLOSE_SESSION = -11
OP_ERROR = -1

OP_NAMES = {v: k[3:].lower() for k, v in list(globals().items()) if k.startswith("OP_")}
OP_NAMES[OP_ERROR] = "error"

# --- Special xids ---------------------------------------------------------------------------
XID_NOTIFICATION = -1
XID_PING = -2
XID_AUTH = -4
XID_SET_WATCHES = -8

# --- Error codes (KeeperException.Code) -----------------------------------------------------
OK = 0
SYSTEMERROR = -1
RUNTIMEINCONSISTENCY = -2
DATAINCONSISTENCY = -3
CONNECTIONLOSS = -4
MARSHALLINGERROR = -5
UNIMPLEMENTED = -6
OPERATIONTIMEOUT = -7
BADARGUMENTS = -8
UNKNOWNSESSION = -12
NEWCONFIGNOQUORUM = -13
RECONFIGINPROGRESS = -14
APIERROR = -100
NONODE = -101
NOAUTH = -102
BADVERSION = -103
NOCHILDRENFOREPHEMERALS = -108
NODEEXISTS = -110
NOTEMPTY = -111
SESSIONEXPIRED = -112
INVALIDCALLBACK = -113
INVALIDACL = -114
AUTHFAILED = -115
SESSIONMOVED = -118
NOTREADONLY = -119
EPHEMERALONLOCALSESSION = -120
NOWATCHER = -121
REQUESTTIMEOUT = -122
RECONFIGDISABLED = -123
SESSIONCLOSEDREQUIRESASLAUTH = -124
QUOTAEXCEEDED = -125
THROTTLEDOP = -127

_ERR_CONSTS = ("OK SYSTEMERROR RUNTIMEINCONSISTENCY DATAINCONSISTENCY CONNECTIONLOSS MARSHALLINGERROR "
               "UNIMPLEMENTED OPERATIONTIMEOUT BADARGUMENTS UNKNOWNSESSION NEWCONFIGNOQUORUM "
               "RECONFIGINPROGRESS APIERROR NONODE NOAUTH BADVERSION NOCHILDRENFOREPHEMERALS "
               "NODEEXISTS NOTEMPTY SESSIONEXPIRED INVALIDCALLBACK INVALIDACL AUTHFAILED "
               "SESSIONMOVED NOTREADONLY EPHEMERALONLOCALSESSION NOWATCHER REQUESTTIMEOUT "
               "RECONFIGDISABLED SESSIONCLOSEDREQUIRESASLAUTH QUOTAEXCEEDED THROTTLEDOP").split()
ERR_NAMES = {globals()[n]: n for n in _ERR_CONSTS}


def err_name(code):
    """'NONODE(-101)' for a known code, the number otherwise."""
    return "%s(%d)" % (ERR_NAMES[code], code) if code in ERR_NAMES else str(code)


# --- CreateMode flags, permissions, watch constants ----------------------------------------
PERSISTENT = 0
EPHEMERAL = 1
PERSISTENT_SEQUENTIAL = 2
EPHEMERAL_SEQUENTIAL = 3
CONTAINER = 4
PERSISTENT_WITH_TTL = 5
PERSISTENT_SEQUENTIAL_WITH_TTL = 6

PERM_READ = 1
PERM_WRITE = 2
PERM_CREATE = 4
PERM_DELETE = 8
PERM_ADMIN = 16
PERM_ALL = 31

EVENT_NONE = -1
EVENT_NODE_CREATED = 1
EVENT_NODE_DELETED = 2
EVENT_NODE_DATA_CHANGED = 3
EVENT_NODE_CHILDREN_CHANGED = 4
EVENT_DATA_WATCH_REMOVED = 5
EVENT_CHILD_WATCH_REMOVED = 6
EVENT_PERSISTENT_WATCH_REMOVED = 7
EVENT_NAMES = {-1: "None", 1: "NodeCreated", 2: "NodeDeleted", 3: "NodeDataChanged",
               4: "NodeChildrenChanged", 5: "DataWatchRemoved", 6: "ChildWatchRemoved",
               7: "PersistentWatchRemoved"}
STATE_SYNC_CONNECTED = 3

WATCHER_CHILDREN = 1
WATCHER_DATA = 2
WATCHER_ANY = 3

ADD_WATCH_PERSISTENT = 0
ADD_WATCH_PERSISTENT_RECURSIVE = 1

CONTAINER_EPHEMERAL_OWNER = -0x8000000000000000  # 0x8000000000000000 as a signed long
TTL_MASK = 0xFF00000000000000
MAX_TTL = 0x000000FFFFFFFFFF  # EphemeralType.TTL.maxValue(): 40 bits of milliseconds

DEFAULT_MAX_BUFFER = 1048575  # jute.maxbuffer

# --- Records --------------------------------------------------------------------------------
Stat = collections.namedtuple(
    "Stat", "czxid mzxid ctime mtime version cversion aversion ephemeral_owner data_length "
            "num_children pzxid")
ACL = collections.namedtuple("ACL", "perms scheme id")
ConnectResponse = collections.namedtuple(
    "ConnectResponse", "protocol_version timeout_ms session_id passwd read_only")
Reply = collections.namedtuple("Reply", "xid zxid err body")
Event = collections.namedtuple("Event", "type state path zxid")
MultiResult = collections.namedtuple("MultiResult", "type err value")
ClientInfo = collections.namedtuple("ClientInfo", "scheme user")

OPEN_ACL_UNSAFE = [ACL(PERM_ALL, "world", "anyone")]
READ_ACL_UNSAFE = [ACL(PERM_READ, "world", "anyone")]
CREATOR_ALL_ACL = [ACL(PERM_ALL, "auth", "")]


def digest_id(user, password):
    """The digest ACL id for user:password, `user:base64(sha1("user:password"))`."""
    import base64
    import hashlib
    raw = ("%s:%s" % (user, password)).encode()
    return "%s:%s" % (user, base64.b64encode(hashlib.sha1(raw).digest()).decode())


class ZKError(Exception):
    """A reply carried a non-zero error code. `.code` is the code, `.reply` the Reply."""

    def __init__(self, code, reply=None, what=""):
        super().__init__("%s%s" % (what + ": " if what else "", err_name(code)))
        self.code = code
        self.reply = reply


class ConnectionClosed(Exception):
    """The server closed the connection (EOF or reset) while a frame was expected."""


class ProtocolError(Exception):
    """The server sent something that is not a well-formed frame or record."""


class Writer:
    """Builds a jute-encoded byte string. Every method returns self so calls can be chained."""

    def __init__(self):
        self.parts = []

    def int(self, v):
        self.parts.append(struct.pack(">i", v))
        return self

    def long(self, v):
        self.parts.append(struct.pack(">q", v))
        return self

    def bool(self, v):
        self.parts.append(b"\x01" if v else b"\x00")
        return self

    def buffer(self, v):
        """bytes, or None for a null buffer (length -1)."""
        if v is None:
            return self.int(-1)
        if isinstance(v, str):
            v = v.encode()
        self.int(len(v))
        self.parts.append(bytes(v))
        return self

    def ustring(self, v):
        """str, or None for a null string (length -1)."""
        return self.buffer(None if v is None else v.encode() if isinstance(v, str) else v)

    def strings(self, v):
        """vector<ustring>; None is a null vector."""
        if v is None:
            return self.int(-1)
        self.int(len(v))
        for s in v:
            self.ustring(s)
        return self

    def acl(self, acls):
        """vector<ACL>; items are ACL tuples (perms, scheme, id). None is a null vector."""
        if acls is None:
            return self.int(-1)
        self.int(len(acls))
        for a in acls:
            self.int(a[0]).ustring(a[1]).ustring(a[2])
        return self

    def raw(self, b):
        self.parts.append(bytes(b))
        return self

    def bytes(self):
        return b"".join(self.parts)


class Reader:
    """Reads jute fields from a byte string; raises ProtocolError when it runs short."""

    def __init__(self, data):
        self.data = bytes(data)
        self.pos = 0

    def _take(self, n):
        if n < 0 or self.pos + n > len(self.data):
            raise ProtocolError("record too short: want %d bytes at %d of %d" % (
                n, self.pos, len(self.data)))
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def int(self):
        return struct.unpack(">i", self._take(4))[0]

    def long(self):
        return struct.unpack(">q", self._take(8))[0]

    def bool(self):
        return self._take(1) != b"\x00"

    def buffer(self):
        n = self.int()
        if n == -1:
            return None
        if n < 0:
            raise ProtocolError("negative buffer length %d" % n)
        return self._take(n)

    def ustring(self):
        b = self.buffer()
        return None if b is None else b.decode("utf-8", errors="surrogateescape")

    def vector(self, item):
        n = self.int()
        if n == -1:
            return None
        if n < 0:
            raise ProtocolError("negative vector count %d" % n)
        return [item(self) for _ in range(n)]

    def strings(self):
        return self.vector(Reader.ustring)

    def stat(self):
        return Stat(self.long(), self.long(), self.long(), self.long(), self.int(), self.int(),
                    self.int(), self.long(), self.int(), self.int(), self.long())

    def acl(self):
        return self.vector(lambda r: ACL(r.int(), r.ustring(), r.ustring()))

    @property
    def remaining(self):
        return len(self.data) - self.pos

    def expect_end(self):
        if self.remaining:
            raise ProtocolError("%d unexpected trailing bytes" % self.remaining)


# --- Request encoders (bodies after the RequestHeader) --------------------------------------
def connect_request(protocol_version=0, last_zxid_seen=0, timeout_ms=30000, session_id=0,
                    passwd=b"\x00" * 16, read_only=False, send_read_only=True):
    """ConnectRequest; send_read_only=False omits the trailing boolean like pre-3.4 clients."""
    w = Writer().int(protocol_version).long(last_zxid_seen).int(timeout_ms).long(session_id)
    w.buffer(passwd)
    if send_read_only:
        w.bool(read_only)
    return w.bytes()


def request_header(xid, opcode):
    return struct.pack(">ii", xid, opcode)


def create_request(path, data=b"", acl=None, flags=PERSISTENT, ttl=None):
    """CreateRequest (create/create2/createContainer) or, with ttl set, CreateTTLRequest."""
    w = Writer().ustring(path).buffer(data).acl(OPEN_ACL_UNSAFE if acl is None else acl)
    w.int(flags)
    if ttl is not None:
        w.long(ttl)
    return w.bytes()


def delete_request(path, version=-1):
    return Writer().ustring(path).int(version).bytes()


def path_watch_request(path, watch=False):
    """ExistsRequest / GetDataRequest / GetChildrenRequest / GetChildren2Request."""
    return Writer().ustring(path).bool(watch).bytes()


exists_request = get_data_request = get_children_request = get_children2_request = \
    path_watch_request


def path_request(path):
    """GetACLRequest / SyncRequest / GetAllChildrenNumberRequest / GetEphemeralsRequest."""
    return Writer().ustring(path).bytes()


get_acl_request = sync_request = get_all_children_number_request = get_ephemerals_request = \
    path_request


def set_data_request(path, data, version=-1):
    return Writer().ustring(path).buffer(data).int(version).bytes()


def set_acl_request(path, acl, version=-1):
    return Writer().ustring(path).acl(acl).int(version).bytes()


def check_request(path, version):
    """CheckVersionRequest."""
    return Writer().ustring(path).int(version).bytes()


def auth_request(scheme, auth, auth_type=0):
    """AuthPacket; send it with xid XID_AUTH (-4) and OP_AUTH."""
    return Writer().int(auth_type).ustring(scheme).buffer(auth).bytes()


def set_watches_request(relative_zxid, data=(), exist=(), child=()):
    """SetWatches (opcode 101); clients send it with xid XID_SET_WATCHES (-8)."""
    return Writer().long(relative_zxid).strings(list(data)).strings(list(exist)).strings(
        list(child)).bytes()


def set_watches2_request(relative_zxid, data=(), exist=(), child=(), persistent=(),
                         recursive=()):
    """SetWatches2 (opcode 105)."""
    return Writer().long(relative_zxid).strings(list(data)).strings(list(exist)).strings(
        list(child)).strings(list(persistent)).strings(list(recursive)).bytes()


def add_watch_request(path, mode):
    return Writer().ustring(path).int(mode).bytes()


def watches_request(path, watcher_type):
    """CheckWatchesRequest / RemoveWatchesRequest (path, WatcherType 1 children, 2 data, 3 any)."""
    return Writer().ustring(path).int(watcher_type).bytes()


check_watches_request = remove_watches_request = watches_request


def reconfig_request(joining=None, leaving=None, new_members=None, cur_config_id=-1):
    """ReconfigRequest (opcode 16): comma-separated server lines, or None."""
    return Writer().ustring(joining).ustring(leaving).ustring(new_members).long(
        cur_config_id).bytes()


def sasl_request(token):
    """GetSASLRequest (opcode 102): one buffer."""
    return Writer().buffer(token).bytes()


def empty_request():
    """Body of ping, whoAmI, closeSession: nothing after the header."""
    return b""


def multi_op(opcode, body):
    """One entry for multi_request: (opcode, encoded request record)."""
    return (opcode, body)


def multi_request(ops):
    """MultiOperationRecord: MultiHeader(type, false, -1) + record per op, then (-1, true, -1).

    ops: iterable of (opcode, body) pairs, e.g. (OP_CREATE, create_request("/x")),
    (OP_CHECK, check_request("/x", 0)), or (OP_GET_DATA, path_watch_request("/x")) for multiRead.
    """
    w = Writer()
    for opcode, body in ops:
        w.int(opcode).bool(False).int(-1).raw(body)
    w.int(-1).bool(True).int(-1)
    return w.bytes()


multi_read_request = multi_request  # multiRead (22) uses the same record with read ops


# --- Response decoders ----------------------------------------------------------------------
def decode_connect_response(payload):
    """ConnectResponse; read_only is None when the server omitted the trailing boolean."""
    r = Reader(payload)
    proto, timeout, sid, passwd = r.int(), r.int(), r.long(), r.buffer()
    ro = r.bool() if r.remaining else None
    return ConnectResponse(proto, timeout, sid, passwd, ro)


def decode_event(body):
    """WatcherEvent body -> (type, state, path)."""
    r = Reader(body)
    return r.int(), r.int(), r.ustring()


def _dec_path(r):
    return r.ustring()


def _dec_create2(r):
    return r.ustring(), r.stat()


def _dec_stat(r):
    return r.stat()


def _dec_get_data(r):
    return r.buffer(), r.stat()


def _dec_children(r):
    return r.strings()


def _dec_children2(r):
    return r.strings(), r.stat()


def _dec_get_acl(r):
    return r.acl(), r.stat()


def _dec_int(r):
    return r.int()


def _dec_who_am_i(r):
    return r.vector(lambda x: ClientInfo(x.ustring(), x.ustring()))


def _dec_none(r):
    return None


def _dec_multi(r):
    """MultiResponse -> list of MultiResult(type, err, value)."""
    out = []
    while True:
        typ, done, err = r.int(), r.bool(), r.int()
        if done:
            if (typ, err) != (-1, -1):
                raise ProtocolError("multi end marker is (%d, true, %d), not (-1, true, -1)" % (
                    typ, err))
            return out
        if typ == OP_ERROR:
            value = r.int()  # ErrorResponse
        elif typ in _MULTI_RESULT_DECODERS:
            value = _MULTI_RESULT_DECODERS[typ](r)
        else:
            raise ProtocolError("unknown multi result type %d" % typ)
        out.append(MultiResult(typ, err, value))


_MULTI_RESULT_DECODERS = {
    OP_CREATE: _dec_path, OP_CREATE2: _dec_create2, OP_DELETE: _dec_none, OP_CHECK: _dec_none,
    OP_SET_DATA: _dec_stat, OP_GET_DATA: _dec_get_data, OP_GET_CHILDREN: _dec_children,
}

RESPONSE_DECODERS = {
    OP_CREATE: _dec_path, OP_CREATE2: _dec_create2, OP_CREATE_CONTAINER: _dec_create2,
    OP_CREATE_TTL: _dec_create2, OP_DELETE: _dec_none, OP_EXISTS: _dec_stat,
    OP_GET_DATA: _dec_get_data, OP_SET_DATA: _dec_stat, OP_GET_ACL: _dec_get_acl,
    OP_SET_ACL: _dec_stat, OP_GET_CHILDREN: _dec_children, OP_GET_CHILDREN2: _dec_children2,
    OP_SYNC: _dec_path, OP_PING: _dec_none, OP_CHECK: _dec_stat, OP_MULTI: _dec_multi,
    OP_MULTI_READ: _dec_multi, OP_AUTH: _dec_none, OP_SET_WATCHES: _dec_none,
    OP_SET_WATCHES2: _dec_none, OP_ADD_WATCH: _dec_int, OP_CHECK_WATCHES: _dec_none,
    OP_REMOVE_WATCHES: _dec_none, OP_GET_EPHEMERALS: _dec_children,
    OP_GET_ALL_CHILDREN_NUMBER: _dec_int, OP_WHO_AM_I: _dec_who_am_i,
    OP_CLOSE_SESSION: _dec_none, OP_DELETE_CONTAINER: _dec_none,
}


def decode_response(opcode, body, strict=True):
    """Decodes the body of a successful reply to `opcode`; an empty body decodes to None.

    Returns: create -> path; create2/createContainer/createTTL -> (path, Stat); exists/setData/
    setACL/check -> Stat; getData -> (data, Stat); getChildren/getEphemerals -> [names];
    getChildren2 -> ([names], Stat); getACL -> ([ACL], Stat); sync -> path; multi/multiRead ->
    [MultiResult]; getAllChildrenNumber -> int; addWatch -> int (ErrorResponse); whoAmI ->
    [ClientInfo]. strict=True also rejects trailing bytes.
    """
    if not body:
        return None
    r = Reader(body)
    value = RESPONSE_DECODERS.get(opcode, _dec_none)(r)
    if strict:
        r.expect_end()
    return value


# --- The connection -------------------------------------------------------------------------
class Connection:
    """One TCP connection to a ZooKeeper-protocol server.

    `received` is every packet read so far, in order: Reply for replies, Event for watch
    notifications. `events` holds the notifications not yet taken by `take_events()`.
    """

    def __init__(self, host, port=None, timeout=10.0):
        if port is None:
            host, port = host.rsplit(":", 1)
        self.addr = (host, int(port))
        self.timeout = timeout
        self.sock = socket.create_connection(self.addr, timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.next_xid = 1
        self.received = []
        self.events = []
        self._unclaimed = {}
        self._buf = b""
        self.session = None  # ConnectResponse after handshake

    # -- raw I/O --
    def send_raw(self, data):
        """Writes bytes as they are (no framing)."""
        self.sock.sendall(data)

    def send_frame(self, payload):
        """Writes a 4-byte big-endian length followed by payload."""
        self.sock.sendall(struct.pack(">i", len(payload)) + payload)

    def send_frame_until_closed(self, payload):
        """Like send_frame, for a frame the server is expected to refuse: it may close the
        connection while the payload is still being written. Returns True if it did."""
        try:
            self.send_frame(payload)
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True

    def _recv_exact(self, n, timeout):
        deadline = None if timeout is None else time.monotonic() + timeout
        while len(self._buf) < n:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise socket.timeout("timed out waiting for %d bytes" % n)
                self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(max(65536, n - len(self._buf)))
            except (ConnectionResetError, BrokenPipeError) as e:
                raise ConnectionClosed(str(e))
            finally:
                self.sock.settimeout(self.timeout)
            if not chunk:
                raise ConnectionClosed("EOF after %d of %d bytes" % (len(self._buf), n))
            self._buf += chunk
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def read_frame(self, timeout=None, max_len=64 << 20):
        """Reads one length-prefixed frame and returns its payload."""
        timeout = self.timeout if timeout is None else timeout
        (n,) = struct.unpack(">i", self._recv_exact(4, timeout))
        if n < 0 or n > max_len:
            raise ProtocolError("bad frame length %d" % n)
        return self._recv_exact(n, timeout)

    def read_packet(self, timeout=None):
        """Reads one frame after the handshake: a Reply, or an Event for xid -1."""
        payload = self.read_frame(timeout)
        if len(payload) < 16:
            raise ProtocolError("reply shorter than a ReplyHeader: %r" % payload)
        xid, zxid, err = struct.unpack(">iqi", payload[:16])
        body = payload[16:]
        if xid == XID_NOTIFICATION:
            typ, state, path = decode_event(body)
            pkt = Event(typ, state, path, zxid)
            self.events.append(pkt)
        else:
            pkt = Reply(xid, zxid, err, body)
        self.received.append(pkt)
        return pkt

    def is_closed_by_peer(self, timeout=5.0):
        """True when the server closes the connection (EOF/reset) within timeout.

        Frames that arrive first are read and kept in `received` (so an error reply sent just
        before the close is not lost)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            try:
                self.sock.settimeout(left)
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError):
                return True
            finally:
                self.sock.settimeout(self.timeout)
            if not chunk:
                return True
            self._buf += chunk
            self._drain_buffered()

    def _drain_buffered(self):
        """After the handshake, parses complete frames already buffered into `received`."""
        while len(self._buf) >= 4:
            (n,) = struct.unpack(">i", self._buf[:4])
            if n < 0 or len(self._buf) < 4 + n:
                return
            if self.session is None:
                return  # before the handshake: leave the raw bytes in _buf for the caller
            self.read_packet(timeout=0.1)

    def close(self):
        """Closes the socket (not the session)."""
        try:
            self.sock.close()
        except OSError:
            pass

    # -- handshake --
    def handshake(self, timeout_ms=30000, session_id=0, passwd=b"\x00" * 16, last_zxid_seen=0,
                  read_only=False, protocol_version=0, send_read_only=True):
        """Sends a ConnectRequest and returns the decoded ConnectResponse.

        An invalid session (unknown id, wrong password) gets timeout 0 / session 0 back and the
        server then closes the connection. Raises ConnectionClosed when the server closes
        without a response (e.g. lastZxidSeen ahead of the server)."""
        self.send_frame(connect_request(protocol_version, last_zxid_seen, timeout_ms, session_id,
                                        passwd, read_only, send_read_only))
        self.session = decode_connect_response(self.read_frame())
        return self.session

    # -- requests --
    def send(self, opcode, body=b"", xid=None):
        """Sends RequestHeader(xid, opcode) + body; xid defaults to the next positive xid."""
        if xid is None:
            xid = self.next_xid
            self.next_xid += 1
        self.send_frame(request_header(xid, opcode) + body)
        return xid

    def wait_reply(self, xid, timeout=None):
        """Reads packets until the reply with `xid`; other replies are kept for later."""
        if xid in self._unclaimed:
            return self._unclaimed.pop(xid)
        while True:
            pkt = self.read_packet(timeout)
            if isinstance(pkt, Event):
                continue
            if pkt.xid == xid:
                return pkt
            self._unclaimed[pkt.xid] = pkt

    def call(self, opcode, body=b"", xid=None, timeout=None):
        """Sends one request and returns its Reply (xid, zxid, err, raw body)."""
        return self.wait_reply(self.send(opcode, body, xid), timeout)

    def pipeline(self, requests, timeout=None):
        """Sends all (opcode, body) requests at once, then returns their Replies in order."""
        frames = []
        xids = []
        for opcode, body in requests:
            xid = self.next_xid
            self.next_xid += 1
            xids.append(xid)
            payload = request_header(xid, opcode) + body
            frames.append(struct.pack(">i", len(payload)) + payload)
        self.send_raw(b"".join(frames))
        return [self.wait_reply(x, timeout) for x in xids]

    def take_events(self):
        """Returns and forgets the notifications received so far."""
        out, self.events = self.events, []
        return out

    def request(self, opcode, body=b"", xid=None, what=None):
        """call() + decode_response(); raises ZKError on a non-zero err."""
        r = self.call(opcode, body, xid)
        if r.err != OK:
            raise ZKError(r.err, r, what or OP_NAMES.get(opcode, str(opcode)))
        return decode_response(opcode, r.body)

    # -- convenience wrappers (raise ZKError) --
    def create(self, path, data=b"", acl=None, flags=PERSISTENT):
        return self.request(OP_CREATE, create_request(path, data, acl, flags))

    def create2(self, path, data=b"", acl=None, flags=PERSISTENT):
        return self.request(OP_CREATE2, create_request(path, data, acl, flags))

    def create_container(self, path, data=b"", acl=None):
        return self.request(OP_CREATE_CONTAINER, create_request(path, data, acl, CONTAINER))

    def create_ttl(self, path, data=b"", ttl=1000, acl=None, flags=PERSISTENT_WITH_TTL):
        return self.request(OP_CREATE_TTL, create_request(path, data, acl, flags, ttl))

    def delete(self, path, version=-1):
        return self.request(OP_DELETE, delete_request(path, version))

    def exists(self, path, watch=False):
        """Stat, or None when the node does not exist."""
        r = self.call(OP_EXISTS, exists_request(path, watch))
        if r.err == NONODE:
            return None
        if r.err != OK:
            raise ZKError(r.err, r, "exists")
        return decode_response(OP_EXISTS, r.body)

    def get_data(self, path, watch=False):
        return self.request(OP_GET_DATA, get_data_request(path, watch))

    def set_data(self, path, data, version=-1):
        return self.request(OP_SET_DATA, set_data_request(path, data, version))

    def get_acl(self, path):
        return self.request(OP_GET_ACL, get_acl_request(path))

    def set_acl(self, path, acl, version=-1):
        return self.request(OP_SET_ACL, set_acl_request(path, acl, version))

    def get_children(self, path, watch=False):
        return self.request(OP_GET_CHILDREN, get_children_request(path, watch))

    def get_children2(self, path, watch=False):
        return self.request(OP_GET_CHILDREN2, get_children2_request(path, watch))

    def sync(self, path):
        return self.request(OP_SYNC, sync_request(path))

    def multi(self, ops):
        return self.request(OP_MULTI, multi_request(ops))

    def multi_read(self, ops):
        return self.request(OP_MULTI_READ, multi_request(ops))

    def add_auth(self, scheme, auth):
        return self.request(OP_AUTH, auth_request(scheme, auth), xid=XID_AUTH)

    def add_watch(self, path, mode):
        return self.request(OP_ADD_WATCH, add_watch_request(path, mode))

    def set_watches(self, relative_zxid, data=(), exist=(), child=()):
        """setWatches with xid -8, as clients send it after a reconnect."""
        return self.request(OP_SET_WATCHES, set_watches_request(relative_zxid, data, exist,
                                                                child), xid=XID_SET_WATCHES)

    def set_watches2(self, relative_zxid, data=(), exist=(), child=(), persistent=(),
                     recursive=()):
        return self.request(OP_SET_WATCHES2, set_watches2_request(
            relative_zxid, data, exist, child, persistent, recursive), xid=XID_SET_WATCHES)

    def check_watches(self, path, watcher_type=WATCHER_ANY):
        return self.request(OP_CHECK_WATCHES, watches_request(path, watcher_type))

    def remove_watches(self, path, watcher_type=WATCHER_ANY):
        return self.request(OP_REMOVE_WATCHES, watches_request(path, watcher_type))

    def check(self, path, version):
        """Standalone check (opcode 13). Note: ZooKeeper never answers a successful one."""
        return self.request(OP_CHECK, check_request(path, version))

    def get_ephemerals(self, prefix="/"):
        return self.request(OP_GET_EPHEMERALS, get_ephemerals_request(prefix))

    def get_all_children_number(self, path):
        return self.request(OP_GET_ALL_CHILDREN_NUMBER, get_all_children_number_request(path))

    def who_am_i(self):
        return self.request(OP_WHO_AM_I)

    def ping(self):
        """Sends a ping (xid -2) and waits for its reply; returns the Reply."""
        return self.call(OP_PING, b"", xid=XID_PING)

    def close_session(self):
        """closeSession; returns the Reply. The server closes the connection after it."""
        return self.call(OP_CLOSE_SESSION)


def connect(host, port=None, timeout=10.0, **handshake_args):
    """Opens a Connection and performs the handshake; returns the Connection."""
    c = Connection(host, port, timeout)
    try:
        c.handshake(**handshake_args)
    except BaseException:
        c.close()
        raise
    return c
