"""``batchport loa`` (``batchport.lifecycle.loa``) and ``documents upload --dir`` with its letters:
one letter per end user, carrier and account, never a PIN, matched back by id and sent once."""

from __future__ import annotations

import csv
import io
import json
import re
import stat
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, IndirectObject, NameObject, StreamObject
from run_inputs import sandbox_orders, sandbox_settings
from test_lifecycle_orders import env_for

from batchport.cli import main
from batchport.errors import InputError
from batchport.journal import open_journal
from batchport.lifecycle.loa import letter_id, write_letters
from batchport.pipeline import run_batch
from batchport.report.letter import format_number
from batchport.settings import Settings

NUMBER = re.compile(r"\(\d{3}\) \d{3}-\d{4}")
HEADER = (
    "Phone Number", "End User Name", "Street Number", "Street Name", "City", "State", "ZIP",
    "Port-Out PIN", "Account Number", "Customer Order Reference", "Authorizing Name",
)  # fmt: skip
PINS = ("739164", "582046", "Zq81x", "604417", "991357")


def row(
    phone: str, name: str, pin: str, account: str, ref: str = "", signer: str = ""
) -> list[str]:
    street = {"Acme Dental LLC": "350", "Bolt Bakery Inc": "12", "Cedar Clinic PC": "77"}[name]
    return [phone, name, street, "Main St", "New York", "NY", "10001", pin, account, ref, signer]


def three_end_users() -> list[list[str]]:
    """Acme at Verizon (two orders: two references) and at AT&T, Bolt at Verizon, Cedar at
    AT&T under two accounts: five letters."""
    return [
        row("212-555-0101", "Acme Dental LLC", PINS[0], "ACCT-1001", "ACME-A", "Jane Doe"),
        row("212-555-0102", "Acme Dental LLC", PINS[0], "ACCT-1001", "ACME-A", "Jane Doe"),
        row("212-555-0103", "Acme Dental LLC", PINS[0], "ACCT-1001", "ACME-B", "Jane Doe"),
        row("212-556-0104", "Acme Dental LLC", PINS[1], "ACCT-1001", "ACME-C"),
        row("212-555-0201", "Bolt Bakery Inc", PINS[2], "ACCT-2002", "BOLT"),
        row("212-555-0202", "Bolt Bakery Inc", PINS[2], "ACCT-2002", "BOLT"),
        row("212-556-0301", "Cedar Clinic PC", PINS[3], "ACCT-3003", "CEDAR"),
        row("212-556-0302", "Cedar Clinic PC", PINS[4], "ACCT-3004", "CEDAR"),
    ]


def run_rows(tmp_path: Path, rows: Sequence[list[str]]) -> tuple[Settings, str]:
    tmp_path.mkdir(exist_ok=True)
    scenario = tmp_path / "scenario.json"
    scenario.write_text(
        json.dumps(
            {
                "numbers": [
                    {"match": "+1212555", "carrier": "Verizon Wireless", "portable": True},
                    {"match": "+1212556", "carrier": "AT&T Mobility", "portable": True},
                ]
            }
        )
    )
    options = f"scenario={scenario},reject_rate=0,exclude_rate=0,rate_limit=off"
    settings = sandbox_settings(tmp_path, options)
    path = tmp_path / "in.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    result = run_batch(path, settings)
    assert result.outcomes.get("submitted") == len(rows), result.outcomes
    return settings, result.batch_id


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def every_byte(data: bytes) -> bytes:
    """The raw file and every stream it holds, decoded (reportlab compresses and ASCII85-encodes
    page content, so a search of the raw bytes alone would see nothing)."""
    reader = PdfReader(io.BytesIO(data))
    parts = [data]
    for generation, numbers in reader.xref.items():
        for number in numbers:
            found = reader.get_object(IndirectObject(number, generation, reader))
            if isinstance(found, StreamObject):
                parts.append(found.get_data())
    return b"\n".join(parts)


def documents_of(settings: Settings) -> dict[str, list[str]]:
    return {
        o.customer_order_reference: [d["documentName"] for d in o.extra.get("documents", [])]
        for o in sandbox_orders(settings)
    }


def sign(source: Path, target: Path, *, signature: bool = True, title: str = "Owner") -> Path:
    """What a PDF reader does when the customer signs: fields filled, the signature set."""
    writer = PdfWriter(clone_from=source)
    writer.update_page_form_field_values(
        writer.pages[0], {"title": title, "signed_date": "2026-12-04" if title else ""}
    )
    for annotation in writer.pages[0]["/Annots"]:
        widget = annotation.get_object()
        if signature and widget.get("/T") == "signature":
            widget[NameObject("/V")] = writer._add_object(
                DictionaryObject({NameObject("/Type"): NameObject("/Sig")})
            )
    with target.open("wb") as handle:
        writer.write(handle)
    return target


