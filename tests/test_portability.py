"""The portability stage: chunking, concurrency, journal reuse (the client is scripted here)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from run_inputs import ProgressRecorder

from batchport.api import PortabilityResult
from batchport.errors import TransientApiError
from batchport.journal import Journal, open_journal
from batchport.portability import PORTABILITY_MAX_AGE, PortabilityChecker, check_numbers

NOW = datetime(2026, 11, 27, 9, 0)
NUMBERS = [f"+1212555{n:04d}" for n in range(100, 107)]


class Checker:
    def __init__(self, *, skip: str = "", fail: bool = False) -> None:
        self.calls: list[list[str]] = []
        self.in_flight = self.peak = 0
        self.skip, self.fail = skip, fail

    async def check_portability(self, numbers: Sequence[str]) -> list[PortabilityResult]:
        self.calls.append(list(numbers))
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        await asyncio.sleep(0)  # let the other chunks start: they run together
        self.in_flight -= 1
        if self.fail:
            raise TransientApiError("service unavailable", status=503)
        return [
            PortabilityResult(n, n[-1] != "3", "Verizon Wireless", "" if n[-1] != "3" else "gone")
            for n in numbers
            if n != self.skip
        ]


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    return open_journal(tmp_path / "journal.sqlite")


def check(checker: PortabilityChecker, journal: Journal, numbers: list[str], **kw: object) -> dict:  # type: ignore[type-arg]
    return asyncio.run(
        check_numbers(
            checker,
            numbers,
            journal=journal,
            target="sandbox",
            clock=lambda: NOW,
            **kw,  # type: ignore[arg-type]
        )
    )


def test_chunks_run_concurrently_and_carry_carrier_and_reason(journal: Journal) -> None:
    checker = Checker()
    answers = check(checker, journal, NUMBERS, chunk_size=3)
    assert [len(call) for call in checker.calls] == [3, 3, 1]
    assert checker.peak == 3
    assert answers["+12125550103"].portable is False
    assert answers["+12125550103"].reason == "gone"
    assert answers["+12125550100"].carrier == "Verizon Wireless"


def test_chunk_size_is_capped_at_500(journal: Journal) -> None:
    numbers = [f"+1212555{n:04d}" for n in range(1200)]
    checker = Checker()
    check(checker, journal, numbers, chunk_size=5000)
    assert [len(call) for call in checker.calls] == [500, 500, 200]


def test_journaled_answers_are_reused_and_missing_ones_asked_again(journal: Journal) -> None:
    first = Checker(skip="+12125550105")
    answers = check(first, journal, NUMBERS)
    assert "+12125550105" not in answers  # no answer is not "not portable"
    assert len(answers) == len(NUMBERS) - 1
    second = Checker()
    check(second, journal, NUMBERS)
    assert second.calls == [["+12125550105"]]
    stale = journal.cached_portability(
        "sandbox", NUMBERS, now=NOW + timedelta(days=2), max_age=timedelta(hours=24)
    )
    assert stale == {}


def test_a_failed_call_raises_after_the_others_are_journaled(journal: Journal) -> None:
    with pytest.raises(TransientApiError):
        check(Checker(fail=True), journal, NUMBERS, chunk_size=4)
    assert journal.cached_portability("sandbox", NUMBERS, now=NOW, max_age=timedelta(1)) == {}


class ChunkByChunk:
    """The first call answers after the others have started; they wait for its answer.

    Each later call records which numbers the journal held once the first had answered, then
    answers or, with ``fail_later``, fails as a call whose retries ran out.
    """

    def __init__(self, journal: Journal, *, fail_later: bool = False) -> None:
        self.journal, self.fail_later = journal, fail_later
        self.calls: list[list[str]] = []
        self.started_before_first_answer = 0
        self.first_answered = asyncio.Event()
        self.held_while_pending: list[set[str]] = []

    async def check_portability(self, numbers: Sequence[str]) -> list[PortabilityResult]:
        self.calls.append(list(numbers))
        if len(self.calls) == 1:
            await asyncio.sleep(0)  # let the other chunks start: they run together
            self.started_before_first_answer = len(self.calls)
            self.first_answered.set()
        else:
            await self.first_answered.wait()
            held = self.journal.cached_portability("sandbox", NUMBERS, now=NOW, max_age=None)
            self.held_while_pending.append(set(held))
            if self.fail_later:
                raise TransientApiError("service unavailable", status=503)
        return [PortabilityResult(n, True, "Verizon Wireless", "") for n in numbers]


def test_each_chunk_is_journaled_while_later_chunks_are_in_flight(journal: Journal) -> None:
    checker = ChunkByChunk(journal)
    check(checker, journal, NUMBERS, chunk_size=4)
    assert checker.calls == [NUMBERS[:4], NUMBERS[4:]]
    assert checker.started_before_first_answer == 2  # the second chunk was in flight
    assert checker.held_while_pending == [set(NUMBERS[:4])]


def test_answers_of_a_finished_chunk_survive_a_later_chunk_failing(journal: Journal) -> None:
    checker = ChunkByChunk(journal, fail_later=True)
    with pytest.raises(TransientApiError):
        check(checker, journal, NUMBERS, chunk_size=4)
    held = journal.cached_portability("sandbox", NUMBERS, now=NOW, max_age=None)
    assert sorted(held) == NUMBERS[:4]
    assert all(record.portable for record in held.values())


def test_progress_counts_journaled_answers_then_each_chunk(journal: Journal) -> None:
    check(Checker(), journal, NUMBERS[:2])
    progress = ProgressRecorder()
    check(Checker(), journal, [*NUMBERS, NUMBERS[0]], chunk_size=3, progress=progress)
    assert progress.events == [
        ("start", "portability", 7),
        ("advance", "portability", 2),
        ("advance", "portability", 3),
        ("advance", "portability", 2),
    ]


def test_answers_older_than_a_day_are_asked_again(journal: Journal) -> None:
    check(Checker(), journal, NUMBERS[:2])
    later = Checker()
    asyncio.run(
        check_numbers(
            later,
            NUMBERS[:2],
            journal=journal,
            target="sandbox",
            clock=lambda: NOW + PORTABILITY_MAX_AGE + timedelta(minutes=1),
        )
    )
    assert later.calls == [NUMBERS[:2]]


def test_a_chunk_size_below_one_asks_one_number_per_call(journal: Journal) -> None:
    checker = Checker()
    check(checker, journal, NUMBERS[:3], chunk_size=0)
    assert checker.calls == [[number] for number in NUMBERS[:3]]


def test_an_answer_without_carrier_or_reason_is_journaled_blank(journal: Journal) -> None:
    class Blank(Checker):
        async def check_portability(self, numbers: Sequence[str]) -> list[PortabilityResult]:
            return [PortabilityResult(number, False) for number in numbers]

    answers = check(Blank(), journal, NUMBERS[:1])
    held = journal.cached_portability("sandbox", NUMBERS[:1], now=NOW, max_age=None)
    assert answers == held
    assert (held[NUMBERS[0]].carrier, held[NUMBERS[0]].reason) == ("", "")
