"""A tiny scripted HTTP server standing in for agentgov where the test needs it to fail:
the network edge, not a mock of the SDK."""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Scripted:
    """Answers POSTs with `replies` in order (the last one repeats); records what it got."""

    replies: list[tuple[int, dict]]
    received: list[dict] = field(default_factory=list)
    gate: threading.Event | None = None  # when set, requests wait for it before answering
    arrived: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def answer(self, body: bytes) -> tuple[int, dict]:
        self.received.append(json.loads(body) if body else {})
        self.arrived.set()
        if self.gate is not None:
            self.gate.wait(30)
        index = min(len(self.received), len(self.replies)) - 1
        return self.replies[index]

    def events(self) -> list[dict]:
        return [event for body in self.received for event in body.get("events", [])]


def serve(script: Scripted):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            status, reply = script.answer(self.rfile.read(length))
            payload = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):  # keep the test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    script.url = f"http://127.0.0.1:{server.server_address[1]}"
    return server
