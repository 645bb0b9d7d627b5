"""A loopback TCP proxy that can cut its connections, to test reconnects."""

from __future__ import annotations

import random
import select
import socket
import threading


class TcpProxy:
    """Forward 127.0.0.1:<port> to a target; cut connections on demand or after N bytes.

    ``cut_after`` (a ``(low, high)`` byte range) makes each new connection die after a
    random number of server-to-client bytes in that range, for ``cut_connections`` new
    connections; after those the proxy forwards faithfully. Everything is bounded so a
    test can never hang on it.
    """

    def __init__(self, target_port: int, target_host: str = "127.0.0.1", seed: int = 7) -> None:
        self.target = (target_host, target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.random = random.Random(seed)
        self.cut_after: tuple[int, int] | None = None
        self.cut_connections = 0
        self.cuts = 0
        self.connections = 0
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    def _accept_loop(self) -> None:
        self.listener.settimeout(0.2)
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            limit = None
            with self._lock:
                self.connections += 1
                if self.cut_after and self.cut_connections > 0:
                    self.cut_connections -= 1
                    limit = self.random.randint(*self.cut_after)
                self._pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream, limit), daemon=True).start()

    def _pump(self, client: socket.socket, upstream: socket.socket, limit: int | None) -> None:
        sent_down = 0
        sockets = [client, upstream]
        try:
            while not self._stop.is_set():
                readable, _, _ = select.select(sockets, [], [], 0.2)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    if sock is upstream:
                        if limit is not None and sent_down + len(data) >= limit:
                            client.sendall(data[: max(0, limit - sent_down)])
                            with self._lock:
                                self.cuts += 1
                            return
                        sent_down += len(data)
                        client.sendall(data)
                    else:
                        upstream.sendall(data)
        except OSError:
            return
        finally:
            self._close_pair(client, upstream)

    def _close_pair(self, client: socket.socket, upstream: socket.socket) -> None:
        for sock in (client, upstream):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        with self._lock:
            if (client, upstream) in self._pairs:
                self._pairs.remove((client, upstream))

    def cut_all(self) -> int:
        """Cut every open connection now; returns how many were cut."""
        with self._lock:
            pairs = list(self._pairs)
            self.cuts += len(pairs)
        for client, upstream in pairs:
            self._close_pair(client, upstream)
        return len(pairs)

    def close(self) -> None:
        self._stop.set()
        self.listener.close()
        self.cut_all()
