"""Decompression-bomb guard for PDFs, run before PDFium loads any page.

A 126 KB PDF whose one page holds 65 MB of drawing operators (they compress 500 to 1) kept
PDFium busy for over two minutes at 1.8 GB. PDFium parses a page's whole content stream when
the page is loaded, so the check has to come first: :func:`check_pdf_streams` finds every
Flate-compressed stream in the file (its dictionary is always plain text, even in PDFs whose
objects are packed into object streams), and inflates, at most up to the limit, those that
are page content or form XObjects. It refuses (:class:`~safepost.core.TooLargeError`, exit 5)

* a content or form stream that inflates past ``MAX_CONTENT_BYTES`` (16 MiB), or all of them
  together past ``MAX_TOTAL_CONTENT_BYTES`` (256 MiB);
* an image whose declared ``/Width`` x ``/Height`` is over the page pixel limit.

Fonts, embedded files, metadata and images are not inflated (their size is not drawing work).
Streams that do not inflate are left to PDFium, which reports damage itself.
"""

from __future__ import annotations

import mmap
import re
import zlib
from pathlib import Path

from safepost.core import TooLargeError

MAX_CONTENT_BYTES = 16 << 20
MAX_TOTAL_CONTENT_BYTES = 256 << 20
_STREAM = re.compile(rb"\bstream\r?\n")
_DICT_WINDOW = 4096
_CHUNK = 1 << 16
_SKIP = re.compile(
    rb"/Subtype\s*/Image|/Length[123]\b|/Type\s*/(?:XRef|ObjStm|EmbeddedFile|Metadata|XObject\s*/Subtype\s*/Image)"
    rb"|/Subtype\s*/(?:Type1C|CIDFontType0C|OpenType|XML)"
)
_IMAGE = re.compile(rb"/Subtype\s*/Image")
_WIDTH = re.compile(rb"/(?:Width|W)\s+(\d{1,12})\b")
_HEIGHT = re.compile(rb"/(?:Height|H)\s+(\d{1,12})\b")
_FLATE = re.compile(rb"/Filter\s*(?:/FlateDecode|/Fl\b|\[\s*(?:/FlateDecode|/Fl)\b)")


def _dictionary(data: mmap.mmap, at: int) -> bytes:
    """The text of the stream's dictionary: from its object's start (or a window) to the keyword."""
    window = data[max(0, at - _DICT_WINDOW) : at]
    start = window.rfind(b" obj")
    return window[start:] if start >= 0 else window


def _inflated_size(data: mmap.mmap, start: int, cap: int) -> int:
    """How many bytes the zlib stream at ``start`` inflates to, counting at most ``cap + 1``."""
    inflater = zlib.decompressobj()
    total, pos = 0, start
    try:
        while pos < len(data) and not inflater.eof:
            chunk = data[pos : pos + _CHUNK]
            pos += len(chunk)
            while chunk:
                out = inflater.decompress(chunk, cap + 1 - total)
                total += len(out)
                if total > cap:
                    return total
                chunk = inflater.unconsumed_tail
    except zlib.error:
        return total  # damaged or not Flate after all: PDFium decides
    return total


def check_pdf_streams(source: Path, max_page_pixels: int) -> None:
    """Refuse a PDF holding a drawing-operator or image-size bomb (see the module docstring)."""
    try:
        with source.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            _check(data, source, max_page_pixels)
    except (OSError, ValueError):
        return  # unreadable or empty: the PDF opener reports it


def _check(data: mmap.mmap, source: Path, max_page_pixels: int) -> None:
    total = 0
    for match in _STREAM.finditer(data):
        head = _dictionary(data, match.start())
        if _IMAGE.search(head):
            width, height = _WIDTH.search(head), _HEIGHT.search(head)
            if width and height and int(width.group(1)) * int(height.group(1)) > max_page_pixels:
                raise TooLargeError(
                    f"{source} holds an image of {int(width.group(1)):,} x {int(height.group(1)):,} pixels; "
                    f"the limit is {max_page_pixels:,} pixels."
                )
            continue
        if _SKIP.search(head) or not _FLATE.search(head):
            continue
        size = _inflated_size(data, match.end(), MAX_CONTENT_BYTES)
        if size > MAX_CONTENT_BYTES:
            raise TooLargeError(
                f"{source} holds a page content stream that expands past {MAX_CONTENT_BYTES >> 20} MiB of "
                "drawing instructions: refused as a decompression bomb."
            )
        total += size
        if total > MAX_TOTAL_CONTENT_BYTES:
            raise TooLargeError(
                f"{source} holds more than {MAX_TOTAL_CONTENT_BYTES >> 20} MiB of drawing instructions in all: "
                "refused as a decompression bomb."
            )
