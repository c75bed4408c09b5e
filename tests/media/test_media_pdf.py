"""Tests for safepost.media.pdf: PDFs rebuilt from pixels, with nothing else of the input."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw, PdfParser

from safepost.core import InputError, TooLargeError
from safepost.media import pdf as pdfmod
from safepost.media.pdf import MAX_PAGES, PdfResult, clean_pdf, inspect_pdf

XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about=""'
    b' xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq><rdf:li>Jane Doe</rdf:li>'
    b'</rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)
RED_BOX = (100, 50, 200, 150)  # on page 2 (300 x 200 pt, drawn at 72 dpi: pixels = points)


@pytest.fixture
def tagged_pdf(tmp_path: Path) -> Path:
    """Two pages with Info metadata, an incremental update (page 2) and another one (XMP)."""
    path = tmp_path / "statement.pdf"
    page1 = Image.new("RGB", (200, 300), "white")
    ImageDraw.Draw(page1).text((10, 10), "Jane Doe", fill="black")
    page2 = Image.new("RGB", (300, 200), "white")
    ImageDraw.Draw(page2).rectangle(RED_BOX, fill=(255, 0, 0))
    page1.save(
        path,
        "PDF",
        resolution=72,
        title="Witness statement",
        author="Jane Doe",
        creator="Secret Org Word",
        producer="Secret Producer",
        keywords="witness",
    )
    page2.save(path, "PDF", append=True, resolution=72)  # Pillow appends as an incremental update
    parser = PdfParser.PdfParser(str(path), mode="r+b")
    try:
        name = PdfParser.PdfName
        parser.start_writing()
        xmp = parser.write_obj(None, stream=XMP, Type=name(b"Metadata"), Subtype=name(b"XML"))
        parser.write_obj(parser.root_ref, Type=name(b"Catalog"), Pages=parser.root[name(b"Pages")], Metadata=xmp)
        parser.write_xref_and_trailer()
    finally:
        parser.close()
    return path


def raw_pdf(objects: list[bytes], trailer: bytes = b"") -> bytes:
    """A PDF of the given object bodies (numbered from 1; 1 is the catalog), with a correct xref."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer,
        xref,
    )
    return bytes(out)


def stream(body: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n%s\nendstream" % (len(body), extra, body)


def active_pdf() -> bytes:
    """One page with real text, a link, a drawn annotation, JavaScript and an outline."""
    text = b"BT /F1 24 Tf 20 100 Td (Jane Doe) Tj ET"
    blue = b"0 0 1 rg 0 0 50 50 re f"
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /Outlines 7 0 R /OpenAction 9 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> /Annots [6 0 R 10 0 R] >>",
            stream(text),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Type /Annot /Subtype /Link /Rect [20 90 150 130] /A << /S /URI /URI (https://example.org/jane) >> >>",
            b"<< /Type /Outlines /First 8 0 R /Last 8 0 R /Count 1 >>",
            b"<< /Title (Jane Doe address) /Parent 7 0 R /Dest [3 0 R /Fit] >>",
            b"<< /S /JavaScript /JS (app.alert\\('hello'\\);) >>",
            b"<< /Type /Annot /Subtype /Square /Rect [200 20 250 70] /F 4 /AP << /N 11 0 R >> >>",
            stream(blue, b"/Type /XObject /Subtype /Form /BBox [0 0 50 50]"),
        ]
    )


def blank_pages(count: int, box: bytes = b"[0 0 200 300]") -> bytes:
    kids = b" ".join(b"%d 0 R" % (3 + index) for index in range(count))
    pages = [b"<< /Type /Page /Parent 2 0 R /MediaBox %s >>" % box for _ in range(count)]
    return raw_pdf(
        [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count)] + pages
    )


def rc4(key: bytes, data: bytes) -> bytes:
    state = list(range(256))
    j = 0
    for i in range(256):
        j = (j + state[i] + key[i % len(key)]) % 256
        state[i], state[j] = state[j], state[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + state[i]) % 256
        state[i], state[j] = state[j], state[i]
        out.append(byte ^ state[(state[i] + state[j]) % 256])
    return bytes(out)


