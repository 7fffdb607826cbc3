"""Opening a client: the one place that builds the ``httpx.AsyncClient`` of a run.

:func:`open_client` turns :class:`~batchport.settings.Settings` into a ready
:class:`~batchport.api.client.PortingClient`: one connection pool (at most ``concurrency``
connections, never more than 8), the pacer, the retry policy, the authorizer and the trace.
With ``settings.sandbox`` and no transport given, it mounts the in-process sandbox instead of
the network.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

import httpx

from batchport.api.auth import Authorizer, ClientCredentials, StaticToken
from batchport.api.client import PortingClient
from batchport.api.pacing import Pacer
from batchport.api.retry import RetryPolicy
from batchport.api.trace import TraceWriter
from batchport.settings import MAX_CONCURRENCY

if TYPE_CHECKING:
    from batchport.settings import Settings

__all__ = ["open_client", "sandbox_transport"]


def sandbox_transport(settings: Settings) -> httpx.AsyncBaseTransport:
    """The in-process sandbox, keeping its orders beside the journal (``sandbox.sqlite``)."""
    from batchport.sandbox import SandboxConfig, asgi_transport, create_app

    config = replace(
        SandboxConfig.from_options(settings.sandbox_options),
        state_path=settings.state_path.parent / "sandbox.sqlite",
    )
    return asgi_transport(create_app(config))


def _authorizer(settings: Settings, client: PortingClient, token_url: str) -> Authorizer:
    if settings.access_token:
        return StaticToken(settings.access_token)
    return ClientCredentials(
        token_url=token_url,
        key_id=settings.key_id,
        key_secret=settings.key_secret,
        send=client.exchange,
        policy=client.policy,
    )


@asynccontextmanager
async def open_client(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    policy: RetryPolicy | None = None,
    pacer: Pacer | None = None,
) -> AsyncIterator[PortingClient]:
    """Yield a PortingClient for ``settings``; close its connections and trace on exit.

    ``transport`` replaces the network (tests, the sandbox); ``policy`` and ``pacer`` replace
    the ones built from settings (tests inject sleeps and clocks through them).
    Raises ConfigError when credentials are missing or the trace file cannot be written.
    """
    settings.require_credentials()
    base_url, token_url = settings.porting_url, settings.auth_url
    if settings.sandbox:
        from batchport.sandbox import BASE_URL

        base_url, token_url = BASE_URL, f"{BASE_URL}/oauth2/token"
        if transport is None:
            settings.state_path.parent.mkdir(parents=True, exist_ok=True)
            transport = sandbox_transport(settings)
    connections = min(settings.concurrency, MAX_CONCURRENCY)
    async with AsyncExitStack() as stack:
        tracer = None
        if settings.trace_path is not None:
            tracer = stack.enter_context(TraceWriter(settings.trace_path))
        http = await stack.enter_async_context(
            httpx.AsyncClient(
                transport=transport,
                timeout=settings.timeout,
                limits=httpx.Limits(
                    max_connections=connections, max_keepalive_connections=connections
                ),
            )
        )
        client = PortingClient(
            http,
            base_url=base_url,
            project_id=settings.project_id,
            authorizer=StaticToken(""),
            policy=policy or RetryPolicy.from_settings(settings),
            pacer=pacer or Pacer(settings.rate, settings.concurrency),
            tracer=tracer,
        )
        client.authorizer = _authorizer(settings, client, token_url)
        yield client
