"""The ASGI layer in front of every route: the token (a Bearer header, or a `/t/<token>/`
path prefix for clients that cannot send headers, like verl's SandboxFusion path; WebSocket
handshakes too), the request body size limit, and per-endpoint request counts."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable


async def _reply(send, code: int, message: str) -> None:
    body = json.dumps({"detail": message}).encode()
    await send({"type": "http.response.start", "status": code,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class Guard:
    def __init__(self, app, token: str | None, max_body: int, count: Callable[[str, int], None]):
        self.app, self.token, self.max_body, self.count = app, token, max_body, count

    def _authorized(self, scope) -> tuple[bool, dict]:
        if not self.token:
            return True, scope
        path: str = scope["path"]
        if path.startswith("/t/"):
            given, _, rest = path[3:].partition("/")
            if hmac.compare_digest(given.encode(), self.token.encode()):
                raw = ("/" + rest).encode()
                return True, dict(scope, path="/" + rest, raw_path=raw)
            return False, scope
        for k, v in scope.get("headers", []):
            if k == b"authorization":
                scheme, _, value = v.decode("latin-1").partition(" ")
                return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(),
                                                                          self.token.encode()), scope
        return False, scope

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":  # the /openenv sessions: the same token, checked at the handshake
            ok, scope = self._authorized(scope)
            if not ok:
                self.count("unauthorized", 403)
                return await send({"type": "websocket.close", "code": 1008})  # the handshake gets HTTP 403
            return await self.app(scope, receive, send)
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        ok, scope = self._authorized(scope)
        endpoint = scope["path"] if ok else "unauthorized"
        status = {"code": 500}

        async def counted_send(msg):
            if msg["type"] == "http.response.start":
                status["code"] = msg["status"]
            await send(msg)

        try:
            if not ok:
                return await _reply(counted_send, 401, "a valid token is required: 'Authorization: Bearer TOKEN' "
                                    "or the path prefix /t/TOKEN/")
            declared = dict(scope.get("headers", [])).get(b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > self.max_body:
                return await _reply(counted_send, 413, f"request body over {self.max_body} bytes")
            seen = 0

            async def limited_receive():
                nonlocal seen
                msg = await receive()
                if msg["type"] == "http.request":
                    seen += len(msg.get("body", b""))
                    if seen > self.max_body:
                        raise _TooLarge()
                return msg

            try:
                await self.app(scope, limited_receive, counted_send)
            except _TooLarge:
                await _reply(counted_send, 413, f"request body over {self.max_body} bytes")
        finally:
            self.count(endpoint, status["code"])


class _TooLarge(Exception):
    pass
