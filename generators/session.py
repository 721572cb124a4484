"""From a Config to a ready ChatClient: the configured endpoint, or the bundled local model."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

from codesynth.config import Config
from codesynth.errors import EndpointError
from codesynth.generators.cache import ResponseCache
from codesynth.generators.client import ChatClient
from codesynth.generators.local_model import LocalModelServer


@contextlib.contextmanager
def open_client(
    config: Config, *, max_tokens_given: bool = False, log: Callable[[str], None] | None = None
) -> Iterator[ChatClient]:
    """A checked client for the configured endpoint; with none, the local model for the block's duration.

    `max_tokens_given`: the user chose max_tokens explicitly, so the local model's
    shorter default does not apply.
    """
    say = log or (lambda m: print(f"codesynth: {m}", file=sys.stderr))
    cache = ResponseCache(config.cache.path()) if config.cache.enabled else None
    if config.endpoint.base_url:
        client = ChatClient(config.endpoint, config.sampling, cache)
        client.check()
        yield client
        return
    with LocalModelServer(config.local) as server:
        sampling = config.sampling
        if not max_tokens_given:
            sampling = sampling.model_copy(
                update={"max_tokens": min(sampling.max_tokens, config.local.max_tokens)}
            )
        client = ChatClient(server.endpoint(config.endpoint), sampling, cache)
        client.check()
        say(f"no endpoint configured: serving the bundled model {client.model} at {server.base_url} "
            f"(started in {server.startup_s:.1f}s)")  # fmt: skip
        try:
            yield client
        except EndpointError:
            # "connection refused after 5 attempts" hides the cause when our own server died.
            died = server.died()
            if died:
                raise EndpointError(died) from None
            raise
