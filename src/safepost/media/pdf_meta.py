"""Plain-language findings for what a PDF reveals (from ``pdf.inspect_pdf``)."""

from __future__ import annotations

from pathlib import Path

from safepost.core import Finding, severity_of
from safepost.media.pdf import inspect_pdf
from safepost.words import Phrase

FIX = (
    "Run `safepost clean`: it rebuilds the PDF from page images, with no document properties, "
    "no history and no attachments (the text becomes part of the picture)."
)
# Info key -> (kind, title); the severity is the kind's (core.SEVERITY)
_INFO = {
    "Author": ("owner", "Author's name"),
    "Creator": ("software", "Program that created the document"),
    "Producer": ("software", "Program that produced the PDF"),
    "Title": ("text", "Document title"),
    "Subject": ("text", "Document subject"),
    "Keywords": ("text", "Keywords"),
    "CreationDate": ("date", "Date the document was created"),
    "ModDate": ("date", "Date the document was last changed"),
}
_WHY = {
    "owner": "A person's name is stored in the document's properties.",
    "software": "Shows the tools used; sometimes ties the file to an organisation or a computer.",
    "text": "Free text in the properties may contain names, places or internal notes.",
    "date": "Exact dates can tie the document to an event or a person's schedule.",
    "history": "Earlier versions are kept inside the file: deleted text or names can be recovered.",
    "xmp": "XMP data can hold names, editing history and document ids.",
    "attachment": "Files attached inside the PDF travel with it, with their own metadata.",
}


def _finding(kind: str, title: str, value: object = "") -> Finding:
    """``title`` said in the locale's language (words.py); ``value`` as found, or a Phrase."""
    return Finding(
        kind=kind,
        severity=severity_of(kind),
        title=title if isinstance(title, Phrase) else Phrase(title),
        value=value if isinstance(value, Phrase) else str(value)[:200],
        why=Phrase(_WHY[kind]) if kind in _WHY else "",
        fix=Phrase(FIX),
        found_by="PDF",
    )


def pdf_findings(path: Path) -> list[Finding]:
    """Everything identifying in a PDF's structure, most severe first."""
    info = inspect_pdf(path)
    found = []
    for key, value in info["info"].items():
        if key in _INFO and str(value).strip():
            kind, title = _INFO[key]
            found.append(_finding(kind, title, value))
        elif str(value).strip():
            found.append(_finding("text", Phrase("Custom property '{key}'", key=key), value))
    if info["incremental_updates"]:
        found.append(
            _finding(
                "history",
                "Earlier versions saved inside the file",
                Phrase("{n} earlier revision(s)", n=info["incremental_updates"]),
            )
        )
    if info["xmp_metadata"]:
        found.append(_finding("xmp", "XMP metadata block"))
    if info["attachments"]:
        found.append(_finding("attachment", "Attached files", Phrase("{n} file(s)", n=info["attachments"])))
    return sorted(found, key=lambda f: -f.severity.rank)
