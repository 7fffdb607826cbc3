"""The letter of authorization (LOA) as a PDF ready to sign, and what a returned one says.

:func:`render_letter` lays out one letter with reportlab: the end user and service address, the
losing carrier, the account and billing numbers, the gaining side, the desired port date, every
number to port (as many pages as it takes, counted), the authorised person's blanks and a
checklist page for the customer. The printed name, title and date are AcroForm text fields
(reportlab's ``acroForm``); the signature is a real, empty signature field (``/FT /Sig``) that
pypdf adds afterwards, because reportlab has no signature field. So the customer can sign in
any PDF reader or an e-signature service, or print the letter and sign it by hand.

The port-out PIN is never part of a letter: :class:`LetterContent` has no place for it. The
account number is, on purpose: the losing carrier compares it with its records, and the letter
goes only to the customer and the carrier (the file is written 0600, see
``batchport.lifecycle.loa``).

:func:`read_letter` reads a returned file with pypdf: the letter id, found in the document
information (``/BatchportLetter``), else its keywords, else the footer text that every page
carries (an e-signature service may rewrite the metadata but keeps the page's text), and
whether its signature field is still empty.
"""

from __future__ import annotations

import io
import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)
from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from batchport.api.requests import EndUser

__all__ = [
    "LETTER_ID",
    "NUMBERS_PER_PAGE",
    "LetterContent",
    "LetterFacts",
    "format_number",
    "read_letter",
    "render_letter",
    "service_address",
    "unshowable",
]

#: A letter id: ``LOA-`` and ten capital letters. Letters only, no digits, on purpose: the
#: journal masks every secret value it has seen inside any text (``batchport.redaction``), and
#: a PIN of digits must never punch a hole in the id the journal keeps for an upload.
LETTER_ID = re.compile(r"\bLOA-[A-HJ-NP-Z]{10}\b")
#: The document-information key that carries the letter id.
INFO_KEY = "/BatchportLetter"
#: The names of the form fields, as a reader lists them.
SIGNATURE_FIELD = "signature"
TEXT_FIELDS = ("printed_name", "title", "signed_date")

_WIDTH, _HEIGHT = LETTER
_MARGIN = 54.0
_FOOTER_Y = 30.0
_BODY = ("Helvetica", 10.0)
_BOLD = "Helvetica-Bold"
_COLUMNS = 5
_ROWS_PER_PAGE = 50
#: Numbers on one continuation page (five columns of fifty).
NUMBERS_PER_PAGE = _COLUMNS * _ROWS_PER_PAGE
#: Numbers that fit on the first page, under the details; a longer list gets its own pages.
_FIRST_PAGE_NUMBERS = _COLUMNS * 6
_ROW_HEIGHT = 13.0
_VALUE_X = 150.0  # where a value starts, right of its label
_GREY = Color(0.35, 0.35, 0.35)
_WHITE = Color(1, 1, 1)


@dataclass(frozen=True)
class LetterContent:
    """What one letter says: one end user's numbers at one losing carrier under one account.

    ``end_user`` holds the values exactly as the order sends them; ``schedules`` the desired
    port date (with time and zone) of each order holding the numbers; ``numbers`` E.164.
    ``account_number`` is shown in full (see the module docstring); there is no PIN here.
    """

    letter_id: str
    batch_id: str
    end_user: EndUser
    carrier: str
    account_number: str
    billing_number: str
    authorizing_name: str
    company: str
    reseller: str
    schedules: tuple[str, ...]
    numbers: tuple[str, ...]
    prepared: date


@dataclass(frozen=True)
class LetterFacts:
    """What a returned file says of itself: its letter id (None when it carries none), whether
    it still has a signature field, whether that field is signed, and whether any text field
    (name, title, date) has a value."""

    letter_id: str | None
    has_signature_field: bool
    signed: bool
    filled: bool


