"""Per-session limits of the /openenv WebSocket sessions that OpenEnv's own server has no
hook for, as an ASGI wrapper: an idle time-out that frees the slot and says why, and a quiet
end for a client that vanished mid-step.

OpenEnv's `session_timeout` reaper destroys an idle session's environment but leaves its
socket open (a later step would reach a closed environment), so the time-out is enforced
where the server waits for the client: a `receive` that waits longer than `idle_s` reads as
a disconnect, OpenEnv's handler then destroys the session as for a client that left, and the
client is told in OpenEnv's error-frame shape before the close (code 1001).
"""

from __future__ import annotations

import asyncio
import json

#: OpenEnv's WSErrorCode for a session-level failure (openenv.core.env_server.types)
SESSION_ERROR = "SESSION_ERROR"


class IdleTimeout:
    """ASGI wrapper of the mounted OpenEnv app; HTTP passes through untouched. Only the wait
    for the client's next message is timed: a step that is running is never cut short."""

    def __init__(self, app, idle_s: float):
        self.app, self.idle_s = app, idle_s

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.app(scope, receive, send)
        pending: asyncio.Future | None = None
        idle = gone = False

        async def timed_receive():
            nonlocal pending, idle
            if pending is None:
                pending = asyncio.ensure_future(receive())
            done, _ = await asyncio.wait({pending}, timeout=self.idle_s)
            if not done:
                idle = True
                return {"type": "websocket.disconnect", "code": 1001}
            msg, pending = pending.result(), None
            return msg

        async def told_send(msg):
            nonlocal gone
            if gone:
                return
            if idle and msg["type"] == "websocket.close":
                why = f"session closed: no message for {self.idle_s:g} s (the server's --env-idle-timeout)"
                # The error frame first: OpenEnv's client reads it on its next call (one clear line).
                await send({"type": "websocket.send", "text": json.dumps(
                    {"type": "error", "data": {"message": why, "code": SESSION_ERROR}})})
                msg = {"type": "websocket.close", "code": 1001, "reason": why[:120]}
            try:
                await send(msg)
            except OSError:  # uvicorn's ClientDisconnected: the client left mid-step
                # What was for it goes nowhere; the handler's next receive reads the disconnect and
                # ends the session (OpenEnv's handler would otherwise fail sending its error frame
                # to the gone client and end in a traceback).
                gone = True

        try:
            await self.app(scope, timed_receive, told_send)
        finally:
            if pending is not None and not pending.done():
                pending.cancel()
