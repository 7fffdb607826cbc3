"""The portability stage: which numbers can be ported, and from which losing carrier.

Numbers are checked in chunks (``settings.portability_chunk``, at most
:data:`~batchport.limits.MAX_NUMBERS_PER_CHECK` per call) that run concurrently; the client
paces them. Answers the journal already holds for the same target and still fresh are reused,
so a rerun spends no calls. Each chunk's answers are journaled as soon as they arrive, so an
interrupted run keeps them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from batchport.limits import MAX_NUMBERS_PER_CHECK
from batchport.progress import NullProgress, Progress

__all__ = [
    "PORTABILITY_MAX_AGE",
    "PortabilityAnswer",
    "PortabilityChecker",
    "PortabilityJournal",
    "PortabilityRecord",
    "check_numbers",
]

#: How long a journaled portability answer is trusted by later runs.
PORTABILITY_MAX_AGE = timedelta(hours=24)


@dataclass(frozen=True)
class PortabilityRecord:
    """A portability answer for one number."""

    phone_number: str
    portable: bool
    carrier: str
    reason: str


class PortabilityJournal(Protocol):
    """The part of ``batchport.journal.Journal`` this stage uses."""

    def cached_portability(
        self, target: str, numbers: Iterable[str], *, now: datetime, max_age: timedelta | None
    ) -> dict[str, PortabilityRecord]: ...

    def record_portability(
        self, target: str, records: Iterable[PortabilityRecord], *, now: datetime
    ) -> None: ...


class PortabilityAnswer(Protocol):
    """What the client returns per number (``batchport.api`` ``PortabilityResult``)."""

    @property
    def phone_number(self) -> str: ...
    @property
    def portable(self) -> bool: ...
    @property
    def carrier(self) -> str: ...
    @property
    def reason(self) -> str: ...


class PortabilityChecker(Protocol):
    """The part of ``PortingClient`` this stage uses."""

    async def check_portability(self, numbers: Sequence[str]) -> Sequence[PortabilityAnswer]: ...


async def check_numbers(
    client: PortabilityChecker,
    numbers: Sequence[str],
    *,
    journal: PortabilityJournal,
    target: str,
    chunk_size: int = MAX_NUMBERS_PER_CHECK,
    clock: Callable[[], datetime],
    progress: Progress | None = None,
) -> dict[str, PortabilityRecord]:
    """The portability answers for ``numbers`` (E.164), by number.

    A number the service left out of its answer is left out of the result too (and is not
    journaled, so a later check asks again): no answer is not a carrier's verdict. Raises
    whatever the client raises for a failed call (``TransientApiError`` after retries,
    ``AuthError``...); answers of chunks that finished are journaled already.
    """
    progress = progress or NullProgress()
    size = max(1, min(chunk_size, MAX_NUMBERS_PER_CHECK))
    unique = list(dict.fromkeys(numbers))
    known = journal.cached_portability(target, unique, now=clock(), max_age=PORTABILITY_MAX_AGE)
    missing = [number for number in unique if number not in known]
    progress.start("portability", len(unique))
    progress.advance("portability", len(known))
    chunks = [missing[start : start + size] for start in range(0, len(missing), size)]

    async def check(chunk: list[str]) -> None:
        answers = await client.check_portability(chunk)
        asked = set(chunk)
        records = [
            PortabilityRecord(a.phone_number, bool(a.portable), a.carrier or "", a.reason or "")
            for a in answers
            if a.phone_number in asked
        ]
        journal.record_portability(target, records, now=clock())
        known.update((record.phone_number, record) for record in records)
        progress.advance("portability", len(chunk))

    await _gather_all([check(chunk) for chunk in chunks])
    return known


async def _gather_all(jobs: list[Coroutine[Any, Any, None]]) -> None:
    """Run the jobs together; on the first failure cancel the rest and raise that failure."""
    try:
        async with asyncio.TaskGroup() as group:
            for job in jobs:
                group.create_task(job)
    except BaseExceptionGroup as failures:
        raise failures.exceptions[0] from None
