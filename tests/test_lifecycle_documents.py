"""``batchport documents`` and ``batchport.lifecycle.documents``: checked before sent, journaled."""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from run_inputs import HEADER, lifecycle_settings, sandbox_orders, submit_rows, us_row, with_client
from test_lifecycle_orders import env_for

from batchport.cli import main
from batchport.errors import InputError
from batchport.journal import open_journal
from batchport.lifecycle.documents import check_document, upload_document
from batchport.limits import MAX_DOCUMENT_BYTES
from batchport.pipeline import run_batch
from batchport.settings import Settings

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)


def two_orders(tmp_path: Path, rows: list[list[str]] | None = None) -> tuple[Settings, str]:
    settings = lifecycle_settings(tmp_path)
    rows = rows or [us_row(100, ref="FIRST"), us_row(101, ref="FIRST"), us_row(200, ref="SECOND")]
    result = submit_rows(settings, tmp_path / "in.csv", rows)
    assert len(sandbox_orders(settings)) == 2
    return settings, result.batch_id


def order_ids(settings: Settings) -> dict[str, int]:
    return {o.customer_order_reference: o.id for o in sandbox_orders(settings)}


def documents_of(settings: Settings) -> dict[str, list[str]]:
    return {
        o.customer_order_reference: [d["documentName"] for d in o.extra.get("documents", [])]
        for o in sandbox_orders(settings)
    }