def encrypted_pdf(user: bytes = b"secret", owner: bytes = b"owner") -> bytes:
    """One empty page under the standard security handler (RC4 40-bit, R2) with a user password.

    The page has no strings or streams, so nothing but the encryption dictionary needs computing.
    """
    pad = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")
    file_id = bytes(range(16))
    permissions = -44
    o_value = rc4(hashlib.md5((owner + pad)[:32]).digest()[:5], (user + pad)[:32])
    key = hashlib.md5((user + pad)[:32] + o_value + struct.pack("<i", permissions) + file_id).digest()[:5]
    u_value = rc4(key, pad)
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 300] >>",
            b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P %d >>"
            % (o_value.hex().encode(), u_value.hex().encode(), permissions),
        ],
        trailer=b"/Encrypt 4 0 R /ID [<%s> <%s>]" % (file_id.hex().encode(), file_id.hex().encode()),
    )


def exiftool(path: Path) -> dict:
    if shutil.which("exiftool") is None:
        pytest.skip("exiftool is not installed")
    done = subprocess.run(["exiftool", "-j", "-a", "-G1", str(path)], capture_output=True, check=True, text=True)
    return json.loads(done.stdout)[0]


def render(path: Path, index: int) -> np.ndarray:
    pdf = pdfium.PdfDocument(path)
    try:
        return pdf[index].render(scale=1, rev_byteorder=True).to_numpy()[:, :, :3].copy()
    finally:
        pdf.close()


def page_sizes(path: Path) -> list[tuple[float, float]]:
    pdf = pdfium.PdfDocument(path)
    try:
        return [pdf.get_page_size(index) for index in range(len(pdf))]
    finally:
        pdf.close()


def test_metadata_and_history_are_gone(tagged_pdf: Path, tmp_path: Path) -> None:
    before = exiftool(tagged_pdf)
    raw = tagged_pdf.read_bytes()
    for key in ("PDF:Creator", "PDF:Producer", "PDF:Author", "PDF:Title", "PDF:CreateDate", "PDF:ModifyDate"):
        assert key in before
    assert any(key.startswith("XMP") for key in before)
    assert raw.count(b"%%EOF") == 3 and b"/Prev" in raw

    out = tmp_path / "clean.pdf"
    result = clean_pdf(tagged_pdf, out)

    assert isinstance(result, PdfResult) and result.pages == 2 and result.dpi == 150
    after = exiftool(out)
    for key in ("Creator", "Producer", "Author", "Title", "Subject", "Keywords", "CreateDate", "ModifyDate"):
        assert not [name for name in after if name.split(":")[-1] == key], key
    assert not [name for name in after if name.startswith("XMP")]
    data = out.read_bytes()
    assert data.count(b"%%EOF") == 1 and len(re.findall(rb"(?m)^xref", data)) == 1 and b"/Prev" not in data
    assert b"/Info" not in data and b"/Metadata" not in data and b"Jane" not in data
    report = inspect_pdf(out)
    assert report["info"] == {} and not report["xmp_metadata"] and report["incremental_updates"] == 0


def test_output_xref_points_at_every_object(tagged_pdf: Path, tmp_path: Path) -> None:
    """PDFium quietly repairs a wrong xref, so check the offsets here."""
    out = tmp_path / "clean.pdf"
    clean_pdf(tagged_pdf, out)
    data = out.read_bytes()
    xref = int(re.search(rb"startxref\n(\d+)\n%%EOF\n$", data).group(1))
    header, _, table = data[xref:].partition(b"trailer")[0].partition(b"65535 f \n")
    assert header == b"xref\n0 9\n0000000000 "
    offsets = [int(line[:10]) for line in table.splitlines()]
    assert len(offsets) == 8
    for number, offset in enumerate(offsets, start=1):
        assert data[offset:].startswith(b"%d 0 obj\n" % number)


def test_photo_pages_are_jpeg_and_text_pages_lossless(tmp_path: Path, astronaut: Path) -> None:
    src = tmp_path / "mixed.pdf"
    with Image.open(astronaut) as photo:
        text = Image.new("RGB", photo.size, "white")
        ImageDraw.Draw(text).text((20, 20), "plain grey text", fill="black")
        photo.convert("RGB").save(src, "PDF", save_all=True, append_images=[text], resolution=72)
    out = tmp_path / "clean.pdf"
    clean_pdf(src, out, dpi=72)
    data = out.read_bytes()
    assert b"/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode" in data
    assert b"/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode" in data
    before, after = render(src, 0).astype(int), render(out, 0).astype(int)
    assert np.abs(before - after).mean() < 4


