"""Safe text for a terminal: names from files, folders and the registry never drive the terminal.

:func:`escape` is the one helper every printer uses; it shows control characters as escapes
(``ESC`` as ``\\x1b``, a newline as ``\\n``) so a crafted name cannot retitle, clear or recolour
the terminal, nor forge a line such as ``all faces masked OK``.
"""

from __future__ import annotations

import unicodedata

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Joiners are part of ordinary spelling (Persian, Indic scripts, emoji) and move nothing.
_KEEP = {"\u200c", "\u200d"}


def _unsafe(char: str) -> bool:
    return char not in _KEEP and unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp")


def escape(text: object) -> str:
    """``text`` with every control, format or unpaired-surrogate character written as an escape."""
    out = []
    for char in str(text):
        if char in _NAMED:
            out.append(_NAMED[char])
        elif _unsafe(char):
            code = ord(char)
            if 0xDC80 <= code <= 0xDCFF:  # a byte of a file name that is not UTF-8 (surrogateescape)
                code -= 0xDC00
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(char)
    return "".join(out)


def escape_lines(text: object) -> str:
    """Like :func:`escape` for text of several lines: its own line breaks and tabs stay, nothing else moves."""
    return "\n".join(escape(line).replace("\\t", "\t") for line in str(text).split("\n"))


def json_text(data: object, indent: int | None = 2) -> str:
    """``data`` as JSON (non-ASCII kept readable) with every character :func:`escape` would escape as ``\\uXXXX``.

    ``json`` escapes C0 controls itself; C1 controls, bidirectional overrides and other
    format characters would otherwise reach the terminal raw. Still valid JSON, same values.
    """
    import json

    return json_safe(json.dumps(data, indent=indent, ensure_ascii=False))


def json_safe(raw: str) -> str:
    """JSON text with the characters :func:`escape` would escape written as ``\\uXXXX`` (same values)."""
    return "".join(f"\\u{ord(c):04x}" if c != "\n" and _unsafe(c) and ord(c) < 0x10000 else c for c in raw)
