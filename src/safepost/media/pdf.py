"""Rebuild a PDF from pixels only, and report what a PDF gives away.

:func:`clean_pdf` renders every page with PDFium (through pypdfium2), form fields and
annotations drawn as a viewer shows them, and writes a brand-new PDF that holds one picture per
page at the page's size in points. Nothing else of the input can reach the output: no Info
dictionary, no XMP, no earlier revisions, no fonts, original images, attachments, JavaScript,
links, outline or form fields. The price is that text becomes pixels: it can no longer be
selected, searched or read aloud (:attr:`PdfResult.text_rasterised` says when that happened).

The new file is written here, byte by byte, rather than by Pillow's PDF writer: that writer uses
one resolution for all pages (pages rendered at different dpi, or whose size in points is not a
whole number of pixels, would come out at the wrong size) and stamps a title and dates unless
told not to. The writer below has nothing to leave out: a header, the page objects, one xref
section, a trailer with /Size and /Root only.

Page pictures are stored as JPEG (quality ``JPEG_QUALITY`` for pages holding pictures,
``TEXT_JPEG_QUALITY`` for the others), or losslessly (Flate) when that is not larger, which is the
usual case for pages of text on white: sharper and smaller. All-grey pages are stored with one
grey channel. A page holding pictures is rendered
at their resolution (up to ``MAX_IMAGE_DPI``), so a 200 dpi photo is not blurred to 150 dpi.

Limits (decompression-bomb and run-time guards):

* ``MAX_PAGES`` = 300 pages, ``MAX_TOTAL_PIXELS`` = 1,000,000,000 pixels rendered in all (a
  300-page A4 document at 150 dpi is 650 million); a larger document is refused with
  :class:`TooLargeError`, so that every accepted one is rendered in a minute or two.
* ``MAX_PAGE_PIXELS`` = 50,000,000 pixels in one rendered page. A page that would be larger at
  the asked resolution is rendered at a lower one, down to ``MIN_DPI`` = 72; a page still too
  large there is refused with :class:`TooLargeError`.

* drawing-operator and image-size bombs, refused before PDFium loads a page
  (:mod:`safepost.media.pdf_limits`).

A file without ``%%EOF`` in its last 1024 bytes is refused as truncated: PDFium would otherwise
rebuild what it can and show a partial document without complaint. PDFium is not thread-safe:
do not run these functions from several threads at once.
"""

from __future__ import annotations

import io
import math
import os
import re
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from safepost.core import InputError, OutputError, TooLargeError
from safepost.media.inputs import check_input_file
from safepost.media.pdf_limits import check_pdf_streams

from .atomic import atomic_write

MAX_PAGES = 300
MAX_PAGE_PIXELS = 50_000_000
MAX_TOTAL_PIXELS = 1_000_000_000
MIN_DPI = 72
MAX_DPI = 600
DEFAULT_DPI = 150
#: a page that holds pictures is rendered at their resolution (up to this), so photos keep their detail
MAX_IMAGE_DPI = 300
#: pages holding pictures: JPEG at this quality (a photo page comes out about the input's size), or
#: Flate when smaller; pages without pictures (text, drawings) keep the sharper TEXT_JPEG_QUALITY
JPEG_QUALITY = 85
TEXT_JPEG_QUALITY = 90

#: Called with each rendered page (HxWx3 uint8 RGB) and its 0-based index; returns the pixels
#: to store, of the same shape (it may change the array it is given and return it).
FrameFilter = Callable[[np.ndarray, int], np.ndarray]

_TAIL_BYTES = 1024  # %%EOF must be in the last 1024 bytes (as Acrobat requires)
_XMP_MARKERS = re.compile(rb"/Type\s*/Metadata\b|<x:xmpmeta|<\?xpacket")
_DEFLATE_CHUNK = 1 << 20


@dataclass
class PdfResult:
    """What :func:`clean_pdf` wrote.

    ``dpi`` is the resolution asked for; ``page_dpi`` the one each page was rendered at (lower
    for a page that would have been over ``MAX_PAGE_PIXELS``). ``text_rasterised`` is True when
    the input held text or form fields (now pixels: no longer selectable, searchable or fillable).
    """

    path: Path
    pages: int
    dpi: int
    page_dpi: list[int] = field(default_factory=list)
    text_rasterised: bool = False

    @property
    def lowered_pages(self) -> list[int]:
        """0-based indexes of the pages rendered below the asked resolution."""
        return [index for index, used in enumerate(self.page_dpi) if used < self.dpi]


