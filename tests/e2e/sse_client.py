"""A small Server-Sent Events client for the tests and the bench (standard library only).

    s = SSEStream(port, "/api/sync-events/ID/stream", token)
    for ev in s.events(timeout=30):       # (name, data, t) ... ; name "ping" for ": ping"
        ...
    s.close()

It speaks HTTP/1.1 on a plain socket, reads the status and headers, then decodes a
chunked body (or one with Content-Length) and splits it into SSE events. `t` is the
time.monotonic() at which the bytes of the event arrived.
"""
import json
import socket
import time


class SSEStream:
    def __init__(self, port, path, token=None, timeout=30, connect=True):
        self.port = port
        self.path = path
        self.token = token
        self.timeout = timeout
        self.sock = None
        self.raw = b""      # bytes received, not yet decoded from the transfer encoding
        self.body = b""     # decoded body, not yet split into events
        self.eof = False    # the body ended (last chunk, Content-Length reached, or EOF)
        self.status = None
        self.headers = {}
        self.chunked = False
        self.left = None    # bytes left of a Content-Length body
        if connect:
            self.open()

    def open(self):
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
        hdrs = "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n" % self.path
        if self.token:
            hdrs += "Authorization: Bearer %s\r\n" % self.token
        self.sock.sendall((hdrs + "\r\n").encode())
        return self

    def _recv(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no data from the stream in time")
        self.sock.settimeout(left)
        data = self.sock.recv(65536)
        if not data:
            self.eof = True
            return False
        self.raw += data
        return True

    def read_head(self, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while b"\r\n\r\n" not in self.raw:
            if not self._recv(deadline):
                raise ConnectionError("connection closed before the headers")
        head, self.raw = self.raw.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {k.strip().lower(): v.strip() for k, v in
                        (l.split(":", 1) for l in lines[1:] if ":" in l)}
        self.chunked = self.headers.get("transfer-encoding", "").lower() == "chunked"
        if not self.chunked and "content-length" in self.headers:
            self.left = int(self.headers["content-length"])
        return self.status

    def _decode(self):
        """Moves what can be decoded from raw into body."""
        if not self.chunked:
            if self.left is None:
                self.body, self.raw = self.body + self.raw, b""
            else:
                take = self.raw[:self.left]
                self.body += take
                self.raw = self.raw[len(take):]
                self.left -= len(take)
                if self.left == 0:
                    self.eof = True
            return
        while True:
            if b"\r\n" not in self.raw:
                return
            line, rest = self.raw.split(b"\r\n", 1)
            size = int(line.split(b";")[0], 16)
            if size == 0:
                self.eof = True
                self.raw = b""
                return
            if len(rest) < size + 2:
                return
            self.body += rest[:size]
            self.raw = rest[size + 2:]

    def events(self, timeout=None):
        """Yields (name, data, t) until the body ends; raises TimeoutError when nothing
        ends it in time. Comments give ("ping", text, t)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        if self.status is None:
            self.read_head(timeout)
        while True:
            self._decode()
            while b"\n\n" in self.body:
                block, self.body = self.body.split(b"\n\n", 1)
                name, data = "message", []
                for line in block.decode().split("\n"):
                    if line.startswith(":"):
                        name, data = "ping", [line[1:].strip()]
                    elif line.startswith("event:"):
                        name = line[6:].strip()
                    elif line.startswith("data:"):
                        data.append(line[5:].lstrip(" "))
                yield name, "\n".join(data), time.monotonic()
            if self.eof:
                return
            if not self._recv(deadline):
                self._decode()
                self.eof = True

    def next_event(self, timeout=None, skip_pings=True):
        for name, data, t in self.events(timeout):
            if skip_pings and name == "ping":
                continue
            return name, data, t
        return None

    def read_all(self, timeout=None):
        return list(self.events(timeout))

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None


def parse(data):
    return json.loads(data)