# -- writing the letters -------------------------------------------------------------------------


def test_three_end_users_at_two_carriers_get_one_letter_per_unit_listing_its_numbers(
    tmp_path: Path,
) -> None:
    settings, batch = run_rows(tmp_path, three_end_users())
    written = write_letters(
        settings.state_path, batch, company="Northwind Telecom", today=date.today()
    )
    assert written.folder == tmp_path / "in.loa"
    got = {}
    for letter in written.letters:
        data = (written.folder / letter.file_name).read_bytes()
        text = pdf_text(data)
        key = (letter.content.end_user.name, letter.content.carrier, letter.content.account_number)
        got[key] = sorted(NUMBER.findall(text))
        assert letter.letter_id in text and "Northwind Telecom" in text
        assert letter.content.account_number in text  # the carrier compares it: shown in full
        assert stat.S_IMODE((written.folder / letter.file_name).stat().st_mode) == 0o600
    assert got == {
        ("Acme Dental LLC", "Verizon Wireless", "ACCT-1001"):
            ["(212) 555-0101", "(212) 555-0102", "(212) 555-0103"],
        ("Acme Dental LLC", "AT&T Mobility", "ACCT-1001"): ["(212) 556-0104"],
        ("Bolt Bakery Inc", "Verizon Wireless", "ACCT-2002"): ["(212) 555-0201", "(212) 555-0202"],
        ("Cedar Clinic PC", "AT&T Mobility", "ACCT-3003"): ["(212) 556-0301"],
        ("Cedar Clinic PC", "AT&T Mobility", "ACCT-3004"): ["(212) 556-0302"],
    }  # fmt: skip
    acme = next(letter for letter in written.letters if letter.content.numbers[0] == "+12125550101")
    ids = {o.customer_order_reference: o.id for o in sandbox_orders(settings)}
    assert dict(acme.orders) == {"ACME-A": ids["ACME-A"], "ACME-B": ids["ACME-B"]}
    fields = PdfReader(written.folder / acme.file_name).get_fields() or {}
    assert fields["printed_name"].get("/V") == "Jane Doe"  # from authorizingName
    assert fields["signature"].get("/FT") == "/Sig" and fields["signature"].get("/V") is None


def test_no_pin_anywhere_in_any_letter_or_the_index(tmp_path: Path) -> None:
    settings, batch = run_rows(tmp_path, three_end_users())
    written = write_letters(settings.state_path, batch, today=date.today())
    files = [written.folder / letter.file_name for letter in written.letters]
    for path in files:
        data = path.read_bytes()
        everything, text = every_byte(data), pdf_text(data)
        assert b"ACCT-" in everything  # the search does see the page content
        for pin in PINS:
            assert pin.encode() not in everything, (path.name, pin)
            assert pin not in text
    index = load_workbook(written.index, read_only=True)
    cells = [
        str(c) for sheet in index.worksheets for r in sheet.iter_rows(values_only=True) for c in r
    ]
    assert not any(pin in cell for pin in PINS for cell in cells)
    assert not any("ACCT-1001" in cell for cell in cells)  # masked in the team's index


def test_the_index_ties_each_letter_to_its_numbers_and_orders(tmp_path: Path) -> None:
    settings, batch = run_rows(tmp_path, three_end_users())
    written = write_letters(settings.state_path, batch, today=date.today())
    book = load_workbook(written.index, read_only=True)
    letters = list(book["Letters"].iter_rows(values_only=True))
    assert letters[0][:3] == ("Letter file", "Letter id", "End user")
    assert sorted(r[0] for r in letters[1:]) == sorted(x.file_name for x in written.letters)
    numbers = list(book["Numbers"].iter_rows(values_only=True))[1:]
    ids = {o.customer_order_reference: o.id for o in sandbox_orders(settings)}
    assert len(numbers) == 8
    assert {(r[0], r[4], r[5]) for r in numbers} >= {
        ("+12125550103", "ACME-B", ids["ACME-B"]), ("+12125560302", "CEDAR", ids["CEDAR"]),
    }  # fmt: skip
    assert stat.S_IMODE(written.index.stat().st_mode) == 0o600


def test_1200_numbers_of_one_end_user_make_one_multi_page_letter(tmp_path: Path) -> None:
    rows = [row(f"212-555-{i:04d}", "Acme Dental LLC", PINS[0], "ACCT-1001") for i in range(1200)]
    settings, batch = run_rows(tmp_path, rows)
    written = write_letters(settings.state_path, batch, today=date.today())
    (letter,) = written.letters
    assert len(letter.orders) == 3  # 1,200 numbers need three orders of at most 500
    reader = PdfReader(written.folder / letter.file_name)
    assert len(reader.pages) == 7
    listed = NUMBER.findall(pdf_text((written.folder / letter.file_name).read_bytes()))
    assert sorted(listed) == sorted(format_number(f"+1212555{i:04d}") for i in range(1200))