def test_inspect_reports_what_the_input_gives_away(tagged_pdf: Path) -> None:
    report = inspect_pdf(tagged_pdf)
    assert report["pages"] == 2
    assert report["info"]["Author"] == "Jane Doe" and report["info"]["Producer"] == "Secret Producer"
    assert report["xmp_metadata"] is True
    assert report["eof_markers"] == 3 and report["incremental_updates"] == 2
    assert report["encrypted"] is False and report["attachments"] == 0


def test_pages_sizes_and_pixels_are_kept(tagged_pdf: Path, tmp_path: Path) -> None:
    out = tmp_path / "clean.pdf"
    result = clean_pdf(tagged_pdf, out, dpi=100)
    assert result.page_dpi == [100, 100] and result.lowered_pages == []
    assert page_sizes(out) == page_sizes(tagged_pdf) == [(200.0, 300.0), (300.0, 200.0)]
    pixels = render(out, 1).astype(int)
    x0, y0, x1, y1 = RED_BOX
    inside = pixels[y0 + 5 : y1 - 5, x0 + 5 : x1 - 5]
    assert (inside[..., 0] > 230).all() and (inside[..., 1:] < 30).all()
    assert (pixels[5:40, 5:90] > 225).all()  # white outside the square


def test_frame_filter_sees_every_page(tagged_pdf: Path, tmp_path: Path) -> None:
    seen: list[tuple[int, tuple[int, ...]]] = []

    def paint_green(pixels: np.ndarray, index: int) -> np.ndarray:
        seen.append((index, pixels.shape))
        pixels[:] = (0, 255, 0)
        return pixels

    out = tmp_path / "clean.pdf"
    clean_pdf(tagged_pdf, out, dpi=144, frame_filter=paint_green)
    assert seen == [(0, (600, 400, 3)), (1, (400, 600, 3))]
    for index in range(2):
        pixels = render(out, index).astype(int)
        assert (pixels[..., 1] > 240).all() and (pixels[..., [0, 2]] < 15).all()


def test_text_links_scripts_outline_and_attachments_do_not_survive(tmp_path: Path) -> None:
    src = tmp_path / "active.pdf"
    pdf = pdfium.PdfDocument(active_pdf())
    pdf.new_attachment("contacts.txt").set_data(b"Jane Doe, +1 555 0100")
    pdf.save(src)
    pdf.close()
    assert inspect_pdf(src)["attachments"] == 1

    out = tmp_path / "clean.pdf"
    result = clean_pdf(src, out, dpi=72)

    assert result.text_rasterised is True
    markers = (
        b"/Font",
        b"/Annots",
        b"/URI",
        b"/JavaScript",
        b"/JS",
        b"/Outlines",
        b"/OpenAction",
        b"/EmbeddedFile",
        b"/Names",
        b"/AcroForm",
        b"Jane",
    )
    original = src.read_bytes()
    assert all(marker in original for marker in markers if marker not in (b"/Names", b"/AcroForm"))
    data = out.read_bytes()
    for marker in markers:
        assert marker not in data, marker
    clean = pdfium.PdfDocument(out)
    try:
        assert clean.count_attachments() == 0 and not list(clean.get_toc())
        textpage = clean[0].get_textpage()
        assert textpage.count_chars() == 0
        textpage.close()
    finally:
        clean.close()
    pixels = render(out, 0).astype(int)
    assert (pixels[90:110, 20:60] < 100).any()  # the text is there, as pixels
    square = pixels[200 - 65 : 200 - 25, 205:245]  # the annotation's appearance is drawn
    assert (square[..., 2] > 200).all() and (square[..., 0] < 50).all()


def test_form_field_values_are_drawn(tmp_path: Path) -> None:
    """A field without an appearance stream shows only through PDFium's form rendering."""
    src = tmp_path / "form.pdf"
    src.write_bytes(
        raw_pdf(
            [
                b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] /NeedAppearances true"
                b" /DR << /Font << /Helv 5 0 R >> >> >> >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Annots [4 0 R] >>",
                b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (name) /V (JANE DOE) /Rect [10 80 290 120] /F 4"
                b" /DA (/Helv 24 Tf 0 g) /P 3 0 R >>",
                b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            ]
        )
    )
    out = tmp_path / "clean.pdf"
    assert clean_pdf(src, out, dpi=72).text_rasterised is True
    assert (render(out, 0)[80:120, 10:290] < 100).sum() > 500
    data = out.read_bytes()
    assert b"/AcroForm" not in data and b"JANE" not in data


