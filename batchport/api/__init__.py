"""The Porting API client: typed records, authorization, pacing, retries and tracing.

Open a client with :func:`open_session` (the only place an ``httpx.AsyncClient`` is built) and
call one method per operation of the published contract; from settings,
``batchport.connection.open_client`` does it::

    async with open_client(settings) as client:
        results = await client.check_portability(["+12125550143"])

The package imports neither ``batchport.settings`` nor ``batchport.sandbox``: the transport
and the policies are handed in.
"""

from __future__ import annotations

from batchport.api.client import PortingClient
from batchport.api.pacing import Pacer
from batchport.api.requests import (
    E911,
    EndUser,
    Features,
    NumberRequest,
    OrderRequest,
    PortingConfiguration,
    PortOutInfo,
    SmsConfiguration,
    VoiceConfiguration,
)
from batchport.api.responses import (
    ActivationGroup,
    Document,
    DocumentContent,
    GroupActivation,
    NumberStatus,
    Order,
    OrderNote,
    OrderNumber,
    OrderPage,
    OrderStatus,
    PortabilityResult,
)
from batchport.api.retry import RetryPolicy
from batchport.api.session import Endpoint, open_session

__all__ = [
    "E911",
    "ActivationGroup",
    "Document",
    "DocumentContent",
    "EndUser",
    "Endpoint",
    "Features",
    "GroupActivation",
    "NumberRequest",
    "NumberStatus",
    "Order",
    "OrderNote",
    "OrderNumber",
    "OrderPage",
    "OrderRequest",
    "OrderStatus",
    "Pacer",
    "PortOutInfo",
    "PortabilityResult",
    "PortingClient",
    "PortingConfiguration",
    "RetryPolicy",
    "SmsConfiguration",
    "VoiceConfiguration",
    "open_session",
]
