"""Documents of an order (the LOA, a bill): check, upload, journal, and download them.

The API takes a document as base64 inside JSON (``POST …/orders/portIns/{id}/documents``) and
gives it back the same way (``GET …/orders/{id}/documents/{documentId}``). Neither the
published document nor the fact sheet names accepted types or a size limit, so batchport
checks before anything is sent: the type by the file's first bytes, never by its name (PDF,
PNG, JPEG, TIFF in either byte order: what a signed LOA or a scanned bill is), and the size
against :data:`batchport.limits.MAX_DOCUMENT_BYTES`. Each upload to an order the journal knows
is journaled (a ``document`` event). A downloaded document holds customer data, so it is
written readable by its owner only, and never over an existing file.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

from batchport.api import PortingClient
from batchport.errors import ApiRejected, ConfigError, InputError
from batchport.journal import open_journal
from batchport.lifecycle.batch import created_orders, existing_journal, find_batch
from batchport.lifecycle.loa import batch_letters
from batchport.lifecycle.orders import no_such_order
from batchport.limits import MAX_DOCUMENT_BYTES
from batchport.report.letter import LETTER_ID, LetterFacts, read_letter

__all__ = [
    "BatchUploads",
    "CheckedDocument",
    "DocumentUpload",
    "SavedDocument",
    "UploadedDocument",
    "batch_uploads",
    "check_document",
    "document_kind",
    "download_document",
    "letter_uploads",
    "upload_document",
    "upload_documents",
]

# First bytes of each accepted type. TIFF has two: little-endian ("II") and big-endian ("MM").
_MAGIC = (
    (b"%PDF-", "PDF"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)
_ACCEPTED = "PDF, PNG, JPEG or TIFF"
# The suffix a letter goes up under, by the type of what came back (a scan may be a picture).
_SUFFIXES = {"PDF": ".pdf", "PNG": ".png", "JPEG": ".jpg", "TIFF": ".tif"}
_LOA_HEADER = re.compile(r"[\s_-]+")


def document_kind(content: bytes) -> str | None:
    """The type of ``content`` by its first bytes (``"PDF"``, ``"PNG"``, ``"JPEG"``,
    ``"TIFF"``), or None when it is none of them.

    >>> document_kind(b"%PDF-1.7 ..."), document_kind(b"hello")
    ('PDF', None)
    """
    return next((kind for magic, kind in _MAGIC if content.startswith(magic)), None)


@dataclass(frozen=True)
class CheckedDocument:
    """A file that passed the checks: its path, type and bytes (never shown in ``repr``)."""

    path: Path
    kind: str
    content: bytes = field(repr=False)

    @property
    def name(self) -> str:
        """The name the document is uploaded under: the file's own name."""
        return self.path.name


def check_document(path: Path) -> CheckedDocument:
    """Read ``path`` and check it may be uploaded: a regular file, not empty, at most
    ``MAX_DOCUMENT_BYTES`` (checked before it is read) and a PDF, PNG, JPEG or TIFF by content.

    Raises InputError, one line naming the file, when it fails any check or cannot be read.
    """
    try:
        if not path.is_file():
            missing = "no such file" if not path.exists() else "not a file"
            raise InputError(f"{path}: {missing}; name a PDF, PNG, JPEG or TIFF document")
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise InputError(
                f"{path}: {size:,} bytes is too large; documents may be at most "
                f"{MAX_DOCUMENT_BYTES:,} bytes ({MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB)"
            )
        content = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if not content:
        raise InputError(f"{path}: the file is empty")
    kind = document_kind(content)
    if kind is None:
        raise InputError(
            f"{path}: not a {_ACCEPTED} file by its content (whatever its name says); "
            "export or scan it to one of those"
        )
    return CheckedDocument(path, kind, content)


@dataclass(frozen=True)
class DocumentUpload:
    """One document to attach to one order, under ``as_name`` when given (a generated letter
    goes up under the name it was written with, whatever the signed file is called now)."""

    order_id: int
    document: CheckedDocument
    as_name: str = ""

    @property
    def name(self) -> str:
        """The name the document is uploaded under."""
        return self.as_name or self.document.name


@dataclass(frozen=True)
class BatchUploads:
    """What ``documents upload --batch --dir`` will send: the uploads, the warnings about
    files it leaves out or doubts (a letter not signed, a file that is no letter of the batch)
    and the notes about letters already uploaded to an order, which are not sent again."""

    uploads: tuple[DocumentUpload, ...]
    warnings: tuple[str, ...] = ()
    sent_before: tuple[str, ...] = ()


