"""WhatsApp chat export ("Export chat", with or without media).

Layout this reader is based on: WhatsApp's "Export chat" for iPhone and Android as of 2023-2024 (not
checked against a real export; fixtures follow this description):

* iPhone: a zip ``WhatsApp Chat - <name>.zip`` holding ``_chat.txt`` and the media; lines look
  like ``[01/01/2024, 09:15:22] Ana: text`` and media ``<attached: 00000012-PHOTO-2024-01-01-09-15-22.jpg>``;
* Android: ``WhatsApp Chat with <name>.txt`` (translated in other languages) with the media
  beside it; lines ``01/01/2024, 09:15 - Ana: text`` and media ``IMG-20240101-WA0001.jpg (file attached)``;
  ``<Media omitted>`` when exported without media.

Dates follow the phone's locale: day or month first, 2- or 4-digit years, ``/ . -`` separators,
24-hour or AM/PM clocks. The order is decided once per chat (a first number above 12 means day
first, a second number above 12 month first; otherwise day first, with a note). Shared
locations (``maps.google.com/?q=LAT,LON``) become places.
"""

from __future__ import annotations

import re
from datetime import datetime

from safepost.archive.formats._common import (
    Reader,
    ReadResult,
    decode_text,
    hashtags_in,
    head,
    media_ref,
    mentions_in,
    place_from,
)
from safepost.archive.items import ArchiveItem
from safepost.archive.source import ExportSource

_MARKS = "\u200e\u200f\u202a\u202c\ufeff"
HEADER = re.compile(
    r"^[\u200e\u200f]?\[?(?P<date>\d{1,4}[./-]\d{1,2}[./-]\d{1,4})[,.]?\s+"
    r"(?P<time>\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)"
    r"(?:[\s\u202f\u00a0]*(?P<ampm>[AaPp]\.?[\s\u202f\u00a0]?[Mm]\.?))?\]?"
    r"(?:\s+-\s+|\s*:\s+|\s+)(?P<rest>.*)$"
)
_SENDER = re.compile(r"^(?P<sender>[^:]{1,80}?):\s(?P<text>.*)$", re.DOTALL)
_IOS_ATTACHMENT = re.compile(r"<[^<>:]{2,30}:\s*(?P<name>[^<>]+?\.\w{2,5})>")
_ANDROID_ATTACHMENT = re.compile(r"^(?P<name>[^\n<>/\\]{1,120}?\.\w{2,5}) \([^()\n]{3,40}\)$", re.MULTILINE)
_WA_NAME = re.compile(r"^(IMG|VID|PTT|AUD|DOC|STK|PHOTO|VIDEO)-|\d{8}-(PHOTO|VIDEO|AUDIO)-", re.IGNORECASE)
_MAPS = re.compile(r"(?:maps\.google\.[a-z.]+/\?q=|maps\.apple\.com/\?.*?ll=)(-?\d{1,3}\.\d+),\s?(-?\d{1,3}\.\d+)")
_CHAT_NAME = re.compile(
    r"^(?:WhatsApp Chat (?:with|-) |Chat de WhatsApp con |WhatsApp-Chat mit |Discussion WhatsApp avec )"
)


