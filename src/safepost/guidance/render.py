"""Render a :class:`~safepost.guidance.doc.Doc` as Markdown, plain text, self-contained HTML or PDF."""

from __future__ import annotations

import html
from importlib import resources
from typing import Literal

from safepost.core import InputError
from safepost.guidance.constants import DOC_FORMATS
from safepost.guidance.doc import Doc, Heading, Items, Para, Table, plain, spans

Format = Literal["md", "text", "html", "pdf"]
FORMATS: tuple[str, ...] = DOC_FORMATS


def render(doc: Doc, fmt: str) -> str | bytes:
    """The document as ``fmt``: text for md/text/html, bytes for pdf."""
    if fmt == "md":
        return to_markdown(doc)
    if fmt == "text":
        return to_text(doc)
    if fmt == "html":
        return to_html(doc)
    if fmt == "pdf":
        from safepost.guidance.pdf import to_pdf

        return to_pdf(doc)
    raise InputError(f"unknown output format {fmt!r}; choose one of: {', '.join(FORMATS)}")


def _md_inline(text: str) -> str:
    # Our markup already is Markdown; '<' is neutralised so no text can turn into HTML.
    return text.replace("<", "&lt;")


def _md_cell(text: str) -> str:
    return _md_inline(text).replace("|", "\\|")


def to_markdown(doc: Doc) -> str:
    lines = [f"# {_md_inline(doc.title)}", ""]
    for block in doc.blocks:
        if isinstance(block, Heading):
            lines += [f"{'#' * min(block.level, 6)} {_md_inline(block.text)}", ""]
        elif isinstance(block, Para):
            text = _md_inline(block.text)
            lines += [f"> {text}" if block.style == "note" else f"_{text}_" if block.style == "meta" else text, ""]
        elif isinstance(block, Items):
            for n, item in enumerate(block.items, 1):
                mark = {"bullets": "-", "numbers": f"{n}.", "checklist": "- [ ]"}[block.style]
                lines.append(f"{mark} {_md_inline(item)}")
            lines.append("")
        elif isinstance(block, Table):
            lines.append("| " + " | ".join(_md_cell(h) for h in block.header) + " |")
            lines.append("|" + "---|" * len(block.header))
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def to_text(doc: Doc) -> str:
    title = plain(doc.title)
    lines = [title, "=" * len(title), ""]
    for block in doc.blocks:
        if isinstance(block, Heading):
            text = plain(block.text)
            lines += [text, ("-" if block.level <= 2 else "~") * len(text), ""]
        elif isinstance(block, Para):
            lines += [("  " if block.style == "note" else "") + plain(block.text), ""]
        elif isinstance(block, Items):
            for n, item in enumerate(block.items, 1):
                mark = {"bullets": "-", "numbers": f"{n}.", "checklist": "[ ]"}[block.style]
                lines.append(f"{mark} {plain(item)}")
            lines.append("")
        elif isinstance(block, Table):
            rows = [[plain(c) for c in block.header]] + [[plain(c) for c in r] for r in block.rows]
            widths = [max(len(r[i]) for r in rows) for i in range(len(block.header))]
            for n, row in enumerate(rows):
                lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
                if n == 0:
                    lines.append("  ".join("-" * w for w in widths))
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _html_inline(text: str) -> str:
    out = []
    for span in spans(text):
        piece = html.escape(span.text, quote=False)
        if span.code:
            piece = f"<code>{piece}</code>"
        if span.bold:
            piece = f"<strong>{piece}</strong>"
        out.append(piece)
    return "".join(out)


def to_html(doc: Doc) -> str:
    """One HTML page with its style inline: no scripts, no external resources."""
    from jinja2 import Environment
    from markupsafe import Markup

    source = resources.files("safepost.guidance").joinpath("templates", "page.html.j2").read_text(encoding="utf-8")
    env = Environment(autoescape=True, keep_trailing_newline=True)
    env.filters["inline"] = lambda text: Markup(_html_inline(text))
    template = env.from_string(source)
    kinds = {Heading: "heading", Para: "para", Items: "items", Table: "table"}
    blocks = [(kinds[type(b)], b) for b in doc.blocks]
    return template.render(doc=doc, blocks=blocks, title=plain(doc.title))
