"""Letters of authorization for a batch: one per authorization unit, ready to sign, indexed.

An authorization unit is what one signature covers: the numbers of one end user (name and
service address) at one losing carrier under one account (account number and billing number),
among the orders the batch created. :func:`batch_letters` finds the units from the journal (the
plan, the created orders, the numbers still in play) and the batch's input, validated again and
turned into each number's request exactly as ``run`` sent it, so a letter shows what the order
says. :func:`write_letters` writes one PDF per unit (``batchport.report.letter``) and
``loa-index.xlsx``, which ties each letter to its numbers and orders.

Each letter has an id (``LOA-`` and ten letters) drawn from the batch id and the numbers its
orders took, so writing the letters again gives the same ids and file names, also after some
of those numbers were canceled, rejected or excluded (they leave the letter, not its id).
``documents upload --dir`` reads the id back from a signed file, whatever it is now called, to
find the orders it belongs to.

Files hold customer data (the account number is on the letter for the carrier): they are
written readable by their owner only, in a folder only the owner may open when batchport
creates it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from batchport.api.requests import EndUser, NumberRequest
from batchport.errors import ConfigError, InputError
from batchport.journal import INACTIVE_STATUSES, BatchRecord, Journal
from batchport.lifecycle.batch import created_orders, existing_journal, find_batch
from batchport.lifecycle.corrected import current_validation
from batchport.outputs import output_path
from batchport.planner import PlannedOrder
from batchport.report.letter import LetterContent, render_letter, service_address, unshowable
from batchport.report.xlsx import SheetSpec, atomic_path, write_workbook
from batchport.submit.requests import number_request

__all__ = [
    "INDEX_NAME",
    "Letter",
    "LetterSet",
    "batch_letters",
    "letter_id",
    "write_letters",
]

#: The index workbook's name, in the letters' folder.
INDEX_NAME = "loa-index.xlsx"
# The id's alphabet: capital letters without I and O (read as 1 and 0), and no digits (see
# batchport.report.letter.LETTER_ID).
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Letter:
    """One letter: its content, the file name it is written under and the orders holding its
    numbers (reference → order id, in reference order)."""

    content: LetterContent
    file_name: str
    orders: Mapping[str, int]
    number_orders: Mapping[str, str]

    @property
    def letter_id(self) -> str:
        """The id printed in the footer and kept in the PDF's metadata."""
        return self.content.letter_id

    def to_json(self) -> dict[str, object]:
        """The letter as one object of ``batchport loa --json`` (no account number)."""
        return {
            "letter": self.letter_id,
            "file": self.file_name,
            "end_user": self.content.end_user.name,
            "carrier": self.content.carrier,
            "numbers": len(self.content.numbers),
            "orders": dict(self.orders),
        }


@dataclass(frozen=True)
class LetterSet:
    """The letters of a batch and where they were written (the folder and the index)."""

    batch_id: str
    folder: Path
    index: Path
    letters: tuple[Letter, ...]

    @property
    def warnings(self) -> tuple[str, ...]:
        """One line per letter holding characters its font cannot show (printed as boxes)."""
        return tuple(
            f"{letter.file_name}: the font of the letters cannot show {', '.join(chars)} "
            f"(in the details of {letter.content.end_user.name!r}); they print as boxes, so "
            "check the letter against the bill before it is sent"
            for letter in self.letters
            if (chars := unshowable(letter.content))
        )

    def to_json(self) -> dict[str, object]:
        """The whole set as the ``--json`` object of ``batchport loa``."""
        return {
            "batch": self.batch_id,
            "folder": str(self.folder),
            "index": str(self.index),
            "letters": [letter.to_json() for letter in self.letters],
            "warnings": list(self.warnings),
        }


def letter_id(batch_id: str, numbers: Sequence[str]) -> str:
    """The id of the letter of ``numbers`` in batch ``batch_id``: the same for the same
    numbers, ten letters of a SHA-256 of both.

    >>> letter_id("3f9c2a1b7d04", ["+12125550143"]) == letter_id("3f9c2a1b7d04", ["+12125550143"])
    True
    """
    digest = hashlib.sha256("\n".join([batch_id, *sorted(numbers)]).encode()).digest()
    value = int.from_bytes(digest, "big")
    letters = []
    for _ in range(10):
        value, index = divmod(value, len(_ALPHABET))
        letters.append(_ALPHABET[index])
    return "LOA-" + "".join(letters)


