"""One reader per platform export layout, picked by content through one explicit table.

Like mat2's parsers: each reader is a small class with the same two methods (``detect`` looks
at file names and first bytes, ``read`` returns :class:`ReadResult`); :func:`pick_reader` tries
them in the order of :data:`READERS`. To support a new layout, add a module and a row here.
"""

from __future__ import annotations

from safepost.archive.formats._common import Reader, ReadResult
from safepost.archive.formats.facebook import FacebookReader
from safepost.archive.formats.instagram import InstagramReader
from safepost.archive.formats.refusals import refusal
from safepost.archive.formats.telegram import TelegramReader
from safepost.archive.formats.twitter import TwitterReader
from safepost.archive.formats.whatsapp import WhatsAppReader
from safepost.archive.source import ExportSource
from safepost.core import UnsupportedFormatError

READERS: tuple[Reader, ...] = (TwitterReader(), InstagramReader(), FacebookReader(), TelegramReader(), WhatsAppReader())


def supported_text() -> str:
    return "; ".join(r.title for r in READERS)


def pick_reader(source: ExportSource, focus: str | None = None) -> Reader:
    """The reader for ``source``; :class:`UnsupportedFormatError` when none recognises it."""
    for reader in READERS:
        if reader.detect(source, focus):
            return reader
    if focus is None and (why := refusal(source)):
        raise UnsupportedFormatError(why)
    raise UnsupportedFormatError(
        f"{source.label} is not an account export safepost recognises. Supported: {supported_text()}. "
        "Give the export zip itself, or the folder it unpacks to (for WhatsApp: the chat .txt file or its folder)."
    )


__all__ = ["READERS", "ReadResult", "Reader", "pick_reader", "supported_text"]