class WhatsAppReader(Reader):
    name = "whatsapp"
    title = "WhatsApp chat export"
    layout = "WhatsApp chat export, iPhone _chat.txt or Android 'WhatsApp Chat with X.txt' (2023-2024)"

    def _chats(self, source: ExportSource, focus: str | None) -> list[str]:
        candidates = (
            [focus] if focus else [n for n in source.names() if n.lower().endswith(".txt") and n.count("/") <= 1]
        )
        chats = []
        for name in candidates:
            lines = [line.strip(_MARKS + " ") for line in head(source, name, 4096).splitlines()[:12]]
            if any(HEADER.match(line) for line in lines if line):
                chats.append(name)
        return chats

    def detect(self, source: ExportSource, focus: str | None) -> bool:
        return bool(self._chats(source, focus))

    def read(self, source: ExportSource, focus: str | None) -> ReadResult:
        result = ReadResult(format=self.name, layout=self.layout, items=[])
        for chat in self._chats(source, focus):
            self._read_chat(source, chat, result)
        return result

    def _read_chat(self, source: ExportSource, chat: str, result: ReadResult) -> None:
        lines = decode_text(source.read(chat), chat).splitlines()
        messages: list[tuple[int, re.Match, list[str]]] = []
        for number, line in enumerate(lines, start=1):
            match = HEADER.match(line.lstrip(_MARKS))
            if match:
                messages.append((number, match, [match.group("rest")]))
            elif messages:
                messages[-1][2].append(line)
        day_first, sure = _date_order([m.group("date") for _, m, _ in messages])
        if not sure and messages:
            result.notes.append(f"{chat}: dates could be day/month or month/day; read as day first")
        folder = chat.rsplit("/", 1)[0] + "/" if "/" in chat else ""
        title = _chat_title(chat, source.label)
        senders: dict[str, int] = {}
        omitted = 0
        for number, match, body in messages:
            rest = "\n".join(body).strip(_MARKS + " ")
            sender_match = _SENDER.match(rest)
            if not sender_match:
                continue  # a system line: "Messages are end-to-end encrypted", "Ana added Ben"
            sender, text = sender_match.group("sender").strip(_MARKS + " "), sender_match.group("text").strip(_MARKS)
            senders[sender] = senders.get(sender, 0) + 1
            media = []
            for found in list(_IOS_ATTACHMENT.finditer(text)) + list(_ANDROID_ATTACHMENT.finditer(text)):
                file_name = found.group("name").strip(_MARKS + " ")
                if source.exists(folder + file_name) or _WA_NAME.search(file_name):
                    media.append(media_ref(folder + file_name))
                    text = text.replace(found.group(0), "").strip()
            if re.fullmatch(r"<[^<>]{3,40}>", text.strip()) and not media:
                omitted += 1
                text = ""
            places = [place_from(lat, lon, source="shared location") for lat, lon in _MAPS.findall(text)]
            result.items.append(
                ArchiveItem(
                    id=f"wa:{chat}:L{number}",
                    platform=self.name,
                    kind="message",
                    where=f"{chat}#L{number}",
                    date=_when(match, day_first),
                    text=text,
                    author=sender,
                    hashtags=hashtags_in(text),
                    mentions=mentions_in(text),
                    places=[p for p in places if p],
                    media=media,
                )
            )
        if omitted:
            result.notes.append(f"{chat}: {omitted} media files were left out of the export and were not checked")
        result.items.append(
            ArchiveItem(
                id=f"wa-chat:{chat}",
                platform=self.name,
                kind="group" if len(senders) > 2 else "chat",
                where=chat,
                text=f"Chat: {title}" if title else "",
                tagged=sorted(senders, key=lambda s: -senders[s]),
                groups=[title] if title and len(senders) > 2 else [],
            )
        )


def _chat_title(chat: str, label: str) -> str:
    base = chat.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if base == "_chat":
        base = label.rsplit(".", 1)[0]
    return _CHAT_NAME.sub("", base).strip()


def _date_order(dates: list[str]) -> tuple[bool, bool]:
    """(day first?, sure?) for one chat's date strings."""
    firsts, seconds = [], []
    for text in dates:
        parts = re.split(r"[./-]", text)
        if len(parts) == 3 and len(parts[0]) < 4:
            firsts.append(int(parts[0]))
            seconds.append(int(parts[1]))
    if any(v > 12 for v in firsts):
        return True, True
    if any(v > 12 for v in seconds):
        return False, True
    return True, not firsts


def _when(match: re.Match, day_first: bool) -> str | None:
    parts = [int(p) for p in re.split(r"[./-]", match.group("date"))]
    if parts[0] > 999:
        year, month, day = parts
    else:
        day, month, year = parts if day_first else (parts[1], parts[0], parts[2])
    if year < 100:
        year += 2000
    clock = [int(p) for p in re.split(r"[:.]", match.group("time"))] + [0]
    hour, minute, second = clock[0], clock[1], clock[2]
    ampm = re.sub(r"[\s.\u202f\u00a0]", "", (match.group("ampm") or "").lower())
    if ampm.startswith("p") and hour < 12:
        hour += 12
    elif ampm.startswith("a") and hour == 12:
        hour = 0
    try:
        return datetime(year, month, day, hour, minute, second).isoformat(timespec="seconds")
    except ValueError:
        return None