def clean_pdf(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    dpi: int = DEFAULT_DPI,
    frame_filter: FrameFilter | None = None,
    check_sizes: Callable[[list[tuple[int, int]]], None] | None = None,
) -> PdfResult:
    """Render every page of ``src`` and write a new PDF of those pictures only to ``dst``.

    ``check_sizes`` is given the pixel size of every page before the first is rendered (the face
    search's own limit, ``safepost.detect.budget``); it raises to refuse the file.

    Raises :class:`InputError` (missing, empty, damaged, not a PDF, password-protected),
    :class:`TooLargeError` (over ``MAX_PAGES`` pages, or a page over ``MAX_PAGE_PIXELS`` even at
    ``MIN_DPI``) or :class:`OutputError`; nothing is written then. ``dpi`` must be from
    ``MIN_DPI`` to ``MAX_DPI`` (ValueError otherwise). Errors raised by ``frame_filter`` pass
    through unchanged, and nothing is written either.
    """
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not MIN_DPI <= dpi <= MAX_DPI:
        raise ValueError(f"dpi must be a whole number from {MIN_DPI} to {MAX_DPI}, not {dpi!r}.")
    source, target = Path(src), Path(dst)
    _check_file(source)
    if target.exists() and _same_file(source, target):
        raise OutputError(f"Refusing to write {target}: it is the input file.")
    _check_tail(source)
    check_pdf_streams(source, MAX_PAGE_PIXELS)
    pdf = _open(source, forms=True)
    try:
        count = len(pdf)
        if count == 0:
            raise InputError(f"{source} has no pages.")
        if count > MAX_PAGES:
            raise TooLargeError(
                f"{source} has {count:,} pages; the limit is {MAX_PAGES:,} pages. Split the PDF into parts "
                f"of at most {MAX_PAGES:,} pages (for example `qpdf --split-pages={MAX_PAGES} IN.pdf part.pdf`)."
            )
        sizes = [_page_size(pdf, index, source) for index in range(count)]
        picture_dpi = [_image_dpi(pdf, index) for index in range(count)]  # 0: no picture on the page
        page_dpi = [
            _page_dpi(width, height, max(dpi, picture_dpi[index]), index, source)
            for index, (width, height) in enumerate(sizes)
        ]
        pixel_sizes = [_pixels(w, h, used) for (w, h), used in zip(sizes, page_dpi, strict=True)]
        total = sum(w * h for w, h in pixel_sizes)
        if total > MAX_TOTAL_PIXELS:
            raise TooLargeError(
                f"{source} has {total:,} pixels in its {count:,} pages at {dpi} dpi; the limit is "
                f"{MAX_TOTAL_PIXELS:,} pixels in all. Split the PDF into smaller parts, or use a lower resolution."
            )
        if check_sizes is not None:
            check_sizes(pixel_sizes)
        found_text = pdf.get_formtype() != pdfium_c.FORMTYPE_NONE  # field values become pixels too

        def write(stream: BinaryIO) -> None:
            nonlocal found_text
            out = PdfWriter(stream, count)
            for index, ((width, height), used_dpi) in enumerate(zip(sizes, page_dpi, strict=True)):
                pixels, has_text = _render(pdf, index, used_dpi, source)
                found_text = found_text or has_text
                if frame_filter is not None:
                    pixels = _checked_filter_output(frame_filter(pixels, index), pixels.shape, index)
                out.add_page(index, width, height, pixels, photo=picture_dpi[index] > 0)
            out.finish()

        atomic_write(target, write)
    finally:
        pdf.close()
    return PdfResult(path=target, pages=count, dpi=dpi, page_dpi=page_dpi, text_rasterised=found_text)


