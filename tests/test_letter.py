"""``batchport.report.letter``: the LOA PDF's pages, form fields and id, written and read back."""

from __future__ import annotations

import io
import logging
import re
from dataclasses import replace
from datetime import date

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject

from batchport.api.requests import EndUser
from batchport.report.letter import (
    INFO_KEY,
    LetterContent,
    LetterFacts,
    format_number,
    read_letter,
    render_letter,
    service_address,
    unshowable,
)

NUMBER = re.compile(r"\(\d{3}\) \d{3}-\d{4}")


def content(count: int = 3, **changes: object) -> LetterContent:
    letter = LetterContent(
        letter_id="LOA-ABCDEFGHJK",
        batch_id="3f9c2a1b7d04",
        end_user=EndUser(
            "Acme Dental LLC",
            "350",
            "Fifth",
            "New York",
            "NY",
            "10118",
            streetType="Ave",
            locationType1="SUITE",
            locationValue1="200",
        ),
        carrier="Verizon Wireless",
        account_number="8001234567",
        billing_number="",
        authorizing_name="Jane Doe",
        company="Northwind Telecom",
        reseller="",
        schedules=("2026-12-14 10:00:00 US/Eastern",),
        numbers=tuple(f"+1212555{i:04d}" for i in range(count)),
        prepared=date(2026, 12, 3),
    )
    return replace(letter, **changes)  # type: ignore[arg-type]


def pages_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_a_short_letter_is_one_page_and_a_checklist_with_every_fact() -> None:
    data = render_letter(content())
    first, checklist = pages_text(data)
    for fact in (
        "Acme Dental LLC", "350 Fifth Ave, SUITE 200", "New York, NY 10118", "Verizon Wireless",
        "8001234567", "Sinch", "Northwind Telecom", "2026-12-14 10:00:00 US/Eastern",
        "Numbers to port: 3", "page 1 of 2", "Letter LOA-ABCDEFGHJK",
    ):  # fmt: skip
        assert fact in first, fact
    assert NUMBER.findall(first) == ["(212) 555-0000", "(212) 555-0001", "(212) 555-0002"]
    assert "PO box" in checklist and "page 2 of 2" in checklist


def test_1200_numbers_take_numbered_pages_each_number_once() -> None:
    numbers = tuple(f"+1{npa}555{i:04d}" for npa in (212, 646) for i in range(600))
    data = render_letter(content(numbers=numbers))
    texts = pages_text(data)
    assert len(texts) == 1 + 5 + 1  # first page, 1,200 / 250 number pages, checklist
    assert "All 1,200 numbers are listed on pages 2 to 6" in texts[0]
    assert all(f"page {n} of 7" in text for n, text in enumerate(texts, start=1))
    listed = [found for text in texts for found in NUMBER.findall(text)]
    assert sorted(listed) == sorted(format_number(number) for number in numbers)
    assert "numbers 1,001 to 1,200 of 1,200" in texts[5]


def test_fields_are_form_fields_and_the_signature_field_is_empty() -> None:
    data = render_letter(content())
    reader = PdfReader(io.BytesIO(data))
    fields = reader.get_fields() or {}
    assert {name: fields[name].get("/FT") for name in fields} == {
        "printed_name": "/Tx", "title": "/Tx", "signed_date": "/Tx", "signature": "/Sig",
    }  # fmt: skip
    assert fields["printed_name"].get("/V") == "Jane Doe"
    assert fields["signature"].get("/V") is None
    widget = next(
        a.get_object() for a in reader.pages[0]["/Annots"] if a.get_object()["/T"] == "signature"
    )
    x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
    assert x2 - x1 > 200 and y2 - y1 > 30  # room to sign


def test_no_pin_field_exists_and_the_content_carries_no_pin() -> None:
    # LetterContent has no place for a PIN: the dataclass is the guarantee.
    assert not any("pin" in name.casefold() for name in LetterContent.__dataclass_fields__)