def unshowable(content: LetterContent) -> str:
    """The characters of the letter's values that its font cannot show, in order of first
    appearance ("" when all can be shown).

    The letter uses the PDF standard font Helvetica, which every reader has and which keeps
    the files small; it shows the Windows-1252 characters (accents of French and Spanish,
    typographic quotes and dashes) but no others, which would print as a box. Carriers' records
    in the US and Canada hardly ever hold others, so the caller warns rather than embedding a
    font.

    >>> letter = LetterContent("LOA-A", "b", EndUser("Łódź Café", "1", "A", "B", "NY", "1"),
    ...     "C", "", "", "", "", "", (), (), date(2026, 1, 1))
    >>> unshowable(letter)
    'Łź'
    """
    user = content.end_user
    values = [*(str(getattr(user, name)) for name in user.__dataclass_fields__)]
    values += [content.carrier, content.reseller, content.account_number]
    values += [content.billing_number, content.authorizing_name, content.company]
    found = dict.fromkeys(char for value in values for char in value if not _showable(char))
    return "".join(found)


def _showable(char: str) -> bool:
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def format_number(e164: str) -> str:
    """A NANP number as people and carriers write it.

    >>> format_number("+12125550143")
    '(212) 555-0143'
    """
    digits = e164.removeprefix("+1")
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}" if len(digits) == 10 else e164


def service_address(end_user: EndUser) -> tuple[str, str]:
    """The service address as two lines, each part exactly as the order sends it.

    >>> service_address(EndUser("A", "350", "Fifth", "New York", "NY", "10118", streetType="Ave",
    ...                         locationType1="SUITE", locationValue1="200"))
    ('350 Fifth Ave, SUITE 200', 'New York, NY 10118')
    """
    street = " ".join(
        part
        for part in (
            end_user.streetNum,
            end_user.streetPreDir,
            end_user.streetName,
            end_user.streetType,
            end_user.streetPostDir,
        )
        if part
    )
    locations = [
        f"{kind} {value}".strip()
        for kind, value in (
            (end_user.locationType1, end_user.locationValue1),
            (end_user.locationType2, end_user.locationValue2),
            (end_user.locationType3, end_user.locationValue3),
        )
        if kind or value
    ]
    first = ", ".join([street, *locations])
    return first, f"{end_user.city}, {end_user.state} {end_user.zipCode}"


def render_letter(content: LetterContent) -> bytes:
    """The letter as PDF bytes: first page, number pages, checklist; fields and metadata set."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=LETTER)
    canvas.setTitle(f"Letter of authorization {content.letter_id}")
    canvas.setAuthor("batchport")
    canvas.setCreator("batchport")
    canvas.setSubject(f"Port of {len(content.numbers)} numbers from {content.carrier} to Sinch")
    canvas.setKeywords(content.letter_id)
    listed_first = _fits_first_page(content)
    pages = 2 + (0 if listed_first else math.ceil(len(content.numbers) / NUMBERS_PER_PAGE))
    signature_box, _ = _first_page(canvas, content, pages, listed=listed_first)
    _footer(canvas, content, 1, pages)
    canvas.showPage()
    if not listed_first:
        for index in range(pages - 2):
            _number_page(canvas, content, index)
            _footer(canvas, content, index + 2, pages)
            canvas.showPage()
    _checklist_page(canvas, content)
    _footer(canvas, content, pages, pages)
    canvas.showPage()
    canvas.save()
    return _with_signature_field(buffer.getvalue(), content.letter_id, signature_box)


def _fits_first_page(content: LetterContent) -> bool:
    """Whether the numbers fit on the first page, above the signature block: at most
    ``_FIRST_PAGE_NUMBERS`` of them, and the page drawn with them (on a scratch canvas) ends
    above the footer, however long the names and addresses made it."""
    if len(content.numbers) > _FIRST_PAGE_NUMBERS:
        return False
    _, bottom = _first_page(Canvas(io.BytesIO(), pagesize=LETTER), content, 2, listed=True)
    return bottom > _FOOTER_Y + 20


# -- the first page ----------------------------------------------------------------------------


class _Cursor:
    """Where the next line goes on the page, top down."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.y = _HEIGHT - _MARGIN

    def text(self, text: str, *, size: float = _BODY[1], bold: bool = False, x: float = 0) -> None:
        self.canvas.setFont(_BOLD if bold else _BODY[0], size)
        self.canvas.drawString(_MARGIN + x, self.y, text)
        self.y -= size + 4

    def paragraph(self, text: str, size: float = _BODY[1]) -> None:
        for line in simpleSplit(text, _BODY[0], size, _WIDTH - 2 * _MARGIN):
            self.text(line, size=size)

    def heading(self, text: str) -> None:
        self.y -= 6
        self.text(text, size=11, bold=True)
        self.canvas.setLineWidth(0.5)
        self.canvas.line(_MARGIN, self.y + 11, _WIDTH - _MARGIN, self.y + 11)
        self.y -= 2

    def pair(self, label: str, value: str) -> None:
        """``label`` in bold, ``value`` beside it, wrapped to the page's width."""
        self.canvas.setFont(_BOLD, _BODY[1])
        self.canvas.drawString(_MARGIN, self.y, label)
        self.canvas.setFont(*_BODY)
        width = _WIDTH - 2 * _MARGIN - _VALUE_X
        for line in simpleSplit(value, _BODY[0], _BODY[1], width) or [""]:
            self.canvas.drawString(_MARGIN + _VALUE_X, self.y, line)
            self.y -= _BODY[1] + 4


