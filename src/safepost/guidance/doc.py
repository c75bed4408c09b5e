"""A small document model shared by every guidance output (plan, exposure, guides, kits).

Texts carry a tiny inline markup: ``**bold**``, ```code``` and backslash escapes. Our own texts
(the knowledge base, the catalogues) may use it; anything a user typed goes through
:func:`escape` first, so it is always shown literally (and never becomes HTML).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

_SPECIAL = "\\*`"


def escape(text: str) -> str:
    """``text`` shown as typed: markup characters escaped, line breaks folded to spaces."""
    flat = " ".join(str(text).split())
    return "".join("\\" + ch if ch in _SPECIAL else ch for ch in flat)


@dataclass(frozen=True)
class Span:
    text: str
    bold: bool = False
    code: bool = False


def spans(text: str) -> list[Span]:
    """Split marked-up text into plain, bold and code runs (escapes resolved)."""
    out: list[Span] = []
    buf: list[str] = []
    bold = code = False
    i = 0

    def flush() -> None:
        if buf:
            out.append(Span("".join(buf), bold, code))
            buf.clear()

    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in _SPECIAL:
            buf.append(text[i + 1])
            i += 2
            continue
        if ch == "`":
            flush()
            code = not code
        elif text.startswith("**", i) and not code:
            flush()
            bold = not bold
            i += 1
        else:
            buf.append(ch)
        i += 1
    flush()
    return out


def plain(text: str) -> str:
    """The text without markup."""
    return "".join(s.text for s in spans(text))


@dataclass
class Heading:
    text: str
    level: int = 2


@dataclass
class Para:
    text: str
    style: Literal["normal", "note", "meta"] = "normal"


@dataclass
class Items:
    items: list[str]
    style: Literal["bullets", "numbers", "checklist"] = "bullets"


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]


Block = Heading | Para | Items | Table


@dataclass
class Doc:
    """A titled document in one language."""

    title: str
    lang: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> Doc:
        self.blocks.extend(b for b in blocks if not isinstance(b, Items) or b.items)
        return self