def inspect_pdf(path: str | os.PathLike[str]) -> dict:
    """What a PDF holds besides its pages: Info entries, XMP, earlier revisions, attachments.

    Keys: ``pages``, ``version`` (e.g. 17 for PDF 1.7, or None), ``info`` (Title, Author,
    Creator, Producer, CreationDate ... as stored, empty ones left out), ``xmp_metadata``
    (an uncompressed XMP packet or /Type /Metadata object is present), ``eof_markers``,
    ``incremental_updates`` (saved revisions after the first; a linearized file's extra
    %%EOF is not counted), ``linearized``, ``attachments``, ``encrypted`` (an encryption
    dictionary is present; a file that needs a password is refused instead), ``has_forms``.
    Raises :class:`InputError` on a file that cannot be read as a PDF (also when it is truncated,
    or needs a password).
    """
    source = Path(path)
    _check_file(source)
    _check_tail(source)
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise InputError(f"{source} cannot be read: {exc.strerror or exc}.") from exc
    pdf = _open(source, forms=False)
    try:
        eof_markers = data.count(b"%%EOF")
        linearized = b"/Linearized" in data[:_TAIL_BYTES]
        version = pdf.get_version()
        return {
            "pages": len(pdf),
            "version": version,
            "info": dict(pdf.get_metadata_dict(skip_empty=True)),
            "xmp_metadata": _XMP_MARKERS.search(data) is not None,
            "eof_markers": eof_markers,
            "incremental_updates": max(eof_markers - 1 - int(linearized), 0),
            "linearized": linearized,
            "attachments": pdf.count_attachments(),
            "encrypted": pdfium_c.FPDF_GetSecurityHandlerRevision(pdf) != -1,
            "has_forms": pdf.get_formtype() != pdfium_c.FORMTYPE_NONE,
        }
    except pdfium.PdfiumError as exc:
        raise InputError(f"{source} is damaged and cannot be read as a PDF ({exc}).") from exc
    finally:
        pdf.close()


def _check_file(source: Path) -> None:
    check_input_file(source, "a PDF")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _check_tail(source: Path) -> None:
    """Refuse a file cut short: PDFium would quietly rebuild what it can of it."""
    try:
        with source.open("rb") as stream:
            head = stream.read(_TAIL_BYTES)
            stream.seek(max(source.stat().st_size - _TAIL_BYTES, 0))
            tail = stream.read()
    except OSError as exc:
        raise InputError(f"{source} cannot be read: {exc.strerror or exc}.") from exc
    if b"%PDF-" not in head:
        raise InputError(f"{source} is not a PDF file.")
    if b"%%EOF" not in tail:
        raise InputError(f"{source} is truncated or damaged (it does not end like a PDF file).")


def _open(source: Path, forms: bool) -> pdfium.PdfDocument:
    """Open with PDFium; a password, damage or a non-PDF becomes :class:`InputError`."""
    try:
        pdf = pdfium.PdfDocument(source)
    except pdfium.PdfiumError as exc:
        code = exc.err_code
        if code == pdfium_c.FPDF_ERR_PASSWORD:
            raise InputError(
                f"{source} is password-protected. Open it with the password, print or save it as an "
                "unprotected PDF, and try again."
            ) from exc
        if code == pdfium_c.FPDF_ERR_SECURITY:
            raise InputError(f"{source} uses an encryption scheme that cannot be opened.") from exc
        raise InputError(f"{source} is not a PDF file, or it is damaged ({exc}).") from exc
    except OSError as exc:
        raise InputError(f"{source} cannot be read: {exc.strerror or exc}.") from exc
    if forms:
        try:
            pdf.init_forms()  # must come before any page is loaded, to draw form fields
        except pdfium.PdfiumError as exc:
            pdf.close()
            raise InputError(f"{source} has form fields that cannot be loaded ({exc}).") from exc
    return pdf


def _page_size(pdf: pdfium.PdfDocument, index: int, source: Path) -> tuple[float, float]:
    """The page's shown size in points (crop box, after /Rotate)."""
    try:
        width, height = pdf.get_page_size(index)
    except pdfium.PdfiumError as exc:
        raise InputError(f"{source}: page {index + 1} is damaged ({exc}).") from exc
    if not (math.isfinite(width) and math.isfinite(height)) or width <= 0 or height <= 0:
        raise InputError(f"{source}: page {index + 1} has no usable size ({width} x {height} points).")
    return width, height


