"""What was published where: the address (URL) of each published post, and whether it was taken down.

`safepost prepare` records one publication per platform of a post (``publications``, with the
people it shows in ``publication_people``). Once the post is out, :func:`record_url` adds the
address it has on the platform, so a takedown list can say *where* to go; :func:`mark_taken_down`
closes it. Addresses say who posted what about whom: they are kept only in the encrypted workspace
database (never in a file, a log line or the audit details, which hold the publication id only).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from safepost.consent.dates import now_iso
from safepost.consent.registry import Publication
from safepost.core import RegistryError

if TYPE_CHECKING:
    from safepost.workspace import Workspace

MAX_URL = 2048

#: the platform an address belongs to, by its host (and the hosts' subdomains)
HOSTS = {
    "instagram.com": "instagram",
    "facebook.com": "facebook",
    "fb.com": "facebook",
    "fb.watch": "facebook",
    "x.com": "x",
    "twitter.com": "x",
    "tiktok.com": "tiktok",
    "youtube.com": "youtube",
    "youtu.be": "youtube",
    "t.me": "telegram",
    "telegram.me": "telegram",
    "linkedin.com": "linkedin",
    "bsky.app": "bluesky",
    "whatsapp.com": "whatsapp",
    "signal.group": "signal",
}

_SELECT = "SELECT id, post_ref, platform, audience, url, event_id, published_at, title, taken_down_at FROM publications"


def _row(row) -> Publication:
    return Publication(*row[:7], uses=[], consent_id=None, title=row[7] or "", taken_down_at=row[8])


def check_url(url: str) -> str:
    """``url`` trimmed if it is a web address (http or https, with a host, no spaces); else a RegistryError."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if (
        len(url) > MAX_URL
        or parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() or ord(c) < 32 for c in url)
    ):
        raise RegistryError(
            f"'{url[:80]}' is not the address of a post: copy it from the browser's address bar; "
            "it starts with https://, for example https://www.instagram.com/p/C0dEx/"
        )
    return url


def platform_of(url: str) -> str | None:
    """The platform of a web address (``instagram`` for www.instagram.com), or None when unknown."""
    host = (urlsplit(url).hostname or "").lower()
    for known, platform in HOSTS.items():
        if host == known or host.endswith("." + known):
            return platform
    return None


def list_publications(ws: Workspace, post: str | None = None, *, include_down: bool = True) -> list[Publication]:
    """Every publication (of ``post``, a bundle folder or a web draft reference, when given), newest first."""
    where, params = [], []
    if post is not None:
        where.append("post_ref = ?")
        params.append(post_ref(post))
    if not include_down:
        where.append("taken_down_at IS NULL")
    sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY published_at DESC, id DESC"
    with ws.read() as conn:
        return [_row(r) for r in conn.execute(sql, params).fetchall()]


def post_ref(post: str | os.PathLike[str]) -> str:
    """The reference ``prepare`` recorded for a post: a web draft's ``web:ID``, else the folder's full path."""
    text = os.fspath(post)
    return text if text.startswith("web:") else str(Path(text).resolve())


def find_publication(ws: Workspace, post: str, platform: str | None = None, url: str | None = None) -> Publication:
    """The one publication meant by ``post`` (a publication id, a bundle folder or ``web:ID``).

    A post prepared for several platforms has one publication each: ``platform`` picks one, or the
    platform of ``url``. Anything unclear is an error that says what to add (fail closed).
    """
    if str(post).isdigit():
        with ws.read() as conn:
            row = conn.execute(_SELECT + " WHERE id = ?", (int(post),)).fetchone()
        if row is None:
            raise RegistryError(f"No publication number {post}: `safepost publications` lists them.")
        return _row(row)
    found = list_publications(ws, post)
    if not found:
        raise RegistryError(
            f"No publication of {post} is recorded: a post is recorded when `safepost prepare` writes it "
            "(`safepost publications` lists them)."
        )
    wanted = platform or (platform_of(url) if url else None)
    if wanted:
        found = [p for p in found if p.platform == wanted]
        if not found:
            raise RegistryError(f"{post} was not prepared for {wanted}.")
    if len(found) > 1:
        choices = ", ".join(f"{p.platform} (number {p.id})" for p in found)
        raise RegistryError(f"{post} was published more than once: {choices}. Say which with --platform or its number.")
    return found[0]


def record_url(ws: Workspace, publication_id: int, url: str, *, actor: str | None = None) -> Publication:
    """Store where publication ``publication_id`` is online (encrypted, in the workspace database)."""
    url = check_url(url)
    with ws.transaction() as conn:
        row = conn.execute(_SELECT + " WHERE id = ?", (publication_id,)).fetchone()
        if row is None:
            raise RegistryError(f"No publication number {publication_id}.")
        guessed = platform_of(url)
        if guessed and guessed != row[2]:
            raise RegistryError(f"That address is on {guessed}, but publication {publication_id} is the {row[2]} one.")
        conn.execute("UPDATE publications SET url = ? WHERE id = ?", (url, publication_id))
        ws.audit(conn, "publication.url", {"publication": publication_id, "replaced": row[4] is not None}, actor=actor)
        row = conn.execute(_SELECT + " WHERE id = ?", (publication_id,)).fetchone()
    return _row(row)


def mark_taken_down(ws: Workspace, publication_id: int, *, actor: str | None = None) -> Publication:
    """Record that publication ``publication_id`` is no longer online: it leaves every takedown list."""
    with ws.transaction() as conn:
        row = conn.execute(_SELECT + " WHERE id = ?", (publication_id,)).fetchone()
        if row is None:
            raise RegistryError(f"No publication number {publication_id}.")
        if row[8] is None:
            conn.execute("UPDATE publications SET taken_down_at = ? WHERE id = ?", (now_iso(), publication_id))
            ws.audit(conn, "publication.taken_down", {"publication": publication_id}, actor=actor)
        row = conn.execute(_SELECT + " WHERE id = ?", (publication_id,)).fetchone()
    return _row(row)
