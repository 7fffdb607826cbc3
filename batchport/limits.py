"""How many numbers one call to the Sinch Porting API may carry: each limit written once.

Every stage that obeys a limit imports it from here: the planner splits orders by it, the
portability stage chunks its checks by it, settings and the CLI refuse larger values, and the
sandbox refuses larger requests as the service would. This module imports nothing, so settings
and the CLI can use it without loading pandas or the API client.

Sources: Sinch's published Porting API document (``sinch-porting-openapi.yaml``) and the fact
sheet compiled from it (``porting-facts.md``), both in the shared reference folder.
"""

from __future__ import annotations

__all__ = ["MAX_DOCUMENT_BYTES", "MAX_NUMBERS_PER_CHECK", "MAX_NUMBERS_PER_ORDER"]

#: Most phone numbers in one port-in order. The published document sends larger port orders
#: to Sinch support rather than the API, and Sinch's dashboard takes the same ceiling.
MAX_NUMBERS_PER_ORDER = 500

#: Most phone numbers in one portability check call. The published document gives no ceiling
#: for this call; batchport keeps each call within the order limit, a size the service is known
#: to take in one request (the sandbox enforces it too).
MAX_NUMBERS_PER_CHECK = 500

#: Largest document (an LOA, a bill) batchport uploads to an order, in bytes. The published
#: document and the fact sheet name no size limit (nor accepted types) for document uploads, so
#: this is batchport's own conservative choice: 5 MiB, which base64 inside the JSON body turns
#: into about 6.7 MiB, well under the 10 MB request bodies HTTP gateways commonly accept, and
#: half the ceiling the sandbox enforces. A scanned one-page LOA is far smaller.
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
