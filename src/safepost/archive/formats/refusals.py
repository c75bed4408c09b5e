"""Exports safepost recognises but does not read, each refused with what to do instead.

Checked only when no reader accepted the export (``pick_reader``): Telegram Desktop's HTML export,
Facebook or Instagram exports in HTML, and exports that hold only Messenger or Instagram chats.
"""

from __future__ import annotations

import re

from safepost.archive.source import ExportSource

_JSON_AGAIN = "choose the format JSON (not HTML), and give safepost the new zip"


def refusal(source: ExportSource) -> str | None:
    """Why ``source`` is not read and what to do, or None when it is not a known export at all."""
    names = source.names()
    label = source.label
    if any(re.search(r"(^|/)messages\d*\.html$", n) for n in names) and any(
        n.endswith(("css/style.css", "js/script.js")) for n in names
    ):
        return (
            f"{label} is a Telegram Desktop export in HTML, which safepost does not read. In Telegram Desktop, "
            "export again (Settings, Advanced, Export Telegram data; or a chat's menu, Export chat history) and "
            "choose 'Machine-readable JSON' as the format; then give safepost the folder that holds result.json."
        )
    instagram = any("instagram" in n.lower() for n in names) or any(
        n.endswith("personal_information/personal_information.json") and "instagram" in n for n in names
    )
    platform = "Instagram" if instagram else "Facebook"
    if any(re.search(r"(^|/)(your_posts(__check_ins__photos_and_videos)?|posts)_\d+\.html$", n) for n in names):
        return (
            f"{label} is a {platform} export in HTML, which safepost does not read. Download your information "
            f"again (Accounts Center, Your information and permissions, Download your information), {_JSON_AGAIN}."
        )
    chats = [
        n
        for n in names
        if re.search(r"(^|/)messages/(inbox|archived_threads|e2ee_cutover)/[^/]+/message_\d+\.json$", n)
    ]
    if chats:
        what = "Instagram direct messages" if instagram else "Messenger conversations"
        content = "posts, stories, reels and follows" if instagram else "posts, photos, comments, groups and pages"
        return (
            f"{label} holds only {what} ({len(chats)} chat file(s)), which safepost does not audit yet: it audits "
            f"{content}. Download your information again, select at least "
            f"{'Content (posts)' if instagram else 'Posts'} among the types of information, {_JSON_AGAIN}."
        )
    return None
