"""A fault-injecting TCP proxy for peer links, for partition tests without network namespaces.

Each directed pair of members (i -> j) gets its own proxy: member i's configuration names the
proxy's port as member j's quorum address, and the proxy forwards to j's real quorum port.
Corral's peer links are one-way (i dials j for the messages i sends), so blocking a proxy cuts
exactly one direction: blocking both of a pair's proxies is a symmetric partition, one of them
an asymmetric one. A blocked proxy closes its connections and refuses new ones at once.
"""
import selectors
import socket
import threading


class PeerProxy:
    def __init__(self, target_port, host="127.0.0.1"):
        self.target = (host, target_port)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((host, 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.blocked = False
        self.lock = threading.Lock()
        self.pairs = []  # (client socket, upstream socket)
        self.closing = False
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()

    def block(self):
        with self.lock:
            self.blocked = True
            pairs, self.pairs = self.pairs, []
        for a, b in pairs:
            _close(a)
            _close(b)

    def unblock(self):
        with self.lock:
            self.blocked = False

    def close(self):
        self.closing = True
        self.block()
        _close(self.listener)

    def _accept_loop(self):
        while not self.closing:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                blocked = self.blocked
            if blocked:
                _close(conn)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=2.0)
            except OSError:
                _close(conn)
                continue
            with self.lock:
                self.pairs.append((conn, upstream))
            threading.Thread(target=self._pump, args=(conn, upstream), daemon=True).start()

    def _pump(self, a, b):
        sel = selectors.DefaultSelector()
        try:
            a.setblocking(False)
            b.setblocking(False)
            sel.register(a, selectors.EVENT_READ, b)
            sel.register(b, selectors.EVENT_READ, a)
            while True:
                for key, _ in sel.select(timeout=0.5):
                    data = key.fileobj.recv(1 << 16)
                    if not data:
                        return
                    key.data.setblocking(True)
                    key.data.sendall(data)
                    key.data.setblocking(False)
                with self.lock:
                    if self.blocked or self.closing:
                        return
        except (OSError, ValueError):
            return
        finally:
            sel.close()
            _close(a)
            _close(b)


def _close(s):
    try:
        s.close()
    except OSError:
        pass
