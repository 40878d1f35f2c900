#!/usr/bin/env python3
"""One-off recording ZooKeeper listener: accepts connections on 127.0.0.1:PORT, logs every frame
(length prefix included) as hex to OUT, and answers well enough for a client to proceed."""
import socket, struct, sys, threading

PORT = int(sys.argv[1]); OUT = sys.argv[2]
lock = threading.Lock()
conn_no = [0]

def rd_str(b, o):
    (n,) = struct.unpack_from(">i", b, o); o += 4
    if n < 0: return None, o
    return b[o:o+n], o + n

def stat():
    # czxid mzxid ctime mtime version cversion aversion ephemeralOwner dataLength numChildren pzxid
    return struct.pack(">qqqqiiiqiiq", 5, 6, 1700000000000, 1700000000001, 1, 0, 0, 0, 4, 0, 5)

def ustr(s): return struct.pack(">i", len(s)) + s

def body_for(op, req, o):
    if op in (1, 15, 19, 21):
        path, _ = rd_str(req, o)
        return ustr(path) + (stat() if op != 1 else b"")
    if op in (3, 5, 7): return stat()
    if op == 4: return ustr(b"data") + stat()
    if op == 6: return struct.pack(">i", 1) + struct.pack(">i", 31) + ustr(b"world") + ustr(b"anyone") + stat()
    if op == 8: return struct.pack(">i", 0)
    if op == 12: return struct.pack(">i", 0) + stat()
    if op == 104: return struct.pack(">i", 0)
    if op == 103: return struct.pack(">i", 0)
    if op == 107: return struct.pack(">i", 0)
    if op == 14:
        out = b""; p = o
        while True:
            t, done, err = struct.unpack_from(">i?i", req, p); p += 9
            if done: break
            out += struct.pack(">i?i", t if t != 13 else 13, False, 0)
            path, p = rd_str(req, p)
            if t in (1, 15, 19):
                _, p = rd_str(req, p)                  # data
                (n,) = struct.unpack_from(">i", req, p); p += 4
                for _ in range(max(n, 0)):
                    p += 4; _, p = rd_str(req, p); _, p = rd_str(req, p)
                p += 4                                  # flags
                out += ustr(path) + (stat() if t != 1 else b"")
            elif t == 2 or t == 13: p += 4
            elif t == 5:
                _, p = rd_str(req, p); p += 4; out += stat()
        return out + struct.pack(">i?i", -1, True, -1)
    return b""

def handle(c, no):
    f = c.makefile("rb")
    idx = 0
    def log(frame, note):
        nonlocal idx
        with lock, open(OUT, "a") as fh:
            fh.write(f"conn={no} frame={idx} {note} {frame.hex()}\n")
        idx += 1
    try:
        first = True
        while True:
            hdr = f.read(4)
            if len(hdr) < 4: return
            (n,) = struct.unpack(">i", hdr)
            body = f.read(n)
            if len(body) < n: return
            if first:
                first = False
                log(hdr + body, "connect")
                resp = struct.pack(">iiq", 0, 30000, 0x0123456789abcdef) + ustr(bytes(range(16))) + b"\x00"
                c.sendall(struct.pack(">i", len(resp)) + resp)
                continue
            xid, op = struct.unpack_from(">ii", body, 0)
            log(hdr + body, f"op={op} xid={xid}")
            err = 0
            out = body_for(op, body, 8)
            resp = struct.pack(">iqi", xid, 0x100 + idx, err) + out
            c.sendall(struct.pack(">i", len(resp)) + resp)
            if op == -11: return
    finally:
        c.close()

s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", PORT)); s.listen(8)
while True:
    c, _ = s.accept()
    conn_no[0] += 1
    threading.Thread(target=handle, args=(c, conn_no[0]), daemon=True).start()