def _pixels(width: float, height: float, dpi: int) -> tuple[int, int]:
    """The bitmap size pypdfium2 renders a page of this size at, in pixels."""
    scale = dpi / 72
    return math.ceil(width * scale), math.ceil(height * scale)


def _image_dpi(pdf: pdfium.PdfDocument, index: int) -> int:
    """The resolution of the sharpest picture on page ``index`` (0 when none, or unreadable), up to
    ``MAX_IMAGE_DPI``: a 200 dpi scan is rendered at 200 dpi, not blurred down to ``DEFAULT_DPI``."""
    try:
        page = pdf[index]
    except pdfium.PdfiumError:
        return 0
    best = 0.0
    try:
        for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3):
            meta = obj.get_metadata()
            best = max(best, min(float(meta.horizontal_dpi), float(meta.vertical_dpi)))
    except (pdfium.PdfiumError, ValueError, OSError):
        return 0
    finally:
        page.close()
    return int(min(MAX_IMAGE_DPI, best))


def _page_dpi(width: float, height: float, dpi: int, index: int, source: Path) -> int:
    """``dpi``, or the highest lower one (not below ``MIN_DPI``) keeping the page in the limit."""
    used = min(dpi, math.floor(72 * math.sqrt(MAX_PAGE_PIXELS / (width * height))))
    while used >= MIN_DPI and math.prod(_pixels(width, height, used)) > MAX_PAGE_PIXELS:
        used -= 1
    if used < MIN_DPI:
        w, h = _pixels(width, height, MIN_DPI)
        raise TooLargeError(
            f"{source}: page {index + 1} is too large ({width:.0f} x {height:.0f} points, "
            f"{w * h:,} pixels even at {MIN_DPI} dpi); the limit is {MAX_PAGE_PIXELS:,} pixels per page."
        )
    return used


def _render(pdf: pdfium.PdfDocument, index: int, dpi: int, source: Path) -> tuple[np.ndarray, bool]:
    """One page as an HxWx3 uint8 RGB array (a copy), and whether it held any text."""
    try:
        page = pdf[index]
    except pdfium.PdfiumError as exc:
        raise InputError(f"{source}: page {index + 1} is damaged ({exc}).") from exc
    try:
        textpage = page.get_textpage()
        try:
            has_text = textpage.count_chars() > 0
        finally:
            textpage.close()
        bitmap = page.render(scale=dpi / 72, may_draw_forms=True, draw_annots=True, rev_byteorder=True)
        try:
            pixels = np.array(bitmap.to_numpy()[:, :, :3], dtype=np.uint8, copy=True)
        finally:
            bitmap.close()
    except pdfium.PdfiumError as exc:
        raise InputError(f"{source}: page {index + 1} cannot be rendered ({exc}).") from exc
    finally:
        page.close()
    return pixels, has_text


def _checked_filter_output(result: object, shape: tuple[int, ...], index: int) -> np.ndarray:
    if not isinstance(result, np.ndarray) or result.dtype != np.uint8 or result.shape != shape:
        raise ValueError(
            f"frame_filter must return a {shape[0]}x{shape[1]}x3 uint8 array for page {index + 1}, "
            f"not {getattr(result, 'shape', type(result).__name__)}."
        )
    return result


def _encode(pixels: np.ndarray, quality: int = TEXT_JPEG_QUALITY) -> tuple[bytes, str, str]:
    """The page as (stream bytes, filter, colour space): JPEG at ``quality``, or Flate when that is not larger.

    A page whose pixels are all grey (text, scans of black-and-white paper) is stored as one
    grey channel, a third of the data.
    """
    grey = bool((pixels[..., 0] == pixels[..., 1]).all() and (pixels[..., 1] == pixels[..., 2]).all())
    plane = np.ascontiguousarray(pixels[..., 0] if grey else pixels)
    buffer = io.BytesIO()
    Image.fromarray(plane).save(buffer, "JPEG", quality=quality)
    jpeg = buffer.getvalue()
    flate = _deflate_within(plane, len(jpeg))
    space = "DeviceGray" if grey else "DeviceRGB"
    return (flate, "FlateDecode", space) if flate is not None else (jpeg, "DCTDecode", space)