def write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def test_a_pdf_is_uploaded_journaled_and_read_back_identical(tmp_path: Path) -> None:
    settings, batch = two_orders(tmp_path)
    first = order_ids(settings)["FIRST"]
    loa = write(tmp_path / "loa.pdf", PDF)
    done = with_client(
        settings,
        lambda c: upload_document(c, first, loa, settings.state_path, description="signed LOA"),
    )
    assert (done.order_id, done.name, done.kind, done.size) == (first, "loa.pdf", "PDF", len(PDF))
    assert done.journaled
    with open_journal(settings.state_path) as journal:
        digest = hashlib.sha256(PDF).hexdigest()[:16]
        detail = f"{first} {done.document_id} loa.pdf sha256:{digest}"
        assert ("document", "FIRST", detail) in journal.events(batch)
    out = tmp_path / "back" / "copy.pdf"
    out.parent.mkdir()
    runner, env = CliRunner(), env_for(settings)
    args = ["documents", "get", str(first), str(done.document_id), "--out", str(out), "--sandbox"]
    result = runner.invoke(main, [*args, "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == PDF
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert json.loads(result.stdout) == {
        "path": str(out), "bytes": len(PDF), "content_type": "application/pdf",
    }  # fmt: skip


def test_type_is_read_from_the_content_not_the_name(tmp_path: Path) -> None:
    settings, _ = two_orders(tmp_path)
    first = order_ids(settings)["FIRST"]
    runner, env = CliRunner(), env_for(settings)
    picture = write(tmp_path / "scan.pdf", PNG)
    result = runner.invoke(
        main, ["documents", "upload", str(first), str(picture), "--sandbox", "--json"], env=env
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["type"] == "PNG"
    text = write(tmp_path / "notes.pdf", b"Dear carrier, please release these numbers.\n")
    result = runner.invoke(
        main, ["documents", "upload", str(first), str(text), "--sandbox"], env=env
    )
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "not a PDF, PNG, JPEG or TIFF" in result.stderr
    assert documents_of(settings) == {"FIRST": ["scan.pdf"], "SECOND": []}


@pytest.mark.parametrize(
    ("content", "kind"),
    [(b"\xff\xd8\xff\xe0JFIF", "JPEG"), (b"II*\x00\x08\x00", "TIFF"), (b"MM\x00*\x00\x08", "TIFF")],
)
def test_jpeg_and_both_tiff_byte_orders_pass(tmp_path: Path, content: bytes, kind: str) -> None:
    assert check_document(write(tmp_path / "doc.bin", content)).kind == kind


def test_too_large_missing_and_empty_files_are_refused_before_any_call(tmp_path: Path) -> None:
    settings, _ = two_orders(tmp_path)
    first = order_ids(settings)["FIRST"]
    big = write(tmp_path / "big.pdf", PDF + bytes(MAX_DOCUMENT_BYTES - len(PDF) + 1))
    assert check_document(write(tmp_path / "edge.pdf", big.read_bytes()[:-1])).kind == "PDF"
    calls: list[int] = []

    async def upload(path: Path) -> None:
        from batchport.connection import open_client

        async with open_client(settings) as client:
            try:
                await upload_document(client, first, path, settings.state_path)
            finally:
                calls.append(client.calls)

    import asyncio

    for path, words in [
        (big, "too large"),
        (tmp_path / "absent.pdf", "no such file"),
        (write(tmp_path / "empty.pdf", b""), "empty"),
        (tmp_path, "not a file"),
    ]:
        with pytest.raises(InputError, match=words):
            asyncio.run(upload(path))
    assert calls == [0, 0, 0, 0]
    assert documents_of(settings) == {"FIRST": [], "SECOND": []}


def test_batch_dir_with_one_document_goes_to_every_order(tmp_path: Path) -> None:
    settings, batch = two_orders(tmp_path)
    folder = tmp_path / "loas"
    folder.mkdir()
    write(folder / "loa.pdf", PDF)
    write(folder / ".DS_Store", b"junk")  # hidden files are not documents
    runner, env = CliRunner(), env_for(settings)
    args = ["documents", "upload", "--batch", batch, "--dir", str(folder), "--sandbox", "--json"]
    result = runner.invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    assert sorted(item["order"] for item in json.loads(result.stdout)) == sorted(
        order_ids(settings).values()
    )
    assert documents_of(settings) == {"FIRST": ["loa.pdf"], "SECOND": ["loa.pdf"]}
    first = {item["order"]: item["document"] for item in json.loads(result.stdout)}

    again = runner.invoke(main, args, env=env)  # a rerun sends nothing already attached
    assert again.exit_code == 0, again.output
    items = json.loads(again.stdout)
    assert all(item["already_uploaded"] for item in items)
    assert {item["order"]: item["document"] for item in items} == first
    assert documents_of(settings) == {"FIRST": ["loa.pdf"], "SECOND": ["loa.pdf"]}
    write(folder / "loa.pdf", PDF + b"%signed\n")  # the same name, new content: sent
    changed = runner.invoke(main, args[:-1], env=env)
    assert changed.exit_code == 0 and changed.stdout.count("uploaded as document") == 2
    assert documents_of(settings) == {"FIRST": ["loa.pdf"] * 2, "SECOND": ["loa.pdf"] * 2}
    plain = runner.invoke(main, args[:-1], env=env)
    assert plain.stdout.count("was uploaded before as document") == 2


def loa_batch(tmp_path: Path, names: tuple[str, str, str]) -> tuple[Settings, str]:
    settings = lifecycle_settings(tmp_path)
    rows = [us_row(100, ref="FIRST"), us_row(101, ref="FIRST"), us_row(200, ref="SECOND")]
    path = tmp_path / "in.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*HEADER, "LOA File"])
        writer.writerows([*row, name] for row, name in zip(rows, names, strict=True))
    return settings, run_batch(path, settings).batch_id


def test_batch_dir_follows_the_loa_file_column_and_checks_every_file_first(
    tmp_path: Path,
) -> None:
    settings, batch = loa_batch(tmp_path, ("acme.pdf", "", "other.png"))
    folder = tmp_path / "loas"
    folder.mkdir()
    write(folder / "acme.pdf", PDF)
    other = write(folder / "other.png", b"not an image")
    runner, env = CliRunner(), env_for(settings)
    args = ["documents", "upload", "--batch", batch, "--dir", str(folder), "--sandbox"]
    result = runner.invoke(main, args, env=env)
    assert result.exit_code == 1
    assert "row 4 (loaFile)" in result.stderr and "other.png" in result.stderr
    assert documents_of(settings) == {"FIRST": [], "SECOND": []}  # nothing sent
    write(other, PNG)
    result = runner.invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    assert documents_of(settings) == {"FIRST": ["acme.pdf"], "SECOND": ["other.png"]}
    assert result.stdout.count("uploaded as document") == 2


def test_batch_dir_with_several_files_and_no_loa_column_says_so(tmp_path: Path) -> None:
    settings, batch = two_orders(tmp_path)
    folder = tmp_path / "loas"
    folder.mkdir()
    write(folder / "a.pdf", PDF)
    write(folder / "b.pdf", PDF)
    runner, env = CliRunner(), env_for(settings)
    args = ["documents", "upload", "--batch", batch, "--dir", str(folder), "--sandbox"]
    result = runner.invoke(main, args, env=env)
    assert result.exit_code == 1 and "has no loaFile column" in result.stderr
    missing = ["documents", "upload", "--batch", batch, "--dir", str(tmp_path / "nope")]
    result = runner.invoke(main, [*missing, "--sandbox"], env=env)
    assert result.exit_code == 1 and "no such folder" in result.stderr
    assert documents_of(settings) == {"FIRST": [], "SECOND": []}


def test_get_refuses_to_overwrite_and_defaults_to_the_document_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, _ = two_orders(tmp_path)
    first = order_ids(settings)["FIRST"]
    loa = write(tmp_path / "loa.pdf", PDF)
    doc = with_client(settings, lambda c: upload_document(c, first, loa, settings.state_path))
    runner, env = CliRunner(), env_for(settings)
    kept = write(tmp_path / "kept.pdf", b"mine")
    args = ["documents", "get", str(first), str(doc.document_id), "--sandbox"]
    result = runner.invoke(main, [*args, "--out", str(kept)], env=env)
    assert result.exit_code == 1 and "already exists" in result.stderr
    assert kept.read_bytes() == b"mine"
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    result = runner.invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    assert (here / "loa.pdf").read_bytes() == PDF
    result = runner.invoke(main, args, env=env)
    assert result.exit_code == 1 and "already exists" in result.stderr


def test_unknown_order_or_document_and_usage_errors(tmp_path: Path) -> None:
    settings, _ = two_orders(tmp_path)
    runner, env = CliRunner(), env_for(settings)
    loa = write(tmp_path / "loa.pdf", PDF)
    result = runner.invoke(main, ["documents", "upload", "424242", str(loa), "--sandbox"], env=env)
    assert result.exit_code == 1 and result.stderr.startswith("Error: no order 424242")
    first = order_ids(settings)["FIRST"]
    result = runner.invoke(main, ["documents", "get", str(first), "999", "--sandbox"], env=env)
    assert result.exit_code == 1 and "no document 999 of order" in result.stderr
    for args in (["upload", str(first)], ["upload", "--batch", "x"], ["upload"]):
        result = runner.invoke(main, ["documents", *args, "--sandbox"], env=env)
        assert result.exit_code == 2, args
    result = runner.invoke(
        main, ["documents", "upload", str(first), str(loa), "--batch", "x", "--sandbox"], env=env
    )
    assert result.exit_code == 2


def test_trace_masks_the_document_content(tmp_path: Path) -> None:
    settings, _ = two_orders(tmp_path)
    first = order_ids(settings)["FIRST"]
    secret = PDF + b"Customer: Acme Dental LLC, account 8001234567\n"
    loa = write(tmp_path / "loa.pdf", secret)
    trace = tmp_path / "trace.jsonl"
    runner, env = CliRunner(), env_for(settings)
    upload = ["documents", "upload", str(first), str(loa), "--sandbox", "--json"]
    result = runner.invoke(main, [*upload, "--trace", str(trace)], env=env)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)[0]["document"]
    get = ["documents", "get", str(first), str(document), "--out", str(tmp_path / "copy.pdf")]
    result = runner.invoke(main, [*get, "--sandbox", "--trace", str(trace)], env=env)
    assert result.exit_code == 0, result.output
    text = trace.read_text()
    encoded = base64.b64encode(secret).decode()
    assert "fileContent" in text and encoded not in text and encoded[:40] not in text
    assert "Acme Dental" not in text
    assert (tmp_path / "copy.pdf").read_bytes() == secret
