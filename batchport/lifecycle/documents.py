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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from batchport.api import PortingClient
from batchport.errors import ApiRejected, ConfigError, InputError
from batchport.journal import open_journal
from batchport.lifecycle.batch import created_orders, existing_journal, find_batch
from batchport.lifecycle.orders import no_such_order
from batchport.limits import MAX_DOCUMENT_BYTES

__all__ = [
    "CheckedDocument",
    "DocumentUpload",
    "SavedDocument",
    "UploadedDocument",
    "batch_uploads",
    "check_document",
    "document_kind",
    "download_document",
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
    """One document to attach to one order."""

    order_id: int
    document: CheckedDocument


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
        earlier = _uploaded_before(journal_path, upload.order_id, document)
        if earlier is not None:
            done.append(
                UploadedDocument(
                    upload.order_id, earlier, document.name, document.kind,
                    len(document.content), journaled=True, already=True,
                )
            )  # fmt: skip
            continue
        try:
            reply = await client.upload_document(
                upload.order_id, document.name, document.content, description
            )
        except ApiRejected as exc:
            if exc.status == 404:
                raise no_such_order(exc, upload.order_id, client.project_id) from None
            raise
        journaled = _journal_document(journal_path, upload.order_id, reply.id, document, now())
        done.append(
            UploadedDocument(
                upload.order_id,
                reply.id,
                document.name,
                document.kind,
                len(document.content),
                journaled,
            )
        )
    return tuple(done)


def _journal_document(
    journal_path: Path, order_id: int, document_id: int, document: CheckedDocument, at: datetime
) -> bool:
    if not journal_path.exists():
        return False
    with open_journal(journal_path) as journal:
        return journal.record_document(
            order_id, document_id, document.name, at, _digest(document.content)
        )


def _uploaded_before(journal_path: Path, order_id: int, document: CheckedDocument) -> int | None:
    """The id of the document the journal shows as this file attached to ``order_id``."""
    if not journal_path.exists():
        return None
    with open_journal(journal_path) as journal:
        earlier = journal.uploaded_documents(order_id)
    return earlier.get((document.name, _digest(document.content)))


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:16]


# -- a whole batch ------------------------------------------------------------------------------


def batch_uploads(journal_path: Path, batch_id: str, folder: Path) -> list[DocumentUpload]:
    """The documents to attach to every created order of batch ``batch_id``, all checked.

    When ``folder`` holds exactly one document (hidden files aside), every order gets it;
    otherwise each order gets the files its rows name in the input's ``loaFile`` column (a
    name in ``folder``). Nothing is sent here: a failing check fails the whole batch.

    Raises InputError for a missing folder, an empty one, a file that fails
    :func:`check_document`, an input without a ``loaFile`` column or an order none of whose
    rows names a file; ConfigError for no journal, an unknown batch or one with no order.
    """
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder; --dir names the folder of the documents")
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise InputError(f"{folder}: holds no document")
    with existing_journal(journal_path) as journal:
        batch = find_batch(journal, batch_id)
        source, sheet = Path(batch.source), batch.sheet or None
        orders = created_orders(journal, batch_id)
        if len(files) == 1:
            document = check_document(files[0])
            return [DocumentUpload(order_id, document) for order_id in orders.values()]
        rows = {
            row: record.reference
            for row, record in journal.number_records(batch_id).items()
            if not record.refused
        }
    return _by_loa_column(source, sheet, folder, len(files), rows, orders)


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
