"""Where names hide inside #hashtags and links, for :class:`safepost.text.names.NameIndex`.

* A hashtag is read as words split where the case changes, at digits and at underscores
  (#JusticiaParaMaríaFlores -> Justicia|Para|María|Flores; #LiberenAChayo -> Liberen|A|Chayo).
  One name word written alone (Chayo, María) must start and end on such a split; a name of two
  words or more (8+ letters joined) may sit anywhere, which is how it is found in a hashtag
  written in one case (#freerafaeltorres, #FREERAFAELTORRES), where there are no splits.
* In a link, each path segment and query value is a possible handle (x.com/rafa_t/status/1,
  instagram.com/@rafa_t, facebook.com/profile.php?id=rafa.t); the words of a slug
  (…/free-rafael-torres) are read like text by the index itself.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

HASHTAG = re.compile(r"(?<![\w&/])#([^\W_]\w*)")
LINK = re.compile(
    r"(?:https?://|www\.|(?<![\w@.])(?:x|twitter|instagram|facebook|fb|tiktok|t)\.(?:com|me)/)[^\s<>\"'«»“”‘’]+",
    re.IGNORECASE,
)
#: Hosts whose first path segment (or @segment, or profile id) is an account.
SOCIAL_HOST = re.compile(
    r"(?:^|\.)(?:x|twitter|instagram|facebook|fb|tiktok|threads|youtube|linkedin|t|bsky|mastodon|telegram|"
    r"snapchat|pinterest|reddit|medium|github)\.(?:com|net|me|app|social|org)$",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?)]}>'\"…"
_PIECE = re.compile(r"[^/?&=#]+")


def hashtags(text: str) -> list[tuple[int, int]]:
    """(start, end) of the body of every hashtag (after the #)."""
    return [m.span(1) for m in HASHTAG.finditer(text)] if "#" in text else []


def word_splits(text: str, start: int, end: int) -> set[int]:
    """Offsets in ``text`` where a word of the hashtag body [start, end) begins or ends."""
    cuts = {start, end}
    for i in range(start + 1, end):
        prev, char = text[i - 1], text[i]
        nxt = text[i + 1] if i + 1 < end else ""
        if (
            (prev.islower() and char.isupper())
            or (prev.isalpha() != char.isalpha() and (prev.isalnum() and char.isalnum()))
            or (prev.isupper() and char.isupper() and nxt.islower())
        ):
            cuts.add(i)
        elif char == "_":
            cuts.update((i, i + 1))
    return cuts


def links(text: str) -> list[tuple[int, int]]:
    """(start, end) of every link, trailing punctuation left out."""
    out = []
    if "/" in text:
        for m in LINK.finditer(text):
            url = m.group(0).rstrip(_TRAILING)
            if url:
                out.append((m.start(), m.start() + len(url)))
    return out


def link_handles(text: str, start: int, end: int) -> list[tuple[int, int, str, bool]]:
    """Path segments and query values of the link at [start, end): (start, end, key, on a social host)."""
    url = text[start:end]
    try:
        host = urlsplit(url if "://" in url else "https://" + url).hostname or ""
    except ValueError:
        return []
    social = bool(SOCIAL_HOST.search(host))
    at = url.lower().find(host) + len(host) if host else 0
    out = []
    for m in _PIECE.finditer(url, at):
        piece = m.group(0)
        key = unquote(piece).lstrip("@").rstrip(".").lower()
        if key:
            lead = len(piece) - len(piece.lstrip("@"))
            out.append((start + m.start() + lead, start + m.end(), key, social))
    return out