def _first_page(
    canvas: Canvas, content: LetterContent, pages: int, *, listed: bool
) -> tuple[tuple[float, float, float, float], float]:
    """Draw the first page of a letter of ``pages`` pages, its numbers on it when ``listed``.

    Returns the signature box (x1, y1, x2, y2), where the signature field goes, and the y
    below the last thing drawn.
    """
    cursor = _Cursor(canvas)
    user = content.end_user
    cursor.text("Letter of Authorization", size=18, bold=True)
    cursor.text("to move telephone numbers to a new service provider", size=11)
    cursor.text(f"Before you sign, please read the checklist on page {pages}.", size=9)
    cursor.y -= 4
    cursor.heading("End user, exactly as on the current provider's bill")
    cursor.pair("Name", user.name)
    street, city = service_address(user)
    cursor.pair("Service address", street)
    cursor.pair("", city)
    cursor.pair("Type of service", "Residential" if user.typeOfService == "R" else "Business")
    cursor.heading("Current provider (losing carrier)")
    cursor.pair("Carrier", content.carrier)
    if content.reseller:
        cursor.pair("Reseller", content.reseller)
    cursor.pair("Account number", content.account_number or "(none given)")
    cursor.pair("Billing telephone number", _billing(content.billing_number))
    cursor.heading("New provider")
    cursor.pair("Service provider", "Sinch")
    if content.company:
        cursor.pair("Requesting company", content.company)
    dates = content.schedules
    cursor.pair("Desired port date" if len(dates) == 1 else "Desired port dates", "; ".join(dates))
    cursor.heading(f"Numbers to port: {len(content.numbers):,}")
    if listed:
        cursor.y = _number_grid(canvas, content.numbers, cursor.y, 0)
    else:
        last = pages - 1
        where = "page 2" if last == 2 else f"pages 2 to {last}"
        cursor.text(f"All {len(content.numbers):,} numbers are listed on {where} of this letter.")
    cursor.heading("Authorization")
    cursor.paragraph(_authorization(content))
    box = _signature_block(canvas, cursor, content)
    return box, cursor.y


def _billing(number: str) -> str:
    return format_number(number) if number.startswith("+1") else number or "(none given)"


def _authorization(content: LetterContent) -> str:
    agent = f"{content.company} and Sinch" if content.company else "Sinch"
    return (
        f"I am authorised to act for the end user named above. I ask {content.carrier} to "
        f"release the telephone numbers listed in this letter so that they move to Sinch, and I "
        f"appoint {agent} to act for the end user in arranging the move with {content.carrier}. "
        "I understand that when the numbers move, the end user's service for them with "
        f"{content.carrier} ends, that features tied to them there may stop, and that any "
        f"amount owed to {content.carrier} remains due."
    )


