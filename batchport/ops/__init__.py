"""Ops: batchport running unattended, after the lifecycle stage and driving it.

- ``nightly.py``: one unattended cycle: new spreadsheets of an inbox run as batches and filed,
  every open order tracked, ready on-demand groups activated, the digest written
  (``batchport nightly``);
- ``digest.py``: the port calendar and carrier statistics from the journal, as a summary and a
  workbook (``batchport digest``);
- ``lock.py``: the lock that keeps two cycles from overlapping;
- ``ping.py``: start, success and failure reported to a health-check URL;
- ``webhooks.py``: the receiver of Sinch's porting webhooks, which applies what each delivery
  announces (after reading the order itself) to the journal and the result workbooks
  (``batchport webhooks serve``).

Functions here take what the top resolves (the journal's path, the target, an open client or a
way to run one file as a batch); none reads settings.
"""

from __future__ import annotations