# -- finding the units ----------------------------------------------------------------------


@dataclass
class _Unit:
    end_user: EndUser
    account_number: str
    billing_number: str
    order: PlannedOrder
    numbers: list[str] = field(default_factory=list)
    id_numbers: list[str] = field(default_factory=list)
    number_orders: dict[str, str] = field(default_factory=dict)
    schedules: list[str] = field(default_factory=list)
    authorizing: list[str] = field(default_factory=list)


def batch_letters(
    journal_path: Path, batch_id: str | None, *, company: str = "", today: date
) -> tuple[str, Path, list[Letter]]:
    """The letters of batch ``batch_id`` (the latest when None): ``(batch id, its input,
    letters)``, letters ordered by end user, carrier and first number.

    Only numbers of orders the batch created count, and not those refused, canceled, rejected
    or excluded since. Raises ConfigError for no journal, no such batch, a batch that created
    no order or none with a number still in play, and InputError when the batch's input is
    gone, unreadable or reads differently from the journaled rows.
    """
    with existing_journal(journal_path) as journal:
        batch = find_batch(journal, batch_id)
        orders = created_orders(journal, batch.id)
        members = _members(journal, batch.id, orders)
        source = Path(batch.source)
        rows = _input_rows(journal, batch, today)
    units = _units(members, rows)
    if not units:
        raise ConfigError(f"batch {batch.id} has no number still in an order to write a letter for")
    letters = [_letter(batch.id, unit, orders, company, today) for unit in units]
    letters.sort(key=lambda letter: (letter.file_name, letter.content.numbers[0]))
    return batch.id, source, letters


def _members(
    journal: Journal, batch_id: str, orders: Mapping[str, int]
) -> list[tuple[PlannedOrder, int, bool]]:
    """``(planned order, spreadsheet row, still in play)`` of every number a created order
    took (refused numbers aside). A number canceled, rejected or excluded since, or in a
    canceled order, is no longer in play: it is left off the letter, but it still counts for
    the letter's id, so that a letter signed before keeps matching after ``track`` or
    ``cancel`` learned of it."""
    submissions = journal.submissions(batch_id)
    records = journal.number_records(batch_id)
    members = []
    for order in journal.load_plan(batch_id) or ():
        if order.reference not in orders:
            continue
        submission = submissions.get(order.reference)
        canceled = submission is not None and submission.status == "CANCELED"
        for row in order.rows:
            record = records.get(row)
            if record is None or record.refused:
                continue
            active = not canceled and record.number_status not in INACTIVE_STATUSES
            members.append((order, row, active))
    return members


def _input_rows(journal: Journal, batch: BatchRecord, today: date) -> dict[int, dict[str, Any]]:
    """The batch's normalised rows by spreadsheet row, as its orders hold them: its input read
    again, with every correction ``resubmit`` applied laid over it. Raises InputError when the
    input is gone, unreadable or reads differently from the journaled rows."""
    try:
        validation = current_validation(journal, batch, today)
    except ConfigError as exc:
        raise InputError(f"the letters are written from the batch's input: {exc}") from None
    records: dict[int, dict[str, Any]] = validation.rows.to_dict("index")  # type: ignore[assignment]
    return records


def _units(
    members: list[tuple[PlannedOrder, int, bool]], rows: Mapping[int, Mapping[str, Any]]
) -> list[_Unit]:
    """The authorization units of ``members``, those with a number still in play."""
    units: dict[tuple[object, ...], _Unit] = {}
    for order, row, active in members:
        request: NumberRequest = number_request(rows[row])
        info = request.portOutInfo
        key = (
            request.endUser,
            info.accountNum,
            info.accountPhoneNumber,
            order.carrier,
            order.reseller_name,
        )
        unit = units.get(key)
        if unit is None:
            unit = _Unit(request.endUser, info.accountNum, info.accountPhoneNumber, order)
            units[key] = unit
        unit.id_numbers.append(request.phoneNumber)
        if not active:
            continue
        unit.numbers.append(request.phoneNumber)
        unit.number_orders[request.phoneNumber] = order.reference
        if order.schedule not in unit.schedules:
            unit.schedules.append(order.schedule)
        if info.authorizingName:
            unit.authorizing.append(info.authorizingName)
    return [unit for unit in units.values() if unit.numbers]


