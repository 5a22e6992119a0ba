"""A tiny scripted HTTP server standing in for agentgov where the test needs it to fail:
the network edge, not a mock of the SDK."""

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from agentgov.client import Client


@dataclass
class Scripted:
    """Answers with `replies` in order (the last one repeats), or with what `respond(method,
    path, body)` returns; records what it got (bodies, and method + path in `requests`)."""

    replies: list[tuple[int, dict | str]] = field(default_factory=list)
    respond: Callable[[str, str, dict], tuple[int, dict | str]] | None = None
    received: list[dict] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    gate: threading.Event | None = None  # when set, requests wait for it before answering
    arrived: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, dict]:
        self.received.append(json.loads(body) if body else {})
        self.requests.append((method, path))
        self.arrived.set()
        if self.gate is not None:
            self.gate.wait(30)
        if self.respond is not None:
            return self.respond(method, path, self.received[-1])
        index = min(len(self.received), len(self.replies)) - 1
        return self.replies[index]

    def events(self) -> list[dict]:
        return [event for body in self.received for event in body.get("events", [])]


def serve(script: Scripted):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.reply(*script.answer(self.command, self.path, self.rfile.read(length)))

        do_GET = do_POST

        def reply(self, status: int, reply: dict | str):
            html = isinstance(reply, str)  # a str reply is an HTML page, as a bare Django 404 is
            payload = reply.encode() if html else json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html" if html else "application/json")
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


def quick_client(url: str, **options) -> Client:
    """A client that retries fast and sends at once: tests wait on results, not on timers."""
    settings = {"flush_interval": 0.05, "backoff": 0.01, "max_backoff": 0.05, **options}
    return Client(url, "agk_test_secret", **settings)
