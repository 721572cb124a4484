"""Requests from the host: a JSON header, the program, then the tests (read into a buffer
the supervisor wipes), on fd 0."""

from __future__ import annotations

import json

import context
import wire


def read_request(ctx: context.Ctx) -> tuple[dict, str, int] | None:
    try:
        hdr = json.loads(wire.recv_frame(0))
    except wire.ChannelClosed:
        return None
    program = wire.read_exact(0, int(hdr["program_len"])).decode("utf-8", "replace")
    return hdr, program, int(hdr.get("tests_len", 0))


def read_tests(ctx: context.Ctx, n: int) -> memoryview:
    if len(ctx.tests_buf) < n:
        ctx.tests_buf = bytearray(max(n, 2 * len(ctx.tests_buf)))
    view = memoryview(ctx.tests_buf)[:n]
    wire.read_exact_into(0, view)  # type: ignore[arg-type]
    return view
