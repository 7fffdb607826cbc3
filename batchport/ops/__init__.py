"""Ops: batchport running unattended.

The last stage of the house: it drives the lifecycle (track, activate) without a person at the
terminal. ``webhooks`` receives Sinch's porting webhooks and applies what they announce to the
journal and the result workbooks; the nightly cycle and the digest live beside it.
"""