def _deflate_within(pixels: np.ndarray, limit: int) -> bytes | None:
    """Deflate ``pixels`` (HxW or HxWx3) a block of rows at a time; None once past ``limit`` bytes."""
    compressor = zlib.compressobj(6)
    rows = max(1, _DEFLATE_CHUNK // max(pixels[0].size, 1))
    parts: list[bytes] = []
    size = 0
    for start in range(0, pixels.shape[0], rows):
        parts.append(compressor.compress(pixels[start : start + rows].tobytes()))
        size += len(parts[-1])
        if size > limit:
            return None
    parts.append(compressor.flush())
    size += len(parts[-1])
    return b"".join(parts) if size <= limit else None


def _num(value: float) -> bytes:
    """A PDF real: up to 4 decimals, no exponent, no trailing zeros."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return (text if text not in ("", "-0") else "0").encode("ascii")


class PdfWriter:
    """A minimal PDF 1.4 writer: one picture per page, one xref section, no Info, no /ID.

    Objects: 1 catalog, 2 page tree, then for page i: 3+3i page, 4+3i contents, 5+3i image.
    """

    def __init__(self, stream: BinaryIO, pages: int) -> None:
        self._stream = stream
        self._pages = pages
        self._offsets: dict[int, int] = {}
        self._position = 0
        self._put(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    def _put(self, data: bytes) -> None:
        self._stream.write(data)
        self._position += len(data)

    def _object(self, number: int, body: bytes, stream: bytes | None = None) -> None:
        self._offsets[number] = self._position
        self._put(b"%d 0 obj\n" % number + body)
        if stream is not None:
            self._put(b"\nstream\n" + stream + b"\nendstream")
        self._put(b"\nendobj\n")

    def add_page(self, index: int, width: float, height: float, pixels: np.ndarray, photo: bool = False) -> None:
        page, contents, image = 3 + 3 * index, 4 + 3 * index, 5 + 3 * index
        data, codec, space = _encode(pixels, JPEG_QUALITY if photo else TEXT_JPEG_QUALITY)
        w, h = _num(width), _num(height)
        self._object(
            page,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %s %s] /Resources << /XObject << /Im0 %d 0 R >> >>"
            b" /Contents %d 0 R >>" % (w, h, image, contents),
        )
        drawing = b"q %s 0 0 %s 0 0 cm /Im0 Do Q" % (w, h)
        self._object(contents, b"<< /Length %d >>" % len(drawing), drawing)
        self._object(
            image,
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /%s"
            b" /BitsPerComponent 8 /Filter /%s /Length %d >>"
            % (pixels.shape[1], pixels.shape[0], space.encode("ascii"), codec.encode("ascii"), len(data)),
            data,
        )

    def finish(self) -> None:
        kids = b" ".join(b"%d 0 R" % (3 + 3 * index) for index in range(self._pages))
        self._object(2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, self._pages))
        self._object(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        size = 3 + 3 * self._pages
        xref = self._position
        lines = [b"xref\n0 %d\n" % size, b"0000000000 65535 f \n"]
        lines += [b"%010d 00000 n \n" % self._offsets[number] for number in range(1, size)]
        self._put(b"".join(lines))
        self._put(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref))


def write_image_pdf(
    pages: Iterable[np.ndarray], dst: str | os.PathLike[str], dpi: int, count: int | None = None
) -> Path:
    """Write ``pages`` (HxWx3 uint8 RGB pictures) as a new PDF, one per page at ``dpi``, no metadata.

    ``pages`` may be a generator when ``count`` says how many it yields (one page in memory at a
    time). The file is written atomically; :class:`OutputError` when it cannot be.
    """
    if count is None:
        pages = list(pages)
        count = len(pages)
    if count < 1:
        raise ValueError("a PDF needs at least one page")
    target = Path(dst)

    def write(stream: BinaryIO) -> None:
        out = PdfWriter(stream, count)
        written = 0
        for index, pixels in enumerate(pages):
            if index >= count:
                raise ValueError(f"more than {count} pages given")
            height, width = pixels.shape[:2]
            out.add_page(index, width * 72 / dpi, height * 72 / dpi, np.ascontiguousarray(pixels))
            written += 1
        if written != count:
            raise ValueError(f"{written} pages given, {count} announced")
        out.finish()

    atomic_write(target, write)
    return target
