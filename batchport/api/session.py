"""Opening a client: the one place that builds the ``httpx.AsyncClient`` of a run.

:func:`open_session` turns an :class:`Endpoint` (where the service is and who is calling), a
transport, and the pacing and retry policies into a ready
:class:`~batchport.api.client.PortingClient`: one connection pool (at most ``connections``
connections), the auth flow and the trace. It knows nothing of settings files or of the
sandbox: whoever opens a client (``batchport.connection``, tests) chooses the transport and the
policies and hands them in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from batchport.api.auth import ClientCredentials, StaticToken
from batchport.api.client import PortingClient
from batchport.api.pacing import Pacer
from batchport.api.retry import RetryPolicy
from batchport.api.trace import TraceWriter

__all__ = ["Endpoint", "open_session"]


@dataclass(frozen=True)
class Endpoint:
    """Where the Porting API is and who calls it.

    ``base_url`` is the service root (the client adds ``/v1/projects/{project_id}``),
    ``token_url`` the full OAuth2 token URL. Credentials are a static ``access_token``, or a
    ``key_id`` and ``key_secret`` for client-credentials tokens; ``repr`` shows neither secret.
    """

    base_url: str
    token_url: str
    project_id: str
    access_token: str = field(default="", repr=False)
    key_id: str = ""
    key_secret: str = field(default="", repr=False)


def _auth_for(endpoint: Endpoint) -> httpx.Auth:
    """The auth flow for ``endpoint``: its static token if it has one, else its access key."""
    if endpoint.access_token:
        return StaticToken(endpoint.access_token)
    return ClientCredentials(
        token_url=endpoint.token_url, key_id=endpoint.key_id, key_secret=endpoint.key_secret
    )


@asynccontextmanager
async def open_session(
    endpoint: Endpoint,
    *,
    transport: httpx.AsyncBaseTransport | None,
    policy: RetryPolicy,
    pacer: Pacer,
    exchange_timeout: float = 30.0,
    connections: int = 4,
    trace_path: Path | None = None,
) -> AsyncIterator[PortingClient]:
    """Yield a PortingClient for ``endpoint``; close its connections and trace on exit.

    ``transport`` is the network when ``None``; ``exchange_timeout`` is seconds per HTTP exchange.
    Raises ConfigError when the trace file cannot be written.
    """
    async with AsyncExitStack() as stack:
        tracer = None
        if trace_path is not None:
            tracer = stack.enter_context(TraceWriter(trace_path))
        http = await stack.enter_async_context(
            httpx.AsyncClient(
                transport=transport,
                timeout=exchange_timeout,
                limits=httpx.Limits(
                    max_connections=connections, max_keepalive_connections=connections
                ),
            )
        )
        yield PortingClient(
            http,
            base_url=endpoint.base_url,
            project_id=endpoint.project_id,
            auth=_auth_for(endpoint),
            policy=policy,
            pacer=pacer,
            tracer=tracer,
        )
