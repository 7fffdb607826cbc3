"""After submission: what the service and the journal know of the orders, and what to do next.

One module per concern, each a few library functions that a command calls once:

- ``batch.py``: the journal and the batch a command works on (never creating a journal);
- ``result.py``: the batch's result workbook written again after the service's news;
- ``orders.py``: the project's order list with its filters, every page (``batchport orders``);
- ``notes.py``: an order's notes, and adding one (``batchport notes``);
- ``configuration.py``: the project's porting configuration (``batchport config``);
- ``batches.py``: the journal's batches and what each needs (``batchport batches``);
- ``track.py``: what happened to a batch's orders since, recorded and shown (``batchport track``);
- ``cancel.py``: cancel PENDING orders, journaled (``batchport cancel``);
- ``activate.py``: on-demand activation of ready carrier groups, journaled
  (``batchport activate``).
- ``documents.py``: documents checked by content and size, uploaded to an order or a batch's
  orders and journaled, or downloaded (``batchport documents``).

The functions that talk to the API take an open ``PortingClient`` (the command opens it with
``batchport.connection.open_client``); none reads settings.
"""

from __future__ import annotations
