"""Telegram Desktop export ("Export chat history" or "Export Telegram data"), machine-readable JSON.

Layout this reader is based on: Telegram Desktop's JSON export as of versions 4.x-5.x (2024; not
checked against a real export, fixtures follow this description): a folder with ``result.json``
and media folders beside it (``photos/``, ``files/``, ``video_files/``, ``round_video_messages/``, ``voice_messages/``):

* one chat: ``{"name", "type": "personal_chat" | "private_group" | "public_supergroup" |
  "public_channel" ..., "id", "messages": [...]}``;
* the whole account: ``{"about", "personal_information", "contacts", "chats": {"list": [chat...]},
  "left_chats": {"list": [...]}}``;
* a message: ``{"id", "type": "message" | "service", "date": "2024-01-01T09:15:22", "from",
  "text": "..." or ["plain", {"type": "hashtag", "text": "#x"}, ...], "photo": "photos/...jpg",
  "file": "files/...", "media_type", "location_information": {"latitude", "longitude"},
  "place_name", "address", "contact_information": {"phone_number"}}``. Media not exported read
  "(File not included. ...)": they are flagged as missing;
* older exports (2018-2019) have messages without ``id`` (only ``date`` / ``date_unixtime``):
  they are read, with an id made of the chat and their position; newer ones add
  ``text_entities``, read when ``text`` is empty;
* HTML exports (``messages.html``) are refused with how to export JSON instead.
"""

from __future__ import annotations

from typing import Any

from safepost.archive.formats._common import (
    Reader,
    ReadResult,
    each_dict,
    expect,
    hashtags_in,
    head,
    iso_from,
    iso_from_unix,
    load_json,
    media_ref,
    mentions_in,
    place_from,
    text_of,
    unique,
)
from safepost.archive.items import FILE, PHOTO, VIDEO, ArchiveItem, MediaRef, Place
from safepost.archive.source import ExportSource

GROUP_TYPES = ("private_group", "private_supergroup", "public_supergroup", "public_channel", "private_channel")


def flatten_text(value: Any) -> tuple[str, list[str], list[str]]:
    """Telegram ``text`` (a string or a list of strings and entities) as (text, hashtags, mentions)."""
    if isinstance(value, str):
        return value, [], []
    pieces, tags, mentions = [], [], []
    for part in value if isinstance(value, list) else []:
        if isinstance(part, str):
            pieces.append(part)
        elif isinstance(part, dict):
            text = text_of(part.get("text"))
            pieces.append(text)
            kind = part.get("type")
            if kind == "hashtag":
                tags.append(text.lstrip("#"))
            elif kind in ("mention", "mention_name"):
                mentions.append(text.lstrip("@"))
            elif kind == "text_link" and text_of(part.get("href")):
                pieces.append(f" ({part['href']})")
    return "".join(pieces), tags, mentions


class TelegramReader(Reader):
    name = "telegram"
    title = "Telegram Desktop export (JSON)"
    layout = "Telegram Desktop result.json, single chat or whole account (Desktop 4.x-5.x, 2024)"

    def _result(self, source: ExportSource, focus: str | None) -> str | None:
        candidates = [focus] if focus else source.find("result.json")
        for name in candidates:
            start = head(source, name, 2048)
            if start.lstrip().startswith("{") and any(
                key in start for key in ('"messages"', '"chats"', '"personal_information"', '"about"')
            ):
                return name
        return None

    def detect(self, source: ExportSource, focus: str | None) -> bool:
        return self._result(source, focus) is not None

    def read(self, source: ExportSource, focus: str | None) -> ReadResult:
        name = self._result(source, focus) or ""
        folder = name.rsplit("/", 1)[0] + "/" if "/" in name else ""
        data = expect(load_json(source, name), dict, name)
        result = ReadResult(format=self.name, layout=self.layout, items=[])
        if isinstance(data.get("personal_information"), dict):
            info = data["personal_information"]
            result.account = {
                "username": text_of(info.get("username")),
                "display_name": " ".join(
                    p for p in (text_of(info.get("first_name")), text_of(info.get("last_name"))) if p
                ),
            }
        chats = []
        if "messages" in data:
            chats.append(data)
        for key in ("chats", "left_chats"):
            block = data.get(key)
            if isinstance(block, dict):
                chats.extend(each_dict(block.get("list")))
        for chat in chats:
            self._chat(chat, name, folder, result)
        return result

    def _chat(self, chat: dict, name: str, folder: str, result: ReadResult) -> None:
        chat_id = str(chat.get("id") or "")
        title = text_of(chat.get("name"))
        kind = text_of(chat.get("type"))
        senders: dict[str, int] = {}
        for index, message in enumerate(each_dict(chat.get("messages"))):
            if message.get("type", "message") != "message":
                continue  # a service line: "Ben created the group"
            message_id = message.get("id")
            message_id = str(message_id) if message_id is not None else f"n{index}"
            text, tags, mentions = flatten_text(message.get("text"))
            if not text.strip() and isinstance(message.get("text_entities"), list):
                text, tags, mentions = flatten_text(message["text_entities"])
            sender = text_of(message.get("from"))
            if sender:
                senders[sender] = senders.get(sender, 0) + 1
            places: list[Place | None] = []
            if isinstance(message.get("location_information"), dict):
                location = message["location_information"]
                label = ", ".join(p for p in (text_of(message.get("place_name")), text_of(message.get("address"))) if p)
                places.append(place_from(location.get("latitude"), location.get("longitude"), label, "shared location"))
            contact = message.get("contact_information")
            if isinstance(contact, dict):
                parts = [text_of(contact.get(k)) for k in ("first_name", "last_name", "phone_number")]
                text += "\nContact shared: " + " ".join(p for p in parts if p)
            media = []
            for key in ("photo", "file", "thumbnail"):
                path = text_of(message.get(key))
                if path.startswith("("):  # "(File not included. Change data exporting settings to download.)"
                    kind = VIDEO if "video" in text_of(message.get("media_type")) else PHOTO if key == "photo" else FILE
                    note = "not included in the export (Telegram's export settings)"
                    media.append(MediaRef(f"{name}#{chat_id}/{message_id}/{key}", kind, note=note))
                elif path:
                    media.append(media_ref(folder + path))
            result.items.append(
                ArchiveItem(
                    id=f"tg:{chat_id}:{message_id}",
                    platform=self.name,
                    kind="message" if kind not in ("public_channel", "private_channel") else "post",
                    where=f"{name}#{chat_id}/{message_id}",
                    date=iso_from(message.get("date"), ("%Y-%m-%dT%H:%M:%S",))
                    or iso_from_unix(message.get("date_unixtime")),
                    text=text,
                    author=sender,
                    hashtags=unique(tags + hashtags_in(text)),
                    mentions=unique(mentions + mentions_in(text)),
                    places=[p for p in places if p],
                    media=media,
                )
            )
        is_group = kind in GROUP_TYPES
        result.items.append(
            ArchiveItem(
                id=f"tg-chat:{chat_id}",
                platform=self.name,
                kind="group" if is_group else "chat",
                where=f"{name}#{chat_id}",
                text=f"{'Group or channel' if is_group else 'Chat'}: {title}" if title else "",
                tagged=sorted(senders, key=lambda s: -senders[s]),
                groups=[title] if is_group and title else [],
            )
        )