def test_scanned_pages_do_not_claim_text(tagged_pdf: Path, tmp_path: Path) -> None:
    assert clean_pdf(tagged_pdf, tmp_path / "clean.pdf").text_rasterised is False


def test_rotated_page_keeps_its_shown_size(tmp_path: Path) -> None:
    src = tmp_path / "rotated.pdf"
    src.write_bytes(
        raw_pdf(
            [
                b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Rotate 90 >>",
            ]
        )
    )
    out = tmp_path / "clean.pdf"
    clean_pdf(src, out, dpi=72)
    assert page_sizes(out) == [(100.0, 200.0)]
    assert b"/Rotate" not in out.read_bytes()


def test_large_page_is_rendered_at_lower_dpi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdfmod, "MAX_PAGE_PIXELS", 100_000)
    src = tmp_path / "big.pdf"
    src.write_bytes(blank_pages(1))
    out = tmp_path / "clean.pdf"
    result = clean_pdf(src, out, dpi=150)
    assert result.page_dpi == [92] and result.lowered_pages == [0]
    assert page_sizes(out) == [(200.0, 300.0)]
    assert b"/Width 256 /Height 384" in out.read_bytes()


def assert_nothing_written(folder: Path, expected: set[str]) -> None:
    assert {entry.name for entry in folder.iterdir()} == expected


def test_page_too_large_even_at_72_dpi(tmp_path: Path) -> None:
    src = tmp_path / "huge.pdf"
    src.write_bytes(blank_pages(1, b"[0 0 14400 14400]"))
    with pytest.raises(TooLargeError, match="page 1 is too large"):
        clean_pdf(src, tmp_path / "clean.pdf")
    assert_nothing_written(tmp_path, {"huge.pdf"})


def test_too_many_pages(tmp_path: Path) -> None:
    src = tmp_path / "long.pdf"
    src.write_bytes(blank_pages(MAX_PAGES + 1))
    with pytest.raises(TooLargeError, match=f"{MAX_PAGES + 1} pages"):
        clean_pdf(src, tmp_path / "clean.pdf")
    assert_nothing_written(tmp_path, {"long.pdf"})


def test_encrypted_pdf_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "locked.pdf"
    src.write_bytes(encrypted_pdf())
    unlocked = pdfium.PdfDocument(src, password="secret")  # the fixture really is a valid encrypted PDF
    assert len(unlocked) == 1
    unlocked.close()
    with pytest.raises(InputError, match="password-protected"):
        clean_pdf(src, tmp_path / "clean.pdf")
    with pytest.raises(InputError, match="password-protected"):
        inspect_pdf(src)
    assert_nothing_written(tmp_path, {"locked.pdf"})


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="zero-bytes"),
        pytest.param(np.random.default_rng(1).bytes(5000), id="random-bytes"),
        pytest.param(b"%PDF-1.4\n" + np.random.default_rng(2).bytes(5000) + b"\n%%EOF\n", id="damaged"),
        pytest.param(None, id="truncated"),
    ],
)
def test_bad_inputs_write_nothing(content: bytes | None, tagged_pdf: Path, tmp_path: Path) -> None:
    src = tmp_path / "bad.pdf"
    data = tagged_pdf.read_bytes()
    src.write_bytes(data[: len(data) // 2] if content is None else content)
    tagged_pdf.unlink()
    with pytest.raises(InputError):
        clean_pdf(src, tmp_path / "clean.pdf")
    with pytest.raises(InputError):
        inspect_pdf(src)
    assert_nothing_written(tmp_path, {"bad.pdf"})


def test_failing_filter_leaves_no_output(tagged_pdf: Path, tmp_path: Path) -> None:
    def fail_on_page_2(pixels: np.ndarray, index: int) -> np.ndarray:
        if index == 1:
            raise RuntimeError("detector failed")
        return pixels

    with pytest.raises(RuntimeError, match="detector failed"):
        clean_pdf(tagged_pdf, tmp_path / "clean.pdf", frame_filter=fail_on_page_2)
    assert_nothing_written(tmp_path, {"statement.pdf"})


def test_missing_input_and_bad_dpi(tmp_path: Path, tagged_pdf: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        clean_pdf(tmp_path / "nope.pdf", tmp_path / "clean.pdf")
    with pytest.raises(ValueError, match="dpi"):
        clean_pdf(tagged_pdf, tmp_path / "clean.pdf", dpi=10)