def test_the_cli_writes_the_letters_and_refuses_a_changed_input(tmp_path: Path) -> None:
    settings, batch = run_rows(tmp_path, three_end_users())
    runner, env = CliRunner(), env_for(settings)
    out = tmp_path / "letters"
    args = ["loa", "--batch", batch, "--out", str(out), "--company", "Northwind"]
    result = runner.invoke(main, [*args, "--json"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert len(report["letters"]) == 5 and report["index"] == str(out / "loa-index.xlsx")
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [x["file"] for x in report["letters"]] + ["loa-index.xlsx"]
    )
    assert not any("ACCT" in json.dumps(x) for x in report["letters"])
    source = tmp_path / "in.csv"
    source.write_text("".join(source.read_text().splitlines(keepends=True)[:-1]))
    result = runner.invoke(main, args, env=env)
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert "changed since the batch was run" in result.stderr
    source.write_text("Phone Number\n212-555-0101\n")
    result = runner.invoke(main, args, env=env)
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert f"the input of batch {batch} cannot be read" in result.stderr


def test_a_changed_input_is_refused_by_the_library(tmp_path: Path) -> None:
    settings, batch = run_rows(tmp_path, three_end_users()[:2])
    (tmp_path / "in.csv").unlink()
    with pytest.raises(InputError, match="is gone"):
        write_letters(settings.state_path, batch, today=date.today())


# -- matching them back ----------------------------------------------------------------------------


def test_upload_matches_renamed_letters_by_id_once_per_order_and_a_rerun_sends_nothing(
    tmp_path: Path,
) -> None:
    settings, batch = run_rows(tmp_path, three_end_users())
    written = write_letters(settings.state_path, batch, today=date.today())
    by_name = {x.content.end_user.name + x.content.account_number: x for x in written.letters}
    signed = tmp_path / "signed"
    signed.mkdir()
    acme = written.folder / by_name["Acme Dental LLCACCT-1001"].file_name  # first of two
    sign(acme, signed / "Completed - Please sign (1).pdf")
    bolt = by_name["Bolt Bakery IncACCT-2002"]
    stripped = PdfWriter(clone_from=sign(written.folder / bolt.file_name, tmp_path / "b.pdf"))
    stripped.metadata = None  # an e-signature service rewrote the metadata: the footer tells
    with (signed / "envelope-7731.pdf").open("wb") as handle:
        stripped.write(handle)
    (signed / "notes.txt").write_text("call Jane")
    runner, env = CliRunner(), env_for(settings)
    args = ["documents", "upload", "--batch", batch, "--dir", str(signed), "--sandbox"]
    result = runner.invoke(main, [*args, "--json"], env=env)
    assert result.exit_code == 3, result.output  # notes.txt was left out
    assert "notes.txt" in result.stderr and "not uploaded" in result.stderr
    sent = json.loads(result.stdout)
    first_acme = next(x for x in written.letters if x.file_name == acme.name)
    expected = {
        **{reference: [acme.name] for reference in first_acme.orders},
        "BOLT": [bolt.file_name],
    }
    docs = documents_of(settings)
    assert {ref: names for ref, names in docs.items() if names} == expected
    assert len(sent) == len(first_acme.orders) + 1
    with open_journal(settings.state_path) as journal:
        events = [e for e in journal.events(batch) if e[0] == "document"]
    assert len(events) == len(sent)
    again = runner.invoke(main, args, env=env)
    assert again.exit_code == 3
    assert "uploaded as document" not in again.stdout
    assert again.stdout.count("was uploaded before; not sent again") == len(sent)
    assert documents_of(settings) == docs


def test_unsigned_letters_are_held_back_and_an_empty_signature_is_warned(tmp_path: Path) -> None:
    settings, batch = run_rows(tmp_path, three_end_users())
    written = write_letters(settings.state_path, batch, today=date.today())
    cedar = [x for x in written.letters if x.content.end_user.name == "Cedar Clinic PC"]
    folder = tmp_path / "back"
    folder.mkdir()
    untouched = folder / "as-sent.pdf"
    untouched.write_bytes((written.folder / cedar[0].file_name).read_bytes())
    inked = sign(written.folder / cedar[1].file_name, folder / "inked.pdf", signature=False)
    bolt = next(x for x in written.letters if x.content.end_user.name == "Bolt Bakery Inc")
    # A scan of the printed letter: a picture, known by the letter id in its name.
    (folder / f"scan {bolt.letter_id.lower()}.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(25))
    runner, env = CliRunner(), env_for(settings)
    args = ["documents", "upload", "--batch", batch, "--dir", str(folder), "--sandbox"]
    result = runner.invoke(main, args, env=env)
    assert result.exit_code == 3, result.output
    assert f"{untouched}: letter {cedar[0].letter_id} is not signed" in result.stderr
    assert f"{inked}: the signature field of letter {cedar[1].letter_id} is empty" in result.stderr
    docs = documents_of(settings)
    scan = bolt.file_name.removesuffix(".pdf") + ".png"  # the letter's name, the scan's type
    assert (docs["CEDAR"], docs["BOLT"]) == ([cedar[1].file_name], [scan])
    assert "scan" not in result.stderr


def test_a_second_copy_and_a_letter_of_another_batch_are_left_out(tmp_path: Path) -> None:
    settings, batch = run_rows(tmp_path / "one", three_end_users()[:2])
    other_settings, other = run_rows(tmp_path / "two", three_end_users()[4:6])
    (mine,) = write_letters(settings.state_path, batch, today=date.today()).letters
    theirs = write_letters(other_settings.state_path, other, today=date.today())
    folder = tmp_path / "back"
    folder.mkdir()
    first = tmp_path / "one" / "in.loa" / mine.file_name
    (folder / "a-unsigned-copy.pdf").write_bytes(first.read_bytes())
    sign(first, folder / "z-signed.pdf")
    stranger = folder / "stranger.pdf"
    stranger.write_bytes((theirs.folder / theirs.letters[0].file_name).read_bytes())
    runner, env = CliRunner(), env_for(settings)
    args = ["documents", "upload", "--batch", batch, "--dir", str(folder), "--sandbox"]
    result = runner.invoke(main, args, env=env)
    assert result.exit_code == 3, result.output
    assert f"another copy of letter {mine.letter_id} (z-signed.pdf)" in result.stderr
    assert f"letter {theirs.letters[0].letter_id} is not a letter of batch {batch}" in (
        result.stderr
    )
    assert documents_of(settings) == {"ACME-A": [mine.file_name]}
    assert result.stdout.count("uploaded as document") == 1


def test_characters_the_font_cannot_show_are_warned(tmp_path: Path) -> None:
    rows = three_end_users()[:1]
    rows[0][3] = "Łódzka St"  # street name: a character outside the letter's font
    settings, batch = run_rows(tmp_path, rows)
    runner, env = CliRunner(), env_for(settings)
    result = runner.invoke(main, ["loa", "--batch", batch, "--json"], env=env)
    assert result.exit_code == 3, result.output
    (warning,) = json.loads(result.stdout)["warnings"]
    assert "cannot show Ł" in warning and "Warning: " in result.stderr
    rows[0][3] = "Rue Saint-Honoré"  # accents the font has: no warning
    settings, batch = run_rows(tmp_path / "ok", rows)
    result = runner.invoke(main, ["loa", "--batch", batch], env=env_for(settings))
    assert result.exit_code == 0 and not result.stderr


def test_a_signed_letter_still_matches_after_an_order_of_it_was_canceled(tmp_path: Path) -> None:
    settings, batch = run_rows(tmp_path, three_end_users())
    written = write_letters(settings.state_path, batch, today=date.today())
    acme = next(x for x in written.letters if set(x.orders) == {"ACME-A", "ACME-B"})
    folder = tmp_path / "signed"
    folder.mkdir()
    sign(written.folder / acme.file_name, folder / "acme.pdf")
    with open_journal(settings.state_path) as journal:
        assert journal.record_canceled(acme.orders["ACME-B"], datetime.now(UTC))
    again = write_letters(settings.state_path, batch, today=date.today())
    shrunk = next(x for x in again.letters if x.letter_id == acme.letter_id)
    assert shrunk.content.numbers == ("+12125550101", "+12125550102")  # 0103 was in ACME-B
    assert dict(shrunk.orders) == {"ACME-A": acme.orders["ACME-A"]}
    runner, env = CliRunner(), env_for(settings)
    args = ["documents", "upload", "--batch", batch, "--dir", str(folder), "--sandbox"]
    result = runner.invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    docs = documents_of(settings)
    assert (docs["ACME-A"], docs["ACME-B"]) == ([acme.file_name], [])


def test_letter_ids_are_stable_letters_only_and_tell_batches_and_numbers_apart() -> None:
    numbers = ["+12125550102", "+12125550101"]
    ident = letter_id("3f9c2a1b7d04", numbers)
    assert ident == letter_id("3f9c2a1b7d04", list(reversed(numbers)))  # order does not count
    assert re.fullmatch(r"LOA-[A-HJ-NP-Z]{10}", ident)  # no digit a PIN could mask, no I or O
    assert ident != letter_id("3f9c2a1b7d05", numbers)
    assert ident != letter_id("3f9c2a1b7d04", numbers[:1])
    assert len({letter_id("b", [f"+1212555{i:04d}"]) for i in range(2000)}) == 2000
