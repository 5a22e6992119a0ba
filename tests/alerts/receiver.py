"""A small HTTP receiver for alert notifications, inside the test process.

Reusable by any test that wants to see what agentgov sends: `with webhook_receiver() as rx`
gives `rx.url`, every request in `rx.requests` (headers and body), `rx.status` to answer
with, and `rx.hold()` to make the next request block (as a hung receiver would) until
`rx.release()`.
"""

import contextlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from apps.alerts.transports.webhook import DELIVERY_HEADER, SIGNATURE_HEADER, signature_is_valid


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)

    @property
    def delivery(self) -> str:
        return self.headers.get(DELIVERY_HEADER, "")

    def signed_with(self, secret: str) -> bool:
        return signature_is_valid(secret, self.body, self.headers.get(SIGNATURE_HEADER, ""))


@dataclass
class Receiver:
    url: str = ""
    status: int = 200
    requests: list[Received] = field(default_factory=list)
    _held: threading.Event | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def hold(self) -> None:
        """The following requests are answered only after `release()`."""
        self._held = threading.Event()

    def release(self) -> None:
        if self._held is not None:
            self._held.set()
            self._held = None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        received = Received(handler.path, dict(handler.headers.items()), handler.rfile.read(length))
        with self._lock:
            self.requests.append(received)
        held = self._held
        if held is not None:
            held.wait(timeout=120)
        handler.send_response(self.status)
        handler.send_header("Content-Length", "2")
        handler.end_headers()
        handler.wfile.write(b"ok")


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            # The sender may be gone (a killed worker): then there is nothing to answer.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                receiver._handle(self)

        def log_message(self, *args):  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield receiver
    finally:
        receiver.release()
        server.shutdown()
        server.server_close()
