"""A faithful local emulator of the Sinch Porting API v1 (the sandbox).

In process::

    app = create_app(SandboxConfig(seed=3))
    async with httpx.AsyncClient(transport=asgi_transport(app), base_url=BASE_URL) as client:
        ...

Over TCP: ``batchport sandbox serve`` (see ``batchport.sandbox.serve``). docs/sandbox.md lists
what the sandbox does, what it infers where the published document is silent, and where it
deliberately differs.
"""

from __future__ import annotations

from batchport.sandbox.app import BASE_URL, SandboxTransport, asgi_transport, create_app
from batchport.sandbox.config import SandboxConfig
from batchport.sandbox.service import Sandbox

__all__ = [
    "BASE_URL",
    "Sandbox",
    "SandboxConfig",
    "SandboxTransport",
    "asgi_transport",
    "create_app",
]
