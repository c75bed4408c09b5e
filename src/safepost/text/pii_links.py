"""Links that carry tracking parameters (utm_*, fbclid, gclid, igshid, si, ...): TRACKING_URL."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from safepost.text.pii import PiiMatch

_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'«»“”‘’]+", re.IGNORECASE)
#: A link written without http:// or www., found from its query string: "youtu.be/x?si=...".
_BARE_URL = re.compile(r"(?<![\w@./])(?:[a-z0-9-]+\.)+[a-z]{2,}/[^\s<>\"'«»“”‘’?]*\?[^\s<>\"'«»“”‘’]+", re.I)
_QUERY = re.compile(r"\?\w+=")
_TRAILING = ".,;:!?)]}>'\"…"
#: Parameters added to a link by the platform or a campaign tool to follow who shared it, and from where.
_TRACKING = re.compile(
    r"^(?:utm_\w+|fbclid|gclid|gclsrc|dclid|gbraid|wbraid|msclkid|yclid|twclid|ttclid|li_fat_id|igshid|igsh|"
    r"si|mibextid|sfnsn|share_id|shareid|mc_cid|mc_eid|_ga|_gl|_hsenc|_hsmi|mkt_tok|vero_id|oly_anon_id|"
    r"oly_enc_id|rb_clickid|s_cid|sc_cid|ref_src|ref_url|trk|trkcampaign|rcm|ncid|cmpid|wt_mc|spm|xmt|epik|"
    r"__s|ss_source|ss_campaign_id|hsctatracking|feature|"
    # Facebook, Instagram, TikTok, YouTube, LinkedIn, Reddit: who shared, from which app and device
    r"__cft__(?:\[\d*\])?|__tn__|__xts__(?:\[\d*\])?|eid|refid|hc_ref|fref|rdid|paipv|comment_tracking|"
    r"img_index|is_from_webapp|sender_device|sender_web_id|share_app_id|share_link_id|share_item_id|u_code|"
    r"tt_from|_r|_t|pp|lipi|trackingid|rdt)$",
    re.IGNORECASE,
)
#: On X/Twitter the short "s" and "t" parameters identify the sharing account and client.
_X_HOSTS = re.compile(r"(?:^|\.)(?:twitter\.com|x\.com)$", re.IGNORECASE)
_X_TRACKING = frozenset({"s", "t"})


#: the reason of a tracking link, as the catalogue holds it (words.po): the check says it in Spanish too
TRACKING_WHY = (
    "This link carries tracking parameters ({names}). They can tie the post to the account, device or message "
    "it was shared from. Remove the parameters."
)


def _is_tracking(name: str, host: str) -> bool:
    return bool(_TRACKING.match(name)) or (name.lower() in _X_TRACKING and bool(_X_HOSTS.search(host)))


def strip_tracking(url: str) -> str:
    """``url`` without its tracking parameters (the rest of the link unchanged)."""
    parts = urlsplit(url if "://" in url else "https://" + url)
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k, parts.hostname or "")
    ]
    clean = urlunsplit(parts._replace(query=urlencode(query)))
    return clean if "://" in url else clean.split("://", 1)[1]


def find_links(text: str) -> tuple[list[PiiMatch], list[tuple[int, int]]]:
    """Tracking links in ``text``, and the spans of every link (other detectors skip those)."""
    tracking: list[PiiMatch] = []
    spans: list[tuple[int, int]] = []
    matches = list(_URL.finditer(text))
    for q in _QUERY.finditer(text):
        if not any(m.start() <= q.start() < m.end() for m in matches):
            line_start = max(text.rfind(" ", 0, q.start()), text.rfind("\n", 0, q.start())) + 1
            bare = _BARE_URL.match(text, line_start)
            if bare:
                matches.append(bare)
    for m in sorted(matches, key=lambda m: m.start()):
        url = m.group(0).rstrip(_TRAILING)
        if not url:
            continue
        start, end = m.start(), m.start() + len(url)
        spans.append((start, end))
        try:
            parts = urlsplit(url if "://" in url else "https://" + url)
            host = parts.hostname or ""
        except ValueError:
            continue
        names = [k for k, _ in parse_qsl(parts.query, keep_blank_values=True) if _is_tracking(k, host)]
        if not names:
            continue
        shown = ", ".join(dict.fromkeys(names))
        tracking.append(
            PiiMatch(
                "TRACKING_URL",
                start,
                end,
                url,
                TRACKING_WHY.format(names=shown),
                0.95,
                fix=strip_tracking(url),
                why_id=TRACKING_WHY,
                why_values={"names": shown},
            )
        )
    return tracking, spans