def test_read_letter_finds_the_id_in_metadata_keywords_or_footer() -> None:
    data = render_letter(content())
    facts = read_letter(data)
    assert (facts.letter_id, facts.has_signature_field, facts.signed, facts.filled) == (
        "LOA-ABCDEFGHJK", True, False, False,
    )  # fmt: skip
    # An e-signature service that rewrites the document information: the footer still says.
    writer = PdfWriter(clone_from=io.BytesIO(data))
    writer.metadata = None
    stripped = io.BytesIO()
    writer.write(stripped)
    info = PdfReader(io.BytesIO(stripped.getvalue())).metadata or {}
    assert INFO_KEY not in info and "/Keywords" not in info
    assert read_letter(stripped.getvalue()).letter_id == "LOA-ABCDEFGHJK"
    assert read_letter(b"%PDF-1.7 damaged").letter_id is None


def test_a_signed_and_filled_letter_reads_as_such() -> None:
    writer = PdfWriter(clone_from=io.BytesIO(render_letter(content())))
    writer.update_page_form_field_values(
        writer.pages[0], {"title": "Office manager", "signed_date": "2026-12-04"}
    )
    for annotation in writer.pages[0]["/Annots"]:
        widget = annotation.get_object()
        if widget["/T"] == "signature":
            widget[NameObject("/V")] = writer._add_object(
                DictionaryObject({NameObject("/Type"): NameObject("/Sig")})
            )
    out = io.BytesIO()
    writer.write(out)
    facts = read_letter(out.getvalue())
    assert (facts.signed, facts.filled) == (True, True)


def test_a_damaged_file_is_no_letter_and_pypdf_stays_quiet(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    with caplog.at_level(logging.WARNING):
        for data in (broken, b"%PDF-1.7 damaged", b""):
            assert read_letter(data) == LetterFacts(None, False, False, False)
    assert not caplog.records


def blank_pdf(metadata: dict[str, str]) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    writer.add_metadata(metadata)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "metadata", [{INFO_KEY: "LOA-ABCDEFGHJK"}, {"/Keywords": "signed, LOA-ABCDEFGHJK"}]
)
def test_either_metadata_place_alone_gives_the_id(metadata: dict[str, str]) -> None:
    assert read_letter(blank_pdf(metadata)).letter_id == "LOA-ABCDEFGHJK"
    assert read_letter(blank_pdf({"/Keywords": "LOA-ABCDEFGHJ1"})).letter_id is None


def test_a_title_alone_counts_as_filled_in() -> None:
    writer = PdfWriter(clone_from=io.BytesIO(render_letter(content())))
    writer.update_page_form_field_values(writer.pages[0], {"title": "Owner"})
    out = io.BytesIO()
    writer.write(out)
    assert read_letter(out.getvalue()).filled
    assert not read_letter(render_letter(content(authorizing_name="Jane Doe"))).filled


def test_thirty_numbers_fit_the_first_page_unless_the_details_run_long() -> None:
    assert len(pages_text(render_letter(content(count=30)))) == 2
    assert len(pages_text(render_letter(content(count=31)))) == 3
    long_user = EndUser(
        "Northeastern Regional Dental and Orthodontic Associates of Greater Manhattan PLLC",
        "1250", "Avenue of the Americas", "New York", "NY", "10118", locationType1="BLDG",
        locationValue1="North Tower", locationType2="FL", locationValue2="27",
    )  # fmt: skip
    dates = tuple(f"2026-12-{day} 10:00:00 US/Eastern" for day in range(14, 24))
    crowded = content(count=30, end_user=long_user, reseller="Fido", schedules=dates)
    texts = pages_text(render_letter(crowded))
    assert len(texts) == 3 and "listed on page 2 of this letter" in texts[0]
    assert len(NUMBER.findall(texts[1])) == 30


def test_billing_number_address_parts_and_foreign_numbers_as_written() -> None:
    first = pages_text(render_letter(content(billing_number="+12125550100")))[0]
    assert "(212) 555-0100" in first and "(none given)" not in first
    assert "(none given)" in pages_text(render_letter(content()))[0]
    assert format_number("+442071838750") == "+442071838750"
    user = EndUser("A", "1", "Main", "Albany", "NY", "12207", locationValue1="200")
    assert service_address(user) == ("1 Main, 200", "Albany, NY 12207")


def test_unshowable_names_each_character_outside_the_font_once() -> None:
    assert unshowable(content()) == ""
    user = EndUser("Łódź Café “Zoë”", "1", "Główna", "Montréal", "QC", "H2X 1Y4")
    assert unshowable(content(end_user=user, company="Ωmega")) == "ŁźłΩ"
