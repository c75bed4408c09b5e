"""Links in a third-party post that lead back to the original, un-anonymised material or its uploader.

``Source: https://x.com/witness_cali/status/1790…`` undoes the anonymisation: it opens the original
video and the account of the person who filmed it. A link is such a link when it is the post's own
``source.url``, when it carries the uploader's handle or name, or when it points at one post,
photo or video on a social platform (a status, fbid, reel, watch link...), or carries a platform's
tracking id (``__cft__``, ``fbid``, ``igsh``, ``si``...).
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from safepost.text.pii_links import find_links, strip_tracking
from safepost.words import Phrase

#: A path or query that opens one item on a social platform (not a home page or a campaign site).
_ITEM = re.compile(
    r"/status(?:es)?/\d|/posts?/|/photos?[/.?]|/videos?/|/reels?/|/p/[\w-]+|/watch\b|/shorts/|/live/|/story|"
    r"/permalink|/share/|/s/[\w-]+|/v/[\w-]+|/@[\w.]+/video/|[?&](?:fbid|story_fbid|v|id|set)=",
    re.IGNORECASE,
)
_SOCIAL = re.compile(
    r"(?:^|\.)(?:x|twitter|facebook|fb|instagram|tiktok|youtube|youtu|threads|t|telegram|vk|bsky|reddit|"
    r"whatsapp|snapchat|kwai|rumble|linkedin)\.(?:com|be|net|me|app|ru)$",
    re.IGNORECASE,
)
_TRACKING_ID = re.compile(r"[?&](?:__cft__|__tn__|__xts__|igsh|igshid|si|fbclid|mibextid)\b", re.IGNORECASE)


def _key(url: str) -> str:
    """A link reduced for comparison: no scheme, www., tracking parameters, trailing slash; lower case."""
    clean = strip_tracking(url).lower()
    clean = re.sub(r"^(?:https?://)?(?:www\.|m\.|mobile\.)?", "", clean)
    return clean.rstrip("/")


def source_links(text: str, source_url: str | None, uploader: str | None) -> list[tuple[int, int, Phrase]]:
    """(start, end, why) of every link in ``text`` that leads to the original or to its uploader."""
    _, spans = find_links(text)
    original = _key(source_url) if source_url else ""
    who = re.sub(r"^@", "", (uploader or "").strip()).lower()
    out = []
    for start, end in spans:
        url = text[start:end]
        try:
            host = urlsplit(url if "://" in url else "https://" + url).hostname or ""
        except ValueError:
            host = ""
        why: Phrase | None = None
        if original and (_key(url) == original or _key(url).startswith(original + "?")):
            why = Phrase("it is the link to the original material")
        elif who and len(who) >= 3 and who in unquote(url).lower():
            why = Phrase("it carries the uploader's account")
        elif _SOCIAL.search(host) and _ITEM.search(url):
            why = Phrase("it opens the original post on the platform, and with it the account that posted it")
        elif _TRACKING_ID.search(url):
            why = Phrase("it carries a platform's tracking id, which can lead to the account that shared it")
        if why:
            out.append((start, end, why))
    return out
