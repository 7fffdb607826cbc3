"""Start, success and failure of a cycle reported to a health-check URL.

The convention is healthchecks.io's (Cronitor and Uptime Kuma's push monitors accept the
same): ``URL/start`` when the cycle starts, ``URL`` when it ends with exit code 0, and
``URL/<exit code>`` otherwise (``URL/1`` failed, ``URL/3`` needs attention: healthchecks.io
counts every code but 0 as a failure, so a person looks), or ``URL/fail`` when the cycle ended
without an exit code. A ping never fails the cycle: one attempt with a short timeout, and a
failure is a log line.
"""

from __future__ import annotations

import logging

import httpx

from batchport.redaction import remember, scrub

__all__ = ["PING_TIMEOUT", "Pinger"]

log = logging.getLogger(__name__)

#: Seconds one ping may take; a scheduler's job should not wait on its monitor.
PING_TIMEOUT = 5.0


class Pinger:
    """Pings ``url`` (None: does nothing); ``sent`` lists the URLs that answered 2xx."""

    def __init__(self, url: str | None, *, timeout: float = PING_TIMEOUT) -> None:
        self.url = url.rstrip("/") if url else None
        if self.url:
            remember(self.url)  # a check's URL is its credential: masked in logs and output
        self.timeout = timeout
        self.sent: list[str] = []

    def start(self) -> None:
        """Report that the cycle started."""
        self._ping("/start")

    def finish(self, exit_code: int | None) -> None:
        """Report the end: success for 0, ``/<code>`` for another code, ``/fail`` for None."""
        if exit_code == 0:
            self._ping("")
        else:
            self._ping(f"/{exit_code}" if exit_code is not None else "/fail")

    def _ping(self, suffix: str) -> None:
        if self.url is None:
            return
        url = self.url + suffix
        try:
            reply = httpx.get(url, timeout=self.timeout, follow_redirects=True)
            reply.raise_for_status()
        except httpx.HTTPError as exc:
            log.warning("health-check ping %s failed (the cycle goes on): %s", url, scrub(str(exc)))
            return
        self.sent.append(url)
        log.info("health-check ping %s sent", url)