def _signature_block(
    canvas: Canvas, cursor: _Cursor, content: LetterContent
) -> tuple[float, float, float, float]:
    cursor.heading("Signed for the end user")
    left, width = int(_MARGIN + _VALUE_X), 260
    cursor.y -= 4
    for label, name, value in (
        ("Printed name", TEXT_FIELDS[0], content.authorizing_name),
        ("Title", TEXT_FIELDS[1], ""),
    ):
        _text_field(canvas, cursor.y, label, name, value, left, width)
        cursor.y -= 30
    canvas.setFont(_BOLD, _BODY[1])
    canvas.drawString(_MARGIN, cursor.y, "Signature")
    box = (float(left), cursor.y - 34, float(left + width), cursor.y + 14)
    canvas.setStrokeColor(_GREY)
    canvas.setLineWidth(0.5)
    canvas.rect(box[0], box[1], width, box[3] - box[1])
    cursor.y -= 56
    _text_field(canvas, cursor.y, "Date", TEXT_FIELDS[2], "", left, 120)
    cursor.y -= 30
    return box


def _text_field(
    canvas: Canvas, y: float, label: str, name: str, value: str, left: int, width: int
) -> None:
    """A label at ``y`` and a bordered form field beside it, ``value`` filled in."""
    canvas.setFont(_BOLD, _BODY[1])
    canvas.drawString(_MARGIN, y, label)
    canvas.acroForm.textfield(
        name=name,
        tooltip=label,
        value=value,
        x=left,
        y=int(y) - 6,
        width=width,
        height=20,
        fontName=_BODY[0],
        fontSize=int(_BODY[1]),
        borderWidth=1,
        borderColor=_GREY,
        fillColor=_WHITE,
        forceBorder=True,
    )


# -- the number pages and the checklist ------------------------------------------------------


def _number_grid(canvas: Canvas, numbers: Sequence[str], top: float, start: int) -> float:
    """Draw ``numbers`` in five columns, down then across, counted from ``start`` + 1; returns
    the y below the grid."""
    rows = math.ceil(len(numbers) / _COLUMNS)
    column_width = (_WIDTH - 2 * _MARGIN) / _COLUMNS
    canvas.setFont(*_BODY)
    for index, number in enumerate(numbers):
        column, row = divmod(index, rows)
        x = _MARGIN + column * column_width
        y = top - row * _ROW_HEIGHT
        canvas.setFont(_BODY[0], 7)
        canvas.drawRightString(x + 24, y, f"{start + index + 1}.")
        canvas.setFont(*_BODY)
        canvas.drawString(x + 28, y, format_number(number))
    return top - rows * _ROW_HEIGHT - 4


def _number_page(canvas: Canvas, content: LetterContent, index: int) -> None:
    cursor = _Cursor(canvas)
    start = index * NUMBERS_PER_PAGE
    chunk = content.numbers[start : start + NUMBERS_PER_PAGE]
    cursor.text(f"Numbers to port for {content.end_user.name}", size=12, bold=True)
    total = len(content.numbers)
    cursor.text(
        f"At {content.carrier}: numbers {start + 1:,} to {start + len(chunk):,} of {total:,}"
    )
    cursor.y -= 6
    _number_grid(canvas, chunk, cursor.y, start)


_CHECKLIST = (
    (
        "Name and address exactly as on the bill.",
        "The losing carrier compares the end user's name and service address with its own "
        'records, letter for letter. If the bill says "Acme Dental LLC", "Acme Dental" is a '
        "mismatch. Tell us before signing if anything on page 1 differs from the bill.",
    ),
    (
        "The service address, not a PO box.",
        "The address must be where the service is (or was) installed. A PO box or a billing "
        "address that is not the service location is refused.",
    ),
    (
        "The account number and billing telephone number.",
        "Both must match the current provider's account. A recent bill shows them; a wireless "
        "account may also need its port-out PIN, which you give us separately, never in this "
        "letter.",
    ),
    (
        "A recent bill at hand.",
        "Keep a copy of a bill from the last 30 days: the carrier may ask for one, and it is "
        "the quickest way to check the details above.",
    ),
    (
        "Signed and dated by someone entitled to do so.",
        "The person signing must be authorised to make decisions about the account. Date the "
        "letter on the day you sign it: many carriers refuse a letter signed long ago.",
    ),
    (
        "Keep the numbers in service until the move.",
        "Do not cancel the service with the current provider: a cancelled number cannot be moved.",
    ),
)