def _letter(
    batch_id: str, unit: _Unit, orders: Mapping[str, int], company: str, today: date
) -> Letter:
    ident = letter_id(batch_id, unit.id_numbers)
    authorizing = max(unit.authorizing, key=unit.authorizing.count) if unit.authorizing else ""
    content = LetterContent(
        letter_id=ident,
        batch_id=batch_id,
        end_user=unit.end_user,
        carrier=unit.order.carrier,
        account_number=unit.account_number,
        billing_number=unit.billing_number,
        authorizing_name=authorizing,
        company=company,
        reseller=unit.order.reseller_name,
        schedules=tuple(unit.schedules),
        numbers=tuple(unit.numbers),
        prepared=today,
    )
    references = sorted(set(unit.number_orders.values()))
    name = f"{_slug(unit.end_user.name)}-{_slug(unit.order.carrier)}-{ident}.pdf"
    return Letter(content, name, {ref: orders[ref] for ref in references}, dict(unit.number_orders))


def _slug(text: str) -> str:
    """A short file-name part: lower-case ASCII letters and digits joined by hyphens."""
    return _SLUG.sub("-", text.casefold()).strip("-")[:40].strip("-") or "x"


# -- writing ---------------------------------------------------------------------------------


def write_letters(
    journal_path: Path,
    batch_id: str | None,
    *,
    folder: Path | None = None,
    company: str = "",
    today: date,
) -> LetterSet:
    """Write the letters of batch ``batch_id`` (the latest when None) and ``loa-index.xlsx``
    into ``folder`` (default: ``<input stem>.loa`` beside the batch's input), replacing the
    files of an earlier call (the same ids give the same names). Returns what was written.

    Raises what :func:`batch_letters` raises, and ConfigError when the folder cannot be made
    or written.
    """
    batch, source, letters = batch_letters(journal_path, batch_id, company=company, today=today)
    folder = folder if folder is not None else output_path(source, "loa").with_suffix("")
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for letter in letters:
            with atomic_path(folder / letter.file_name, private=True) as temp:
                temp.write_bytes(render_letter(letter.content))
        index = write_workbook(
            folder / INDEX_NAME, _index_sheets(letters), private=True, subject="batchport LOA"
        )
    except OSError as exc:
        raise ConfigError(
            f"cannot write the letters in {folder}: {exc.strerror or exc}; choose --out"
        ) from None
    return LetterSet(batch, folder, index, tuple(letters))


def _index_sheets(letters: Sequence[Letter]) -> list[SheetSpec]:
    summary = SheetSpec(
        name="Letters",
        columns=[
            "Letter file",
            "Letter id",
            "End user",
            "Service address",
            "Carrier",
            "Account number",
            "Billing number",
            "Numbers",
            "Orders",
            "Order ids",
            "Desired port date",
        ],
        rows=(
            [
                letter.file_name,
                letter.letter_id,
                letter.content.end_user.name,
                ", ".join(service_address(letter.content.end_user)),
                letter.content.carrier,
                letter.content.account_number,
                letter.content.billing_number,
                len(letter.content.numbers),
                ", ".join(letter.orders),
                ", ".join(str(order_id) for order_id in letter.orders.values()),
                "; ".join(letter.content.schedules),
            ]
            for letter in letters
        ),
        masked_columns={"Account number": "accountNum"},
    )
    numbers = SheetSpec(
        name="Numbers",
        columns=["Number", "Letter file", "Letter id", "End user", "Order", "Order id"],
        rows=(
            [
                number,
                letter.file_name,
                letter.letter_id,
                letter.content.end_user.name,
                letter.number_orders[number],
                letter.orders[letter.number_orders[number]],
            ]
            for letter in letters
            for number in letter.content.numbers
        ),
    )
    return [summary, numbers]
