"""A scripted OpenAI-compatible HTTP server for deterministic generator tests.

Real HTTP on 127.0.0.1, spoken to by the real `openai` client. Replies come first from
`script` (a queue of `Reply`, consumed in arrival order: 429s, 500s, malformed bodies,
delays), then from `responder(request_body)`, which lets concurrent tests answer by
content instead of by order. Every chat request is recorded in `requests`.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    content: str | None = ""
    status: int = 200
    delay: float = 0.0
    body: bytes | None = None  # raw body, replaces the generated one (malformed replies)
    headers: dict[str, str] = field(default_factory=dict)
    finish_reason: str = "stop"


Responder = Callable[[dict], "Reply | str"]


class ScriptedServer:
    def __init__(self, models: tuple[str, ...] = ("scripted-model",), responder: Responder | None = None):
        self.models = list(models)
        self.script: deque[Reply] = deque()
        self.responder = responder
        self.requests: list[dict] = []  # chat request bodies, in arrival order
        self.replied: int = 0  # chat requests answered with a 200 in full
        self.model_list_calls = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> ScriptedServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):  # keep pytest output clean
                pass

            def do_GET(self):
                if self.path.rstrip("/").endswith("/models"):
                    with server._lock:
                        server.model_list_calls += 1
                    data = {"object": "list", "data": [{"id": m, "object": "model"} for m in server.models]}
                    self._send(200, json.dumps(data).encode())
                else:
                    self._send(404, _error("not found", "not_found"))

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(404, _error("not found", "not_found"))
                    return
                body = json.loads(raw)
                with server._lock:
                    server.requests.append(body)
                    reply = server.script.popleft() if server.script else None
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    self._chat(body, reply)
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _chat(self, body: dict, reply: Reply | None) -> None:
                if reply is None:
                    r = server.responder(body) if server.responder else Reply(status=500, content=None)
                    reply = Reply(content=r) if isinstance(r, str) else r
                if body.get("model") not in server.models:
                    reply = Reply(
                        status=404,
                        body=_error(f"The model `{body.get('model')}` does not exist.", "model_not_found"),
                    )
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.body is not None:
                    out = reply.body
                elif reply.status != 200:
                    out = _error(f"scripted status {reply.status}", "scripted")
                else:
                    out = json.dumps(_completion(body, reply)).encode()
                try:
                    self._send(reply.status, out, reply.headers)
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client gave up (timeout test)
                if reply.status == 200:
                    with server._lock:
                        server.replied += 1

            def _send(self, status: int, data: bytes, headers: dict[str, str] | None = None):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)
                self.wfile.flush()

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    @property
    def port(self) -> int:
        assert self._httpd is not None
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # ------------------------------------------------------------------ scripting
    def push(self, *replies: Reply | str) -> None:
        with self._lock:
            for r in replies:
                self.script.append(Reply(content=r) if isinstance(r, str) else r)

    def user_texts(self) -> list[str]:
        """The last user message of every recorded request."""
        return [last_user(b) for b in self.requests]


def last_user(body: dict) -> str:
    msgs = [m for m in body.get("messages", []) if m.get("role") == "user"]
    return msgs[-1]["content"] if msgs else ""


def _error(message: str, code: str) -> bytes:
    return json.dumps({"error": {"message": message, "type": "invalid_request_error", "code": code}}).encode()


def _completion(body: dict, reply: Reply) -> dict:
    content = reply.content
    return {
        "id": f"chatcmpl-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": reply.finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": sum(len(str(m.get("content", "")).split()) for m in body.get("messages", [])),
            "completion_tokens": len((content or "").split()),
            "total_tokens": 0,
        },
    }