@dataclass(frozen=True)
class UploadedDocument:
    """A document the service accepted: order, its document id, name, type, size, and
    whether the journal recorded it (the order belongs to a journaled batch)."""

    order_id: int
    document_id: int
    name: str
    kind: str
    size: int
    journaled: bool
    #: The journal shows this very file (name and content) already attached to the order as
    #: ``document_id`` by an earlier upload of the batch: it was not sent again.
    already: bool = False

    def to_json(self) -> dict[str, object]:
        """The upload as one object of the ``--json`` output."""
        return {
            "order": self.order_id,
            "document": self.document_id,
            "name": self.name,
            "type": self.kind,
            "bytes": self.size,
            "journaled": self.journaled,
            "already_uploaded": self.already,
        }


async def upload_document(
    client: PortingClient,
    order_id: int,
    path: Path,
    journal_path: Path,
    *,
    description: str = "",
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> UploadedDocument:
    """Check the file at ``path`` and attach it to order ``order_id``.

    Raises InputError (nothing sent) when the file fails :func:`check_document`, ApiRejected
    ("no order …") for an order the project does not have, and the client's other ApiErrors.
    """
    upload = DocumentUpload(order_id, check_document(path))
    (done,) = await upload_documents(
        client, [upload], journal_path, description=description, now=now
    )
    return done


async def upload_documents(
    client: PortingClient,
    uploads: Sequence[DocumentUpload],
    journal_path: Path,
    *,
    description: str = "",
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> tuple[UploadedDocument, ...]:
    """Attach each checked document to its order, one after another, journaling each as it
    is accepted (so a failure part-way leaves the journal telling which were sent). A document
    the journal shows already attached to its order (same name, same content) is not sent
    again: a rerun after a failure sends only the rest.

    Raises ApiRejected ("no order …") for an unknown order and the client's other ApiErrors.
    """
    done = []
    for upload in uploads:
        document = upload.document
        earlier = _uploaded_before(journal_path, upload)
        if earlier is not None:
            done.append(
                UploadedDocument(
                    upload.order_id, earlier, upload.name, document.kind,
                    len(document.content), journaled=True, already=True,
                )
            )  # fmt: skip
            continue
        try:
            reply = await client.upload_document(
                upload.order_id, upload.name, document.content, description
            )
        except ApiRejected as exc:
            if exc.status == 404:
                raise no_such_order(exc, upload.order_id, client.project_id) from None
            raise
        journaled = _journal_document(journal_path, upload, reply.id, now())
        done.append(
            UploadedDocument(
                upload.order_id,
                reply.id,
                upload.name,
                document.kind,
                len(document.content),
                journaled,
            )
        )
    return tuple(done)


def _journal_document(
    journal_path: Path, upload: DocumentUpload, document_id: int, at: datetime
) -> bool:
    if not journal_path.exists():
        return False
    with open_journal(journal_path) as journal:
        return journal.record_document(
            upload.order_id, document_id, upload.name, at, _digest(upload.document.content)
        )


def _uploaded_before(journal_path: Path, upload: DocumentUpload) -> int | None:
    """The id of the document the journal shows as this file attached to its order."""
    if not journal_path.exists():
        return None
    with open_journal(journal_path) as journal:
        earlier = journal.uploaded_documents(upload.order_id)
    return earlier.get((upload.name, _digest(upload.document.content)))


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:16]


# -- a whole batch ------------------------------------------------------------------------------


def batch_uploads(
    journal_path: Path, batch_id: str, folder: Path, *, today: date | None = None
) -> BatchUploads:
    """The documents to attach to the created orders of batch ``batch_id``, all checked.

    When ``folder`` holds letters written by ``batchport loa`` (recognised by the letter id in
    the file, whatever its name), each signed letter goes to every order holding its numbers,
    once: see :func:`letter_uploads`. Otherwise, when it holds exactly one document (hidden
    files aside), every order gets it; else each order gets the files its rows name in the
    input's ``loaFile`` column (a name in ``folder``). Nothing is sent here. ``today`` is the
    date the input is validated against when the letters are worked out again.

    Raises InputError for a missing folder, an empty one, a file that fails
    :func:`check_document` (outside the letters' case), an input without a ``loaFile`` column
    or an order none of whose rows names a file; ConfigError for no journal, an unknown batch
    or one with no order.
    """
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder; --dir names the folder of the documents")
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise InputError(f"{folder}: holds no document")
    found = [_read_file(path) for path in files]
    if any(facts.letter_id for _, _, facts, _ in found):
        return letter_uploads(journal_path, batch_id, found, today=today or date.today())
    with existing_journal(journal_path) as journal:
        batch = find_batch(journal, batch_id)
        source, sheet = Path(batch.source), batch.sheet or None
        orders = created_orders(journal, batch_id)
        if len(files) == 1:
            document = check_document(files[0])
            return BatchUploads(
                tuple(DocumentUpload(order_id, document) for order_id in orders.values())
            )
        rows = {
            row: record.reference
            for row, record in journal.number_records(batch_id).items()
            if not record.refused
        }
    return BatchUploads(tuple(_by_loa_column(source, sheet, folder, len(files), rows, orders)))


# A file of the folder: its path, the checked document (None when it fails a check), what it
# says of itself as a letter, and why it failed the check.
_Found = tuple[Path, CheckedDocument | None, LetterFacts, str]


def _read_file(path: Path) -> _Found:
    """A file of the folder, checked, with what it says of itself as a letter. A file whose
    content carries no letter id (a scan of a printed letter, an image) is known by an id in
    its name: a scan saved under the letter's own name still finds its orders."""
    nothing = LetterFacts(None, False, False, False)
    try:
        document = check_document(path)
    except InputError as exc:
        return path, None, nothing, str(exc)
    facts = read_letter(document.content) if document.kind == "PDF" else nothing
    if facts.letter_id is None:
        named = LETTER_ID.search(path.stem.upper())
        facts = replace(facts, letter_id=named.group() if named else None)
    return path, document, facts, ""


def letter_uploads(
    journal_path: Path, batch_id: str, found: Sequence[_Found], *, today: date
) -> BatchUploads:
    """Match the files ``found`` in a folder to the letters of batch ``batch_id``.

    Each letter goes to every order holding its numbers, except where the journal shows it
    already went (a ``document`` event naming its id): a rerun sends nothing twice. Left out,
    with a warning: a file carrying no letter id or one of another batch, a letter whose
    signature, title and date are all still empty (not signed), and a second copy of a letter
    (the signed copy is preferred). A letter whose signature field is empty but whose other
    fields are filled in (signed on paper and scanned into the form, or with a drawn signature)
    is uploaded, with a warning to check it.

    Raises what :func:`batchport.lifecycle.loa.batch_letters` raises.
    """
    _, _, letters = batch_letters(journal_path, batch_id, today=today)
    by_id = {letter.letter_id: letter for letter in letters}
    chosen, warnings = _choose_letters(found, set(by_id), batch_id)
    sent = _letters_sent(journal_path, batch_id)
    uploads, sent_before = [], []
    for ident, document in chosen.items():
        letter = by_id[ident]
        for order_id in letter.orders.values():
            if (order_id, ident) in sent:
                sent_before.append(
                    f"Order {order_id}: letter {ident} was uploaded before; not sent again."
                )
            else:
                name = Path(letter.file_name).stem + _SUFFIXES[document.kind]
                uploads.append(DocumentUpload(order_id, document, name))
    return BatchUploads(tuple(uploads), tuple(warnings), tuple(sent_before))


def _choose_letters(
    found: Sequence[_Found], known: set[str], batch_id: str
) -> tuple[dict[str, CheckedDocument], list[str]]:
    """The file to upload for each letter id in ``known``, and a warning for every file left
    out or in doubt (see :func:`letter_uploads`)."""
    warnings: list[str] = []
    chosen: dict[str, CheckedDocument] = {}
    kept_from: dict[str, Path] = {}
    # Signed copies first, then filled-in ones: a second copy of a letter loses to them.
    for path, document, facts, problem in sorted(found, key=_preference):
        ident = facts.letter_id
        if document is None or ident is None:
            why = problem or (
                f"{path}: carries no letter id of `batchport loa` (a scan of a printed letter? "
                "name it after the letter, whose id it keeps, or upload it with `batchport "
                "documents upload ORDER_ID FILE`: loa-index.xlsx names its orders)"
            )
            warnings.append(f"{why}; not uploaded")
        elif ident not in known:
            warnings.append(
                f"{path}: letter {ident} is not a letter of batch {batch_id}; not uploaded"
            )
        elif ident in chosen:
            warnings.append(
                f"{path}: another copy of letter {ident} ({kept_from[ident].name}) is uploaded "
                "instead; not uploaded"
            )
        elif facts.has_signature_field and not facts.signed and not facts.filled:
            warnings.append(
                f"{path}: letter {ident} is not signed (its signature, title and date are "
                "empty); not uploaded: have it signed and run again"
            )
        else:
            if facts.has_signature_field and not facts.signed:
                warnings.append(
                    f"{path}: the signature field of letter {ident} is empty; uploaded because "
                    "its title or date is filled in: check that it is signed"
                )
            chosen[ident], kept_from[ident] = document, path
    return chosen, warnings


def _preference(found: _Found) -> tuple[bool, bool, str]:
    path, _, facts, _ = found
    return (not facts.signed, not facts.filled, path.name)


def _letters_sent(journal_path: Path, batch_id: str) -> set[tuple[int, str]]:
    """``(order id, letter id)`` of every letter the journal shows uploaded for the batch."""
    with existing_journal(journal_path) as journal:
        events = journal.events(batch_id)
    sent = set()
    for kind, _, detail in events:
        order, _, rest = detail.partition(" ")
        found = LETTER_ID.search(rest) if kind == "document" and order.isdigit() else None
        if found:
            sent.add((int(order), found.group()))
    return sent


def _by_loa_column(
    source: Path,
    sheet: str | None,
    folder: Path,
    count: int,
    rows: dict[int, str],
    orders: dict[str, int],
) -> list[DocumentUpload]:
    from batchport.intake.table import read_table  # pandas: only when a column is needed

    table = read_table(source, sheet=sheet)  # the sheet run read
    column = next((name for name, header in table.headers.items() if _is_loa_header(header)), None)
    if column is None:
        raise InputError(
            f"{folder} holds {count} files and the batch's input {source} has no loaFile column "
            "to say which order gets which; add one, or leave one document in the folder"
        )
    names = table.frame[column].str.strip()
    checked: dict[str, CheckedDocument] = {}
    uploads = []
    for reference, order_id in orders.items():
        wanted = {row: names[row] for row, ref in sorted(rows.items()) if ref == reference}
        files = dict.fromkeys(name for name in wanted.values() if name)
        if not files:
            listed = ", ".join(str(row) for row in wanted)
            raise InputError(
                f"order {order_id} ({reference}): none of its rows ({listed}) names a file "
                "in the loaFile column"
            )
        for name in files:
            row = next(r for r, value in wanted.items() if value == name)
            if name not in checked:
                checked[name] = _row_document(folder, name, row)
            uploads.append(DocumentUpload(order_id, checked[name]))
    return uploads


def _is_loa_header(header: str) -> bool:
    return _LOA_HEADER.sub("", header).casefold() == "loafile"


def _row_document(folder: Path, name: str, row: int) -> CheckedDocument:
    if Path(name).name != name or name in (".", ".."):
        raise InputError(f"row {row}: loaFile {name!r} must be a file name in {folder}, not a path")
    try:
        return check_document(folder / name)
    except InputError as exc:
        raise InputError(f"row {row} (loaFile): {exc}") from None


# -- download -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SavedDocument:
    """A downloaded document: where it was written, its size and the service's type."""

    path: Path
    size: int
    content_type: str

    def to_json(self) -> dict[str, object]:
        """The download as one ``--json`` object."""
        return {"path": str(self.path), "bytes": self.size, "content_type": self.content_type}


async def download_document(
    client: PortingClient, order_id: int, document_id: int, out: Path | None, *, folder: Path
) -> SavedDocument:
    """Download document ``document_id`` of order ``order_id`` to ``out`` (default: the
    document's own name, in ``folder``), mode 0600, never over an existing file.

    Raises ConfigError when the file exists (checked before the call when ``out`` is given) or
    cannot be created, ApiRejected ("no document …") on a 404, and the client's other ApiErrors.
    """
    if out is not None:
        _refuse_existing(out)
    try:
        document = await client.get_document(order_id, document_id)
    except ApiRejected as exc:
        if exc.status == 404:
            raise ApiRejected(
                f"no document {document_id} of order {order_id} in project {client.project_id}; "
                "check both ids (`documents upload` prints the document id)",
                status=exc.status,
                operation=exc.operation,
            ) from None
        raise
    path = out if out is not None else folder / _file_name(document.document_name, document_id)
    _write_private(path, document.content)
    return SavedDocument(path, len(document.content), document.content_type)


def _file_name(document_name: str, document_id: int) -> str:
    # Only the last part of the service's name: a name with folders in it never leaves `folder`.
    name = Path(document_name.replace("\\", "/")).name.strip()
    return name if name not in ("", ".", "..") else f"document-{document_id}"


def _refuse_existing(path: Path) -> None:
    if path.exists() or path.is_symlink():
        raise ConfigError(f"{path} already exists; batchport does not overwrite it: choose --out")


def _write_private(path: Path, content: bytes) -> None:
    """Write ``content`` to a new file ``path``, readable by its owner only (0600)."""
    _refuse_existing(path)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigError(
            f"{path} already exists; batchport does not overwrite it: choose --out"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}; choose --out") from None
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
