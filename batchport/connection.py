"""From settings to an open Porting API client: the real service, or the sandbox in-process.

:func:`open_client` is what every command that talks to the API opens. It checks credentials,
chooses the transport (the network, or the sandbox's ASGI app with its orders kept in
``sandbox.sqlite`` beside the journal), and builds the pacer and the retry policy from
:class:`~batchport.settings.Settings` before handing them to :func:`batchport.api.open_session`.
Keeping this here lets ``batchport.api`` stay ignorant of settings and of the sandbox.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import httpx

from batchport.api import Endpoint, Pacer, PortingClient, RetryPolicy, open_session
from batchport.settings import MAX_CONCURRENCY, Settings

__all__ = ["endpoint_of", "open_client", "retry_policy", "sandbox_transport"]


def retry_policy(settings: Settings, **overrides: object) -> RetryPolicy:
    """The retry policy of a run: attempts and deadline from ``settings``, the rest as given.

    ``overrides`` replace any :class:`~batchport.api.RetryPolicy` field (tests pass ``sleep``).
    """
    values: dict[str, object] = {
        "max_attempts": settings.max_attempts,
        "deadline": settings.retry_deadline,
    }
    values.update(overrides)
    return RetryPolicy(**values)  # type: ignore[arg-type]


def endpoint_of(settings: Settings) -> Endpoint:
    """The service and credentials ``settings`` name; the sandbox's own when ``sandbox`` is on."""
    base_url, token_url = settings.porting_url, settings.auth_url
    if settings.sandbox:
        from batchport.sandbox import BASE_URL

        base_url, token_url = BASE_URL, f"{BASE_URL}/oauth2/token"
    return Endpoint(
        base_url=base_url,
        token_url=token_url,
        project_id=settings.project_id,
        access_token=settings.access_token,
        key_id=settings.key_id,
        key_secret=settings.key_secret,
    )


def sandbox_transport(settings: Settings) -> httpx.AsyncBaseTransport:
    """The in-process sandbox, keeping its orders beside the journal (``sandbox.sqlite``)."""
    from batchport.sandbox import SandboxConfig, asgi_transport, create_app

    config = replace(
        SandboxConfig.from_options(settings.sandbox_options),
        state_path=settings.sandbox_state_path,
    )
    return asgi_transport(create_app(config))


@asynccontextmanager
async def open_client(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    policy: RetryPolicy | None = None,
    pacer: Pacer | None = None,
) -> AsyncIterator[PortingClient]:
    """Yield a PortingClient for ``settings``; close its connections and trace on exit.

    ``transport`` replaces the network (tests) or the sandbox; ``policy`` and ``pacer`` replace
    the ones built from settings (tests inject sleeps and clocks through them). Raises
    ConfigError when credentials are missing or the trace file cannot be written.
    """
    settings.require_credentials()
    if settings.sandbox and transport is None:
        settings.state_path.parent.mkdir(parents=True, exist_ok=True)
        transport = sandbox_transport(settings)
    async with open_session(
        endpoint_of(settings),
        transport=transport,
        policy=policy or retry_policy(settings),
        pacer=pacer or Pacer(settings.rate, settings.concurrency),
        exchange_timeout=settings.timeout,
        connections=min(settings.concurrency, MAX_CONCURRENCY),
        trace_path=settings.trace_path,
    ) as client:
        yield client