def _checklist_page(canvas: Canvas, content: LetterContent) -> None:
    cursor = _Cursor(canvas)
    cursor.text("Before you sign: a checklist", size=16, bold=True)
    cursor.paragraph(
        f"{content.carrier} will compare this letter with its records. A difference in any of "
        "the points below is the most common reason a move is refused and delayed."
    )
    for number, (title, text) in enumerate(_CHECKLIST, start=1):
        cursor.y -= 8
        cursor.text(f"{number}.  {title}", size=11, bold=True)
        cursor.paragraph(text)
    cursor.y -= 8
    cursor.paragraph(
        "To sign: fill in your name, title and date in the boxes on page 1, then sign in the "
        "signature box with your PDF reader or e-signature service. You may also print the "
        "letter, sign it by hand and scan it. Send the whole letter back, with every page."
    )


def _footer(canvas: Canvas, content: LetterContent, page: int, pages: int) -> None:
    canvas.setFont(_BODY[0], 8)
    canvas.drawString(
        _MARGIN,
        _FOOTER_Y,
        f"Letter {content.letter_id} · batch {content.batch_id} · "
        f"prepared {content.prepared.isoformat()}",
    )
    canvas.drawRightString(_WIDTH - _MARGIN, _FOOTER_Y, f"page {page} of {pages}")


# -- the signature field ---------------------------------------------------------------------


def _with_signature_field(
    data: bytes, letter_id: str, box: tuple[float, float, float, float]
) -> bytes:
    """``data`` with an empty signature field over ``box`` on page 1 and the letter id in the
    document information."""
    writer = PdfWriter(clone_from=io.BytesIO(data))
    widget = writer.add_annotation(
        0,
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Widget"),
                NameObject("/FT"): NameObject("/Sig"),
                NameObject("/T"): TextStringObject(SIGNATURE_FIELD),
                NameObject("/TU"): TextStringObject("Signature of the authorised person"),
                NameObject("/Rect"): ArrayObject([FloatObject(value) for value in box]),
                NameObject("/F"): NumberObject(4),  # printed
            }
        ),
    )
    form = writer.root_object["/AcroForm"].get_object()  # reportlab's, with the text fields
    assert isinstance(form, DictionaryObject)
    fields = form["/Fields"].get_object()
    assert isinstance(fields, ArrayObject)
    fields.append(widget.indirect_reference)
    writer.add_metadata({INFO_KEY: letter_id})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# -- reading a returned letter ----------------------------------------------------------------


def read_letter(data: bytes) -> LetterFacts:
    """What the PDF ``data`` says of itself (see :class:`LetterFacts`); a file that is not a
    readable PDF carries no letter id."""
    pypdf_log = logging.getLogger("pypdf")
    level = pypdf_log.level
    pypdf_log.setLevel(logging.ERROR)  # a damaged file is simply no letter: no warnings
    try:
        reader = PdfReader(io.BytesIO(data))
        letter_id = _letter_id(reader)
        fields = reader.get_fields() or {}
    except Exception:  # pypdf raises many kinds of error on a damaged file; none is ours
        return LetterFacts(None, False, False, False)
    finally:
        pypdf_log.setLevel(level)
    signature = next(
        (value for value in fields.values() if value.get("/FT") == "/Sig"),
        None,
    )
    filled = any(
        str(value.get("/V") or "").strip()
        for name, value in fields.items()
        if name in TEXT_FIELDS[1:]
    )
    signed = signature is not None and signature.get("/V") is not None
    return LetterFacts(letter_id, signature is not None, signed, filled)


def _letter_id(reader: PdfReader) -> str | None:
    info: Mapping[str, object] = reader.metadata or {}
    for text in (info.get(INFO_KEY), info.get("/Keywords")):
        found = LETTER_ID.search(str(text or ""))
        if found:
            return found.group()
    for page in reader.pages:
        found = LETTER_ID.search(page.extract_text() or "")
        if found:
            return found.group()
    return None
